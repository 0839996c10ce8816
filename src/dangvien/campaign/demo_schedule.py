"""How the demo province's card exchange campaign went, planned in memory (no database): which
communes are done, on track or lagging, which discrepancies their officers resolved, and for every
counted member the pipeline steps done so far with their dates.

Pure functions of their inputs and the demo seed, so that `make demo` gives the same campaign every
time for the same calendar day. Everything is keyed by stable values (commune codes, member ids, cell
ids), never by participant ids, which the database numbers anew on each run.

The story it tells (docs/campaign-demo.md):
- the campaign began on a Monday ten weeks before today; the deadline is the end of the month at
  least three weeks ahead;
- a few communes are done (every counted member confirmed), most are between 85 and 99%, two or
  three lag well behind the pace the deadline needs (they started late and go slowly);
- each member's steps follow one another a few days apart, weekends are quiet, the records go to
  the Central Organizing Committee on the commune's weekly sending day, the cards come back two or
  three weeks later and are handed over at the cell's monthly meeting;
- the elderly, the exempted and the members marked sick or disabled (home visits) come late;
- some members cannot complete now (abroad, in hospital...);
- a member the reconciliation left unresolved (not linked, or a discrepancy still open) stops
  before the comparison with the population database.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from dangvien.campaign.models import STEPS, Care, HoldReason, Step, step_number

CAMPAIGN_WEEKS = 10  # the campaign began this many weeks before today (on that week's Monday)
MIN_WEEKS_LEFT = 3  # the deadline: the end of the month at least this many weeks ahead
ELDERLY_AGE = 75
HEADLINE = step_number(Step.CONFIRMED)
COMPARED = step_number(Step.COMPARED)

SATURDAY, SUNDAY = 5, 6


class Pace(enum.StrEnum):
    DONE = "done"  # every counted member confirmed, a while ago
    ON_TRACK = "on_track"  # 85 to 99% confirmed
    LAGGING = "lagging"  # started late, goes slowly: well behind the deadline's pace


@dataclass(frozen=True)
class CommunePlan:
    code: str
    pace: Pace
    target: float  # the share of its counted members confirmed by today
    start: dt.date  # the Monday its working group began
    send_weekday: int  # the weekday its confirmed records go to the Central Organizing Committee
    # The demo logins' commune keeps its discrepancies open: the reconciliation pages show them.
    keeps_discrepancies: bool = False


@dataclass(frozen=True)
class Person:
    """A counted participant as the schedule sees it."""

    participant_id: int
    member_id: int  # the stable key: seeds each member's draw
    commune: str  # the commune's code
    cell: int  # the cell's id: its monthly meeting hands the cards over
    hard: bool = False  # elderly or exempted: collected late, often at home
    blocked: bool = False  # the reconciliation left the member unresolved


@dataclass(frozen=True)
class Hold:
    reason: str
    note: str


@dataclass
class Schedule:
    steps: list[tuple[int, str, dt.date]] = field(default_factory=list)  # (participant, step, day)
    holds: dict[int, Hold] = field(default_factory=dict)  # participant -> why it cannot complete now
    care: dict[int, str] = field(default_factory=dict)  # participant -> sick / disabled

    def stages(self) -> Counter[int]:
        """participant -> steps done."""
        return Counter(participant for participant, _step, _day in self.steps)


# --- the campaign's dates and the communes' paces -------------------------------------------------


def campaign_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """(start, deadline): the Monday ten weeks back; the last day of the month three weeks ahead."""
    back = today - dt.timedelta(weeks=CAMPAIGN_WEEKS)
    start = back - dt.timedelta(days=back.weekday())
    ahead = today + dt.timedelta(weeks=MIN_WEEKS_LEFT)
    first_of_next = (ahead.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return start, first_of_next - dt.timedelta(days=1)


def plan_communes(
    communes: Iterable[str], *, seed: str, start: dt.date, home: str | None = None,
    unlinked: Iterable[str] = (),
) -> dict[str, CommunePlan]:
    """A pace for each populated commune. `home`: the demo logins' commune (on track, its
    discrepancies kept open); `unlinked`: communes with members the reconciliation could not link
    (no correction fixes that, so they cannot be done)."""
    codes = sorted(set(communes))
    rng = random.Random(f"{seed}:campaign:communes")
    unlinked = set(unlinked)
    done_count = max(1, round(len(codes) * 0.04)) if len(codes) >= 3 else 0
    lagging_count = 3 if len(codes) >= 30 else 2 if len(codes) >= 8 else 1 if len(codes) >= 3 else 0
    free = [c for c in codes if c != home]
    lagging = set(rng.sample(free, min(lagging_count, len(free))))
    can_finish = [c for c in free if c not in lagging and c not in unlinked]
    done = set(rng.sample(can_finish, min(done_count, len(can_finish))))
    plans = {}
    for code in codes:
        pace = Pace.DONE if code in done else Pace.LAGGING if code in lagging else Pace.ON_TRACK
        weeks_late, target = {
            Pace.DONE: (0, 1.0),
            Pace.ON_TRACK: (rng.choice((0, 0, 1, 1, 2)), round(rng.uniform(0.85, 0.99), 3)),
            Pace.LAGGING: (rng.choice((3, 4)), round(rng.uniform(0.3, 0.45), 3)),
        }[pace]
        plans[code] = CommunePlan(code=code, pace=pace, target=target, start=start + dt.timedelta(weeks=weeks_late),
                                  send_weekday=rng.randint(1, 4), keeps_discrepancies=code == home)
    return plans


# --- the discrepancies the officers resolved --------------------------------------------------------


@dataclass(frozen=True)
class OpenDiscrepancy:
    commune: str
    member_id: int
    field: str
    kind: str


def discrepancies_to_accept(
    plans: Mapping[str, CommunePlan], open_ones: Iterable[OpenDiscrepancy], counted: Mapping[str, int], *, seed: str,
) -> list[tuple[str, str, str]]:
    """(commune, field, kind) the officers corrected in bulk during the campaign: everything in the
    communes that are done; in those on track, everything but perhaps one kind, left open when its
    members fit in half of what the commune has left to do; nothing in the lagging communes (part of
    why they lag) nor in the demo logins' commune."""
    members: dict[tuple[str, str, str], set[int]] = {}
    for d in open_ones:
        members.setdefault((d.commune, d.field, d.kind), set()).add(d.member_id)
    by_commune: dict[str, list[tuple[str, str, str]]] = {}
    for key in sorted(members):
        by_commune.setdefault(key[0], []).append(key)
    accepted = []
    for commune, kinds in sorted(by_commune.items()):
        plan = plans.get(commune)
        if plan is None or plan.pace is Pace.LAGGING or plan.keeps_discrepancies:
            continue
        if plan.pace is Pace.ON_TRACK:
            rng = random.Random(f"{seed}:campaign:discrepancies:{commune}")
            left_open = rng.choice(kinds)
            if len(members[left_open]) <= (1 - plan.target) * counted.get(commune, 0) / 2:
                kinds = [k for k in kinds if k != left_open]
        accepted.extend(kinds)
    return accepted


# --- each member's steps -----------------------------------------------------------------------------

HOLD_REASONS: list[tuple[str, float, tuple[str, ...]]] = [
    (HoldReason.ABROAD, 0.3, ("Lao động tại Hàn Quốc đến tháng 6/2027", "Đi thăm con tại Úc",
                              "Học tập tại Nhật Bản", "Lao động tại Đài Loan (Trung Quốc)")),
    (HoldReason.HOSPITAL, 0.25, ("Điều trị tại Bệnh viện Đa khoa tỉnh Gia Lai", "Điều trị tại Bệnh viện Chợ Rẫy",
                                 "Điều trị dài ngày tại Bệnh viện Trung ương Quy Hòa")),
    (HoldReason.AWAY, 0.3, ("Đi làm ăn xa tại Thành phố Hồ Chí Minh", "Công tác dài ngày tại Đắk Lắk",
                            "Đi rẫy xa, chưa về thôn")),
    (HoldReason.NO_CITIZEN_ID, 0.15, ("Chưa có căn cước gắn chip, đã hẹn Công an xã",)),
]


def schedule(persons: Iterable[Person], plans: Mapping[str, CommunePlan], *, seed: str, today: dt.date) -> Schedule:
    """Every counted member's steps up to today, their care marks and holds, commune by commune."""
    by_commune: dict[str, list[Person]] = {}
    for person in persons:
        by_commune.setdefault(person.commune, []).append(person)
    result = Schedule()
    for code, people in sorted(by_commune.items()):
        _CommuneRun(plans[code], sorted(people, key=lambda p: p.member_id), seed, today, result).run()
    return result


def cell_meeting_day(seed: str, cell: int) -> int:
    """The day of the month (3 to 12) of a cell's regular monthly meeting in the demo, from the seed
    and the cell's id: the campaign hands the cards over there, and the demo meetings
    (meetings.demo) hold it on that day."""
    return random.Random(f"{seed}:campaign:meeting:{cell}").randint(3, 12)


class _CommuneRun:
    """One commune's members through the pipeline (its own random stream: communes do not shift
    one another's draws)."""

    def __init__(self, plan: CommunePlan, people: list[Person], seed: str, today: dt.date, out: Schedule):
        self.plan, self.people, self.seed, self.today, self.out = plan, people, seed, today, out
        self.rng = random.Random(f"{seed}:campaign:{plan.code}")
        # The first confirmations come a few days after the group starts; a done commune finished
        # one to three weeks ago.
        self.first = min(plan.start + dt.timedelta(days=3), today)
        self.last = today - dt.timedelta(days=self.rng.randint(7, 21)) if plan.pace is Pace.DONE else today
        self.last = max(self.last, self.first)

    def run(self) -> None:
        hard = {p.member_id for p in self.people if p.hard}
        for person in self.people:
            if self.rng.random() < (0.08 if person.hard else 0.006):
                self.out.care[person.participant_id] = Care.SICK if self.rng.random() < 0.7 else Care.DISABLED
                hard.add(person.member_id)
        held = {p.member_id for p in self.people if not p.blocked and self._holds(p)}
        candidates = [p for p in self.people if not p.blocked and p.member_id not in held]
        # The hard cases come last: a lower draw for them.
        weights = {p.member_id: self.rng.random() * (0.3 if p.member_id in hard else 1.0) for p in candidates}
        wanted = len(self.people) if self.plan.pace is Pace.DONE else round(self.plan.target * len(self.people))
        ranked = sorted(candidates, key=lambda p: (-weights[p.member_id], p.member_id))
        completed = {p.member_id for p in ranked[:wanted]}
        for person in self.people:
            if person.member_id in completed:
                self._completed(person)
            else:
                self._partial(person, held=person.member_id in held)

    def _holds(self, person: Person) -> bool:
        if self.plan.pace is Pace.DONE or self.rng.random() >= (0.02 if self.plan.pace is Pace.LAGGING else 0.012):
            return False
        reason, _share, notes = self.rng.choices(HOLD_REASONS, [share for _reason, share, _notes in HOLD_REASONS])[0]
        self.out.holds[person.participant_id] = Hold(reason, self.rng.choice(notes))
        return True

    def _completed(self, person: Person) -> None:
        shape = {Pace.DONE: (2.0, 2.0), Pace.ON_TRACK: (1.8, 1.3), Pace.LAGGING: (1.1, 1.0)}[self.plan.pace]
        span = (self.last - self.first).days + 1
        confirmed = self._within(self._working_day(
            lambda: self.first + dt.timedelta(days=int(span * self.rng.betavariate(*shape)))))
        days = self._backwards(confirmed, HEADLINE)
        # Then in batches: the commune's weekly sending day, production, the cell's monthly meeting.
        sent = confirmed + dt.timedelta(days=(self.plan.send_weekday - confirmed.weekday() - 1) % 7 + 1)
        produced = self._next_weekday(sent + dt.timedelta(days=self.rng.randint(10, 18)))
        handed = self._cell_meeting(person.cell, produced + dt.timedelta(days=2))
        for day in (sent, produced, handed):
            if day > self.today:  # not happened yet
                break
            days.append(day)
        self._record(person, days)

    def _partial(self, person: Person, *, held: bool) -> None:
        if person.blocked:  # stopped before the comparison, most after the photo
            stage = self.rng.choices((0, 1, 2), (0.1, 0.15, 0.75))[0]
        elif held:
            stage = self.rng.choices((0, 1), (0.6, 0.4))[0]
        elif self.plan.pace is Pace.LAGGING:
            stage = self.rng.choices((0, 1, 2, 3), (0.5, 0.2, 0.2, 0.1))[0]
        else:
            stage = self.rng.choices((0, 1, 2, 3), (0.25, 0.25, 0.25, 0.25))[0]
        if stage == 0:
            return
        # The latest step in the last three weeks (the photo of a blocked member any time).
        recent = self.first if person.blocked else max(self.first, self.today - dt.timedelta(days=21))
        latest = self._working_day(lambda: recent + dt.timedelta(days=self.rng.randint(0, (self.today - recent).days)))
        self._record(person, self._backwards(self._within(latest), stage))

    def _backwards(self, day: dt.date, stage: int) -> list[dt.date]:
        """The dates of the first `stage` steps, the last on `day`, each a few days before the next
        (declaring and the photo often in one session), none before the commune's start."""
        gaps = {1: (0, 0, 1, 2, 3, 5, 7), 2: (0, 0, 0, 1, 2, 4), 3: (0, 0, 1, 1, 2, 3)}
        days = [day]
        for number in range(stage - 1, 0, -1):
            earlier = self._working_day(functools.partial(self._days_before, days[0], gaps[number]))
            days.insert(0, self._within(earlier))
        return days

    def _days_before(self, day: dt.date, gaps: tuple[int, ...]) -> dt.date:
        return day - dt.timedelta(days=self.rng.choice(gaps))

    def _working_day(self, draw: Callable[[], dt.date]) -> dt.date:
        """A day from `draw`, drawn again (a few times at most) when it falls on a weekend most of
        the time: some work is done on Saturdays, little on Sundays."""
        day = draw()
        for _ in range(5):
            quiet = {SATURDAY: 0.7, SUNDAY: 0.85}.get(day.weekday(), 0.0)
            if self.rng.random() >= quiet:
                break
            day = draw()
        return day

    def _within(self, day: dt.date) -> dt.date:
        """Not before the commune's start (a weekend moved back could fall before it)."""
        return max(day, self.plan.start)

    @staticmethod
    def _next_weekday(day: dt.date) -> dt.date:
        return day + dt.timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= SATURDAY else day

    def _cell_meeting(self, cell: int, after: dt.date) -> dt.date:
        """The cell's first regular monthly meeting on or after `after` (each cell has its day)."""
        meeting_day = cell_meeting_day(self.seed, cell)
        day = after.replace(day=meeting_day)
        if day < after:
            day = (after.replace(day=1) + dt.timedelta(days=32)).replace(day=meeting_day)
        return day

    def _record(self, person: Person, days: list[dt.date]) -> None:
        self.out.steps.extend((person.participant_id, STEPS[i], day) for i, day in enumerate(days))
