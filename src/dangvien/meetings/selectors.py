"""Every read of meetings, scoped to the acting user."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import can, scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import subtree_upper_bound
from dangvien.meetings import rules
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from dangvien.meetings.permissions import MEETING_MANAGE, MEETING_VIEW
from dangvien.members.models import ON_ROLL_STATUSES, Member, Status
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit


def _units_q(actor: Any, permission: Any) -> Q | None:
    """Meetings of units in the actor's subtrees for `permission`; None when it holds nowhere."""
    scope = scope_for(actor, permission)
    if scope.everywhere:
        return Q()
    if not scope.paths:
        return None
    return Q(unit_id__in=Unit.objects.filter(scope.q("path")).values("id"))


def meetings_visible_to(actor: Any) -> QuerySet[Meeting]:
    """Officers: meetings of the units in their MEETING_VIEW subtrees. A member: the meetings of
    their own cell and the meetings they are invited to (a guest from another unit)."""
    if not getattr(actor, "is_authenticated", False):
        return Meeting.objects.none()
    q = _units_q(actor, MEETING_VIEW)
    member_id = getattr(actor, "member_id", None)
    if member_id is not None and getattr(actor, "is_active", False):
        own = Q(unit_id__in=_own_cell(member_id)) | Q(invitations__member_id=member_id)
        q = own if q is None else q | own
    if q is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(q).distinct() if member_id is not None else Meeting.objects.filter(q)


def meetings_managed_by(actor: Any) -> QuerySet[Meeting]:
    """The meetings the actor may change (MEETING_MANAGE in their unit)."""
    if not getattr(actor, "is_authenticated", False):
        return Meeting.objects.none()
    q = _units_q(actor, MEETING_MANAGE)
    return Meeting.objects.none() if q is None else Meeting.objects.filter(q)


def meeting_get_for(actor: Any, meeting_id: int) -> Meeting:
    """The meeting if the actor may see it; NotFound otherwise (out of scope looks like absent)."""
    meeting = meetings_visible_to(actor).select_related("unit").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def meeting_lock_for(actor: Any, meeting_id: int) -> Meeting:
    """The meeting locked for a write inside a service's transaction, if the actor may manage it."""
    meeting = (meetings_managed_by(actor).select_for_update(of=("self",)).select_related("unit")
               .filter(pk=meeting_id).first())
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def _own_cell(member_id: int) -> QuerySet:
    """The member's cell while they are on its roll (a member who left sees no longer its meetings)."""
    return Member.objects.filter(pk=member_id, status__in=ON_ROLL_STATUSES).values("unit_id")


# --- who is expected --------------------------------------------------------------------------------

# Who attends a cell's meetings: official and probationary members on the roll. Exempted members are
# exempted from activities (invited only as optional guests, never counted); a member temporarily
# transferred out stays on the home roll but attends where they were sent.
EXPECTED_STATUSES = frozenset({Status.OFFICIAL, Status.PROBATIONARY})


def roll_expected(unit_id: int) -> QuerySet[Member]:
    """The members a cell's meeting expects today, from the roll."""
    return Member.objects.filter(unit_id=unit_id, status__in=EXPECTED_STATUSES)


def expected_members(meeting: Meeting) -> QuerySet[Member]:
    """The members the meeting counts in "present / total": its invitations as an expected member
    (not as a guest). For a cell's meeting they follow the roll until the meeting starts (scheduling,
    every change and the reminder run bring them up to date: services._sync_roll), then stay as they
    were, the meeting's own record; a committee's meeting expects the members invited by hand."""
    invited = Invitation.objects.filter(meeting_id=meeting.pk, is_guest=False, member__isnull=False)
    # Only official and probationary members count, also where invitations are made by hand (a
    # committee's meeting): an exempted member invited there is present as a guest, not expected.
    return Member.objects.filter(pk__in=invited.values("member_id"), status__in=EXPECTED_STATUSES)


# --- lists --------------------------------------------------------------------------------------------


def meetings_of_member(actor: Any) -> QuerySet[Meeting]:
    """The meetings of the actor's own cell and those they are invited to (as a member, whatever
    their roles): "my meetings". None for a login without a member record."""
    member_id = getattr(actor, "member_id", None)
    if member_id is None or not getattr(actor, "is_active", False):
        return Meeting.objects.none()
    own = Q(unit_id__in=_own_cell(member_id)) | Q(pk__in=Invitation.objects.filter(member_id=member_id)
                                                    .values("meeting_id"))
    return Meeting.objects.filter(own)


@dataclass(frozen=True)
class MyMeeting:
    meeting: Meeting
    attendance: str  # the actor's AttendanceStatus, "" when none recorded
    checkin_open: bool


def my_meetings(actor: Any, *, past_days: int = 60, limit: int = 50) -> list[MyMeeting]:
    """The member's meetings from `past_days` ago on, soonest first, with their own attendance."""
    now = timezone.now()
    rows = list(meetings_of_member(actor).filter(starts_at__gte=now - dt.timedelta(days=past_days))
                .select_related("unit").order_by("starts_at", "pk")[:limit])
    marks = dict(Attendance.objects.filter(member_id=actor.member_id, meeting__in=[m.pk for m in rows])
                 .values_list("meeting_id", "status"))
    return [MyMeeting(m, marks.get(m.pk, ""), m.status == MeetingStatus.SCHEDULED
                      and rules.checkin_window(m.starts_at, m.ends_at).holds(now)) for m in rows]


@dataclass(frozen=True)
class MeetingFilter:
    unit: Unit | None = None  # the unit's subtree
    upcoming: bool = True  # upcoming (not yet ended), else past, newest first


def meeting_list(actor: Any, flt: MeetingFilter) -> QuerySet[Meeting]:
    """The meetings the actor sees as an officer or secretary (MEETING_VIEW), or as a member."""
    rows = meetings_visible_to(actor).select_related("unit")
    if flt.unit is not None:
        rows = rows.filter(unit__path__gte=flt.unit.path, unit__path__lt=subtree_upper_bound(flt.unit.path))
    # "Upcoming" keeps a meeting for the day it is held (its start within the last 12 hours).
    since = timezone.now() - dt.timedelta(hours=12)
    if flt.upcoming:
        return rows.filter(starts_at__gte=since).order_by("starts_at", "pk")
    return rows.filter(starts_at__lt=since).order_by("-starts_at", "-pk")


def may_manage(actor: Any, meeting: Meeting) -> bool:
    """Whether the actor runs the meeting: its schedule, attendance, minutes and votes (MEETING_MANAGE in its unit)."""
    return can(actor, MEETING_MANAGE, meeting.unit)


def managed_cells(actor: Any, limit: int = 300) -> list[Unit]:
    """Units where the actor schedules meetings, for the list page's "schedule" links (at most
    `limit`; a committee officer over a whole province types a code instead)."""
    scope = scope_for(actor, MEETING_MANAGE)
    if not scope.everywhere and not scope.paths:
        return []
    return list(Unit.objects.filter(scope.q("path")).order_by("path")[:limit + 1])


# --- one meeting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    member: Member
    invitation: Invitation | None
    attendance: Attendance | None
    expected: bool

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance else ""


@dataclass
class MeetingPage:
    meeting: Meeting
    manage: bool
    agenda: list[AgendaItem]
    attachments: list[Attachment]
    rows: list[AttendanceRow]  # managers: expected members, then member guests
    guests: list[Invitation]  # guests named only
    mine: Attendance | None  # the actor's own attendance (a member)
    window: rules.Window
    on_time: bool | None  # regular meetings: registered by the end of the previous month

    @property
    def expected_count(self) -> int:
        return sum(row.expected for row in self.rows)

    @property
    def present_count(self) -> int:
        return sum(row.expected and row.status == AttendanceStatus.PRESENT for row in self.rows)

    @property
    def checkin_open(self) -> bool:
        return self.meeting.status == MeetingStatus.SCHEDULED and self.window.holds(timezone.now())


def meeting_page(actor: Any, meeting: Meeting) -> MeetingPage:
    """What the meeting's page shows; `meeting` comes from meeting_get_for. Managers see every
    invitation and attendance; a member sees the agenda, the documents and their own attendance."""
    manage = may_manage(actor, meeting)
    rows: list[AttendanceRow] = []
    guests: list[Invitation] = []
    if manage:
        marks = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
        invitations = list(Invitation.objects.filter(meeting=meeting).select_related("member")
                           .order_by("is_guest", "member__sort_key", "guest_name", "pk"))
        seen = set()
        for invitation in invitations:
            if invitation.member is None:
                guests.append(invitation)
                continue
            seen.add(invitation.member_id)
            rows.append(AttendanceRow(invitation.member, invitation, marks.get(invitation.member.pk),
                                      not invitation.is_guest))
        extra = [member_id for member_id in marks if member_id not in seen]
        for member in Member.objects.filter(pk__in=extra).order_by("sort_key"):
            rows.append(AttendanceRow(member, None, marks[member.pk], False))
    mine = None
    if getattr(actor, "member_id", None):
        mine = Attendance.objects.filter(meeting=meeting, member_id=actor.member_id).first()
    on_time = (rules.registered_on_time(starts_at=meeting.starts_at, registered_at=meeting.registered_at)
               if meeting.kind == MeetingKind.REGULAR else None)
    return MeetingPage(
        meeting=meeting, manage=manage, agenda=list(meeting.agenda.all()),
        attachments=list(meeting.attachments.select_related("document").order_by("added_at", "pk")),
        rows=rows, guests=guests, mine=mine, window=rules.checkin_window(meeting.starts_at, meeting.ends_at),
        on_time=on_time)


def meeting_by_token(actor: Any, token: str) -> Meeting:
    """The meeting whose check-in code this is, if the actor sees it; NotFound otherwise (a wrong
    code and another cell's code look the same)."""
    meeting = (meetings_visible_to(actor).select_related("unit").filter(checkin_token=token).first()
               if token else None)
    if meeting is None:
        raise NotFound(_("This check-in code belongs to no meeting of yours."))
    return meeting


def meeting_for_checkin(actor: Any, token: str) -> Meeting | None:
    """The meeting of this check-in code, annotated `own` (of the actor's cell) and `invited` (the
    actor, a member, is invited): one query, the check-in's hot path. None for an unknown code; the
    caller decides what a meeting that is not the member's means."""
    if not token or len(token) > 100:
        return None
    member_id = getattr(actor, "member_id", None) or 0  # 0: no member, matches nothing
    return (Meeting.objects.select_related("unit").filter(checkin_token=token)
            .annotate(own=Exists(Member.objects.filter(pk=member_id, unit_id=OuterRef("unit_id"))),
                      invited=Exists(Invitation.objects.filter(meeting_id=OuterRef("pk"), member_id=member_id)))
            .first())


def attachment_get_for(actor: Any, attachment_id: int) -> Attachment:
    attachment = (Attachment.objects.select_related("meeting__unit", "document")
                  .filter(pk=attachment_id, meeting__in=meetings_visible_to(actor)).first())
    if attachment is None:
        raise NotFound(_("No such document."))
    return attachment


def invitation_get_for(actor: Any, invitation_id: int) -> Invitation:
    invitation = (Invitation.objects.select_related("meeting__unit", "member")
                  .filter(pk=invitation_id, meeting__in=meetings_visible_to(actor)).first())
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


def agenda_item_get_for(actor: Any, item_id: int) -> AgendaItem:
    item = (AgendaItem.objects.select_related("meeting__unit")
            .filter(pk=item_id, meeting__in=meetings_visible_to(actor)).first())
    if item is None:
        raise NotFound(_("No such agenda item."))
    return item


# --- attendance over a year -------------------------------------------------------------------------------


@dataclass
class YearLine:
    """One meeting of the year for one member."""

    meeting: Meeting
    status: str  # AttendanceStatus, or "" (not recorded: a meeting still to come, or forgotten)
    reason: str
    expected: bool


@dataclass
class YearSummary:
    member: Member
    present: int = 0
    excused: int = 0
    unexcused: int = 0
    unrecorded: int = 0  # meetings past, expected, nothing recorded
    unexcused_months: list[dt.date] = field(default_factory=list)  # regular meetings only (rules.py)
    lines: list[YearLine] = field(default_factory=list)

    @property
    def level(self) -> str:
        return rules.absence_level(len(self.unexcused_months))


def _year_summaries(members: list[Member], year: int, unit_id: int | None) -> dict[int, YearSummary]:
    """Each member's meetings of the year: the meetings they were expected at or recorded at (two
    queries whatever the number of members)."""
    start, end = rules.year_bounds(year)
    now = timezone.now()
    ids = [m.pk for m in members]
    summaries = {m.pk: YearSummary(m) for m in members}
    in_year = Q(meeting__starts_at__gte=start, meeting__starts_at__lt=end)
    if unit_id is not None:
        in_year &= Q(meeting__unit_id=unit_id)
    invited = (Invitation.objects.filter(in_year, member_id__in=ids).exclude(meeting__status=MeetingStatus.CANCELLED)
               .select_related("meeting"))
    marks = {(a.meeting_id, a.member_id): a
             for a in Attendance.objects.filter(in_year, member_id__in=ids).select_related("meeting")}
    seen: set[tuple[int, int]] = set()
    for invitation in invited:
        member_id = int(invitation.member_id or 0)  # member__in above: never a guest by name
        key = (invitation.meeting_id, member_id)
        seen.add(key)
        _add_line(summaries[member_id], invitation.meeting, marks.get(key), not invitation.is_guest, now)
    for key, mark in marks.items():
        if key not in seen:
            _add_line(summaries[mark.member_id], mark.meeting, mark, False, now)
    for summary in summaries.values():
        summary.lines.sort(key=lambda line: line.meeting.starts_at)
        summary.unexcused_months.sort()
    return summaries


def _add_line(summary: YearSummary, meeting: Meeting, mark: Attendance | None, expected: bool,
              now: dt.datetime) -> None:
    status = mark.status if mark else ""
    summary.lines.append(YearLine(meeting, status, mark.reason if mark else "", expected))
    if status == AttendanceStatus.PRESENT:
        summary.present += 1
    elif status == AttendanceStatus.EXCUSED:
        summary.excused += 1
    elif status == AttendanceStatus.UNEXCUSED:
        summary.unexcused += 1
        month = rules.month_of(meeting.starts_at)
        if meeting.kind == MeetingKind.REGULAR and month not in summary.unexcused_months:
            summary.unexcused_months.append(month)
    elif expected and rules.meeting_end(meeting.starts_at, meeting.ends_at) < now:
        summary.unrecorded += 1


def my_attendance_year(actor: Any, year: int) -> YearSummary:
    """The actor's own attendance over the year (every cell they were expected or recorded in)."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        raise NotFound(_("This login is not linked to a party member."))
    member = Member.objects.select_related("unit").get(pk=member_id)
    return _year_summaries([member], year, None)[member.pk]


def cell_attendance_year(actor: Any, unit: Unit, year: int) -> list[YearSummary]:
    """The cell's members on the roll, each with the year's attendance at the cell's meetings; the
    members nearest to the removal rule first. `unit` was read in the actor's scope; MEETING_VIEW
    is required there."""
    if not can(actor, MEETING_VIEW, unit):
        raise PermissionDenied(_("You do not have permission to see this cell's attendance."))
    members = list(Member.objects.filter(unit=unit, status__in=ON_ROLL_STATUSES).order_by("sort_key", "pk"))
    summaries = _year_summaries(members, year, unit.pk)
    return sorted(summaries.values(), key=lambda s: (-len(s.unexcused_months), -s.unexcused, s.member.sort_key))


# --- registration on time (the committee's page) -----------------------------------------------------------


@dataclass(frozen=True)
class CellRegistration:
    cell: Unit
    state: str  # "on_time", "late" (registered after the deadline), "none" (no regular meeting)
    meeting: Meeting | None


def registrations_for_month(actor: Any, unit: Unit, month: dt.date) -> list[CellRegistration]:
    """Every cell in `unit`'s subtree and its regular meeting of `month`: registered on time (before
    the month began), late, or none. `unit` was read in the actor's scope; MEETING_VIEW is required
    there. Two queries."""
    if not can(actor, MEETING_VIEW, unit):
        raise PermissionDenied(_("You do not have permission to see these cells' meetings."))
    cells = list(Unit.objects.filter(kind__in=MEMBER_UNIT_KINDS, path__gte=unit.path,
                                     path__lt=subtree_upper_bound(unit.path)).order_by("path"))
    start, end = rules.month_start(month), rules.month_start(rules.next_month(month))
    first: dict[int, Meeting] = {}
    for meeting in (Meeting.objects.filter(unit_id__in=[c.pk for c in cells], kind=MeetingKind.REGULAR,
                                           starts_at__gte=start, starts_at__lt=end)
                    .exclude(status=MeetingStatus.CANCELLED).order_by("registered_at")):
        first.setdefault(meeting.unit_id, meeting)
    rows = []
    for cell in cells:
        found = first.get(cell.pk)
        if found is None:
            rows.append(CellRegistration(cell, "none", None))
        else:
            on_time = rules.registered_on_time(starts_at=found.starts_at, registered_at=found.registered_at)
            rows.append(CellRegistration(cell, "on_time" if on_time else "late", found))
    return rows


# --- calendar feeds --------------------------------------------------------------------------------------------


def feed_digest(token: str) -> str:
    """What is stored of a feed's secret: its SHA-256, base64url (43 characters)."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


def feed_owner(token: str) -> Any | None:
    """The active user whose calendar feed this secret opens, or None."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token=feed_digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_of(actor: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user_id=actor.pk).first()


FEED_PAST_DAYS = 60
FEED_AHEAD_DAYS = 400


def feed_meetings(user: Any) -> list[Meeting]:
    """What a user's calendar feed holds: their meetings as a member (own cell, invitations) and the
    meetings of the units they are a secretary or officer of themselves (not the whole subtree: a
    province officer's calendar would hold every cell), from FEED_PAST_DAYS ago on."""
    from dangvien.accounts.models import Role, RoleAssignment

    now = timezone.now()
    own_units = RoleAssignment.objects.filter(user_id=user.pk, unit__isnull=False,
                                              role__in=[Role.CELL_SECRETARY, Role.COMMITTEE_OFFICER]).values("unit_id")
    q = Q(unit_id__in=own_units)
    if getattr(user, "member_id", None):
        q |= Q(pk__in=meetings_of_member(user).values("pk"))
    return list(Meeting.objects.filter(q, starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
                                       starts_at__lt=now + dt.timedelta(days=FEED_AHEAD_DAYS))
                .select_related("unit").prefetch_related("agenda").order_by("starts_at", "pk"))
