"""How the demo province's party cells took to holding their meetings in the app, planned in memory
(no database): each commune's habit, each cell's, and every meeting of the last months with when it
was registered and how far it got (scheduled, minutes in draft, held, cancelled).

Pure functions of their inputs, the demo seed and the moment given as "now", so that `make demo`
gives the same meetings every time for the same moment's day and hour. Everything is keyed by stable
values (unit codes and ids from the demo generator, which numbers them the same for a seed), each
commune and each cell drawing from its own random stream, so one unit never shifts another's draws.

The story it tells (docs/meetings-demo.md):
- the app came six months ago; most wards and lowland communes took it up at once: nearly every
  cell registers its monthly meeting before the month starts and runs it in the app (attendance,
  minutes approved);
- some communes only partly: part of their cells use it, some of those miss months or register the
  meeting and never close it in the app;
- a few mountain communes hardly at all (weak coverage, few smartphones): a third of their cells
  at most, and late;
- so the share of cells holding a meeting in the app varies from about 30% to 100% between
  communes, and the province lands near the 80% goal, not exactly on it; it grew month by month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils import timezone

from dangvien.meetings.models import MeetingKind, MeetingStatus, MinutesStatus

HISTORY_MONTHS = 6  # whole months before the current one with meetings (the app came then)
THEMATIC_CHANCE = 0.22  # a month in which a cell using the app also holds a thematic meeting
CANCEL_CHANCE = 0.015  # a meeting put off (storm, flood, a funeral in the village) and held days later
RESIDENTIAL = ("Tổ dân phố", "Thôn", "Làng", "Xóm", "Khu phố")


class Habit(enum.StrEnum):
    APP = "app"  # nearly every cell registers on time and runs everything in the app
    PARTIAL = "partial"  # part of the cells, some of them irregularly
    HARDLY = "hardly"  # mountain communes: a few cells at most


# (share of the commune's cells that use the app, chance a month is held in it once a cell started,
# chance a regular meeting is registered on time, share of present members with a smartphone who
# scan the code, chance a month missed in the app still shows a meeting registered and never closed)
_HABITS: dict[Habit, tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float],
                           float]] = {
    Habit.APP: ((0.92, 1.0), (0.94, 1.0), (0.82, 0.98), (0.75, 0.92), 0.5),
    Habit.PARTIAL: ((0.7, 0.92), (0.85, 0.97), (0.5, 0.8), (0.45, 0.75), 0.35),
    Habit.HARDLY: ((0.3, 0.5), (0.9, 1.0), (0.25, 0.55), (0.2, 0.45), 0.15),
}
# The month (index from HISTORY_MONTHS back) from which a cell uses the app: most from the start.
_FIRST_MONTHS = {Habit.APP: (0, 0, 0, 0, 0, 0, 0, 1, 1, 2), Habit.PARTIAL: (0, 0, 0, 1, 1, 2, 2, 3, 4),
                 Habit.HARDLY: (1, 2, 3, 3, 4, 5)}
_COMMITTEE_CHANCE = {Habit.APP: 0.95, Habit.PARTIAL: 0.7, Habit.HARDLY: 0.3}


@dataclass(frozen=True)
class CommunePlan:
    code: str
    habit: Habit
    share: float  # of its cells, those that use the app


@dataclass(frozen=True)
class Cell:
    """A cell as the plan sees it."""

    unit_id: int
    code: str
    name: str  # "Chi bộ Tổ dân phố 5"
    parent_name: str  # its grassroots committee's, or its commune's for a grassroots cell


@dataclass(frozen=True)
class CellPlan:
    cell: Cell
    habit: Habit
    uses_app: bool
    first_month: int  # index into the months from which it uses the app
    reliability: float
    on_time: float
    qr_share: float
    registers_only: float
    presence: float  # the cell's usual share of members present
    meeting_day: int  # the day of the month of its regular meeting
    evening: bool  # a residential cell meets at 19:30, an institution's at 14:00
    place: str


@dataclass(frozen=True)
class PlannedMeeting:
    """One meeting and how far it got."""

    unit_id: int
    kind: str
    month: dt.date  # the first day of its month
    starts_at: dt.datetime
    ends_at: dt.datetime
    registered_at: dt.datetime
    status: str  # MeetingStatus
    minutes: str  # "", MinutesStatus.DRAFT or APPROVED
    held_at: dt.datetime | None = None  # the minutes' approval
    attendance: bool = False  # taken (a past meeting run in the app)
    cancelled_reason: str = ""
    theme: int = 0  # which thematic topic (meetings.demo_texts)

    @property
    def on_time(self) -> bool:
        return self.registered_at < month_start(self.month)


# --- months and moments -----------------------------------------------------------------------------


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def demo_months(today: dt.date) -> list[dt.date]:
    """The first days of the months planned: HISTORY_MONTHS back, this month, and next month (only
    registered ahead)."""
    this = today.replace(day=1)
    return [add_months(this, n) for n in range(-HISTORY_MONTHS, 2)]


def month_start(month: dt.date) -> dt.datetime:
    """The first instant of the month in the site's time zone (the meetings' "on time" bound)."""
    return at(month, 0, 0)


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# --- communes -------------------------------------------------------------------------------------------


def plan_communes(communes: Mapping[str, bool], *, seed: str, home: str | None = None) -> dict[str, CommunePlan]:
    """A habit for each populated commune (code -> whether it is a mountain commune). `home`: the
    demo logins' commune, which uses the app. With three communes or more there is at least one of
    each habit, so that a small demo shows the variation too."""
    rng = random.Random(f"{seed}:meetings:communes")
    codes = sorted(communes)
    habits: dict[str, Habit] = {}
    for code in codes:
        draw = rng.random()
        if communes[code]:
            habits[code] = Habit.HARDLY if draw < 0.22 else Habit.PARTIAL
        else:
            habits[code] = Habit.PARTIAL if draw < 0.12 else Habit.APP
    if home in habits:
        habits[home] = Habit.APP
    others = [c for c in codes if c != home]
    if len(codes) >= 3:
        for wanted in (Habit.HARDLY, Habit.PARTIAL):
            counts = Counter(habits.values())
            if counts[wanted]:
                continue
            # A commune whose habit another one shares, the mountain communes first.
            spare = sorted((c for c in others if counts[habits[c]] > 1), key=lambda c: (not communes[c], c))
            if spare:
                habits[spare[0]] = wanted
    plans = {}
    for code in codes:
        low, high = _HABITS[habits[code]][0]
        plans[code] = CommunePlan(code, habits[code], round(rng.uniform(low, high), 3))
    return plans


# --- cells ----------------------------------------------------------------------------------------------


def plan_cells(commune: CommunePlan, cells: Iterable[Cell], *, seed: str, home: int | None = None,
               meeting_days: Mapping[int, int]) -> list[CellPlan]:
    """Each cell's habit within its commune: round(share × cells) of them use the app (the demo
    logins' cell always, every month from the start, on time)."""
    cells = sorted(cells, key=lambda c: c.code)
    rng = random.Random(f"{seed}:meetings:cells:{commune.code}")
    wanted = max(1, round(commune.share * len(cells))) if cells else 0
    users = {c.unit_id for c in rng.sample(cells, wanted)}
    if home is not None and any(c.unit_id == home for c in cells) and home not in users:
        users.discard(min(users - {home}, default=-1))
        users.add(home)
    shares, reliability, on_time, qr, registers_only = _HABITS[commune.habit]
    plans = []
    for cell in cells:
        is_home = cell.unit_id == home
        evening = _residential(cell.name)
        plans.append(CellPlan(
            cell=cell, habit=commune.habit, uses_app=cell.unit_id in users,
            first_month=0 if is_home else rng.choice(_FIRST_MONTHS[commune.habit]),
            reliability=1.0 if is_home else rng.uniform(*reliability),
            on_time=1.0 if is_home else rng.uniform(*on_time),
            qr_share=max(0.9, rng.uniform(*qr)) if is_home else rng.uniform(*qr),
            registers_only=registers_only,
            presence=rng.uniform(0.86, 0.95) if commune.habit is not Habit.HARDLY else rng.uniform(0.8, 0.9),
            meeting_day=meeting_days[cell.unit_id], evening=evening, place=cell_place(cell)))
    return plans


def _residential(name: str) -> bool:
    return name.removeprefix("Chi bộ ").startswith(RESIDENTIAL)


def cell_place(cell: Cell) -> str:
    """Where a cell meets: the village's or residential group's cultural house, or the meeting room
    of the institution its cell belongs to."""
    own = cell.name.removeprefix("Chi bộ ")
    parent = cell.parent_name.removeprefix("Đảng bộ ").removeprefix("Chi bộ ")
    if own.startswith(RESIDENTIAL):
        return f"Nhà văn hóa {parent if own.startswith('Xóm') else own}"
    if cell.parent_name.startswith("Đảng bộ xã") or cell.parent_name.startswith("Đảng bộ phường"):
        return f"Phòng họp {own}"  # a grassroots cell: the institution is the cell's own
    return f"Phòng họp {parent}"


# --- a cell's meetings ----------------------------------------------------------------------------------


def cell_meetings(plan: CellPlan, months: list[dt.date], *, seed: str, now: dt.datetime,
                  home: bool = False) -> list[PlannedMeeting]:
    """The cell's meetings in `months` (demo_months: the last one is only registered ahead)."""
    rng = random.Random(f"{seed}:meetings:plan:{plan.cell.code}")
    out: list[PlannedMeeting] = []
    last = len(months) - 1
    for index, month in enumerate(months):
        in_app = plan.uses_app and index >= plan.first_month and rng.random() < plan.reliability
        registers_only = not in_app and rng.random() < plan.registers_only * (1.0 if plan.uses_app else 0.4)
        thematic = in_app and index < last and rng.random() < THEMATIC_CHANCE
        cancelled = rng.random() < CANCEL_CHANCE and not home
        theme = rng.randrange(1_000)
        if in_app or registers_only:
            day = dt.date(month.year, month.month, plan.meeting_day)
            out += _regular(plan, rng, month, day, now, in_app=in_app, cancelled=cancelled, force=home)
        if thematic:
            day = dt.date(month.year, month.month, rng.randint(15, 26))
            meeting = _one(plan, rng, MeetingKind.THEMATIC, month, day, now, in_app=True,
                           registered=_ahead(rng, day, plan), theme=theme)
            if meeting is not None:
                out.append(meeting)
    return out


def _regular(plan: CellPlan, rng: random.Random, month: dt.date, day: dt.date, now: dt.datetime, *, in_app: bool,
             cancelled: bool, force: bool) -> list[PlannedMeeting]:
    """The month's regular meeting; put off, it is cancelled and held a few days later (registered
    again that day)."""
    on_time = rng.random() < plan.on_time
    registered = _on_time(rng, month) if on_time else _late(rng, month, day, plan)
    if force and registered > now:  # the demo logins' cell registers next month's meeting already
        registered = min(registered, now - dt.timedelta(hours=3))
    meeting = _one(plan, rng, MeetingKind.REGULAR, month, day, now, in_app=in_app, registered=registered)
    if meeting is None:
        return []
    if not (cancelled and in_app and meeting.ends_at < now):
        return [meeting]
    put_off = meeting.starts_at - dt.timedelta(hours=rng.randint(4, 30))
    later = day + dt.timedelta(days=rng.randint(3, 7))
    cancelled_one = PlannedMeeting(
        unit_id=meeting.unit_id, kind=meeting.kind, month=month, starts_at=meeting.starts_at,
        ends_at=meeting.ends_at, registered_at=meeting.registered_at, status=MeetingStatus.CANCELLED, minutes="",
        cancelled_reason=rng.choice(CANCEL_REASONS))
    if later.month != month.month:
        return [cancelled_one]
    replacement = _one(plan, rng, MeetingKind.REGULAR, month, later, now, in_app=True,
                       registered=max(put_off, meeting.registered_at + dt.timedelta(minutes=5)))
    return [cancelled_one] + ([replacement] if replacement is not None else [])


CANCEL_REASONS = ("Hoãn do mưa lớn, đường vào thôn bị ngập", "Hoãn do ảnh hưởng của bão",
                  "Hoãn để đảng viên tham gia lễ tang trong khu dân cư",
                  "Hoãn theo đề nghị của Đảng ủy để tham gia hội nghị trực tuyến")


def _one(plan: CellPlan, rng: random.Random, kind: str, month: dt.date, day: dt.date, now: dt.datetime, *,
         in_app: bool, registered: dt.datetime, theme: int = 0) -> PlannedMeeting | None:
    """A meeting on `day` at the cell's hour, as far as it got by `now`; None when the secretary
    has not registered it yet."""
    starts = at(day, 19, 30) if plan.evening else at(day, 14, 0)
    ends = starts + dt.timedelta(minutes=rng.choice((90, 105, 120, 150)))
    if registered > now:
        return None
    scheduled = PlannedMeeting(unit_id=plan.cell.unit_id, kind=kind, month=month, starts_at=starts, ends_at=ends,
                               registered_at=registered, status=MeetingStatus.SCHEDULED, minutes="", theme=theme)
    if ends > now or not in_app:  # to come, or registered and never run in the app
        return scheduled
    return _run(rng, now, scheduled)


def _run(rng: random.Random, now: dt.datetime, scheduled: PlannedMeeting) -> PlannedMeeting:
    """A past meeting run in the app: attendance taken, minutes written, approved a few days later
    (the latest meetings still partly in draft)."""
    ends = scheduled.ends_at
    age = now - ends
    draft_chance = 0.7 if age < dt.timedelta(days=3) else 0.4 if age < dt.timedelta(days=7) else \
        0.15 if age < dt.timedelta(days=14) else 0.0
    approved = ends + dt.timedelta(hours=rng.randint(1, 96), minutes=rng.randint(0, 59))
    if rng.random() < draft_chance or approved > now:
        return dataclasses.replace(scheduled, minutes=MinutesStatus.DRAFT, attendance=True)
    return dataclasses.replace(scheduled, status=MeetingStatus.HELD, minutes=MinutesStatus.APPROVED, held_at=approved,
                               attendance=True)


def _on_time(rng: random.Random, month: dt.date) -> dt.datetime:
    """Registered in the last twelve days before the month, in office or evening hours."""
    day = month - dt.timedelta(days=rng.randint(1, 12))
    return at(day, rng.choice((8, 9, 10, 14, 15, 16, 20, 21)), rng.randint(0, 59))


def _late(rng: random.Random, month: dt.date, day: dt.date, plan: CellPlan) -> dt.datetime:
    """Registered after the month began, at the latest the day before the meeting (or its morning)."""
    latest = max(0, (day - month).days - 1)
    when = month + dt.timedelta(days=rng.randint(0, latest))
    return at(when, rng.choice((7, 8, 9, 10)), rng.randint(0, 59))


def _ahead(rng: random.Random, day: dt.date, plan: CellPlan) -> dt.datetime:
    """A thematic meeting is registered five to fifteen days ahead."""
    return at(day - dt.timedelta(days=rng.randint(5, 15)), rng.choice((8, 9, 14, 15, 20)), rng.randint(0, 59))


# --- committees -----------------------------------------------------------------------------------------


def committee_meetings(unit_id: int, code: str, habit: Habit, months: list[dt.date], *, seed: str,
                       now: dt.datetime) -> list[PlannedMeeting]:
    """A committee's monthly meeting (a commune's standing committee, a grassroots organization's
    executive committee) in the first days of the month, in the morning, run in the app as often as
    its commune runs its cells' meetings there."""
    rng = random.Random(f"{seed}:meetings:committee:{code}")
    day_of_month = rng.randint(1, 5)
    first = rng.choice(_FIRST_MONTHS[habit])
    out = []
    for index, month in enumerate(months):
        if index < first or rng.random() >= _COMMITTEE_CHANCE[habit]:
            continue
        day = dt.date(month.year, month.month, day_of_month)
        starts = at(day, rng.choice((7, 8)), 30)
        ends = starts + dt.timedelta(minutes=rng.choice((120, 150, 180)))
        registered = at(day - dt.timedelta(days=rng.randint(3, 10)), rng.choice((8, 9, 14, 15)), rng.randint(0, 59))
        if registered > now:
            continue
        scheduled = PlannedMeeting(unit_id=unit_id, kind=MeetingKind.COMMITTEE, month=month, starts_at=starts,
                                   ends_at=ends, registered_at=registered, status=MeetingStatus.SCHEDULED, minutes="")
        out.append(scheduled if ends > now else _run(rng, now, scheduled))
    return out
