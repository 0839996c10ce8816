"""The pipeline's pages: the participant list with a bulk step form, the field form for one member
(next step, hold and release, undo the latest step, care mark), and the step file upload (check,
then confirm). Views parse input, call a selector or a service, and turn a service's refusal into a
message; every rule lives in services.py. Every form works without JavaScript."""

from __future__ import annotations

import datetime as dt
import pathlib
import time
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign import services
from dangvien.campaign.forms import BulkStepForm, CareForm, HoldForm, StepFileForm, StepForm, UndoForm
from dangvien.campaign.models import STEPS, Campaign, Care, HoldReason, Participant, Step
from dangvien.campaign.permissions import CAMPAIGN_RECORD
from dangvien.campaign.selectors import (
    ParticipantFilter,
    campaign_get_for,
    participant_in_campaign_for,
    participant_list,
    participant_steps,
    participants_visible_to,
)
from dangvien.campaign.steps_file import StepFileResult, steps_file_record
from dangvien.core.errors import StaleEdit
from dangvien.org.selectors import unit_get_by_code_for

PARTICIPANTS_PER_PAGE = 50
ERRORS_SHOWN = 500
# A checked step file waits here for its confirmation (a day at most).
UPLOAD_MAX_AGE = 24 * 3600
_TOKEN_SALT = "campaign.steps_upload"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value and len(value) <= 18 else None
    except ValueError:
        return None


def _refusal(error: ValidationError) -> str:
    if isinstance(error, StaleEdit):
        return _("Someone else changed this member's campaign record while you were working on it, so nothing was "
                 "saved. Check the record below and redo your change.")
    return " ".join(error.messages)


# --- the list ----------------------------------------------------------------------------------


def _list_filter(request: HttpRequest, query: QueryDict) -> ParticipantFilter:
    unit = None
    if code := query.get("unit", "").strip():
        unit = unit_get_by_code_for(request.user, code)
    stage = _int(query.get("stage"))
    hold = {"1": True, "0": False}.get(query.get("hold", ""))
    return ParticipantFilter(unit=unit, stage=stage if stage is not None and 0 <= stage <= len(STEPS) else None,
                             hold=hold, query=query.get("q", "")[:100])


@login_required
def participants(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_get_for(request.user, campaign_id)
    return _list_page(request, campaign, request.GET)


def _list_page(request: HttpRequest, campaign: Campaign, query: QueryDict, form: BulkStepForm | None = None,
               refusals: list[str] | None = None, status: int = 200) -> HttpResponse:
    flt = _list_filter(request, query)
    rows = participant_list(request.user, campaign, flt)
    page = Paginator(rows, PARTICIPANTS_PER_PAGE).get_page(query.get("page"))
    may_record = flt.unit is None or can(request.user, CAMPAIGN_RECORD, flt.unit)
    return render(request, "campaign/participants.html", {
        "campaign": campaign, "filter": flt, "page_obj": page, "stages": _stage_choices(), "steps": Step.choices,
        "may_record": may_record, "query": query.urlencode(), "refusals": refusals or [],
        "form": form or BulkStepForm(initial={"step": _next_step(page.object_list)}),
        "ticked": set(form.cleaned_data.get("participants", [])) if form is not None and form.is_valid() else set(),
    }, status=status)


def _stage_choices() -> list[tuple[int, str]]:
    """The list's stage filter: "none yet", then each step as the last done."""
    return [(0, _("No step yet")), *[(number, str(label)) for number, (_value, label) in
                                     enumerate(Step.choices, start=1)]]


def _next_step(rows: Any) -> str:
    """The step the bulk form offers first: the next one of the first row shown."""
    first = next(iter(rows), None)
    return STEPS[first.stage] if first is not None and first.stage < len(STEPS) else Step.DECLARED


@login_required
@require_POST
def steps_bulk(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The list's bulk form. Recorded: back to the list. Refused: the list again (422), the members
    still ticked and every refusal named."""
    campaign = campaign_get_for(request.user, campaign_id)
    back = _back_query(request)
    form = BulkStepForm(request.POST)
    if not form.is_valid():
        return _list_page(request, campaign, back, form, status=422)
    data = form.cleaned_data
    try:
        result = services.steps_record(actor=request.user, campaign=campaign, step=data["step"], day=data["day"],
                                       participant_ids=data["participants"], note=data["note"])
    except ValidationError as error:
        return _list_page(request, campaign, back, form, [_refusal(error)], status=422)
    if not result.ok:
        # Names of the members the actor sees only: a number outside the scope stays a number.
        names = dict(participants_visible_to(request.user, campaign)
                     .filter(pk__in=[r.participant_id for r in result.refusals]).values_list("pk", "member__full_name"))
        refusals = [f"{names.get(r.participant_id, r.participant_id)}: {r.reason}" for r in result.refusals]
        return _list_page(request, campaign, back, form, refusals, status=422)
    messages.success(request, _("“%(step)s” recorded for %(n)s members.") % {
        "step": Step(data["step"]).label, "n": result.recorded})
    return redirect(reverse("campaign:participants", args=[campaign.pk]) + (f"?{back.urlencode()}" if back else ""))


def _back_query(request: HttpRequest) -> QueryDict:
    """The list's filters, carried by the bulk form so the officer lands where they were."""
    query = request.POST.get("back", "")
    return QueryDict(query if len(query) < 500 else "")


# --- the field form ----------------------------------------------------------------------------


@login_required
def participant_detail(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    campaign = campaign_get_for(request.user, campaign_id)
    participant = participant_in_campaign_for(request.user, campaign, pk)
    return _detail_page(request, campaign, participant)


def _detail_page(request: HttpRequest, campaign: Campaign, participant: Participant,
                 bound: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    records = participant_steps(participant)
    next_step = STEPS[participant.stage] if participant.stage < len(STEPS) else None
    bound = bound or {}
    return render(request, "campaign/participant.html", {
        "campaign": campaign, "participant": participant, "member": participant.member, "records": records,
        "latest": records[-1] if records else None, "next_step": Step(next_step) if next_step else None,
        "may_record": can(request.user, CAMPAIGN_RECORD, participant.unit) and participant.counted
        and campaign.closed_on is None,
        "step_form": bound.get("step") or StepForm(initial={"step": next_step}, prefix="step"),
        "hold_form": bound.get("hold") or HoldForm(prefix="hold"),
        "undo_form": bound.get("undo") or UndoForm(prefix="undo"),
        "care_form": bound.get("care") or CareForm(initial={"care": participant.care}, prefix="care"),
        "hold_label": HoldReason(participant.hold).label if participant.hold else "",
        "care_label": Care(participant.care).label if participant.care else "",
    }, status=status)


def _participant_write(request: HttpRequest, campaign_id: int, pk: int, name: str, form_class: type,
                       write: Any, done: str) -> HttpResponse:
    """One field-form action: its form, the service with the version the page was read at; on a
    refusal the page again, with the form's errors."""
    campaign = campaign_get_for(request.user, campaign_id)
    participant = participant_in_campaign_for(request.user, campaign, pk)
    form = form_class(request.POST, prefix=name)
    version = _int(request.POST.get("version"))
    if form.is_valid() and version is not None:
        try:
            write(participant, version, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, done)
            return redirect("campaign:participant", campaign.pk, participant.pk)
    elif version is None:
        form.add_error(None, _("The page was damaged: reload it."))
    fresh = participant_in_campaign_for(request.user, campaign, pk)
    return _detail_page(request, campaign, fresh, {name: form}, status=422)


@login_required
@require_POST
def participant_step(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    def write(participant: Participant, version: int, data: dict[str, Any]) -> None:
        services.participant_step(actor=request.user, participant=participant, expected_version=version,
                                  step=data["step"], day=data["day"], note=data["note"])
    return _participant_write(request, campaign_id, pk, "step", StepForm, write, _("The step was recorded."))


@login_required
@require_POST
def participant_hold(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    def write(participant: Participant, version: int, data: dict[str, Any]) -> None:
        services.participant_hold(actor=request.user, participant=participant, expected_version=version,
                                  reason=data["reason"], note=data["note"])
    return _participant_write(request, campaign_id, pk, "hold", HoldForm, write,
                              _("The member is marked as unable to complete now."))


@login_required
@require_POST
def participant_release(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    def write(participant: Participant, version: int, data: dict[str, Any]) -> None:
        services.participant_release(actor=request.user, participant=participant, expected_version=version)
    return _participant_write(request, campaign_id, pk, "hold", _EmptyForm, write, _("The hold was lifted."))


@login_required
@require_POST
def participant_undo(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    def write(participant: Participant, version: int, data: dict[str, Any]) -> None:
        services.participant_step_undo(actor=request.user, participant=participant, expected_version=version,
                                       reason=data["reason"])
    return _participant_write(request, campaign_id, pk, "undo", UndoForm, write, _("The latest step was undone."))


@login_required
@require_POST
def participant_care(request: HttpRequest, campaign_id: int, pk: int) -> HttpResponse:
    def write(participant: Participant, version: int, data: dict[str, Any]) -> None:
        services.participant_set_care(actor=request.user, participant=participant, expected_version=version,
                                      care=data["care"])
    return _participant_write(request, campaign_id, pk, "care", CareForm, write, _("The care mark was saved."))


class _EmptyForm(forms.Form):
    """A form with no field (release: the version is all it sends)."""


# --- the step file -----------------------------------------------------------------------------


def _upload_dir() -> pathlib.Path:
    folder = pathlib.Path(settings.MEDIA_ROOT) / "campaign-steps"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: pathlib.Path) -> None:
    """Files checked but never confirmed go after a day."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _store(upload: Any) -> pathlib.Path:
    folder = _upload_dir()
    _sweep(folder)
    suffix = pathlib.Path(upload.name or "").suffix.lower()
    suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def _upload_page(request: HttpRequest, campaign: Campaign, form: StepFileForm, result: StepFileResult | None = None,
                 token: str = "", status: int = 200) -> HttpResponse:
    return render(request, "campaign/steps_upload.html", {
        "campaign": campaign, "form": form, "result": result, "token": token,
        "errors": result.errors[:ERRORS_SHOWN] if result else [],
        "more_errors": max(0, len(result.errors) - ERRORS_SHOWN) if result else 0,
    }, status=status)


def _require_record(request: HttpRequest) -> None:
    """A step file may list members anywhere in the campaign: the service refuses, by line, those
    outside the actor's subtree. One who records nowhere is refused at once."""
    if not scope_for(request.user, CAMPAIGN_RECORD).has_units:
        raise PermissionDenied(_("You do not have permission to record campaign steps."))


@login_required
def steps_upload(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Phase one: the file is stored and checked, nothing recorded; a file without a problem gets a
    confirm button (phase two, steps_upload_confirm)."""
    campaign = campaign_get_for(request.user, campaign_id)
    _require_record(request)
    if request.method != "POST":
        return _upload_page(request, campaign, StepFileForm())
    form = StepFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, campaign, form, status=422)
    data = form.cleaned_data
    path = _store(data["file"])
    result = steps_file_record(actor=request.user, campaign=campaign, step=data["step"], path=path, day=data["day"],
                               dry_run=True)
    if not result.ok:
        path.unlink(missing_ok=True)
        return _upload_page(request, campaign, form, result, status=422)
    token = signing.dumps({"file": path.name, "campaign": campaign.pk, "user": request.user.pk,
                           "step": data["step"], "day": data["day"].isoformat()}, salt=_TOKEN_SALT)
    return _upload_page(request, campaign, form, result, token)


@login_required
@require_POST
def steps_upload_confirm(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Phase two: the stored file is checked again (the records may have moved since) and recorded,
    all or nothing."""
    campaign = campaign_get_for(request.user, campaign_id)
    _require_record(request)
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=_TOKEN_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        ticket = None
    path = _upload_dir() / ticket["file"] if ticket else None
    if (ticket is None or ticket["campaign"] != campaign.pk or ticket["user"] != request.user.pk or path is None
            or not path.exists()):
        messages.error(request, _("This check has expired: send the file again."))
        return redirect("campaign:steps_upload", campaign.pk)
    try:
        result = steps_file_record(actor=request.user, campaign=campaign, step=ticket["step"], path=path,
                                   day=dt.date.fromisoformat(ticket["day"]))
    finally:
        path.unlink(missing_ok=True)
    if not result.ok:
        form = StepFileForm(initial={"step": ticket["step"], "day": dt.date.fromisoformat(ticket["day"])})
        return _upload_page(request, campaign, form, result, status=422)
    messages.success(request, _("“%(step)s” recorded for %(n)s members.") % {
        "step": Step(ticket["step"]).label, "n": result.recorded})
    return redirect("campaign:participants", campaign.pk)

