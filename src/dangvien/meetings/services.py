"""Every write of the meetings' schedule and attendance (the minutes, opinions and votes are in
minutes_services.py). Each service checks permission in the actor's scope, runs in one transaction
and writes an audit row ("meeting.*") with what changed; a refused call changes nothing.

- The schedule: meeting_schedule, meeting_update (a new time or place is a notice to every invitee,
  and their reminder goes out again), meeting_cancel (a notice), the agenda, the documents sent
  ahead (an upload, checked, or a library document published for the meeting's unit).
- Invitations: a cell's meeting invites the members the roll expects (selectors.EXPECTED_STATUSES)
  and follows the roll until it starts (_sync_roll); guests are added by hand and never counted.
  Invitees are told in the app and by email (notifications.notification_send); members marked as
  having no smartphone get an SMS copy (through notification_send when they have an account, else
  straight through the SMS gateway, since a notice needs a user).
- Reminders: reminders_send, run by `dangvien meetings remind` from cron, reminds each invitee of a
  meeting starting within MEETING_REMINDER_HOURS once (Invitation.reminded_at, set in the same
  transaction as the notice, under the meeting's row lock: two runs at once remind once).
- Attendance: attendance_check_in (the member's QR scan, online or synced later from the phone's
  queue: exactly once by the (meeting, member) and (member, key) constraints, the scan's own time
  kept and checked against the meeting's window, rules.checkin_window); attendance_mark (the
  secretary: present, absent with reason, absent without reason, for anyone expected or invited).
- Calendar feeds: calendar_feed_create (a new secret address, the old one stops working) and
  calendar_feed_revoke.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.accounts.permissions import require
from dangvien.core.audit import audit_record
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.library.models import Document
from dangvien.library.selectors import documents_visible_to
from dangvien.library.services import idempotency_key, line_text
from dangvien.meetings import rules, selectors
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    CheckInMethod,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from dangvien.meetings.permissions import MEETING_MANAGE
from dangvien.members.models import Member
from dangvien.notifications.services import notification_send
from dangvien.notifications.sms import SmsError, SmsMessage, sms_send
from dangvien.org.models import Unit

log = logging.getLogger(__name__)

# A meeting may be registered after the fact (a cell that held it before using the app) up to this
# far back, and ahead up to a year and a bit: further is a typing mistake.
PAST_LIMIT = dt.timedelta(days=62)
AHEAD_LIMIT = dt.timedelta(days=400)
LONGEST_MEETING = dt.timedelta(hours=12)
MAX_AGENDA_ITEMS = 30
MAX_ATTACHMENTS = 20

MEETING_FIELDS = ("kind", "topic", "place", "starts_at", "ends_at", "status", "cancelled_reason")


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _snapshot(meeting: Meeting) -> dict[str, Any]:
    return {name: getattr(meeting, name) for name in MEETING_FIELDS}


def _stale(meeting: Meeting, expected_version: int) -> None:
    if meeting.version != expected_version:
        raise StaleEdit(_("This meeting was changed by someone else meanwhile. Reload the page and make your change "
                          "again."), code="stale")


def _locked(actor: Any, meeting: Meeting) -> Meeting:
    """The meeting re-read under its row lock, in the actor's manage scope (404 outside it; a
    member who sees the meeting gets a 403)."""
    try:
        return selectors.meeting_lock_for(actor, meeting.pk)
    except NotFound:
        if selectors.meetings_visible_to(actor).filter(pk=meeting.pk).exists():
            raise PermissionDenied(_("You do not have permission to change this meeting.")) from None
        raise


def _open(meeting: Meeting) -> None:
    """Only a meeting still scheduled changes (a held one has approved minutes; a cancelled one is over)."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError({"meeting": [_("This meeting is %(status)s: it can no longer be changed.")
                                           % {"status": meeting.get_status_display().lower()}]})


def _ended(meeting: Meeting, now: dt.datetime | None = None) -> bool:
    return rules.meeting_end(meeting.starts_at, meeting.ends_at) < (now or timezone.now())


# --- checks of the schedule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    kind: str
    topic: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None


def _check_schedule(unit: Unit, kind: str, topic: Any, place: Any, starts_at: Any, ends_at: Any) -> Schedule:
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for name, value in (("topic", topic), ("place", place)):
        try:
            values[name] = line_text(value, name, max_length=255, required=True)
        except ValidationError as error:
            errors.update(error.message_dict)
    if kind not in MeetingKind.values:
        errors["kind"] = [_("Choose the kind of meeting.")]
    elif unit.holds_members and kind == MeetingKind.COMMITTEE:
        errors["kind"] = [_("A cell holds regular and thematic meetings; committee meetings are held by a committee.")]
    elif not unit.holds_members and kind != MeetingKind.COMMITTEE:
        errors["kind"] = [_("%(unit)s is a committee, not a cell: its meetings are committee meetings.")
                          % {"unit": unit.name}]
    now = timezone.now()
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("Give the date and time the meeting starts.")]
    elif starts_at < now - PAST_LIMIT:
        errors["starts_at"] = [_("This is more than two months ago.")]
    elif starts_at > now + AHEAD_LIMIT:
        errors["starts_at"] = [_("This is more than a year ahead.")]
    elif ends_at is not None:
        if not isinstance(ends_at, dt.datetime) or timezone.is_naive(ends_at):
            errors["ends_at"] = [_("Give the time the meeting ends, or leave it empty.")]
        elif ends_at <= starts_at:
            errors["ends_at"] = [_("The meeting must end after it starts.")]
        elif ends_at - starts_at > LONGEST_MEETING:
            errors["ends_at"] = [_("A meeting lasts at most 12 hours.")]
    if errors:
        raise ValidationError(errors)
    return Schedule(kind, values["topic"], values["place"], starts_at, ends_at)


def _one_regular_a_month(unit: Unit, schedule: Schedule, exclude: int | None = None) -> None:
    """A cell holds one regular meeting a month (a second one is a thematic meeting)."""
    if schedule.kind != MeetingKind.REGULAR:
        return
    month = rules.month_of(schedule.starts_at)
    others = Meeting.objects.filter(unit=unit, kind=MeetingKind.REGULAR, starts_at__gte=rules.month_start(month),
                                    starts_at__lt=rules.month_start(rules.next_month(month)))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    other = others.exclude(status=MeetingStatus.CANCELLED).first()
    if other is not None:
        raise ValidationError({"starts_at": [
            _("This cell already has a regular meeting in %(month)s (%(day)s). Change that one, or schedule a "
              "thematic meeting.") % {"month": month.strftime("%m/%Y"),
                                      "day": timezone.localtime(other.starts_at).strftime("%d/%m/%Y %H:%M")}]})


# --- invitations and notices ----------------------------------------------------------------------------------


def _sync_roll(meeting: Meeting, *, scheduling: bool = False) -> tuple[list[int], list[int]]:
    """A cell's meeting not yet started (or being registered, even after the fact) invites the
    members the roll expects now: new ones are added, expected invitations of members no longer
    expected (moved, exempted, left) are removed unless something was recorded for them. (added,
    removed) member ids."""
    if not meeting.unit.holds_members or (meeting.starts_at <= timezone.now() and not scheduling):
        return [], []
    expected = set(selectors.roll_expected(meeting.unit_id).values_list("pk", flat=True))
    invited = dict(Invitation.objects.filter(meeting=meeting, member__isnull=False)
                   .values_list("member_id", "is_guest"))
    added = sorted(expected - set(invited))
    Invitation.objects.bulk_create([Invitation(meeting=meeting, member_id=pk) for pk in added])
    # A member invited as a guest (an exempted member) who is expected again counts again.
    Invitation.objects.filter(meeting=meeting, member_id__in=[pk for pk, guest in invited.items()
                                                               if guest and pk in expected]).update(is_guest=False)
    recorded = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    removed = sorted(pk for pk, guest in invited.items() if not guest and pk not in expected and pk not in recorded)
    Invitation.objects.filter(meeting=meeting, member_id__in=removed, is_guest=False).delete()
    return added, removed


def _when(meeting: Meeting) -> str:
    return timezone.localtime(meeting.starts_at).strftime("%H:%M %d/%m/%Y")


@dataclass(frozen=True)
class Reached:
    notified: list[int]  # users told in the app (and by email when they have an address)
    texted: list[int]  # members sent an SMS


def _notify(actor: Any, meeting: Meeting, member_ids: Iterable[int], *, topic: str, title: str, body: str) -> Reached:
    """Tell these members about the meeting: in the app and by email if they have an account, by SMS
    if they are marked as having no smartphone (their account's notice carries it, else the gateway
    directly). A member with neither is told by the secretary: the page lists them."""
    ids = sorted(set(member_ids))
    if not ids:
        return Reached([], [])
    link = reverse("meetings:detail", args=[meeting.pk])
    users = list(User.objects.filter(member_id__in=ids, is_active=True).select_related("member"))
    with_app = [u for u in users if u.member is not None and u.member.has_smartphone is not False]
    by_sms = [u for u in users if u.member is not None and u.member.has_smartphone is False]
    notified: list[int] = []
    texted: list[int] = []
    for group, sms in ((with_app, False), (by_sms, True)):
        if group:
            notices = notification_send(actor=actor, recipients=group, topic=topic, title=title, body=body,
                                        link=link, unit=meeting.unit, sms=sms)
            notified += [n.recipient_id for n in notices]
            texted += [n.recipient.member_id for n in notices if n.texted]  # type: ignore[misc]
    accounts = [u.member_id for u in users if u.member_id is not None]
    phones = list(Member.objects.filter(pk__in=ids, has_smartphone=False).exclude(pk__in=accounts)
                  .exclude(phone="").values_list("pk", "phone"))
    if phones:
        site = str(settings.DANGVIEN.get("SITE_URL", "")).rstrip("/")
        text = "\n".join(part for part in (title, f"{site}{link}" if site else "") if part)
        try:
            sms_send([SmsMessage(to=phone.strip(), text=text) for _pk, phone in phones])
        except (SmsError, OSError):  # the gateway's failure: the meeting stands, the secretary tells them
            log.exception("Could not text %s members about meeting %s", len(phones), meeting.pk)
        else:
            texted += [pk for pk, _phone in phones]
    return Reached(notified, sorted(texted))


def _invitation_text(meeting: Meeting) -> tuple[str, str]:
    """The invitation's title and text, in the site's language (stored, read later by members)."""
    with translation.override(settings.LANGUAGE_CODE):
        kind = meeting.get_kind_display()
        title = _("Invitation: %(kind)s meeting of %(unit)s, %(when)s") % {
            "kind": kind.lower(), "unit": meeting.unit.name, "when": _when(meeting)}
        body = _("Topic: %(topic)s\nPlace: %(place)s\nTime: %(when)s") % {
            "topic": meeting.topic, "place": meeting.place, "when": _when(meeting)}
    return Truncator(title).chars(200), body


def _invite_now(actor: Any, meeting: Meeting, invitations: list[Invitation]) -> Reached:
    """Send the invitation to these invitations' members and mark them notified."""
    if _ended(meeting) or not invitations:
        return Reached([], [])
    title, body = _invitation_text(meeting)
    reached = _notify(actor, meeting, [i.member_id for i in invitations if i.member_id],
                      topic="meeting.invitation", title=title, body=body)
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(notified_at=timezone.now())
    return reached


# --- the schedule -----------------------------------------------------------------------------------------------


def meeting_schedule(
    *, actor: Any, unit: Unit, kind: str, topic: str, place: str, starts_at: dt.datetime,
    ends_at: dt.datetime | None = None, agenda: Iterable[str] = (),
) -> Meeting:
    """Register a meeting of `unit` (a cell's regular or thematic meeting, or a committee's), its
    agenda, and invite the members the cell's roll expects (told at once)."""
    schedule = _check_schedule(unit, kind, topic, place, starts_at, ends_at)
    titles = [line_text(t, "agenda", max_length=255) for t in agenda]
    titles = [t for t in titles if t]
    if len(titles) > MAX_AGENDA_ITEMS:
        raise ValidationError({"agenda": [_("At most %(n)s agenda items.") % {"n": MAX_AGENDA_ITEMS}]})
    with transaction.atomic():
        require(actor, MEETING_MANAGE, unit)
        _one_regular_a_month(unit, schedule)
        meeting = Meeting.objects.create(
            unit=unit, kind=schedule.kind, topic=schedule.topic, place=schedule.place, starts_at=schedule.starts_at,
            ends_at=schedule.ends_at, registered_at=timezone.now(), registered_by=_user(actor),
            checkin_token=secrets.token_urlsafe(32))
        AgendaItem.objects.bulk_create([AgendaItem(meeting=meeting, position=n, title=t)
                                        for n, t in enumerate(titles, start=1)])
        added, _removed = _sync_roll(meeting, scheduling=True)
        reached = _invite_now(actor, meeting, list(Invitation.objects.filter(meeting=meeting)))
        on_time = rules.registered_on_time(starts_at=meeting.starts_at, registered_at=meeting.registered_at)
        audit_record(actor=actor, action="meeting.scheduled", object_type="meeting", object_id=meeting.pk,
                     after={**_snapshot(meeting), "unit": unit.code, "agenda": titles, "invited": added,
                            "on_time": on_time if kind == MeetingKind.REGULAR else None,
                            "notified": reached.notified, "texted": reached.texted},
                     unit_path=unit.path)
        return meeting


def meeting_update(
    *, actor: Any, meeting: Meeting, expected_version: int, kind: str, topic: str, place: str,
    starts_at: dt.datetime, ends_at: dt.datetime | None = None,
) -> Meeting:
    """Change a scheduled meeting. A new time or place is a notice to every invitee (and their
    reminder goes out again before the new time); a new topic alone is not."""
    with transaction.atomic():
        meeting = _locked(actor, meeting)
        _stale(meeting, expected_version)
        _open(meeting)
        schedule = _check_schedule(meeting.unit, kind, topic, place, starts_at, ends_at)
        _one_regular_a_month(meeting.unit, schedule, exclude=meeting.pk)
        before = _snapshot(meeting)
        moved = schedule.starts_at != meeting.starts_at or schedule.ends_at != meeting.ends_at
        relocated = schedule.place != meeting.place
        meeting.kind, meeting.topic, meeting.place = schedule.kind, schedule.topic, schedule.place
        meeting.starts_at, meeting.ends_at = schedule.starts_at, schedule.ends_at
        meeting.version += 1
        meeting.save()
        added, removed = _sync_roll(meeting)
        reached = Reached([], [])
        if moved or relocated:
            if moved:
                Invitation.objects.filter(meeting=meeting).update(reminded_at=None)
            reached = _change_notice(actor, meeting, moved=moved)
        elif added:
            reached = _invite_now(actor, meeting, list(Invitation.objects.filter(meeting=meeting, member_id__in=added)))
        after = _snapshot(meeting)
        changed = [k for k in after if before[k] != after[k]]
        audit_record(actor=actor, action="meeting.updated", object_type="meeting", object_id=meeting.pk,
                     before={k: before[k] for k in changed},
                     after={**{k: after[k] for k in changed}, "invited": added, "uninvited": removed,
                            "notified": reached.notified, "texted": reached.texted},
                     unit_path=meeting.unit.path)
        return meeting


def _change_notice(actor: Any, meeting: Meeting, *, moved: bool) -> Reached:
    if _ended(meeting):
        return Reached([], [])
    with translation.override(settings.LANGUAGE_CODE):
        template = _("Meeting moved: %(topic)s, now %(when)s") if moved else _("Meeting place changed: %(topic)s")
        title = template % {"topic": Truncator(meeting.topic).chars(80), "when": _when(meeting)}
        body = _("Topic: %(topic)s\nPlace: %(place)s\nTime: %(when)s") % {
            "topic": meeting.topic, "place": meeting.place, "when": _when(meeting)}
    members = Invitation.objects.filter(meeting=meeting, member__isnull=False).values_list("member_id", flat=True)
    return _notify(actor, meeting, members, topic="meeting.changed", title=Truncator(title).chars(200), body=body)


def meeting_cancel(*, actor: Any, meeting: Meeting, expected_version: int, reason: str) -> Meeting:
    """Cancel a scheduled meeting, with the reason told to every invitee."""
    reason = line_text(reason, "reason", max_length=255, required=True)
    with transaction.atomic():
        meeting = _locked(actor, meeting)
        _stale(meeting, expected_version)
        _open(meeting)
        before = _snapshot(meeting)
        meeting.status, meeting.cancelled_reason = MeetingStatus.CANCELLED, reason
        meeting.version += 1
        meeting.save(update_fields=["status", "cancelled_reason", "version"])
        reached = Reached([], [])
        if not _ended(meeting):
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Meeting cancelled: %(topic)s, %(when)s") % {
                    "topic": Truncator(meeting.topic).chars(80), "when": _when(meeting)}
                body = _("Reason: %(reason)s") % {"reason": reason}
            members = Invitation.objects.filter(meeting=meeting, member__isnull=False).values_list("member_id",
                                                                                                 flat=True)
            reached = _notify(actor, meeting, members, topic="meeting.cancelled", title=Truncator(title).chars(200),
                              body=body)
        audit_record(actor=actor, action="meeting.cancelled", object_type="meeting", object_id=meeting.pk,
                     before={k: before[k] for k in ("status", "cancelled_reason")},
                     after={"status": meeting.status, "cancelled_reason": reason, "notified": reached.notified,
                            "texted": reached.texted},
                     unit_path=meeting.unit.path)
        return meeting


# --- the agenda ----------------------------------------------------------------------------------------------------


def agenda_item_add(*, actor: Any, meeting: Meeting, title: str, presenter: str = "") -> AgendaItem:
    title = line_text(title, "title", max_length=255, required=True)
    presenter = line_text(presenter, "presenter", max_length=120)
    with transaction.atomic():
        meeting = _locked(actor, meeting)
        _open(meeting)
        positions = list(AgendaItem.objects.filter(meeting=meeting).values_list("position", flat=True))
        if len(positions) >= MAX_AGENDA_ITEMS:
            raise ValidationError({"title": [_("At most %(n)s agenda items.") % {"n": MAX_AGENDA_ITEMS}]})
        item = AgendaItem.objects.create(meeting=meeting, position=max(positions, default=0) + 1, title=title,
                                         presenter=presenter)
        audit_record(actor=actor, action="meeting.agenda_added", object_type="agenda_item", object_id=item.pk,
                     after={"meeting": meeting.pk, "position": item.position, "title": title, "presenter": presenter},
                     unit_path=meeting.unit.path)
        return item


def agenda_item_remove(*, actor: Any, item: AgendaItem) -> None:
    with transaction.atomic():
        meeting = _locked(actor, item.meeting)
        _open(meeting)
        item = AgendaItem.objects.get(pk=item.pk, meeting=meeting)
        audit_record(actor=actor, action="meeting.agenda_removed", object_type="agenda_item", object_id=item.pk,
                     before={"meeting": meeting.pk, "position": item.position, "title": item.title},
                     unit_path=meeting.unit.path)
        item.delete()


# --- documents sent ahead ---------------------------------------------------------------------------------------------

# What may be attached: the extension, the types a browser declares for it, and how the file starts.
_ZIP = b"PK\x03\x04"
ATTACHMENT_TYPES: dict[str, tuple[frozenset[str], tuple[bytes, ...]]] = {
    ".pdf": (frozenset({"application/pdf", "application/x-pdf"}), (b"%PDF-",)),
    ".docx": (frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}), (_ZIP,)),
    ".xlsx": (frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}), (_ZIP,)),
    ".odt": (frozenset({"application/vnd.oasis.opendocument.text"}), (_ZIP,)),
    ".jpg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    ".jpeg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    ".png": (frozenset({"image/png"}), (b"\x89PNG\r\n\x1a\n",)),
}
# Browsers send these for any file they cannot name; the extension and the first bytes decide then.
_UNNAMED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def attachment_problems(upload: UploadedFile) -> list[str]:
    """What is wrong with an uploaded file as a meeting's document: its type (by extension, declared
    type and first bytes: a renamed program is refused) and its size."""
    limit = settings.DANGVIEN["MEETING_ATTACHMENT_MAX_BYTES"]
    problems = []
    suffix = PurePath(upload.name or "").suffix.lower()
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind = ATTACHMENT_TYPES.get(suffix)
    if kind is None or (declared not in kind[0] and declared not in _UNNAMED_TYPES) \
            or not any(head.startswith(magic) for magic in kind[1]):
        problems.append(_("The file must be a PDF, a Word, Excel or OpenDocument file, or a JPEG or PNG picture."))
    if not upload.size:
        problems.append(_("The file is empty."))
    elif upload.size > limit:
        problems.append(_("The file is %(size)s MB; at most %(limit)s MB is accepted.")
                        % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"})
    return problems


def attachment_add(
    *, actor: Any, meeting: Meeting, title: str = "", upload: UploadedFile | None = None,
    document: Document | None = None, agenda_item: AgendaItem | None = None,
) -> Attachment:
    """Attach a document to the meeting: an uploaded file, or a library document published for the
    meeting's unit (at it or above: every invitee of the unit can then read it in the library)."""
    if (upload is None) == (document is None):
        raise ValidationError({"file": [_("Upload a file or choose a library document (one of the two).")]})
    errors: dict[str, list[str]] = {}
    if upload is not None and (problems := attachment_problems(upload)):
        errors["file"] = problems
    try:
        title = line_text(title, "title", max_length=255)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    stored = ""
    try:
        with transaction.atomic():
            meeting = _locked(actor, meeting)
            _open(meeting)
            if Attachment.objects.filter(meeting=meeting).count() >= MAX_ATTACHMENTS:
                raise ValidationError({"file": [_("At most %(n)s documents a meeting.") % {"n": MAX_ATTACHMENTS}]})
            if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
                raise ValidationError({"agenda_item": [_("This agenda item belongs to another meeting.")]})
            attachment = Attachment(meeting=meeting, agenda_item=agenda_item, added_at=timezone.now(),
                                    added_by=_user(actor))
            if document is not None:
                document = _library_document(actor, meeting, document)
                attachment.document, attachment.title = document, title or document.title
            else:
                assert upload is not None
                suffix = PurePath(upload.name or "").suffix.lower()
                stored = default_storage.save(f"meetings/{uuid.uuid4().hex}{suffix}", upload)
                attachment.file.name = stored
                attachment.file_name = line_text(upload.name, "file", max_length=255) or f"document{suffix}"
                attachment.file_size = upload.size or 0
                attachment.title = title or PurePath(attachment.file_name).stem
            attachment.save()
            audit_record(actor=actor, action="meeting.attachment_added", object_type="attachment",
                         object_id=attachment.pk,
                         after={"meeting": meeting.pk, "title": attachment.title, "file_name": attachment.file_name,
                                "file_size": attachment.file_size, "document": attachment.document_id},
                         unit_path=meeting.unit.path)
            return attachment
    except BaseException:
        if stored:  # the file of a refused or failed attachment does not stay behind
            default_storage.delete(stored)
        raise


def _library_document(actor: Any, meeting: Meeting, document: Document) -> Document:
    found = documents_visible_to(actor).select_related("unit").filter(pk=document.pk).first()
    if found is None:
        raise ValidationError({"document": [_("This document is not in your library.")]})
    if not meeting.unit.path.startswith(found.unit.path):
        raise ValidationError({"document": [
            _("This document was published for %(unit)s, so not every invitee can read it. Attach documents "
              "published for this unit or above it, or upload the file.") % {"unit": found.unit.name}]})
    return found


def attachment_remove(*, actor: Any, attachment: Attachment) -> None:
    with transaction.atomic():
        meeting = _locked(actor, attachment.meeting)
        _open(meeting)
        attachment = Attachment.objects.get(pk=attachment.pk, meeting=meeting)
        audit_record(actor=actor, action="meeting.attachment_removed", object_type="attachment",
                     object_id=attachment.pk,
                     before={"meeting": meeting.pk, "title": attachment.title, "file_name": attachment.file_name,
                             "document": attachment.document_id},
                     unit_path=meeting.unit.path)
        stored = attachment.file.name if attachment.file else ""
        attachment.delete()
        if stored:
            transaction.on_commit(lambda: default_storage.delete(stored))


def attachment_download(*, actor: Any, attachment: Attachment) -> Attachment:
    """Audit the download of an uploaded document (it leaves the system); the caller read the
    attachment in scope and serves the file."""
    if not attachment.file:
        raise ValidationError({"file": [_("This document has no file here.")]})
    with transaction.atomic():
        audit_record(actor=actor, action="meeting.attachment_downloaded", object_type="attachment",
                     object_id=attachment.pk, after={"file_name": attachment.file_name},
                     unit_path=attachment.meeting.unit.path)
    return attachment


def attachment_content_type(attachment: Attachment) -> str:
    return mimetypes.types_map.get(PurePath(attachment.file_name).suffix.lower(), "application/octet-stream")


# --- invitations by hand ----------------------------------------------------------------------------------------------------


def invitation_add_guest(*, actor: Any, meeting: Meeting, member: Member | None = None, name: str = "") -> Invitation:
    """Invite a guest: a member (of another unit, or one of the cell not expected, e.g. exempted),
    told like the members, or a person by name. Guests never count in present / total."""
    return _invite(actor, meeting, member, name, guest=True)


def invitation_add_member(*, actor: Any, meeting: Meeting, member: Member) -> Invitation:
    """Invite a member as expected (counted in present / total): a committee's meeting expects the
    members invited so; a cell's meeting, a member the roll does not expect (temporarily with it)."""
    return _invite(actor, meeting, member, "", guest=False)


def _invite(actor: Any, meeting: Meeting, member: Member | None, name: str, *, guest: bool) -> Invitation:
    name = line_text(name, "name", max_length=120)
    if (member is None) == (not name):
        raise ValidationError({"name": [_("Name the guest, or choose a member (one of the two).")]})
    with transaction.atomic():
        meeting = _locked(actor, meeting)
        _open(meeting)
        if member is not None:
            existing = Invitation.objects.filter(meeting=meeting, member=member).first()
            if existing is not None:
                raise ValidationError({"member": [_("%(name)s is already invited.") % {"name": member.full_name}]})
        invitation = Invitation.objects.create(meeting=meeting, member=member, guest_name="" if member else name,
                                               is_guest=guest)
        reached = _invite_now(actor, meeting, [invitation]) if member is not None else Reached([], [])
        audit_record(actor=actor, action="meeting.invited", object_type="invitation", object_id=invitation.pk,
                     after={"meeting": meeting.pk, "member": member.pk if member else None, "guest_name":
                            invitation.guest_name, "is_guest": guest, "notified": reached.notified,
                            "texted": reached.texted},
                     unit_path=meeting.unit.path)
        return invitation


def invitation_remove(*, actor: Any, invitation: Invitation) -> None:
    """Withdraw an invitation made by hand (a cell's expected members follow its roll)."""
    with transaction.atomic():
        meeting = _locked(actor, invitation.meeting)
        _open(meeting)
        invitation = Invitation.objects.get(pk=invitation.pk, meeting=meeting)
        if not invitation.is_guest and meeting.unit.holds_members:
            raise ValidationError({"invitation": [_("The cell's members are invited by its roll.")]})
        if invitation.member_id and Attendance.objects.filter(meeting=meeting, member_id=invitation.member_id).exists():
            raise ValidationError({"invitation": [_("Attendance is recorded for this guest: the invitation stays.")]})
        audit_record(actor=actor, action="meeting.uninvited", object_type="invitation", object_id=invitation.pk,
                     before={"meeting": meeting.pk, "member": invitation.member_id, "guest_name": invitation.guest_name,
                             "is_guest": invitation.is_guest},
                     unit_path=meeting.unit.path)
        invitation.delete()


# --- reminders ------------------------------------------------------------------------------------------------------------------


def reminders_send(*, actor: Any = None, now: dt.datetime | None = None) -> int:
    """Remind each invitee of every meeting starting within MEETING_REMINDER_HOURS, once. Safe to run
    as often as cron likes: a meeting is reminded under its row lock and each invitation's
    reminded_at is set with its notice. How many invitations were reminded."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=settings.DANGVIEN["MEETING_REMINDER_HOURS"])
    due = (Meeting.objects.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=horizon,
                                  invitations__reminded_at__isnull=True).distinct().values_list("pk", flat=True))
    total = 0
    for meeting_id in list(due):
        total += _remind(actor, meeting_id, now)
    return total


def _remind(actor: Any, meeting_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related("unit").get(pk=meeting_id)
        if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
            return 0
        added, removed = _sync_roll(meeting)
        pending = list(Invitation.objects.filter(meeting=meeting, reminded_at__isnull=True))
        if not pending:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Reminder: %(topic)s, %(when)s") % {"topic": Truncator(meeting.topic).chars(80),
                                                          "when": _when(meeting)}
            body = _("Topic: %(topic)s\nPlace: %(place)s\nTime: %(when)s") % {
                "topic": meeting.topic, "place": meeting.place, "when": _when(meeting)}
        reached = _notify(actor, meeting, [i.member_id for i in pending if i.member_id], topic="meeting.reminder",
                          title=Truncator(title).chars(200), body=body)
        Invitation.objects.filter(pk__in=[i.pk for i in pending]).update(reminded_at=now)
        audit_record(actor=actor, action="meeting.reminded", object_type="meeting", object_id=meeting.pk,
                     after={"invitations": len(pending), "notified": reached.notified, "texted": reached.texted,
                            "invited": added, "uninvited": removed},
                     unit_path=meeting.unit.path)
        return len(pending)


# --- attendance ----------------------------------------------------------------------------------------------------------------


def _moment(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "H:i d/m/Y")


def attendance_check_in(
    *, actor: Any, token: str, scanned_at: dt.datetime | None = None, key: str = "",
) -> tuple[Attendance, bool]:
    """The member checks in with the code shown at the meeting (the QR's token), now or, synced
    later from the phone's queue, at the time of the scan. (attendance, created): a resend with the
    same key, or a scan by a member already present, returns the row first recorded and writes
    nothing. Refused with the reason: a wrong code, a cancelled meeting, a scan outside the
    meeting's check-in time, a sync after MEETING_CHECKIN_SYNC_DAYS, an attendance the secretary
    already recorded otherwise."""
    key = idempotency_key(key)
    member_id = getattr(actor, "member_id", None)
    now = timezone.now()
    if scanned_at is not None and timezone.is_naive(scanned_at):
        raise ValidationError({"scanned_at": [_("The scan time must say its time zone.")]})
    if scanned_at is not None and scanned_at > now + rules.CLOCK_SKEW:
        raise ValidationError({"scanned_at": [_("The scan time is in the future: check the phone's clock.")]})
    scanned = min(scanned_at or now, now)
    with transaction.atomic():
        meeting = selectors.meeting_for_checkin(actor, token)
        if meeting is None or not (member_id and (meeting.own or meeting.invited)):  # type: ignore[attr-defined]
            if meeting is not None and selectors.meetings_visible_to(actor).filter(pk=meeting.pk).exists():
                raise PermissionDenied(_("Only a member of the meeting checks in, with their own login; the "
                                         "secretary marks the others on the meeting's page."))
            raise ValidationError({"token": [_("This check-in code belongs to no meeting of yours: scan the code "
                                               "shown at your meeting again.")]})
        # The row of this key, and the member's row at this meeting: one query.
        mine = Q(meeting=meeting, member_id=member_id)
        rows = list(Attendance.objects.filter(mine | Q(member_id=member_id, idempotency_key=key) if key else mine))
        earlier = next((row for row in rows if key and row.idempotency_key == key), None)
        if earlier is not None:
            if earlier.meeting_id != meeting.pk:
                raise ValidationError({"idempotency_key": [_("This key was used for another check-in.")]})
            return earlier, False
        existing = next((row for row in rows if row.meeting_id == meeting.pk), None)
        if existing is not None:
            return _already(existing), False
        window = rules.checkin_window(meeting.starts_at, meeting.ends_at)
        if meeting.status == MeetingStatus.CANCELLED:
            raise ValidationError({"token": [_("This meeting was cancelled.")]})
        if not window.holds(scanned):
            raise ValidationError({"scanned_at": [
                _("Scanned at %(scan)s, outside this meeting's check-in time (%(opens)s to %(closes)s).")
                % {"scan": _moment(scanned), "opens": _moment(window.opens), "closes": _moment(window.closes)}]})
        if now > window.sync_until:
            raise ValidationError({"scanned_at": [
                _("This check-in reached the server after %(until)s, too late to count: ask the secretary to "
                  "record your attendance.") % {"until": _moment(window.sync_until)}]})
        try:
            with transaction.atomic():
                attendance = Attendance.objects.create(
                    meeting=meeting, member_id=member_id, status=AttendanceStatus.PRESENT, method=CheckInMethod.QR,
                    checked_in_at=scanned, recorded_at=now, recorded_by=_user(actor), idempotency_key=key)
        except IntegrityError:  # the same member's two phones, or a resend racing the first send
            raced = Attendance.objects.filter(meeting=meeting, member_id=member_id).first()
            if raced is None:
                raced = Attendance.objects.get(member_id=member_id, idempotency_key=key)
            return _already(raced), False
        if not meeting.invited:  # type: ignore[attr-defined]
            _invite_if_expected(meeting, member_id)
        audit_record(actor=actor, action="meeting.checked_in", object_type="attendance", object_id=attendance.pk,
                     after={"meeting": meeting.pk, "member": member_id, "status": attendance.status,
                            "method": attendance.method, "checked_in_at": scanned, "idempotency_key": key},
                     unit_path=meeting.unit.path)
        return attendance, True


def _already(existing: Attendance) -> Attendance:
    if existing.status == AttendanceStatus.PRESENT:
        return existing
    raise ValidationError({"token": [
        _("The secretary has already recorded you as “%(status)s” at this meeting; ask them to correct it if you "
          "were there.") % {"status": existing.get_status_display()}]})


def _invite_if_expected(meeting: Meeting, member_id: int) -> None:
    """A member of the cell the roll expects who was not invited yet (joined after the meeting
    started) is counted once recorded."""
    if (meeting.unit.holds_members and not Invitation.objects.filter(meeting=meeting, member_id=member_id).exists()
            and selectors.roll_expected(meeting.unit_id).filter(pk=member_id).exists()):
        Invitation.objects.create(meeting=meeting, member_id=member_id, notified_at=None)


@dataclass(frozen=True)
class Mark:
    member_id: int
    status: str  # AttendanceStatus
    reason: str = ""


def attendance_mark(*, actor: Any, meeting: Meeting, marks: Iterable[Mark]) -> list[Attendance]:
    """The secretary records attendance: present, absent with a reason (the reason is required), or
    absent without reason (a note may be given), for members invited or on the cell's roll, a member
    without a smartphone too. Unchanged marks write nothing; each changed one an audit row. The
    attendance rows changed."""
    marks = list(marks)
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, Mark] = {}
    for mark in marks:
        field = f"member_{mark.member_id}"
        if mark.status not in AttendanceStatus.values:
            errors[field] = [_("Choose present, absent with reason or absent without reason.")]
            continue
        try:
            reason = line_text(mark.reason, field, max_length=255)
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if mark.status == AttendanceStatus.EXCUSED and not reason:
            errors[field] = [_("Give the reason for the absence.")]
        cleaned[mark.member_id] = Mark(mark.member_id, mark.status, "" if mark.status == AttendanceStatus.PRESENT
                                       else reason)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = _locked(actor, meeting)
        if meeting.status == MeetingStatus.CANCELLED:
            raise ValidationError({"meeting": [_("This meeting was cancelled.")]})
        now = timezone.now()
        if meeting.starts_at - dt.timedelta(minutes=settings.DANGVIEN["MEETING_CHECKIN_EARLY_MINUTES"]) > now:
            raise ValidationError({"meeting": [_("Attendance is recorded from the day of the meeting on.")]})
        invited = set(Invitation.objects.filter(meeting=meeting, member__isnull=False).values_list("member_id",
                                                                                                  flat=True))
        on_roll = set(selectors.roll_expected(meeting.unit_id).filter(pk__in=list(cleaned)).values_list("pk", flat=True))
        strangers = sorted(set(cleaned) - invited - on_roll)
        if strangers:
            raise ValidationError({f"member_{pk}": [_("This member is not invited to the meeting.")]
                                   for pk in strangers})
        rows = {a.member_id: a for a in Attendance.objects.select_for_update().filter(meeting=meeting,
                                                                                      member_id__in=list(cleaned))}
        changed = []
        for member_id, mark in cleaned.items():
            row = rows.get(member_id)
            if row is not None and row.status == mark.status and row.reason == mark.reason:
                continue
            before = {"status": row.status, "reason": row.reason, "method": row.method} if row else None
            if row is None:
                row = Attendance(meeting=meeting, member_id=member_id)
            row.status, row.reason, row.method = mark.status, mark.reason, CheckInMethod.SECRETARY
            if mark.status != AttendanceStatus.PRESENT:
                row.checked_in_at = None
            row.recorded_at, row.recorded_by = now, _user(actor)
            row.save()
            if member_id not in invited:
                _invite_if_expected(meeting, member_id)
            audit_record(actor=actor, action="meeting.attendance_marked", object_type="attendance", object_id=row.pk,
                         before=before, after={"meeting": meeting.pk, "member": member_id, "status": row.status,
                                               "reason": row.reason, "method": row.method},
                         unit_path=meeting.unit.path)
            changed.append(row)
        return changed


# --- calendar feeds ------------------------------------------------------------------------------------------------------------------


def calendar_feed_create(*, actor: Any) -> str:
    """A new secret address for the actor's calendar feed; the previous one stops working. The
    secret itself is returned once and never stored (only its digest)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to make a calendar address."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = CalendarFeed.objects.filter(user_id=actor.pk).delete()[0] > 0
        CalendarFeed.objects.create(user=actor, token=selectors.feed_digest(token), created_at=timezone.now())
        audit_record(actor=actor, action="meeting.feed_created", object_type="user", object_id=actor.pk,
                     after={"replaced": replaced})
    return token


def calendar_feed_revoke(*, actor: Any) -> bool:
    """Stop the actor's calendar feed; whether there was one."""
    with transaction.atomic():
        removed = CalendarFeed.objects.filter(user_id=actor.pk).delete()[0] > 0
        if removed:
            audit_record(actor=actor, action="meeting.feed_revoked", object_type="user", object_id=actor.pk,
                         before={"feed": True}, after={"feed": False})
    return removed


__all__ = [
    "Mark", "agenda_item_add", "agenda_item_remove", "attachment_add", "attachment_download", "attachment_remove",
    "attendance_check_in", "attendance_mark", "calendar_feed_create", "calendar_feed_revoke", "invitation_add_guest",
    "invitation_add_member", "invitation_remove", "meeting_cancel", "meeting_schedule", "meeting_update",
    "reminders_send",
]
