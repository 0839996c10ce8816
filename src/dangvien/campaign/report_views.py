"""Campaign pages of the reports: the list of campaigns (and the form that starts one), a unit's
progress report with its children ranked and the daily chart, urging a lagging unit, and the report
as XLSX and PDF. Views parse input, call a selector or a service, and turn a refusal into a message."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign import services
from dangvien.campaign.chart import progress_svg
from dangvien.campaign.exports import report_pdf, report_xlsx
from dangvien.campaign.models import STEPS, Campaign, Step
from dangvien.campaign.permissions import CAMPAIGN_MANAGE, CAMPAIGN_VIEW
from dangvien.campaign.report_forms import CampaignCreateForm
from dangvien.campaign.reports import campaign_progress, campaign_report, campaign_report_tree
from dangvien.campaign.selectors import (
    campaign_ancestors_for,
    campaign_get_for,
    campaign_unit_for,
    campaigns_visible_to,
)
from dangvien.core.errors import NotFound
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_by_code_for


def _report_url(campaign: Campaign, unit: Unit | None = None) -> str:
    url = reverse("campaign:report", args=[campaign.pk])
    return f"{url}?{urlencode({'unit': unit.code})}" if unit is not None else url


@login_required
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns the actor sees; a committee officer starts one here."""
    if not scope_for(request.user, CAMPAIGN_VIEW).has_units:
        raise PermissionDenied(_("You do not have permission to see campaigns."))
    may_create = scope_for(request.user, CAMPAIGN_MANAGE).has_units
    form = CampaignCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied(_("You do not have permission to start a campaign."))
        if form.is_valid():
            created = _create(request, form)
            if created is not None:
                messages.success(request, _("The campaign %(name)s was started: %(n)s eligible members.") % {
                    "name": created.name, "n": created.participants.filter(eligible=True).count()})
                return redirect(_report_url(created))
    return render(request, "campaign/list.html", {
        "campaigns": campaigns_visible_to(request.user), "form": form if may_create else None})


def _create(request: HttpRequest, form: CampaignCreateForm) -> Campaign | None:
    try:
        unit = unit_get_by_code_for(request.user, form.cleaned_data["unit"])
    except NotFound:
        form.add_error("unit", _("No unit with this code in your scope."))
        return None
    try:
        return services.campaign_create(actor=request.user, unit=unit, **form.service_arguments())
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None


@login_required
@require_GET
def campaign_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's figures, its children ranked, the daily chart and the pace."""
    campaign = campaign_get_for(request.user, pk)
    unit = campaign_unit_for(request.user, campaign, request.GET.get("unit"))
    report = campaign_report(request.user, campaign, unit)
    progress = campaign_progress(request.user, campaign, unit, eligible=report.figures.eligible, day=report.day)
    ancestors = campaign_ancestors_for(request.user, campaign, unit)
    return render(request, "campaign/report.html", {
        "campaign": campaign, "unit": unit, "report": report, "progress": progress, "ancestors": ancestors,
        "steps": [Step(step).label for step in STEPS],
        "chart": mark_safe(progress_svg(progress, get_language())),  # noqa: S308 - built with every text escaped
        "may_urge": {row.unit.pk for row in report.lagging if can(request.user, CAMPAIGN_MANAGE, row.unit)},
    })


@login_required
@require_POST
def campaign_urge(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for(request.user, pk)
    unit = campaign_unit_for(request.user, campaign, request.POST.get("unit") or "-")
    try:
        notices = services.campaign_urge(actor=request.user, campaign=campaign, unit=unit,
                                         message=request.POST.get("message", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(n)s officers of %(unit)s were notified.") % {"n": len(notices),
                                                                                  "unit": unit.name})
    parent = unit.parent
    return redirect(_report_url(campaign, parent if parent is not None and can(
        request.user, CAMPAIGN_VIEW, parent) and parent.path.startswith(campaign.unit.path) else unit))


def _export_name(campaign: Campaign, unit: Unit, extension: str) -> str:
    return f"tien-do-doi-the-{campaign.pk}-{unit.code}.{extension}"


@login_required
@require_GET
def campaign_report_xlsx(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every unit of the subtree, one row each (counts only: no personal data, so not audited)."""
    campaign = campaign_get_for(request.user, pk)
    unit = campaign_unit_for(request.user, campaign, request.GET.get("unit"))
    buffer = io.BytesIO()
    report_xlsx(campaign_report_tree(request.user, campaign, unit), buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=_export_name(campaign, unit, "xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
@require_GET
def campaign_report_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The committee's filed report: the unit's children with their figures, totals, signatures."""
    campaign = campaign_get_for(request.user, pk)
    unit = campaign_unit_for(request.user, campaign, request.GET.get("unit"))
    pdf = report_pdf(campaign_report(request.user, campaign, unit))
    return FileResponse(io.BytesIO(pdf), as_attachment=True, filename=_export_name(campaign, unit, "pdf"),
                        content_type="application/pdf")
