"""The demo province's party meetings (`dangvien demo-meetings`, which `make demo` runs after the
campaign's field work): six months of history, this month and next month's schedule, for every cell,
commune committee and grassroots committee of Gia Lai, so that the meeting pages and the adoption
report show real figures that vary from commune to commune (docs/meetings-demo.md).

What happens is planned by meetings.demo_plan (pure, from the seed and the moment now); this module
reads the units and members, turns the plan into rows (agenda, invitations, attendance, minutes with
their discussion, open votes) and writes them with core.bulk_insert (COPY on PostgreSQL) in one
transaction, with one audit row for the whole load, as the demo generator loads the members
(members.bulk.members_load). A service per meeting would take minutes for the tens of thousands of
attendance marks; the rows are those the services write (meetings.services, minutes_services):
the same statuses, versions and counts.

Only the demo logins' cell gets what needs a login: its secretary (bithu) registered its meetings,
marked attendance and approved the minutes; its member (dangvien) checked in with the QR code, gave
opinions on the agenda and has the invitation to the next meeting in the inbox. The demo has no
other handbook accounts, so elsewhere the QR check-ins and marks name nobody (recorded_by empty).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.campaign.demo_schedule import cell_meeting_day
from dangvien.core.audit import audit_record
from dangvien.core.bulk import bulk_insert, reserve_ids
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.demo.tree import PROVINCE_CODE, gia_lai_communes
from dangvien.library.models import Document
from dangvien.meetings import demo_texts as texts
from dangvien.meetings.demo_plan import (
    Cell,
    CellPlan,
    Habit,
    PlannedMeeting,
    cell_meetings,
    committee_meetings,
    demo_months,
    plan_cells,
    plan_communes,
)
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    Comment,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Speech,
    Vote,
)
from dangvien.members.models import Member, Status
from dangvien.notifications.models import Notification
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind

# Who a cell's meeting expects (meetings.selectors: official and probationary members on the roll).
EXPECTED = (Status.OFFICIAL, Status.PROBATIONARY)
ELDERLY_AGE = 75
CHRONIC_ABSENTEES = 0.012  # members often absent, half the time without a reason
VOTE_CHANCE = 0.12  # a held regular meeting that records an open vote
WARNED = (3, 2)  # the logins' cell: two members with this many months of unexcused absence this year
COMMUNE_PATH = 2 * SEGMENT
# The minutes' absentees and agenda as fixed at approval: columns of meet-minutes' branch, filled
# when the model has them (the rows are the same either way).
_FIXED = {"fixed_absentees", "fixed_agenda"} <= {f.attname for f in Minutes._meta.concrete_fields}


class DemoMeetingsError(Exception):
    """The demo province is missing, or it has meetings already."""


@dataclass(slots=True)
class Person:
    pk: int
    cell: int
    official: bool
    admitted: dt.date
    birth_year: int
    smartphone: bool | None
    name: str
    sort_key: str
    chronic: bool = False


@dataclass
class Home:
    """What the demo logins see: their cell's next meeting and its last one held."""

    cell: str
    upcoming: dt.datetime | None = None
    held: dt.datetime | None = None
    warned: list[tuple[str, int]] = field(default_factory=list)  # (member, months of unexcused absence)


@dataclass
class Summary:
    kinds: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    registered_late: int = 0  # regular meetings registered after their month began
    invitations: int = 0
    attendance: Counter[str] = field(default_factory=Counter)  # status -> rows
    qr: int = 0
    minutes: Counter[str] = field(default_factory=Counter)
    speeches: int = 0
    votes: int = 0
    comments: int = 0
    month: dt.date | None = None  # the last whole month, whose figures follow
    cells: int = 0
    cells_held: int = 0
    communes: list[tuple[str, int, int]] = field(default_factory=list)  # (name, cells held, cells)
    habits: Counter[str] = field(default_factory=Counter)  # communes per habit
    home: Home | None = None


@dataclass
class _Logins:
    secretary: Any  # the demo cell secretary (bithu)
    member: Any  # the demo member (dangvien)
    commune: Any  # the home commune's committee officer (xa)
    home_cell: int | None
    home_commune: str | None


def demo_meetings_create(*, seed: str | int, replace: bool = False) -> Summary:
    """The demo province's meetings as they stand now, in one transaction."""
    # The hour, not the second: the same seed within the same hour gives the same rows.
    seed, now = str(seed), timezone.now().replace(minute=0, second=0, microsecond=0)
    province = Unit.objects.filter(code=PROVINCE_CODE, depth=0).first()
    if province is None:
        raise DemoMeetingsError("The demo province is missing: run `dangvien demo-data` first.")
    with transaction.atomic():
        existing = Meeting.objects.filter(unit__in=Unit.objects.filter(**subtree_filter(province.path)))
        if existing.exists():
            if not replace:
                raise DemoMeetingsError("The demo province has meetings already; run with --replace to make them "
                                        "again.")
            Notification.objects.filter(topic="meeting.invitation", unit__in=Unit.objects.filter(
                **subtree_filter(province.path))).delete()
            existing.delete()
        loader = _Loader(province, seed, now)
        summary = loader.run()
        audit_record(actor=None, action="meetings.demo", object_type="unit", object_id=province.pk,
                     unit_path=province.path,
                     after={"seed": seed, "now": now, "meetings": dict(sorted(summary.kinds.items())),
                            "statuses": dict(sorted(summary.statuses.items())), "invitations": summary.invitations,
                            "attendance": dict(sorted(summary.attendance.items())),
                            "minutes": dict(sorted(summary.minutes.items())), "speeches": summary.speeches,
                            "votes": summary.votes, "comments": summary.comments})
    return summary


class _Loader:
    def __init__(self, province: Unit, seed: str, now: dt.datetime):
        self.province, self.seed, self.now = province, seed, now
        self.today = timezone.localdate(now)
        self.months = demo_months(self.today)
        self.summary = Summary(month=self.months[-3])  # the last whole month
        self.rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in (
            Meeting, AgendaItem, Invitation, Attendance, Minutes, Speech, Vote, Comment, Attachment)}
        self.planned: list[tuple[PlannedMeeting, list[Person], dict[str, Any]]] = []
        # The logins' cell's nearest regular meeting to come, and those held: (id, plan, agenda).
        self._home_upcoming: tuple[int, PlannedMeeting, list[tuple[int, str, str]]] | None = None
        self._home_held: list[tuple[int, PlannedMeeting, list[tuple[int, str, str]]]] = []

    # --- reading ---------------------------------------------------------------------------------------

    def run(self) -> Summary:
        units = list(Unit.objects.filter(**subtree_filter(self.province.path)).order_by("path")
                     .values_list("id", "kind", "code", "name", "path", "parent_id"))
        self.names = {pk: name for pk, _kind, _code, name, _path, _parent in units}
        self.logins = _logins(self.province)
        people = self._people([pk for pk, kind, *_rest in units if kind in MEMBER_UNIT_KINDS])
        communes = {path: code for _pk, kind, code, _name, path, _parent in units if kind == UnitKind.COMMUNE}
        rural = {code: self.names[pk].startswith("Đảng bộ xã") for pk, kind, code, *_rest in units
                 if kind == UnitKind.COMMUNE}
        mountain = {f"{PROVINCE_CODE}-{c.ward_code}": c.mountain for c in gia_lai_communes()}
        cells_by_commune: dict[str, list[Cell]] = {}
        for pk, kind, code, name, path, parent in units:
            if kind in MEMBER_UNIT_KINDS and people.get(pk):
                cell = Cell(pk, code, name, self.names.get(parent, "") if parent else "")
                cells_by_commune.setdefault(communes[path[:COMMUNE_PATH]], []).append(cell)
        plans = plan_communes({code: mountain.get(code, False) for code in cells_by_commune}, seed=self.seed,
                              home=self.logins.home_commune)
        self.summary.habits.update(plan.habit.value for plan in plans.values())
        chairs: dict[int, tuple[Person, Person]] = {}
        for code in sorted(cells_by_commune):
            days = {c.unit_id: cell_meeting_day(self.seed, c.unit_id) for c in cells_by_commune[code]}
            for cell_plan in plan_cells(plans[code], cells_by_commune[code], seed=self.seed,
                                        home=self.logins.home_cell, meeting_days=days):
                chairs[cell_plan.cell.unit_id] = self._cell(cell_plan, people[cell_plan.cell.unit_id], rural[code])
        self._committees(units, plans, people, chairs)
        self._write()
        self._figures(units, communes)
        return self.summary

    def _people(self, cell_ids: list[int]) -> dict[int, list[Person]]:
        rows = (Member.objects.filter(unit_id__in=cell_ids, status__in=EXPECTED).order_by("pk")
                .values_list("pk", "unit_id", "status", "admission_date", "birth_year", "has_smartphone",
                             "full_name", "sort_key"))
        people: dict[int, list[Person]] = {}
        for pk, cell, status, admitted, born, phone, name, sort_key in rows:
            people.setdefault(cell, []).append(Person(pk, cell, status == Status.OFFICIAL, admitted, born, phone,
                                                      name, sort_key))
        return people

    # --- a cell -----------------------------------------------------------------------------------------

    def _cell(self, plan: CellPlan, members: list[Person], rural: bool) -> tuple[Person, Person]:
        """Plan the cell's meetings; return its secretary and the member who takes the minutes."""
        rng = random.Random(f"{self.seed}:meetings:people:{plan.cell.code}")
        for person in members:
            person.chronic = rng.random() < CHRONIC_ABSENTEES
        year = self.today.year
        leaders = [p for p in members if p.official and 30 <= year - p.birth_year <= 65] or members
        chair = rng.choice(leaders)
        clerk = rng.choice([p for p in members if p is not chair] or [chair])
        home = plan.cell.unit_id == self.logins.home_cell
        meetings = cell_meetings(plan, self.months, seed=self.seed, now=self.now, home=home)
        forced: dict[tuple[int, int], bool] = {}
        if home:
            forced = self._warnings(rng, members, meetings, chair, clerk)
        context = {"rng": rng, "plan": plan, "chair": chair, "clerk": clerk, "forced": forced, "home": home,
                   "residential": plan.evening, "rural": rural}
        for planned in meetings:
            invitees = [p for p in members if p.admitted <= planned.starts_at.date()]
            if invitees:
                self.planned.append((planned, invitees, context))
        return chair, clerk

    def _warnings(self, rng: random.Random, members: list[Person], meetings: list[PlannedMeeting],
                  chair: Person, clerk: Person) -> dict[tuple[int, int], bool]:
        """Two members of the logins' cell absent without reason from 3 and 2 regular meetings this
        year (the attendance warning), present or excused at every other one. Keyed by (member,
        meeting's start), since the meetings have no ids yet."""
        held = sorted({m.starts_at for m in meetings if m.kind == MeetingKind.REGULAR
                       and m.status == MeetingStatus.HELD and m.month.year == self.today.year})
        recorded = sorted({m.starts_at for m in meetings if m.attendance})
        member_id = getattr(self.logins.member, "member_id", None)
        candidates = [p for p in members if p.official and p not in (chair, clerk) and p.pk != member_id]
        chosen = rng.sample(candidates, min(len(WARNED), len(candidates)))
        forced: dict[tuple[int, int], bool] = {}
        home = Home(cell=self.names[chair.cell])
        for person, months in zip(chosen, WARNED, strict=False):
            person.chronic = False
            absent = set(rng.sample(held, min(months, len(held))))
            for starts in recorded:  # present at every other meeting, so the count is exact
                forced[(person.pk, int(starts.timestamp()))] = starts in absent
            home.warned.append((person.name, len(absent)))
        self.summary.home = home
        return forced

    # --- committees ---------------------------------------------------------------------------------

    def _committees(self, units: list[tuple], plans: dict[str, Any], people: dict[int, list[Person]],
                    chairs: dict[int, tuple[Person, Person]]) -> None:
        """The commune committees' and grassroots committees' monthly meetings: the committee is the
        cells' secretaries below it (and a few members when they are few)."""
        paths = {pk: path for pk, _kind, _code, _name, path, _parent in units}
        communes = {path: code for _pk, kind, code, _name, path, _parent in units if kind == UnitKind.COMMUNE}
        # The cells under each commune and each grassroots organization (one and two levels down).
        cells_under: dict[str, list[int]] = {}
        for cell in sorted(chairs):
            for depth in (COMMUNE_PATH, COMMUNE_PATH + SEGMENT):
                if len(paths[cell]) > depth:
                    cells_under.setdefault(paths[cell][:depth], []).append(cell)
        for pk, kind, code, name, path, _parent in units:
            if kind not in (UnitKind.COMMUNE, UnitKind.GRASSROOTS_COMMITTEE):
                continue
            commune = plans.get(communes.get(path[:COMMUNE_PATH], ""))
            below = cells_under.get(path, [])
            if commune is None or not below:
                continue
            rng = random.Random(f"{self.seed}:meetings:committee-people:{code}")
            # The demo member login stays a plain member, on no committee.
            plain = getattr(self.logins.member, "member_id", None)
            secretaries = [chairs[cell][0] for cell in below if chairs[cell][0].pk != plain]
            size = rng.randint(7, 11) if kind == UnitKind.COMMUNE else rng.randint(5, 9)
            committee = rng.sample(secretaries, min(size, len(secretaries)))
            if len(committee) < size:
                others = [p for cell in below for p in people[cell] if p not in committee and p.pk != plain]
                committee += rng.sample(others, min(size - len(committee), len(others)))
            committee.sort(key=lambda p: p.pk)
            context = {"rng": rng, "chair": committee[0], "clerk": committee[-1], "forced": {},
                       "home": path == self._home_commune_path(paths), "residential": False, "rural": False,
                       "unit_name": name, "plan": None}
            for planned in committee_meetings(pk, code, commune.habit, self.months, seed=self.seed, now=self.now):
                self.planned.append((planned, committee, context))

    def _home_commune_path(self, paths: dict[int, str]) -> str | None:
        cell = self.logins.home_cell
        return paths[cell][:COMMUNE_PATH] if cell in paths else None

    # --- rows -------------------------------------------------------------------------------------------

    def _write(self) -> None:
        """Number the meetings, agenda items and minutes, build every row, insert them in order."""
        ordered = sorted(self.planned, key=lambda item: (item[0].starts_at, item[0].unit_id, item[0].kind))
        meeting_ids = reserve_ids(Meeting, len(ordered))
        agendas = [self._agenda(planned, context) for planned, _people, context in ordered]
        agenda_ids = iter(reserve_ids(AgendaItem, sum(len(a) for a in agendas)))
        with_minutes = sum(1 for planned, *_rest in ordered if planned.minutes)
        minutes_ids = iter(reserve_ids(Minutes, with_minutes))
        for (planned, invitees, context), meeting_id, agenda in zip(ordered, meeting_ids, agendas, strict=True):
            items = [(next(agenda_ids), title, presenter) for title, presenter in agenda]
            marks = self._meeting(meeting_id, planned, invitees, context, items)
            if planned.minutes:
                self._minutes(next(minutes_ids), meeting_id, planned, invitees, marks, context, items)
        self._home_extras()
        for model, rows in self.rows.items():
            bulk_insert(model, rows)
        self.summary.invitations = len(self.rows[Invitation])
        self.summary.speeches = len(self.rows[Speech])
        self.summary.votes = len(self.rows[Vote])
        self.summary.comments = len(self.rows[Comment])

    def _agenda(self, planned: PlannedMeeting, context: dict[str, Any]) -> list[tuple[str, str]]:
        rng, chair = context["rng"], context["chair"].name
        if planned.kind == MeetingKind.REGULAR:
            titles = texts.regular_agenda(rng, planned.month, context["residential"])
            return [(title, chair if n == 0 else "") for n, title in enumerate(titles)]
        if planned.kind == MeetingKind.THEMATIC:
            return [(title, chair if n == 0 else "") for n, title in enumerate(texts.THEMATIC_AGENDA)]
        month, following = texts.month_label(planned.month), texts.next_month_label(planned.month)
        items = [texts.COMMITTEE_AGENDA[0].format(month=month, next=following)]
        items += rng.sample(texts.COMMITTEE_AGENDA[1:], 2)
        return [(title, chair if n == 0 else "") for n, title in enumerate(items)]

    def _meeting(self, pk: int, planned: PlannedMeeting, invitees: list[Person], context: dict[str, Any],
                 items: list[tuple[int, str, str]]) -> dict[int, dict[str, Any]]:
        """The meeting's row, agenda, invitations and attendance; the attendance by member."""
        home = context["home"]
        plan: CellPlan | None = context["plan"]
        if planned.kind == MeetingKind.REGULAR:
            topic, place = texts.regular_topic(planned.month), plan.place if plan else ""
        elif planned.kind == MeetingKind.THEMATIC:
            topic, place = texts.thematic_topic(planned.theme, planned.month), plan.place if plan else ""
        else:
            topic, place = (texts.committee_topic(context["unit_name"], planned.month),
                            texts.committee_place(context["unit_name"]))
        registrar = self._manager(context)
        held = planned.status == MeetingStatus.HELD
        self.rows[Meeting].append({
            "id": pk, "unit_id": planned.unit_id, "kind": planned.kind, "topic": topic, "place": place,
            "starts_at": planned.starts_at, "ends_at": planned.ends_at, "status": planned.status,
            "registered_at": planned.registered_at, "registered_by_id": getattr(registrar, "pk", None),
            "checkin_token": secrets.token_urlsafe(32), "held_at": planned.held_at,
            "cancelled_reason": planned.cancelled_reason,
            "version": 2 if held or planned.status == MeetingStatus.CANCELLED else 1})
        self.summary.kinds[planned.kind] += 1
        self.summary.statuses[planned.status] += 1
        if planned.kind == MeetingKind.REGULAR and not planned.on_time:
            self.summary.registered_late += 1
        if home and plan is not None and planned.kind == MeetingKind.REGULAR and self.summary.home is not None:
            if planned.status == MeetingStatus.SCHEDULED and planned.starts_at > self.now:
                self.summary.home.upcoming = min(self.summary.home.upcoming or planned.starts_at, planned.starts_at)
                if self._home_upcoming is None:  # the nearest: the meetings come in order of start
                    self._home_upcoming = (pk, planned, items)
            if held:
                self.summary.home.held = max(self.summary.home.held or planned.starts_at, planned.starts_at)
                self._home_held.append((pk, planned, items))
        for position, (item_id, title, presenter) in enumerate(items, start=1):
            self.rows[AgendaItem].append({"id": item_id, "meeting_id": pk, "position": position, "title": title,
                                          "presenter": presenter})
        self._invitations(pk, planned, invitees, context)
        if planned.attendance and planned.status != MeetingStatus.CANCELLED:
            return self._attendance(pk, planned, invitees, context)
        return {}

    def _manager(self, context: dict[str, Any]) -> Any:
        """Who registers and closes the logins' meetings: the cell's secretary, the commune's
        committee officer; nobody named elsewhere (the demo has no other logins)."""
        if not context["home"]:
            return None
        return self.logins.secretary if context["plan"] is not None else self.logins.commune

    def _invitations(self, pk: int, planned: PlannedMeeting, invitees: list[Person], context: dict[str, Any]) -> None:
        notified = planned.registered_at + dt.timedelta(minutes=1)
        reminder = planned.starts_at - dt.timedelta(hours=24)
        reminded = reminder if planned.registered_at < reminder <= self.now else None
        self.rows[Invitation] += [{"meeting_id": pk, "member_id": p.pk, "guest_name": "", "is_guest": False,
                                   "notified_at": notified, "reminded_at": reminded} for p in invitees]
        # The ward or commune officer in charge of the area comes to some residential cells' meetings.
        if context["residential"] and context["rng"].random() < 0.15:
            self.rows[Invitation].append({"meeting_id": pk, "member_id": None, "is_guest": True,
                                          "guest_name": "Đồng chí đảng ủy viên phụ trách địa bàn",
                                          "notified_at": notified, "reminded_at": reminded})

    def _attendance(self, pk: int, planned: PlannedMeeting, invitees: list[Person],
                    context: dict[str, Any]) -> dict[int, dict[str, Any]]:
        rng: random.Random = context["rng"]
        plan: CellPlan | None = context["plan"]
        presence = plan.presence if plan else 0.95
        qr_share = plan.qr_share if plan else 0.9
        offline = 0.15 if plan is not None and plan.habit is not Habit.APP else 0.05
        secretary = self._manager(context)
        member_user = self.logins.member
        key = int(planned.starts_at.timestamp())
        marks: dict[int, dict[str, Any]] = {}
        for person in invitees:
            age = planned.month.year - person.birth_year
            mine = member_user is not None and member_user.member_id == person.pk
            forced = context["forced"].get((person.pk, key))
            absent_chance = (1 - presence) * (2 if age >= ELDERLY_AGE else 1) * (4 if person.chronic else 1)
            absent = forced if forced is not None else (not mine and rng.random() < absent_chance)
            row: dict[str, Any] = {"meeting_id": pk, "member_id": person.pk, "checked_in_at": None,
                                   "idempotency_key": ""}
            if absent:
                unexcused = forced is True or (forced is None and rng.random() < (0.5 if person.chronic else 0.1))
                row.update(status=AttendanceStatus.UNEXCUSED if unexcused else AttendanceStatus.EXCUSED,
                           reason="" if unexcused else texts.absence_reason(rng, elderly=age >= ELDERLY_AGE,
                                                                             rural=context["rural"]),
                           method=CheckInMethod.SECRETARY, recorded_by_id=getattr(secretary, "pk", None),
                           recorded_at=planned.ends_at + dt.timedelta(minutes=rng.randint(5, 90)))
            elif mine or (person.smartphone is not False and (person.smartphone or rng.random() < 0.5)
                          and rng.random() < qr_share):
                scanned = planned.starts_at + dt.timedelta(minutes=rng.randint(-25, 15), seconds=rng.randint(0, 59))
                synced = scanned + (dt.timedelta(hours=rng.randint(1, 30)) if rng.random() < offline
                                    else dt.timedelta(seconds=rng.randint(1, 4)))
                row.update(status=AttendanceStatus.PRESENT, reason="", method=CheckInMethod.QR, checked_in_at=scanned,
                           recorded_at=min(synced, self.now), recorded_by_id=member_user.pk if mine else None,
                           idempotency_key=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
                self.summary.qr += 1
            else:  # no smartphone, or not scanned: the secretary marks them at the start
                row.update(status=AttendanceStatus.PRESENT, reason="", method=CheckInMethod.SECRETARY,
                           recorded_by_id=getattr(secretary, "pk", None),
                           recorded_at=planned.starts_at + dt.timedelta(minutes=rng.randint(5, 40)))
            self.rows[Attendance].append(row)
            self.summary.attendance[row["status"]] += 1
            marks[person.pk] = row
        return marks

    def _minutes(self, pk: int, meeting_id: int, planned: PlannedMeeting, invitees: list[Person],
                 marks: dict[int, dict[str, Any]], context: dict[str, Any], items: list[tuple[int, str, str]]) -> None:
        rng: random.Random = context["rng"]
        present = [p for p in invitees if marks.get(p.pk, {}).get("status") == AttendanceStatus.PRESENT]
        approved = planned.minutes == MinutesStatus.APPROVED
        chair, clerk = context["chair"], context["clerk"]
        role = "Bí thư Chi bộ" if planned.kind != MeetingKind.COMMITTEE else "Bí thư Đảng ủy"
        started = planned.starts_at + dt.timedelta(minutes=rng.randint(0, 10))
        if planned.kind == MeetingKind.REGULAR:
            conclusions = texts.conclusions(rng, planned.month, [t for _i, t, _p in items], len(present), len(invitees))
        elif planned.kind == MeetingKind.THEMATIC:
            conclusions = texts.thematic_conclusions(texts.thematic_topic(planned.theme, planned.month))
        else:
            conclusions = texts.committee_conclusions(planned.month)
        row = {
            "id": pk, "meeting_id": meeting_id, "status": planned.minutes, "started_at": started,
            "ended_at": planned.ends_at, "place": self.rows[Meeting][-1]["place"],
            "chair": f"{chair.name}, {role}", "secretary": clerk.name,
            # Present / total are fixed at approval (a draft reads the live attendance).
            "present_count": len(present) if approved else 0, "total_count": len(invitees) if approved else 0,
            "conclusions": conclusions, "approved_at": planned.held_at if approved else None,
            "approved_by_id": getattr(self._manager(context), "pk", None) if approved else None,
            "version": 2 if approved else 1}
        if _FIXED:
            absentees = sorted((p for p in invitees if p not in present), key=lambda p: (p.sort_key, p.pk))
            row["fixed_absentees"] = [{"member_id": p.pk, "name": p.name, "status": marks[p.pk]["status"],
                                       "reason": marks[p.pk]["reason"]} for p in absentees] if approved else []
            row["fixed_agenda"] = [{"id": i, "position": n, "title": t, "presenter": who}
                                   for n, (i, t, who) in enumerate(items, start=1)] if approved else []
        self.rows[Minutes].append(row)
        self.summary.minutes[planned.minutes] += 1
        self._speeches(pk, planned, present or invitees, context, items)
        if approved and present and planned.kind == MeetingKind.REGULAR and rng.random() < VOTE_CHANCE:
            self._vote(meeting_id, planned, len(present), items[0][0], context)

    def _speeches(self, minutes_id: int, planned: PlannedMeeting, present: list[Person], context: dict[str, Any],
                  items: list[tuple[int, str, str]]) -> None:
        rng: random.Random = context["rng"]
        chair = context["chair"]
        if planned.kind == MeetingKind.REGULAR:
            said = [(items[0][0], chair.name, texts.report_speech(planned.month, context["residential"]))]
            lines = texts.discussion(rng, context["residential"], rng.randint(2, 4))
        elif planned.kind == MeetingKind.THEMATIC:
            said = [(items[0][0], chair.name, "Trình bày nội dung chuyên đề và liên hệ với nhiệm vụ của chi bộ.")]
            lines = texts.discussion(rng, context["residential"], rng.randint(1, 3))
        else:
            said = [(items[0][0], chair.name, "Báo cáo tóm tắt tình hình, kết quả lãnh đạo của Đảng ủy trong tháng.")]
            lines = rng.sample(texts.COMMITTEE_SPEECHES, rng.randint(1, 3))
        for text in lines:
            said.append((rng.choice(items[1:] or items)[0], rng.choice(present).name, text))
        self.rows[Speech] += [{"minutes_id": minutes_id, "position": n, "agenda_item_id": item, "speaker": who,
                               "text": text} for n, (item, who, text) in enumerate(said, start=1)]

    def _vote(self, meeting_id: int, planned: PlannedMeeting, present: int, item_id: int,
              context: dict[str, Any]) -> None:
        rng: random.Random = context["rng"]
        abstentions = rng.choice((0, 0, 0, 1)) if present > 3 else 0
        self.rows[Vote].append({
            "meeting_id": meeting_id, "agenda_item_id": item_id, "question": texts.vote_question(rng, planned.month),
            "votes_for": present - abstentions, "votes_against": 0, "abstentions": abstentions,
            "recorded_at": planned.ends_at - dt.timedelta(minutes=10),
            "recorded_by_id": getattr(self._manager(context), "pk", None)})

    def _home_extras(self) -> None:
        """The demo member's opinions on the agenda of the next meeting and the last two held, the
        province's guidance attached to the next one, and its invitation in the member's inbox."""
        member, secretary = self.logins.member, self.logins.secretary
        upcoming, held = self._home_upcoming, self._home_held[-2:]
        if member is None or member.member_id is None:
            return
        opinions = ["Đề nghị chi bộ dành thời gian hướng dẫn đảng viên cao tuổi dùng Sổ tay đảng viên trên điện thoại.",
                    "Tôi đề nghị bổ sung nội dung thăm hỏi gia đình đảng viên có hoàn cảnh khó khăn trước Tết.",
                    "Đề nghị gửi báo cáo tháng trước buổi họp để đảng viên đọc trước và góp ý."]
        for (pk, planned, items), text in zip(held + ([upcoming] if upcoming else []), opinions, strict=False):
            written = max(planned.registered_at + dt.timedelta(hours=2),
                          min(planned.starts_at - dt.timedelta(days=1), self.now - dt.timedelta(hours=1)))
            self.rows[Comment].append({
                "meeting_id": pk, "agenda_item_id": items[-1][0] if len(items) > 1 else None, "attachment_id": None,
                "member_id": member.member_id, "author_id": member.pk, "text": text,
                "idempotency_key": "", "created_at": min(written, self.now)})
        if upcoming is None:
            return
        pk, planned, items = upcoming
        documents = Document.objects.filter(unit__in=Unit.objects.filter(**subtree_filter(self.province.path)))
        guidance = (documents.filter(kind="guidance").order_by("-published_on", "pk").first()
                    or documents.order_by("-published_on", "pk").first())
        if guidance is not None:
            self.rows[Attachment].append({
                "meeting_id": pk, "agenda_item_id": items[1][0] if len(items) > 1 else None, "title": guidance.title,
                "file": "", "file_name": "", "file_size": 0, "document_id": guidance.pk,
                "added_at": planned.registered_at + dt.timedelta(minutes=10),
                "added_by_id": getattr(secretary, "pk", None)})
        when = timezone.localtime(planned.starts_at).strftime("%H:%M %d/%m/%Y")
        unit_name = self.summary.home.cell if self.summary.home else ""
        meeting = next(r for r in self.rows[Meeting] if r["id"] == pk)
        Notification.objects.create(
            recipient=member, sender=secretary, topic="meeting.invitation",
            title=f"Giấy mời: họp thường kỳ (hằng tháng) của {unit_name}, {when}"[:200],
            body=f"Chủ đề: {meeting['topic']}\nĐịa điểm: {meeting['place']}\nThời gian: {when}",
            link=f"/meetings/{pk}/", unit_id=planned.unit_id)

    # --- the figures the command prints -------------------------------------------------------------

    def _figures(self, units: list[tuple], communes: dict[str, str]) -> None:
        """Cells holding a meeting in the app in the last whole month, per commune and in all."""
        month = self.summary.month
        assert month is not None
        held = {planned.unit_id for planned, _p, _c in self.planned
                if planned.status == MeetingStatus.HELD and planned.month == month}
        names = {path: name for _pk, kind, _code, name, path, _parent in units if kind == UnitKind.COMMUNE}
        counts: dict[str, list[int]] = {}
        for pk, kind, _code, _name, path, _parent in units:
            if kind in MEMBER_UNIT_KINDS:
                tally = counts.setdefault(path[:COMMUNE_PATH], [0, 0])
                tally[0] += pk in held
                tally[1] += 1
        self.summary.cells = sum(total for _held, total in counts.values())
        self.summary.cells_held = sum(n for n, _total in counts.values())
        self.summary.communes = sorted(((names[path], n, total) for path, (n, total) in counts.items()),
                                       key=lambda row: (row[1] / row[2], row[0]))


def _logins(province: Unit) -> _Logins:
    """The demo's cell secretary (their cell is the logins' cell), the member linked to a login in
    that cell, and the committee officer of its commune; None where the demo has none."""
    grants = list(RoleAssignment.objects.filter(user__is_active=True, **subtree_filter(province.path, "unit__path"))
                  .select_related("user", "unit").order_by("pk"))
    secretary = next((g for g in grants if g.role == Role.CELL_SECRETARY and g.unit is not None), None)
    if secretary is None or secretary.unit is None:
        return _Logins(None, None, None, None, None)
    cell = secretary.unit
    commune_path = cell.path[:COMMUNE_PATH]
    officer = next((g.user for g in grants if g.role == Role.COMMITTEE_OFFICER and g.unit is not None
                    and g.unit.path == commune_path), None)
    member = (User.objects.filter(is_active=True, member__unit=cell, member__status__in=EXPECTED)
              .order_by("pk").first())
    commune = Unit.objects.filter(path=commune_path).values_list("code", flat=True).first()
    return _Logins(secretary.user, member, officer, cell.pk, commune)
