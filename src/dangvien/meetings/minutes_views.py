"""Pages of a meeting's minutes (read, write the draft, approve, the PDF), the members' opinions
before the meeting, and the open votes. Views parse input, call a selector or a service, and turn
a service's refusal into messages on the form; every rule lives in minutes_services.py. Every form
works without JavaScript; an opinion written offline is queued by the handbook's script and sent
to the API with its idempotency key."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.forms import put_errors
from dangvien.core.forms import refusal as _refusal
from dangvien.core.offline import allow_offline_copy
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings import minutes_services as services
from dangvien.meetings.minutes_forms import (
    CommentForm,
    MinutesForm,
    VoteForm,
    minutes_initial,
    new_key,
    speech_formset,
)
from dangvien.meetings.minutes_pdf import minutes_filename, minutes_pdf
from dangvien.meetings.models import Meeting, MeetingStatus, MinutesStatus
from dangvien.meetings.selectors import meeting_get_for

# A service's field -> the page form's field.
FORM_FIELDS = {"started_at": "started", "ended_at": "ended"}


def _put_errors(form: Any, error: ValidationError) -> None:
    put_errors(form, error, fields=FORM_FIELDS)


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    """The meeting in the actor's scope (404), which they must manage (403)."""
    meeting = meeting_get_for(request.user, pk)
    if not selectors.may_manage(request.user, meeting):
        raise PermissionDenied(_("Only the cell's secretary or its committee writes the minutes and records votes."))
    return meeting


# --- the minutes ----------------------------------------------------------------------------------


@login_required
@require_GET
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    meeting = meeting_get_for(actor, pk)
    manage = selectors.may_manage(actor, meeting)
    minutes = selectors.minutes_of(meeting)
    if minutes is None or (minutes.status != MinutesStatus.APPROVED and not manage):
        if not manage:
            raise NotFound(_("These minutes are not available."))
        return render(request, "meetings/minutes_detail.html", {
            "meeting": meeting, "record": None, "manage": True, "turnout": selectors.meeting_turnout(meeting)})
    record = selectors.minutes_record(meeting, minutes)
    response = render(request, "meetings/minutes_detail.html", {"meeting": meeting, "record": record, "manage": manage})
    # A member keeps the approved minutes of their meetings on the phone for reading offline.
    approved = minutes.status == MinutesStatus.APPROVED
    return allow_offline_copy(response, actor.pk if approved and getattr(actor, "member_id", None) else None)


def _speech_errors(speeches: Any, filled: list[Any], error: ValidationError) -> ValidationError | None:
    """Puts the service's "speeches.<n>.<field>" errors on the n-th filled row; what is left."""
    rest: dict[str, list[str]] = {}
    for key, problems in error.message_dict.items():
        parts = key.split(".")
        if parts[0] == "speeches" and len(parts) == 3 and parts[1].isdigit() and 0 < int(parts[1]) <= len(filled):
            form = filled[int(parts[1]) - 1]
            form.add_error(parts[2] if parts[2] in form.fields else None, problems)
        else:
            rest[key] = problems
    return ValidationError(rest) if rest else None


@login_required
@require_http_methods(["GET", "POST"])
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    meeting = _managed_meeting(request, pk)
    minutes = selectors.minutes_of(meeting)
    if minutes is not None and minutes.status == MinutesStatus.APPROVED:
        messages.info(request, _("The minutes are approved: they can no longer be changed."))
        return redirect("meetings:minutes", pk=pk)
    agenda = selectors.agenda_choices(meeting)
    if request.method == "POST":
        form = MinutesForm(request.POST)
        speeches = speech_formset(request.POST, [], agenda)
        if form.is_valid() and speeches.is_valid():
            filled = [f for f in speeches.forms if f.entry() is not None]
            started, ended = form.times()
            try:
                services.minutes_save(
                    actor=actor, meeting=meeting, expected_version=form.cleaned_data["version"], started_at=started,
                    ended_at=ended, place=form.cleaned_data["place"], chair=form.cleaned_data["chair"],
                    secretary=form.cleaned_data["secretary"], conclusions=form.cleaned_data["conclusions"],
                    speeches=[f.entry() for f in filled])
            except StaleEdit as error:
                form.add_error(None, error)
            except ValidationError as error:
                rest = _speech_errors(speeches, filled, error)
                if rest is not None:
                    _put_errors(form, rest)
                if not form.errors:
                    form.add_error(None, _("Please correct the discussion's rows below. Nothing was saved."))
            else:
                messages.success(request, _("The draft minutes were saved."))
                if "more" in request.POST:
                    return redirect(reverse("meetings:minutes_edit", args=[pk]) + "#discussion")
                return redirect("meetings:minutes", pk=pk)
    else:
        form = MinutesForm(initial=minutes_initial(minutes, meeting))
        saved = list(minutes.speeches.order_by("position")) if minutes is not None else []
        speeches = speech_formset(None, saved, agenda)
    return render(request, "meetings/minutes_form.html", {
        "meeting": meeting, "minutes": minutes, "form": form, "speeches": speeches,
        "turnout": selectors.meeting_turnout(meeting)})


@login_required
@require_POST
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.minutes_approve(actor=request.user, meeting=meeting, expected_version=version)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The minutes are approved; the meeting counts as held."))
    return redirect("meetings:minutes", pk=pk)


@login_required
@require_GET
def minutes_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get_for(request.user, pk)
    minutes = selectors.minutes_readable(request.user, meeting)
    content = minutes_pdf(selectors.minutes_record(meeting, minutes))
    services.minutes_export(actor=request.user, meeting=meeting, minutes=minutes)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{minutes_filename(meeting)}"'
    return response


# --- opinions -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def comments_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    meeting = meeting_get_for(actor, pk)
    targets = selectors.comment_targets(meeting)
    if request.method == "POST":
        form = CommentForm(request.POST, targets=targets)
        if form.is_valid():
            target = form.targets[form.cleaned_data["about"]]
            try:
                _comment, created = services.comment_add(
                    actor=actor, meeting=meeting, text=form.cleaned_data["text"],
                    agenda_item_id=target.agenda_item_id, attachment_id=target.attachment_id,
                    key=form.cleaned_data["idempotency_key"])
            except ValidationError as error:
                messages.error(request, _refusal(error))
            else:
                messages.success(request, _("Your opinion was sent to the secretary.") if created
                                 else _("Your opinion had already been sent; it was not sent twice."))
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("meetings:comments", args=[pk]) + "#comments")
    may_comment = meeting.status == MeetingStatus.SCHEDULED and selectors.commenting_member(actor, meeting) is not None
    response = render(request, "meetings/comments_page.html", {
        "meeting": meeting, "lines": selectors.comment_lines(actor, meeting),
        "targets": [(t, new_key()) for t in targets] if may_comment else [], "may_comment": may_comment,
        "manage": selectors.may_manage(actor, meeting)})
    # A member opens it on the phone to write an opinion, possibly offline (the queue sends it later).
    return allow_offline_copy(response, actor.pk if getattr(actor, "member_id", None) else None)


# --- votes ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def votes_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    agenda = selectors.agenda_choices(meeting)
    minutes = selectors.minutes_of(meeting)
    form = VoteForm(request.POST or None, agenda=agenda)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.vote_record(actor=request.user, meeting=meeting, question=data["question"],
                                 votes_for=data["votes_for"], votes_against=data["votes_against"],
                                 abstentions=data["abstentions"], agenda_item_id=data["agenda_item"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The vote was recorded."))
            return redirect(reverse("meetings:votes", args=[pk]) + "#votes")
    turnout = selectors.meeting_turnout(meeting) if selectors.attendance_taken(meeting) else None
    return render(request, "meetings/votes_page.html", {
        "meeting": meeting, "votes": list(selectors.meeting_votes(meeting)), "form": form, "turnout": turnout,
        "cancelled": meeting.status == MeetingStatus.CANCELLED,
        "open": meeting.status != MeetingStatus.CANCELLED and (minutes is None or minutes.status == MinutesStatus.DRAFT),
        "started": meeting.starts_at <= timezone.now(), "agenda": dict(agenda)})


@login_required
@require_POST
def vote_remove(request: HttpRequest, pk: int) -> HttpResponse:
    vote = selectors.vote_get_for(request.user, pk)
    try:
        services.vote_remove(actor=request.user, vote=vote)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The vote was removed."))
    return redirect(reverse("meetings:votes", args=[vote.meeting_id]) + "#votes")
