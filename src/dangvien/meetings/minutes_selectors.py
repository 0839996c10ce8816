"""Every read of the minutes, the members' opinions (comments) and the open votes, scoped to the
acting user through meetings.selectors (a meeting the actor cannot see is absent).

Who reads what:
- the minutes: whoever holds MEETING_MANAGE in the meeting's unit reads them as a draft and once
  approved; everyone else who sees the meeting (the cell's members, guests, officers) reads only
  approved minutes: a draft is absent for them (NotFound), as is a meeting without minutes;
- opinions: their author, and MEETING_MANAGE in the meeting's unit (the secretary prepares the
  meeting with them); they may be sent by a member on the roll of the meeting's cell or invited;
- votes: with the minutes (they are part of them), so where the minutes are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dangvien.core.errors import NotFound
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    Comment,
    Invitation,
    Meeting,
    Minutes,
    MinutesStatus,
    Speech,
    Vote,
)
from dangvien.meetings.selectors import expected_members, may_manage, meeting_get_for
from dangvien.members.models import ON_ROLL_STATUSES, Member, Status

# --- who is expected ------------------------------------------------------------------------------

# Members who attend: official and probationary members. Exempted members are exempted from
# activities (not counted, though they may come); a temporarily transferred member attends where
# they are sent; the others have left the roll.
EXPECTED_STATUSES = (Status.OFFICIAL, Status.PROBATIONARY)


def _expected_members(meeting: Meeting) -> QuerySet[Member]:
    """The members the meeting's present / total counts (meetings.selectors.expected_members: its
    invitations as an expected member, following the cell's roll until the meeting starts)."""
    return expected_members(meeting)


@dataclass(frozen=True)
class Absentee:
    member_id: int | None
    name: str
    status: str  # AttendanceStatus.EXCUSED / UNEXCUSED, or "" when nobody recorded the absence
    reason: str

    @property
    def excused(self) -> bool:
        return self.status == AttendanceStatus.EXCUSED

    def as_json(self) -> dict[str, Any]:
        return {"member_id": self.member_id, "name": self.name, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class Turnout:
    present: int
    total: int
    absentees: list[Absentee]  # expected members not marked present, in the roll's name order


def meeting_turnout(meeting: Meeting) -> Turnout:
    """Present / total and the absentees from the attendance as recorded now (two queries). Only
    expected members count: a guest's or an exempted member's check-in does not."""
    expected = list(_expected_members(meeting).order_by("sort_key", "pk").values_list("pk", "full_name"))
    marks = {row.member_id: row for row in Attendance.objects.filter(meeting=meeting, member_id__in=[pk for pk, _n in expected])
             .only("member_id", "status", "reason")}
    absentees = [Absentee(pk, name, marks[pk].status if pk in marks else "", marks[pk].reason if pk in marks else "")
                 for pk, name in expected if pk not in marks or marks[pk].status != AttendanceStatus.PRESENT]
    return Turnout(present=len(expected) - len(absentees), total=len(expected), absentees=absentees)


def attendance_taken(meeting: Meeting) -> bool:
    return Attendance.objects.filter(meeting=meeting).exists()


# --- the minutes ----------------------------------------------------------------------------------


def minutes_of(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting=meeting).first()


def minutes_readable(actor: Any, meeting: Meeting) -> Minutes:
    """The minutes the actor may read (the meeting read in scope first): a draft only for the
    meeting's managers. NotFound otherwise (a draft and no minutes look the same)."""
    minutes = minutes_of(meeting)
    if minutes is None or (minutes.status != MinutesStatus.APPROVED and not may_manage(actor, meeting)):
        raise NotFound(_("These minutes are not available."))
    return minutes


@dataclass(frozen=True)
class AgendaLine:
    id: int | None
    position: int
    title: str
    presenter: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "title": self.title, "presenter": self.presenter}


@dataclass(frozen=True)
class SpeechLine:
    position: int
    speaker: str
    text: str
    agenda: AgendaLine | None


@dataclass(frozen=True)
class MinutesRecord:
    """What the minutes' page, the API and the PDF show: for a draft, the attendance and agenda as
    they are now; once approved, as they were fixed."""

    meeting: Meeting
    minutes: Minutes
    present: int
    total: int
    absentees: list[Absentee]
    agenda: list[AgendaLine]
    speeches: list[SpeechLine]
    votes: list[Vote]

    @property
    def approved(self) -> bool:
        return self.minutes.status == MinutesStatus.APPROVED

    @property
    def excused(self) -> int:
        return sum(1 for a in self.absentees if a.excused)


def live_agenda(meeting: Meeting) -> list[AgendaLine]:
    return [AgendaLine(item.pk, item.position, item.title, item.presenter)
            for item in AgendaItem.objects.filter(meeting=meeting).order_by("position")]


def minutes_record(meeting: Meeting, minutes: Minutes) -> MinutesRecord:
    """The minutes with everything they state (5 queries for a draft, 3 once approved)."""
    if minutes.status == MinutesStatus.APPROVED:
        present, total = minutes.present_count, minutes.total_count
        absentees = [Absentee(a.get("member_id"), a["name"], a.get("status", ""), a.get("reason", ""))
                     for a in minutes.fixed_absentees]
        agenda = [AgendaLine(a.get("id"), a["position"], a["title"], a.get("presenter", "")) for a in minutes.fixed_agenda]
    else:
        turnout = meeting_turnout(meeting)
        present, total, absentees = turnout.present, turnout.total, turnout.absentees
        agenda = live_agenda(meeting)
    by_id: dict[int | None, AgendaLine] = {line.id: line for line in agenda if line.id is not None}
    speeches = [SpeechLine(s.position, s.speaker, s.text, by_id.get(s.agenda_item_id))
                for s in Speech.objects.filter(minutes=minutes).order_by("position", "pk")]
    return MinutesRecord(meeting=meeting, minutes=minutes, present=present, total=total, absentees=absentees,
                         agenda=agenda, speeches=speeches, votes=list(meeting_votes(meeting)))


def agenda_choices(meeting: Meeting) -> list[tuple[int, str]]:
    """The meeting's agenda items for a form's select: (id, "1. title")."""
    return [(item.pk, f"{item.position}. {item.title}")
            for item in AgendaItem.objects.filter(meeting=meeting).order_by("position")]


# --- opinions (comments) --------------------------------------------------------------------------


def commenting_member(actor: Any, meeting: Meeting) -> Member | None:
    """The actor's own member record when it may give opinions on the meeting: on the roll of the
    meeting's cell, or invited to it (a guest member too: the secretary reads what they say)."""
    member_id = getattr(actor, "member_id", None)
    if not member_id or not getattr(actor, "is_active", False):
        return None
    member = Member.objects.filter(pk=member_id, status__in=ON_ROLL_STATUSES).first()
    if member is None:
        return None
    if member.unit_id == meeting.unit_id or Invitation.objects.filter(meeting=meeting, member=member).exists():
        return member
    return None


def comments_visible_to(actor: Any, meeting: Meeting) -> QuerySet[Comment]:
    """The meeting's opinions the actor reads: all of them for its managers, else one's own."""
    rows = Comment.objects.filter(meeting=meeting)
    if not may_manage(actor, meeting):
        rows = rows.filter(author_id=getattr(actor, "pk", None) or 0)
    return rows.select_related("member").order_by("created_at", "pk")


@dataclass(frozen=True)
class CommentTarget:
    key: str  # "" (the meeting as a whole), "agenda-<id>" or "attachment-<id>"
    label: str
    agenda_item_id: int | None = None
    attachment_id: int | None = None


def comment_targets(meeting: Meeting) -> list[CommentTarget]:
    """What a member may comment on: the agenda as a whole, each agenda item, each document sent
    ahead (two queries)."""
    targets = [CommentTarget("", _("The meeting's agenda as a whole"))]
    targets += [CommentTarget(f"agenda-{pk}", label, agenda_item_id=pk) for pk, label in agenda_choices(meeting)]
    targets += [CommentTarget(f"attachment-{a.pk}", _("Document: %(title)s") % {"title": a.title}, attachment_id=a.pk)
                for a in Attachment.objects.filter(meeting=meeting).order_by("added_at", "pk").only("pk", "title")]
    return targets


@dataclass(frozen=True)
class CommentLine:
    comment: Comment
    about: str  # the agenda item or document it is about, or the agenda as a whole


def _about(comment: Comment, agenda: dict[int, str], attachments: dict[int, str]) -> str:
    if comment.agenda_item_id in agenda:
        return agenda[comment.agenda_item_id]
    if comment.attachment_id in attachments:
        return _("Document: %(title)s") % {"title": attachments[comment.attachment_id]}
    return str(_("The meeting's agenda as a whole"))


def comment_lines(actor: Any, meeting: Meeting) -> list[CommentLine]:
    """The opinions the actor reads (comments_visible_to), oldest first, each with what it is about
    (one query, plus one each for agenda titles and document titles when an opinion names them)."""
    comments = list(comments_visible_to(actor, meeting))
    agenda = dict(agenda_choices(meeting)) if any(c.agenda_item_id for c in comments) else {}
    attachments = dict(Attachment.objects.filter(meeting=meeting).values_list("pk", "title")) \
        if any(c.attachment_id for c in comments) else {}
    return [CommentLine(c, _about(c, agenda, attachments)) for c in comments]


def comments_panel(actor: Any, meeting: Meeting) -> list[CommentLine] | None:
    """The members' opinions for the meeting page (templates/meetings/_comments.html, as
    `comment_lines`): every opinion for its managers (the secretary); None for anyone else, who reads
    their own on the opinions page."""
    if not may_manage(actor, meeting):
        return None
    return comment_lines(actor, meeting)


# --- votes ----------------------------------------------------------------------------------------


def meeting_votes(meeting: Meeting) -> QuerySet[Vote]:
    return Vote.objects.filter(meeting=meeting).order_by("recorded_at", "pk")


def votes_readable(actor: Any, meeting: Meeting) -> QuerySet[Vote]:
    """The votes where the minutes are read: managers always, others once the minutes are
    approved (NotFound otherwise, as for the minutes)."""
    if not may_manage(actor, meeting):
        minutes_readable(actor, meeting)
    return meeting_votes(meeting)


def vote_get_for(actor: Any, vote_id: int) -> Vote:
    """A vote of a meeting the actor sees (NotFound otherwise, the same for a hidden meeting's)."""
    vote = Vote.objects.filter(pk=vote_id).first()
    if vote is None:
        raise NotFound(_("No such vote."))
    vote.meeting = meeting_get_for(actor, vote.meeting_id)
    return vote
