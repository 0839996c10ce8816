"""The adoption report's pages: a unit and its children for a period (drilling down the tree), the
unit's trend month by month, and every unit of the subtree as XLSX. Views parse the query, call a
selector and the report, and turn a bad period into a message."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangvien.accounts.permissions import scope_for
from dangvien.adoption.chart import trend_svg
from dangvien.adoption.exports import report_xlsx
from dangvien.adoption.periods import Period, current_month, parse_period, presets
from dangvien.adoption.permissions import ADOPTION_VIEW
from dangvien.adoption.reports import (
    ACTIVE_THRESHOLDS,
    DEFAULT_PRECISION,
    HELD_GOAL,
    adoption_report,
    adoption_report_tree,
    adoption_trend,
)
from dangvien.adoption.selectors import adoption_ancestors_for, adoption_unit_for
from dangvien.campaign.formatting import MAX_PRECISION
from dangvien.org.models import Unit


@dataclass(frozen=True)
class Query:
    unit: Unit
    period: Period
    precision: int


def _query(request: HttpRequest) -> Query:
    """The unit (404 out of scope), the period and the decimals the page asks for. A period or a
    precision that cannot be read is a message, and the page shows the current month (whole percents)."""
    code = request.GET.get("unit") or None
    if code is None and not scope_for(request.user, ADOPTION_VIEW).has_units:
        raise PermissionDenied(_("You do not have permission to see the handbook adoption report."))
    unit = adoption_unit_for(request.user, code)  # 404 outside the actor's scope, as an absent unit
    period_code = request.GET.get("period") or ""
    if not period_code and (request.GET.get("from") or request.GET.get("to")):  # the page's custom form
        period_code = f"{request.GET.get('from', '')}..{request.GET.get('to', '')}"
    try:
        period = parse_period(period_code)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        period = current_month()
    precision = DEFAULT_PRECISION
    if request.GET.get("precision"):
        text = request.GET["precision"]
        if text.isdigit() and int(text) <= MAX_PRECISION:
            precision = int(text)
        else:
            messages.error(request, _("Decimals in percentages: 0 to %(n)s.") % {"n": MAX_PRECISION})
    return Query(unit, period, precision)


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    """A unit's figures for the period, and its children's to drill down."""
    query = _query(request)
    report = adoption_report(request.user, query.unit, query.period, precision=query.precision)
    return render(request, "adoption/report.html", {
        "report": report, "unit": query.unit, "period": query.period, "precision": query.precision,
        "ancestors": adoption_ancestors_for(request.user, query.unit), "presets": presets(),
        "held_goal": HELD_GOAL, "thresholds": ACTIVE_THRESHOLDS,
    })


@login_required
@require_GET
def trend_page(request: HttpRequest) -> HttpResponse:
    """The unit's trend month by month: accounts registered, members active, cells that met."""
    query = _query(request)
    trend = adoption_trend(request.user, query.unit, query.period)
    return render(request, "adoption/trend.html", {
        "unit": query.unit, "period": query.period, "trend": trend, "precision": query.precision,
        "ancestors": adoption_ancestors_for(request.user, query.unit),
        "chart": mark_safe(trend_svg(trend, get_language())),  # noqa: S308 - built with every text escaped
    })


@login_required
@require_GET
def report_xlsx_view(request: HttpRequest) -> HttpResponseBase:
    """Every unit of the subtree, one row each, and the unit's trend (counts only: no personal data,
    so not audited)."""
    query = _query(request)
    report = adoption_report_tree(request.user, query.unit, query.period, precision=query.precision)
    buffer = io.BytesIO()
    report_xlsx(report, adoption_trend(request.user, query.unit, query.period), buffer)
    buffer.seek(0)
    name = f"so-tay-dang-vien-{query.unit.code}-{query.period.code.replace('..', '_')}.xlsx"
    return FileResponse(buffer, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
