"""The meetings' pages: the secretary's list, schedule form and meeting page (agenda, documents,
invitations, attendance, the check-in QR), the member's "my meetings", the check-in pages, yearly
attendance, the committee's page of cells late registering, calendar files and feeds. Views parse
input, call a selector or a service, and turn its errors into messages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangvien.accounts.permissions import can, scope_for
from dangvien.core.errors import NotFound
from dangvien.core.forms import put_errors
from dangvien.core.forms import refusal as _refusal
from dangvien.core.offline import allow_offline_copy
from dangvien.library.selectors import documents_visible_to
from dangvien.meetings import calendar, forms, minutes_selectors, rules, selectors, services
from dangvien.meetings.models import AttendanceStatus, Meeting, MeetingKind, MeetingStatus
from dangvien.meetings.permissions import MEETING_MANAGE, MEETING_VIEW
from dangvien.meetings.qr import qr_svg
from dangvien.members.models import Member
from dangvien.members.selectors import members_visible_to
from dangvien.org.selectors import unit_get_for

# The list page links "schedule a meeting" for this many units at most (a committee officer over a
# commune or a province opens a unit from the list instead).
MANAGED_SHOWN = 30

# --- helpers ------------------------------------------------------------------------------------------------


# A service's field -> the page form's field.
FORM_FIELDS = {"starts_at": "day", "ends_at": "end"}


def _put_errors(form: Any, error: ValidationError) -> None:
    put_errors(form, error, fields=FORM_FIELDS)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _kinds(unit: Any) -> list[tuple[str, Any]]:
    if unit.holds_members:
        return [(MeetingKind.REGULAR.value, MeetingKind.REGULAR.label), (MeetingKind.THEMATIC.value,
                                                                          MeetingKind.THEMATIC.label)]
    return [(MeetingKind.COMMITTEE.value, MeetingKind.COMMITTEE.label)]


def _to_meeting(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + (f"#{anchor}" if anchor else ""))


def checkin_url(request: HttpRequest, token: str) -> str:
    """The address the QR encodes: the site's configured address, else the one this page was asked on."""
    path = reverse("meetings:checkin_link", args=[token])
    site = str(settings.DANGVIEN.get("SITE_URL", "")).rstrip("/")
    return f"{site}{path}" if site else request.build_absolute_uri(path)


# --- lists ----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Officers and secretaries: the meetings of their units, upcoming or past. A member without a
    role goes to "my meetings"."""
    actor = request.user
    cells = selectors.managed_cells(actor)
    if not cells and not scope_for(actor, MEETING_VIEW).has_units:
        return redirect("meetings:mine")
    unit = None
    if (pk := _int(request.GET.get("unit"))) is not None:
        unit = unit_get_for(actor, pk)
    past = request.GET.get("past") == "1"
    rows = list(selectors.meeting_list(actor, selectors.MeetingFilter(unit=unit, upcoming=not past))[:100])
    return render(request, "meetings/list.html", {
        "meetings": rows, "unit": unit, "past": past, "cells": cells[:MANAGED_SHOWN],
        "more_cells": len(cells) > MANAGED_SHOWN,
    })


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The member's meetings (their cell's and those they are invited to): kept on the phone."""
    if not getattr(request.user, "member_id", None):
        raise NotFound(_("This login is not linked to a party member."))
    rows = selectors.my_meetings(request.user)
    now = timezone.now()
    response = render(request, "meetings/mine.html", {
        "upcoming": [r for r in rows if rules.meeting_end(r.meeting.starts_at, r.meeting.ends_at) >= now],
        "past": [r for r in rows if rules.meeting_end(r.meeting.starts_at, r.meeting.ends_at) < now][::-1],
    })
    return allow_offline_copy(response, request.user.pk)


# --- scheduling -------------------------------------------------------------------------------------------------


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    unit_id = _int(request.GET.get("unit"))
    if unit_id is None:
        cells = selectors.managed_cells(request.user, limit=1)
        if len(cells) != 1:
            raise NotFound(_("Choose the unit whose meeting you schedule."))
        return redirect(reverse("meetings:new") + f"?unit={cells[0].pk}")
    unit = unit_get_for(request.user, unit_id)
    if not can(request.user, MEETING_MANAGE, unit):
        raise PermissionDenied(_("You do not schedule this unit's meetings."))
    form = forms.MeetingForm(request.POST if request.method == "POST" else None, kinds=_kinds(unit),
                             initial={"kind": _kinds(unit)[0][0]})
    if request.method == "POST" and form.is_valid():
        starts, ends = form.starts_ends()
        try:
            meeting = services.meeting_schedule(
                actor=request.user, unit=unit, kind=form.cleaned_data["kind"], topic=form.cleaned_data["topic"],
                place=form.cleaned_data["place"], starts_at=starts, ends_at=ends, agenda=form.agenda_lines())
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The meeting is registered and the members are invited."))
            return _to_meeting(meeting)
    due = rules.registration_due(timezone.now() + dt.timedelta(days=32))
    return render(request, "meetings/form.html", {
        "form": form, "unit": unit, "title": _("Schedule a meeting"),
        "next_month": rules.next_month(timezone.localdate()), "due": due - dt.timedelta(seconds=1),
    }, status=400 if form.errors else 200)


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    if not selectors.may_manage(request.user, meeting):
        raise PermissionDenied(_("You do not have permission to change this meeting."))
    form = forms.MeetingForm(request.POST if request.method == "POST" else None, kinds=_kinds(meeting.unit),
                             editing=True, initial=forms.meeting_initial(meeting))
    if request.method == "POST" and form.is_valid():
        starts, ends = form.starts_ends()
        try:
            services.meeting_update(
                actor=request.user, meeting=meeting, expected_version=form.cleaned_data["version"] or 0,
                kind=form.cleaned_data["kind"], topic=form.cleaned_data["topic"], place=form.cleaned_data["place"],
                starts_at=starts, ends_at=ends)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The meeting was changed; the invitees were told of a new time or place."))
            return _to_meeting(meeting)
    return render(request, "meetings/form.html", {
        "form": form, "unit": meeting.unit, "meeting": meeting, "title": _("Change the meeting"),
        "cancel_form": forms.CancelForm(initial={"version": meeting.version}),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling."))
        return _to_meeting(meeting)
    try:
        services.meeting_cancel(actor=request.user, meeting=meeting, expected_version=form.cleaned_data["version"],
                                reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The meeting is cancelled; the invitees were told."))
    return _to_meeting(meeting)


# --- the meeting's page ----------------------------------------------------------------------------------------------


def _library_choices(actor: Any, meeting: Meeting) -> list[Any]:
    """Library documents a meeting may carry: published for its unit or above, the newest 100."""
    paths = [meeting.unit.path[:n] for n in range(4, len(meeting.unit.path) + 1, 4)]
    return list(documents_visible_to(actor).filter(unit__path__in=paths, withdrawn_at__isnull=True)
                .order_by("-published_on", "-pk").only("pk", "title")[:100])


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    page = selectors.meeting_page(request.user, meeting)
    context: dict[str, Any] = {"page": page, "meeting": meeting, "statuses": AttendanceStatus.choices,
                               "manage": page.manage}
    if page.manage:
        context["comment_lines"] = minutes_selectors.comments_panel(request.user, meeting)
        context.update({
            "qr": mark_safe(qr_svg(checkin_url(request, meeting.checkin_token), title=_("Check-in code"))),  # noqa: S308
            "checkin_link": checkin_url(request, meeting.checkin_token),
            "agenda_form": forms.AgendaForm(), "guest_form": forms.GuestForm(),
            "attachment_form": forms.AttachmentForm(documents=_library_choices(request.user, meeting)),
            "cancel_form": forms.CancelForm(initial={"version": meeting.version}),
            "editable": meeting.status == MeetingStatus.SCHEDULED,
            "attendance_open": meeting.status != MeetingStatus.CANCELLED and page.window.opens <= timezone.now(),
            "committee": not meeting.unit.holds_members,
        })
    response = render(request, "meetings/detail.html", context)
    # A member's view of their meeting (agenda, documents, their attendance) is kept on their phone.
    if not page.manage and getattr(request.user, "member_id", None):
        allow_offline_copy(response, request.user.pk)
    return response


@login_required
@require_GET
def meeting_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-in code alone, full screen, for a projector or the secretary's phone held up."""
    meeting = selectors.meeting_get_for(request.user, pk)
    if not selectors.may_manage(request.user, meeting):
        raise PermissionDenied(_("Only the meeting's secretary shows its check-in code."))
    link = checkin_url(request, meeting.checkin_token)
    return render(request, "meetings/qr.html", {
        "meeting": meeting, "qr": mark_safe(qr_svg(link, title=_("Check-in code"))), "checkin_link": link})  # noqa: S308


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    form = forms.AgendaForm(request.POST)
    if form.is_valid():
        try:
            services.agenda_item_add(actor=request.user, meeting=meeting, title=form.cleaned_data["title"],
                                     presenter=form.cleaned_data["presenter"])
        except ValidationError as error:
            messages.error(request, _refusal(error))
    else:
        messages.error(request, _("Give the agenda item's title."))
    return _to_meeting(meeting, "agenda")


@login_required
@require_POST
def agenda_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.agenda_item_get_for(request.user, pk)
    try:
        services.agenda_item_remove(actor=request.user, item=item)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    return _to_meeting(item.meeting, "agenda")


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    form = forms.AttachmentForm(request.POST, request.FILES, documents=_library_choices(request.user, meeting))
    if not form.is_valid():
        messages.error(request, _("Choose a file or a library document."))
        return _to_meeting(meeting, "documents")
    document = None
    if form.cleaned_data["document"] is not None:
        document = documents_visible_to(request.user).filter(pk=form.cleaned_data["document"]).first()
    try:
        services.attachment_add(actor=request.user, meeting=meeting, title=form.cleaned_data["title"],
                                upload=form.cleaned_data["file"], document=document)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The document is attached."))
    return _to_meeting(meeting, "documents")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get_for(request.user, pk)
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    return _to_meeting(attachment.meeting, "documents")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    attachment = selectors.attachment_get_for(request.user, pk)
    if attachment.document_id is not None:
        return redirect("library:document", pk=attachment.document_id)
    try:
        services.attachment_download(actor=request.user, attachment=attachment)
    except ValidationError:
        raise Http404(_("This document has no file here.")) from None
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.file_name,
                            content_type=services.attachment_content_type(attachment))
    return response


def _member_by_reference(actor: Any, reference: str) -> Member | None:
    reference = reference.strip()
    if not reference:
        return None
    return members_visible_to(actor).filter(card_number=reference).first() or \
        members_visible_to(actor).filter(citizen_id=reference).first()


@login_required
@require_POST
def invitation_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    form = forms.GuestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the guest, or give a member's card number or citizen ID."))
        return _to_meeting(meeting, "invitations")
    data = form.cleaned_data
    member = _member_by_reference(request.user, data["member"])
    if data["member"].strip() and member is None:
        messages.error(request, _("No member you can see has this card number or citizen ID."))
        return _to_meeting(meeting, "invitations")
    try:
        if member is not None and data["expected"]:
            services.invitation_add_member(actor=request.user, meeting=meeting, member=member)
        else:
            services.invitation_add_guest(actor=request.user, meeting=meeting, member=member, name=data["name"])
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Invited."))
    return _to_meeting(meeting, "invitations")


@login_required
@require_POST
def invitation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get_for(request.user, pk)
    try:
        services.invitation_remove(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    return _to_meeting(invitation.meeting, "invitations")


@login_required
@require_POST
def attendance_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance form: one status (and reason) per member listed; what was not changed stays."""
    meeting = selectors.meeting_get_for(request.user, pk)
    marks = []
    for name, value in request.POST.items():
        if name.startswith("status_") and value and (member_id := _int(name.removeprefix("status_"))):
            marks.append(services.Mark(member_id, str(value), str(request.POST.get(f"reason_{member_id}", ""))))
    try:
        changed = services.attendance_mark(actor=request.user, meeting=meeting, marks=marks)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Attendance saved (%(n)s changed).") % {"n": len(changed)})
    return _to_meeting(meeting, "attendance")


@login_required
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for(request.user, pk)
    body = calendar.calendar_bytes([meeting], name=meeting.topic)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# --- check-in ----------------------------------------------------------------------------------------------------------


def _decoder_url() -> str:
    """The QR decoder installed from npm at build time (make qr-deps); "" when it is missing (the
    phone's own BarcodeDetector, the camera app and the plain link still work)."""
    try:
        return static("meetings/vendor/jsQR.js")
    except ValueError:  # the manifest storage names only collected files
        return ""


@login_required
@require_GET
def checkin_page(request: HttpRequest) -> HttpResponse:
    """The handbook's "Check in" page: scans the QR with the camera (JavaScript) and sends the check-in,
    or queues it on the phone when offline. Kept on the phone: the service worker also answers a
    check-in link opened offline with it."""
    if not getattr(request.user, "member_id", None):
        raise NotFound(_("This login is not linked to a party member."))
    response = render(request, "meetings/checkin.html", {"decoder": _decoder_url(), "token": ""})
    return allow_offline_copy(response, request.user.pk)


@login_required
def checkin_link(request: HttpRequest, token: str) -> HttpResponse:
    """The address in the QR: a page with one button (GET never writes); the POST checks in now."""
    meeting = selectors.meeting_by_token(request.user, token)
    if request.method == "POST":
        try:
            _attendance, created = services.attendance_check_in(actor=request.user, token=token,
                                                                 key=request.POST.get("idempotency_key", ""))
        except ValidationError as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(request, _("You are checked in.") if created else _("You were already checked in."))
            return _to_meeting(meeting)
    return render(request, "meetings/checkin.html", {
        "decoder": _decoder_url(), "token": token, "meeting": meeting, "form_key": uuid.uuid4().hex,
        "window": rules.checkin_window(meeting.starts_at, meeting.ends_at),
        "member": bool(getattr(request.user, "member_id", None)),
    }, status=400 if request.method == "POST" else 200)


# --- attendance over the year ----------------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    year = _int(request.GET.get("year"))
    today = timezone.localdate()
    return year if year is not None and 2000 <= year <= today.year + 1 else today.year


@login_required
@require_GET
def my_attendance(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    summary = selectors.my_attendance_year(request.user, year)
    response = render(request, "meetings/my_attendance.html", {
        "summary": summary, "year": year, "warn_at": rules.ABSENCE_WARN_MONTHS, "flag_at": rules.ABSENCE_FLAG_MONTHS})
    return allow_offline_copy(response, request.user.pk)


@login_required
@require_GET
def cell_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get_for(request.user, pk)
    if not unit.holds_members:
        raise NotFound(_("This unit is not a cell."))
    year = _year(request)
    rows = selectors.cell_attendance_year(request.user, unit, year)
    return render(request, "meetings/cell_attendance.html", {
        "unit": unit, "rows": rows, "year": year, "warn_at": rules.ABSENCE_WARN_MONTHS,
        "flag_at": rules.ABSENCE_FLAG_MONTHS})


@login_required
@require_GET
def registrations(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's page: the cells of its subtree and their regular meeting of a month (next month
    by default): registered on time, late, or not at all."""
    unit = unit_get_for(request.user, pk)
    month = rules.next_month(timezone.localdate())
    if wanted := request.GET.get("month", ""):
        try:
            month = dt.datetime.strptime(wanted, "%Y-%m").date()
        except ValueError:
            messages.error(request, _("The month is written as YYYY-MM."))
    rows = selectors.registrations_for_month(request.user, unit, month)
    due = rules.month_start(month)
    return render(request, "meetings/registrations.html", {
        "unit": unit, "month": month, "rows": rows, "due": due - dt.timedelta(seconds=1),
        "deadline_passed": timezone.now() >= due,
        "late": [r for r in rows if r.state == "late"], "none": [r for r in rows if r.state == "none"],
        "on_time": sum(r.state == "on_time" for r in rows),
        "previous": (month - dt.timedelta(days=1)).strftime("%Y-%m"), "next": rules.next_month(month).strftime("%Y-%m"),
    })


# --- calendars --------------------------------------------------------------------------------------------------------------


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The user's calendar feed: make an address (shown once: only its digest is kept), or stop it."""
    address = ""
    if request.method == "POST":
        form = forms.CalendarForm(request.POST)
        if form.is_valid() and form.cleaned_data["action"] == "create":
            token = services.calendar_feed_create(actor=request.user)
            address = request.build_absolute_uri(reverse("meetings:feed", args=[token]))
        elif form.is_valid():
            services.calendar_feed_revoke(actor=request.user)
            messages.success(request, _("Your calendar address no longer works."))
            return redirect("meetings:calendar")
    return render(request, "meetings/calendar.html", {"feed": selectors.feed_of(request.user), "address": address})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A calendar feed, fetched by calendar apps without a session: its secret address is the key."""
    user = selectors.feed_owner(token)
    if user is None:
        raise Http404("No such calendar.")
    body = calendar.calendar_bytes(selectors.feed_meetings(user), name=_("Party meetings"))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")

