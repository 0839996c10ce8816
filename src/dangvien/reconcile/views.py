"""Reconciliation pages: the per-unit summary (and its XLSX), the review queue, the discrepancy list,
and the run page. Views parse input, call a selector or a service, and turn a service's refusal into
a message; every rule lives in services.py. Every form works without JavaScript; the review page's
keys (a, r, n) are static/reconcile/review.js."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangvien.accounts.permissions import can, scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import ancestor_paths
from dangvien.jobs.models import JobStatus
from dangvien.jobs.progress import live_progress
from dangvien.jobs.services import job_abandon
from dangvien.jobs.views import progress_response
from dangvien.members.bulk import Refused
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_for
from dangvien.reconcile import services
from dangvien.reconcile.export import summary_xlsx
from dangvien.reconcile.models import Field, Kind, State
from dangvien.reconcile.permissions import RECONCILE_RESOLVE, RECONCILE_RUN, RECONCILE_VIEW
from dangvien.reconcile.presentation import candidate_cards, record_card
from dangvien.reconcile.selectors import (
    DiscrepancyFilter,
    discrepancy_get_for,
    discrepancy_groups,
    discrepancy_list,
    match_get_for,
    queue_after,
    reconcile_summary,
    review_queue,
    run_job_get_for,
    run_jobs_visible_to,
    run_of_job,
    snapshots_for_runs,
    summary_roots,
)

DISCREPANCIES_PER_PAGE = 50
LEVELS_SHOWN = 2  # below each root; deeper units through their own page


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _unit_param(request: HttpRequest, source: Any = None) -> Unit | None:
    """The unit named by ?unit=<pk> (or the posted field), if the actor may see reconciliation
    results there: 404 when hidden, 403 when visible without RECONCILE_VIEW."""
    unit_id = _int((source if source is not None else request.GET).get("unit"))
    if unit_id is None:
        return None
    return _reconcile_unit(request, unit_id)


def _require_some_view(request: HttpRequest) -> None:
    """Without a unit, a list spans the actor's reach: 403, as the summary, for one who may see
    reconciliation results nowhere (rather than an empty queue that suggests nothing is waiting)."""
    if not summary_roots(request.user):
        raise PermissionDenied(_("You do not have permission to see reconciliation results."))


def _reconcile_unit(request: HttpRequest, pk: int) -> Unit:
    unit = unit_get_for(request.user, pk)
    if not can(request.user, RECONCILE_VIEW, unit):
        raise PermissionDenied(_("You do not have permission to see reconciliation results here."))
    return unit


def _refusal(error: ValidationError) -> str:
    if isinstance(error, Refused):
        return " ".join(f"{p.key}: {' '.join(m for ms in p.errors.values() for m in ms)}" for p in error.problems)
    return " ".join(error.messages)


# --- the summary ---------------------------------------------------------------------------------


def _flat(nodes: list[Any], level: int = 0) -> list[tuple[int, Any]]:
    return [item for node in nodes for item in ((level, node), *_flat(node.children, level + 1))]


@login_required
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    """The summary from each of the actor's top units."""
    _require_some_view(request)
    tree = reconcile_summary(request.user, max_depth=LEVELS_SHOWN)
    return render(request, "reconcile/summary.html", {"tree": tree, "rows": _flat(tree), "unit": None})


@login_required
@require_GET
def summary_unit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _reconcile_unit(request, pk)
    tree = reconcile_summary(request.user, root=unit, max_depth=LEVELS_SHOWN)
    ancestors = list(Unit.objects.filter(path__in=ancestor_paths(unit.path)[:-1]).order_by("path"))
    ancestors = [a for a in ancestors if can(request.user, RECONCILE_VIEW, a)]
    return render(request, "reconcile/summary.html", {
        "tree": tree, "rows": _flat(tree), "unit": unit, "ancestors": ancestors,
        "can_run": can(request.user, RECONCILE_RUN, unit),
    })


@login_required
@require_GET
def summary_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The summary of the unit's whole subtree, one row a unit, as XLSX."""
    unit = _reconcile_unit(request, pk)
    buffer = io.BytesIO()
    summary_xlsx(reconcile_summary(request.user, root=unit), buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"doi-chieu-{unit.code}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the review queue ----------------------------------------------------------------------------


def _queue_url(unit: Unit | None, match_id: int | None = None) -> str:
    params = {k: v for k, v in (("unit", unit.pk if unit else None), ("match", match_id)) if v}
    return reverse("reconcile:review") + (f"?{urlencode(params)}" if params else "")


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """One review item at a time: the record and its candidates side by side, with what each field
    contributed to each candidate's score."""
    unit = _unit_param(request)
    match_id = _int(request.GET.get("match"))
    if unit is None and match_id is None:
        _require_some_view(request)
    queue = review_queue(request.user, unit)
    match = match_get_for(request.user, match_id) if match_id is not None else queue.first()
    if match is None:
        return render(request, "reconcile/review.html", {"unit": unit, "match": None})
    following = queue_after(request.user, match, unit)
    return render(request, "reconcile/review.html", {
        "unit": unit, "match": match, "waiting": queue.count(),
        "record": record_card(match.member),
        "candidates": candidate_cards(match),
        "next_url": _queue_url(unit, following.pk) if following is not None else "",
        "may_decide": not match.decision and match.current and can(request.user, RECONCILE_RESOLVE,
                                                                    match.member.unit),
    })


def _after_decision(request: HttpRequest, match: Any, unit: Unit | None) -> HttpResponse:
    following = queue_after(request.user, match, unit)
    return redirect(_queue_url(unit, following.pk if following is not None else None))


@login_required
@require_POST
def match_accept(request: HttpRequest, pk: int) -> HttpResponse:
    match = match_get_for(request.user, pk)
    unit = _unit_param(request, request.POST)
    try:
        match = services.match_accept(actor=request.user, match=match,
                                      so_dinh_danh=request.POST.get("so_dinh_danh", ""),
                                      note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return redirect(_queue_url(unit, match.pk))
    found = discrepancy_list(request.user, DiscrepancyFilter(member=match.member_id)).count()
    text = _("%(name)s was linked to the population database.") % {"name": match.member.full_name}
    if found:
        text += " " + _("%(n)s differences to check.") % {"n": found}
    messages.success(request, text)
    return _after_decision(request, match, unit)


@login_required
@require_POST
def match_reject(request: HttpRequest, pk: int) -> HttpResponse:
    match = match_get_for(request.user, pk)
    unit = _unit_param(request, request.POST)
    try:
        services.match_reject(actor=request.user, match=match, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return redirect(_queue_url(unit, match.pk))
    messages.success(request, _("Recorded: %(name)s is none of these people.") % {"name": match.member.full_name})
    return _after_decision(request, match, unit)


# --- discrepancies -------------------------------------------------------------------------------


def _choice(value: str | None, choices: list[str]) -> str:
    return value if value in choices else ""


def _list_query(request: HttpRequest) -> str:
    """The list's filters, to come back to after an action."""
    keep = {k: request.POST[k] for k in ("unit", "field", "kind", "state", "member", "page") if request.POST.get(k)}
    return reverse("reconcile:discrepancies") + (f"?{urlencode(keep)}" if keep else "")


@login_required
@require_GET
def discrepancies(request: HttpRequest) -> HttpResponse:
    unit = _unit_param(request)
    if unit is None:
        _require_some_view(request)
    state = request.GET.get("state", State.OPEN)
    flt = DiscrepancyFilter(
        unit=unit, field=_choice(request.GET.get("field"), Field.values), kind=_choice(request.GET.get("kind"),
                                                                                      Kind.values),
        state=state if state in State.values else "", member=_int(request.GET.get("member")))
    rows = discrepancy_list(request.user, flt)
    page = Paginator(rows, DISCREPANCIES_PER_PAGE).get_page(request.GET.get("page"))
    may_bulk = unit is not None and can(request.user, RECONCILE_RESOLVE, unit) and can(request.user, MEMBER_MANAGE,
                                                                                          unit)
    return render(request, "reconcile/discrepancies.html", {
        "filter": flt, "unit": unit, "page_obj": page,
        "groups": [(Field(f), Kind(k), n) for f, k, n in discrepancy_groups(request.user, unit)] if may_bulk else [],
        "field_choices": Field.choices, "kind_choices": Kind.choices, "state_choices": State.choices,
    })


@login_required
@require_POST
def discrepancy_accept(request: HttpRequest, pk: int) -> HttpResponse:
    found = discrepancy_get_for(request.user, pk)
    try:
        services.discrepancy_accept(actor=request.user, discrepancy=found)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("%(name)s: the record was corrected (%(field)s).")
                         % {"name": found.member.full_name, "field": Field(found.field).label})
    return redirect(_list_query(request))


@login_required
@require_POST
def discrepancy_reject(request: HttpRequest, pk: int) -> HttpResponse:
    found = discrepancy_get_for(request.user, pk)
    try:
        services.discrepancy_reject(actor=request.user, discrepancy=found, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("%(name)s: the record was kept as it is (%(field)s).")
                         % {"name": found.member.full_name, "field": Field(found.field).label})
    return redirect(_list_query(request))


@login_required
@require_POST
def discrepancies_accept_bulk(request: HttpRequest) -> HttpResponse:
    unit = _unit_param(request, request.POST)
    if unit is None:
        messages.error(request, _("Choose a unit first."))
        return redirect(_list_query(request))
    try:
        count = services.discrepancies_accept_bulk(
            actor=request.user, unit=unit, field=request.POST.get("field", ""), kind=request.POST.get("kind", ""),
            expected_count=_int(request.POST.get("expected")))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("%(n)s records were corrected.") % {"n": count})
    return redirect(_list_query(request))


# --- runs ----------------------------------------------------------------------------------------


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    """Start a reconciliation of a unit's subtree against a snapshot, as a background job."""
    unit = _unit_param(request, request.POST if request.method == "POST" else None)
    if unit is None:
        raise NotFound(_("No unit given."))
    if not can(request.user, RECONCILE_RUN, unit):
        raise PermissionDenied(_("You do not have permission to run a reconciliation here."))
    snapshots = list(snapshots_for_runs()[:20])
    if request.method == "POST":
        chosen = next((s for s in snapshots if str(s.pk) == request.POST.get("snapshot")), None)
        if chosen is None:
            messages.error(request, _("Choose a snapshot of the population database."))
        else:
            from dangvien.reconcile.runs import reconciliation_start  # loads the engine: only when starting

            try:
                job = reconciliation_start(actor=request.user, unit=unit, snapshot=chosen)
            except ValidationError as error:
                messages.error(request, _refusal(error))
            else:
                messages.success(request, _("The reconciliation was queued. This page follows its progress."))
                return redirect("reconcile:run", pk=job.pk)
    recent = run_jobs_visible_to(request.user).filter(unit_path=unit.path)[:5]
    return render(request, "reconcile/run_new.html", {"unit": unit, "snapshots": snapshots, "recent": recent})


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = live_progress(run_job_get_for(request.user, pk))
    run = run_of_job(job) if job.status == JobStatus.DONE else None
    unit = Unit.objects.filter(path=job.unit_path).first()
    return render(request, "reconcile/run_detail.html", {"job": job, "run": run, "unit": unit})


@login_required
@require_GET
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    return progress_response(run_job_get_for(request.user, pk), caption=_("step %(done)s of %(total)s"))


@login_required
@require_POST
def run_abandon(request: HttpRequest, pk: int) -> HttpResponse:
    job = run_job_get_for(request.user, pk)
    try:
        job_abandon(actor=request.user, scope=scope_for(request.user, RECONCILE_RUN), job=job)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Stopped waiting: nothing was changed."))
    return redirect("reconcile:run", pk=job.pk)
