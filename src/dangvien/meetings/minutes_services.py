"""Every write of the minutes, the members' opinions (comments) and the open votes. Each service
checks its input first (a refusal changes nothing), then in one transaction reads the meeting in the
actor's scope (absent: NotFound), checks the permission (PermissionDenied), locks what it changes,
refuses a stale edit, writes, and leaves one audit row with the values before and after.

The minutes go draft -> approved. Approving fixes what they state (present / total and the
absentees from the attendance, the agenda), sets the meeting HELD with `held_at` (what the adoption
report counts as a meeting held in the app), and makes them read-only, with the votes.

An opinion takes an idempotency key from the sender's device (the handbook's offline queue sends
it): a resend of the same key by the same author returns the first row and writes nothing.

Secret ballots stay on paper: only open votes (a show of hands or cards) are recorded, by count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import can
from dangvien.core.audit import audit_record, jsonable
from dangvien.core.errors import StaleEdit
from dangvien.library.services import idempotency_key, line_text, long_text
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Comment,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Speech,
    Vote,
)
from dangvien.meetings.permissions import MEETING_MANAGE
from dangvien.meetings.selectors import meeting_get_for, meeting_lock_for

MAX_TEXT = 20_000  # an opinion, a speech, the conclusions
MAX_SPEECHES = 200
MAX_MEETING_HOURS = 24  # a meeting that "ends" a day or more after it starts is a typing error
MAX_VOTES = 100_000  # a count above any party meeting's size is a typing error


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _managed(actor: Any, meeting: Meeting) -> Meeting:
    """The meeting re-read under a row lock for a write: NotFound when the actor does not see it,
    PermissionDenied when they see it without MEETING_MANAGE in its unit."""
    seen = meeting_get_for(actor, meeting.pk)
    if not can(actor, MEETING_MANAGE, seen.unit):
        raise PermissionDenied(_("Only the cell's secretary or its committee writes the minutes and records votes."))
    return meeting_lock_for(actor, meeting.pk)


def _require_not_cancelled(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError({"meeting": [_("This meeting was cancelled: it has no minutes.")]}, code="cancelled")


def _locked_minutes(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.select_for_update().filter(meeting=meeting).first()


def _require_draft(minutes: Minutes | None) -> None:
    if minutes is not None and minutes.status == MinutesStatus.APPROVED:
        raise ValidationError({"minutes": [_("The minutes are approved: they can no longer be changed.")]},
                              code="approved")


def _check_version(minutes: Minutes | None, expected_version: int) -> None:
    """`expected_version` is the version the edit was made on: 0 for minutes not yet written."""
    current = minutes.version if minutes is not None else 0
    if current != expected_version:
        raise StaleEdit(
            _("The minutes were changed by someone else (version %(now)s, your copy %(yours)s). "
              "Reload them and make your change again.") % {"now": current, "yours": expected_version},
            code="stale")


# --- the minutes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechEntry:
    """One contribution to the discussion as the secretary writes it, in order."""

    speaker: str
    text: str
    agenda_item_id: int | None = None


MINUTES_FIELDS = ("started_at", "ended_at", "place", "chair", "secretary", "conclusions")


def _minutes_values(
    *, started_at: dt.datetime | None, ended_at: dt.datetime | None, place: str, chair: str, secretary: str,
    conclusions: str,
) -> dict[str, Any]:
    """The minutes' own fields as stored, or ValidationError naming every problem."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"started_at": started_at, "ended_at": ended_at}
    for field, read in (("place", lambda: line_text(place, "place", max_length=255, required=True)),
                        ("chair", lambda: line_text(chair, "chair", max_length=120, required=True)),
                        ("secretary", lambda: line_text(secretary, "secretary", max_length=120, required=True)),
                        ("conclusions", lambda: long_text(conclusions, "conclusions", max_length=MAX_TEXT))):
        try:
            values[field] = read()
        except ValidationError as error:
            errors.update(error.message_dict)
    if started_at is None:
        errors["started_at"] = [_("Give the time the meeting started.")]
    elif ended_at is not None:
        if ended_at <= started_at:
            errors["ended_at"] = [_("The meeting cannot end before it starts.")]
        elif ended_at - started_at >= dt.timedelta(hours=MAX_MEETING_HOURS):
            errors["ended_at"] = [_("A meeting lasts less than %(hours)s hours: check the end time.")
                                  % {"hours": MAX_MEETING_HOURS}]
    if errors:
        raise ValidationError(errors)
    return values


def _speech_rows(speeches: Sequence[SpeechEntry]) -> list[dict[str, Any]]:
    """The speeches as stored (position from 1, in the order given), or ValidationError naming each
    line by its number."""
    if len(speeches) > MAX_SPEECHES:
        raise ValidationError({"speeches": [_("At most %(n)s speeches.") % {"n": MAX_SPEECHES}]})
    errors: dict[str, list[str]] = {}
    rows = []
    for position, entry in enumerate(speeches, start=1):
        try:
            rows.append({"position": position, "agenda_item_id": entry.agenda_item_id,
                         "speaker": line_text(entry.speaker, "speaker", max_length=120, required=True),
                         "text": long_text(entry.text, "text", max_length=MAX_TEXT, required=True)})
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                errors[f"speeches.{position}.{field}"] = problems
    if errors:
        raise ValidationError(errors)
    return rows


def _check_agenda_items(meeting: Meeting, ids: set[int]) -> None:
    if ids - set(AgendaItem.objects.filter(meeting=meeting, pk__in=ids).values_list("pk", flat=True)):
        raise ValidationError({"agenda_item": [_("This is not an item of the meeting's agenda.")]})


def minutes_snapshot(minutes: Minutes | None) -> dict[str, Any] | None:
    """What an audit row records of the minutes: their fields and every speech."""
    if minutes is None:
        return None
    return {**{name: jsonable(getattr(minutes, name)) for name in (*MINUTES_FIELDS, "status")},
            "speeches": [[s.position, s.agenda_item_id, s.speaker, s.text]
                         for s in Speech.objects.filter(minutes=minutes).order_by("position", "pk")]}


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[dict | None, dict]:
    """The old and new values of what changed (everything, for new minutes)."""
    if before is None:
        return None, after
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def minutes_save(
    *, actor: Any, meeting: Meeting, expected_version: int, started_at: dt.datetime | None,
    ended_at: dt.datetime | None = None, place: str, chair: str, secretary: str, conclusions: str = "",
    speeches: Sequence[SpeechEntry] = (),
) -> Minutes:
    """Write the minutes' draft (the first save creates it, with expected_version 0) and replace
    its discussion with `speeches`, in order."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    try:
        values = _minutes_values(started_at=started_at, ended_at=ended_at, place=place, chair=chair,
                                 secretary=secretary, conclusions=conclusions)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        rows = _speech_rows(speeches)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = _managed(actor, meeting)
        _require_not_cancelled(meeting)
        minutes = _locked_minutes(meeting)
        _require_draft(minutes)
        _check_version(minutes, expected_version)
        _check_agenda_items(meeting, {row["agenda_item_id"] for row in rows if row["agenda_item_id"] is not None})
        before = minutes_snapshot(minutes)
        if minutes is None:
            minutes = Minutes(meeting=meeting, version=0)
        for name, value in values.items():
            setattr(minutes, name, value)
        minutes.version += 1
        minutes.save()
        Speech.objects.filter(minutes=minutes).delete()
        Speech.objects.bulk_create([Speech(minutes=minutes, **row) for row in rows])
        old, new = _changed(before, minutes_snapshot(minutes) or {})
        audit_record(actor=actor, action="meeting.minutes_saved", object_type="minutes", object_id=minutes.pk,
                     before=old, after={"meeting": meeting.pk, **new}, unit_path=meeting.unit.path)
        return minutes


def _approval_problems(minutes: Minutes, turnout: selectors.Turnout, now: dt.datetime) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if minutes.ended_at is None:
        problems["ended_at"] = [_("Give the time the meeting ended before approving the minutes.")]
    elif minutes.ended_at > now:
        problems["ended_at"] = [_("The meeting has not ended yet by the minutes' end time.")]
    if minutes.started_at > now:
        problems["started_at"] = [_("The meeting has not started yet by the minutes' start time.")]
    if not minutes.conclusions:
        problems["conclusions"] = [_("Write the meeting's conclusions before approving the minutes.")]
    if turnout.present == 0:
        problems["attendance"] = [_("Nobody expected is marked present: take the attendance first.")]
    return problems


def minutes_approve(*, actor: Any, meeting: Meeting, expected_version: int) -> Minutes:
    """Approve the draft: present / total, the absentees and the agenda are fixed as they stand,
    the meeting becomes HELD (held_at: now), and the minutes read-only."""
    with transaction.atomic():
        meeting = _managed(actor, meeting)
        _require_not_cancelled(meeting)
        minutes = _locked_minutes(meeting)
        if minutes is None:
            raise ValidationError({"minutes": [_("Write the minutes before approving them.")]})
        _require_draft(minutes)
        _check_version(minutes, expected_version)
        now = timezone.now()
        turnout = selectors.meeting_turnout(meeting)
        if problems := _approval_problems(minutes, turnout, now):
            raise ValidationError(problems)
        before = {"status": minutes.status, "meeting_status": meeting.status, "held_at": None}
        minutes.present_count, minutes.total_count = turnout.present, turnout.total
        minutes.fixed_absentees = [a.as_json() for a in turnout.absentees]
        minutes.fixed_agenda = [line.as_json() for line in selectors.live_agenda(meeting)]
        minutes.status, minutes.approved_at, minutes.approved_by = MinutesStatus.APPROVED, now, _user(actor)
        minutes.version += 1
        minutes.save()
        meeting.status, meeting.held_at = MeetingStatus.HELD, now
        meeting.version += 1
        meeting.save(update_fields=["status", "held_at", "version"])
        audit_record(actor=actor, action="meeting.minutes_approved", object_type="minutes", object_id=minutes.pk,
                     before=before,
                     after={"status": minutes.status, "meeting_status": meeting.status, "held_at": now,
                            "meeting": meeting.pk, "present": turnout.present, "total": turnout.total,
                            "absentees": minutes.fixed_absentees, "agenda": minutes.fixed_agenda},
                     unit_path=meeting.unit.path)
        return minutes


def minutes_export(*, actor: Any, meeting: Meeting, minutes: Minutes) -> None:
    """Audit a PDF of the minutes leaving the system (names, absences and their reasons); the
    caller reads the minutes in scope first (minutes_selectors.minutes_readable)."""
    with transaction.atomic():
        audit_record(actor=actor, action="meeting.minutes_exported", object_type="minutes", object_id=minutes.pk,
                     after={"meeting": meeting.pk, "status": minutes.status, "format": "pdf"},
                     unit_path=meeting.unit.path)


# --- opinions -------------------------------------------------------------------------------------


def _comment_once(author: Any, key: str, **fields: Any) -> tuple[Comment, bool]:
    """The opinion the author's key already made, or a new one. Two sends racing with one key: the
    loser's insert fails on the unique constraint inside its savepoint, and it returns the winner's."""
    if key:
        found = Comment.objects.filter(author_id=author.pk, idempotency_key=key).first()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            return Comment.objects.create(author=author, idempotency_key=key, **fields), True
    except IntegrityError:
        if not key:
            raise
        return Comment.objects.get(author_id=author.pk, idempotency_key=key), False


def comment_add(
    *, actor: Any, meeting: Meeting, text: str, agenda_item_id: int | None = None, attachment_id: int | None = None,
    key: str = "",
) -> tuple[Comment, bool]:
    """A member's opinion before the meeting, on its agenda as a whole, one agenda item or one
    document sent ahead. (comment, created): a resend of the same key records nothing."""
    text = long_text(text, "text", max_length=MAX_TEXT, required=True)
    key = idempotency_key(key)
    if agenda_item_id is not None and attachment_id is not None:
        raise ValidationError({"agenda_item": [_("An opinion is about one agenda item or one document, not both.")]})
    with transaction.atomic():
        meeting = meeting_get_for(actor, meeting.pk)
        if key and (sent := Comment.objects.filter(author_id=actor.pk, idempotency_key=key).first()) is not None:
            return sent, False  # a resend after the meeting closed still answers with the first send
        member = selectors.commenting_member(actor, meeting)
        if member is None:
            raise PermissionDenied(_("Only members of the cell and those invited give opinions on its meetings."))
        if meeting.status != MeetingStatus.SCHEDULED:
            raise ValidationError({"meeting": [_("This meeting is over or cancelled: it takes no more opinions.")]},
                                  code="closed")
        if agenda_item_id is not None and not AgendaItem.objects.filter(meeting=meeting, pk=agenda_item_id).exists():
            raise ValidationError({"agenda_item": [_("This is not an item of the meeting's agenda.")]})
        if attachment_id is not None and not Attachment.objects.filter(meeting=meeting, pk=attachment_id).exists():
            raise ValidationError({"attachment": [_("This is not a document of the meeting.")]})
        comment, created = _comment_once(actor, key, meeting=meeting, member=member, text=text,
                                         agenda_item_id=agenda_item_id, attachment_id=attachment_id,
                                         created_at=timezone.now())
        if created:
            audit_record(actor=actor, action="meeting.comment_added", object_type="meeting_comment",
                         object_id=comment.pk, after={"meeting": meeting.pk, "member": member.pk,
                                                      "agenda_item": agenda_item_id, "attachment": attachment_id,
                                                      "text": text},
                         unit_path=meeting.unit.path)
        return comment, created


# --- votes ----------------------------------------------------------------------------------------

VOTE_FIELDS = ("question", "agenda_item_id", "votes_for", "votes_against", "abstentions")


def _vote_values(question: str, counts: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    try:
        values["question"] = line_text(question, "question", max_length=255, required=True)
    except ValidationError as error:
        errors.update(error.message_dict)
    for field, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int):
            errors[field] = [_("Give a whole number.")]
        elif count < 0:
            errors[field] = [_("A count cannot be negative.")]
        elif count > MAX_VOTES:
            errors[field] = [_("At most %(n)s.") % {"n": MAX_VOTES}]
        else:
            values[field] = count
    if not errors and sum(counts.values()) == 0:
        errors["votes_for"] = [_("Nobody voted: record the counts of the show of hands.")]
    if errors:
        raise ValidationError(errors)
    return values


def vote_record(
    *, actor: Any, meeting: Meeting, question: str, votes_for: int, votes_against: int, abstentions: int,
    agenda_item_id: int | None = None,
) -> Vote:
    """Record an open vote taken at the meeting and its counts. Once the attendance is taken, the
    votes cast cannot exceed the expected members present."""
    values = _vote_values(question, {"votes_for": votes_for, "votes_against": votes_against,
                                     "abstentions": abstentions})
    with transaction.atomic():
        meeting = _managed(actor, meeting)
        _require_not_cancelled(meeting)
        _require_draft(_locked_minutes(meeting))
        if meeting.starts_at > timezone.now():
            raise ValidationError({"meeting": [_("The meeting has not started yet: a vote is recorded when it is taken.")]})
        if agenda_item_id is not None:
            _check_agenda_items(meeting, {agenda_item_id})
        if selectors.attendance_taken(meeting):
            present = selectors.meeting_turnout(meeting).present
            cast = values["votes_for"] + values["votes_against"] + values["abstentions"]
            if cast > present:
                raise ValidationError({"votes_for": [
                    _("%(cast)s votes for %(present)s members present: the counts add up to more than the "
                      "members present.") % {"cast": cast, "present": present}]})
        vote = Vote.objects.create(meeting=meeting, agenda_item_id=agenda_item_id, recorded_at=timezone.now(),
                                   recorded_by=_user(actor), **values)
        audit_record(actor=actor, action="meeting.vote_recorded", object_type="meeting_vote", object_id=vote.pk,
                     after={"meeting": meeting.pk, **{name: getattr(vote, name) for name in VOTE_FIELDS}},
                     unit_path=meeting.unit.path)
        return vote


def vote_remove(*, actor: Any, vote: Vote) -> None:
    """Take back a vote recorded by mistake, while the minutes are a draft."""
    with transaction.atomic():
        meeting = _managed(actor, vote.meeting)
        _require_draft(_locked_minutes(meeting))
        row = Vote.objects.select_for_update().filter(pk=vote.pk, meeting=meeting).first()
        if row is None:
            raise ValidationError({"vote": [_("This vote was already removed.")]})
        before = {"meeting": meeting.pk, **{name: getattr(row, name) for name in VOTE_FIELDS}}
        row.delete()
        audit_record(actor=actor, action="meeting.vote_removed", object_type="meeting_vote", object_id=vote.pk,
                     before=before, after=None, unit_path=meeting.unit.path)
