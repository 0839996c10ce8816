"""Progress reports of a card exchange campaign at every level of the unit tree (docs/campaign-reports.md).

A unit's figures cover its whole subtree: the eligible members still in the campaign ("counted"),
how many have done each pipeline step (cumulative: a member who has the card has done every step),
the headline "completed" (the campaign's headline step done), the remaining, and those on hold
("cannot complete now", not completed yet). They come from ONE GROUP BY of the counted participants
by (cell, steps done, hold) through org.rollup (grouped again by the children's paths in the
database for a unit and its children; with one query of the subtree's units for every unit),
whatever the depth of the tree. The actor's scope filters the rows (campaign.selectors): an
officer's report holds their own subtree only.

The pace: a campaign plans a straight line from nothing on its start to every eligible member on
its deadline. A unit whose completed share is below that line today is behind the pace ("lagging":
highlighted, and a manager may urge it). The daily progress counts the headline step's records per
day; the projected completion date extends the rate of the last RECENT_DAYS days.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db.models import Count, QuerySet

from dangvien.campaign.formatting import format_share, percent
from dangvien.campaign.models import STEPS, Campaign, Participant, StepRecord, step_number
from dangvien.campaign.selectors import participants_within_for
from dangvien.core.scope import subtree_filter
from dangvien.members.validation import today
from dangvien.org.models import Unit
from dangvien.org.rollup import Rollup, rollup

RECENT_DAYS = 14  # the window of the rate a projection extends


@dataclass(frozen=True)
class Figures:
    """One unit's counts over its subtree."""

    eligible: int = 0
    done: tuple[int, ...] = (0,) * len(STEPS)  # done[k - 1]: members with step k done
    on_hold: int = 0
    headline: int = step_number("confirmed")  # the step that counts as completed (its number)
    precision: int = 2

    # completed / eligible × 100 at the campaign's precision, rounded half up (None: no one eligible);
    # computed once, as ranking compares it many times.
    percent: Decimal | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", percent(self.completed, self.eligible, self.precision))

    @property
    def completed(self) -> int:
        return self.done[self.headline - 1]

    @property
    def remaining(self) -> int:
        return self.eligible - self.completed

    def share(self, language: str | None = None) -> str:
        """ "138,263/141,794 = 97.51%" in the language (the active one by default)."""
        return format_share(self.completed, self.eligible, self.precision, language)


def figures_of(counts: dict[Any, int], campaign: Campaign) -> Figures:
    """Figures from a unit's rolled-up counts keyed by (stage, hold)."""
    headline = step_number(campaign.headline_step)
    at_stage = [0] * (len(STEPS) + 1)
    on_hold = 0
    for (stage, hold), n in counts.items():
        at_stage[stage] += n
        if hold and stage < headline:
            on_hold += n
    done, running = [0] * len(STEPS), 0
    for stage in range(len(STEPS), 0, -1):
        running += at_stage[stage]
        done[stage - 1] = running
    return Figures(eligible=running + at_stage[0], done=tuple(done), on_hold=on_hold, headline=headline,
                   precision=campaign.precision)


class UnitRef(NamedTuple):
    """A unit as the whole-tree report shows it: the columns, not a model object (building thousands
    of Unit objects was most of a province export's time)."""

    pk: int
    code: str
    name: str
    kind: str
    path: str
    depth: int
    parent_id: int | None


UNIT_REF_FIELDS = ("id", "code", "name", "kind", "path", "depth", "parent_id")


@dataclass
class UnitRow:
    unit: Unit | UnitRef  # a model object in the report of a unit and its children
    figures: Figures
    rank: int | None = None  # among its siblings by percentage (ties share a rank); None: no one eligible
    behind: bool = False  # completed share below the campaign's planned line today
    level: int = 0  # below the report's unit (the whole-tree variant)


@dataclass
class CampaignReport:
    campaign: Campaign
    unit: Unit  # the unit reported on
    figures: Figures  # its own totals
    rows: list[UnitRow]  # its children ranked (or, for the whole tree, every unit in tree order)
    day: dt.date  # the figures are as of this day
    planned: Decimal  # the share (%) the planned line asks for on `day`
    behind: bool = False  # the unit itself is behind the pace

    @property
    def lagging(self) -> list[UnitRow]:
        return [row for row in self.rows if row.behind]


# --- the pace ------------------------------------------------------------------------------------


def planned_share(campaign: Campaign, day: dt.date) -> Decimal:
    """The share (%) of the eligible members the straight line from start to deadline asks for by the
    end of `day`: 0 before the start, 100 from the deadline on."""
    length = (campaign.deadline - campaign.start).days + 1
    elapsed = min(max((day - campaign.start).days + 1, 0), length)
    return (Decimal(100 * elapsed) / Decimal(length)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_behind(figures: Figures, campaign: Campaign, day: dt.date) -> bool:
    """Below the planned line: completed × total days < eligible × days elapsed (exact integers)."""
    return _behind(figures, _pace(campaign, day))


def _pace(campaign: Campaign, day: dt.date) -> tuple[int, int] | None:
    """(total days, days elapsed by the end of `day`) of the planned line; None once closed."""
    if campaign.closed_on is not None:
        return None
    length = (campaign.deadline - campaign.start).days + 1
    return length, min(max((day - campaign.start).days + 1, 0), length)


def _behind(figures: Figures, pace: tuple[int, int] | None) -> bool:
    if not figures.eligible or pace is None:
        return False
    return figures.completed * pace[0] < figures.eligible * pace[1]


# --- the counts ----------------------------------------------------------------------------------


def counted_participants(actor: Any, campaign: Campaign, unit: Unit | None = None) -> QuerySet[Participant]:
    """The participants the campaign's figures count (eligible, still in it) that the actor sees,
    within `unit`'s subtree (the campaign's by default)."""
    # The conditions of the partial report index, written as its own (SQLite uses a partial index only
    # for a query that repeats its condition's terms).
    return participants_within_for(actor, campaign, unit or campaign.unit).filter(eligible=True, left_on__isnull=True)


def _counts(actor: Any, campaign: Campaign, unit: Unit, *, down_to: int | None = None,
            paths: dict[int, str] | None = None) -> Rollup:
    """Counts by (stage, hold) for every unit of `unit`'s subtree, rolled up: one GROUP BY. With
    down_to, only to this depth (a report of a unit and its children need not fill the levels
    below): the database groups by the units' ancestors at that depth, and no paths are read.
    Without it, by unit, with `paths` (every unit of the subtree: the caller has them)."""
    return rollup(counted_participants(actor, campaign, unit), keys=("stage", "hold"), unit_field="unit",
                  paths=paths, down_to=down_to)


def _ranked(rows: list[UnitRow]) -> list[UnitRow]:
    """Siblings by percentage, highest first (ties: the same rank, then by path); none eligible last."""
    ordered = sorted(rows, key=lambda r: (r.figures.percent is None, -(r.figures.percent or 0), r.unit.path))
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(ordered, start=1):
        if row.figures.percent is None:
            continue
        if row.figures.percent != previous:
            rank, previous = position, row.figures.percent
        row.rank = rank
    return ordered


def campaign_report(actor: Any, campaign: Campaign, unit: Unit | None = None,
                    day: dt.date | None = None) -> CampaignReport:
    """The report of `unit` (the campaign's by default) and its children, ranked. The caller has
    checked that the actor may see the unit (campaign.selectors.campaign_unit_for)."""
    unit = unit or campaign.unit
    day = day or today()
    counts = _counts(actor, campaign, unit, down_to=unit.depth + 1)
    children = list(Unit.objects.filter(parent=unit).defer("sort_key"))
    pace = _pace(campaign, day)
    rows = [_row(child, counts, campaign, pace) for child in children]
    figures = figures_of(counts.at(unit), campaign)
    return CampaignReport(campaign=campaign, unit=unit, figures=figures, rows=_ranked(rows), day=day,
                          planned=planned_share(campaign, day), behind=is_behind(figures, campaign, day))


def unit_figures(actor: Any, campaign: Campaign, unit: Unit) -> Figures:
    """One unit's own figures (what urging it checks)."""
    return figures_of(_counts(actor, campaign, unit, down_to=unit.depth).at(unit), campaign)


def campaign_report_tree(actor: Any, campaign: Campaign, unit: Unit | None = None,
                         day: dt.date | None = None) -> CampaignReport:
    """Every unit of `unit`'s subtree in tree order (the exports), each ranked among its siblings."""
    unit = unit or campaign.unit
    day = day or today()
    # The units shown are the path query too, as plain rows.
    units = list(map(UnitRef._make, Unit.objects.filter(**subtree_filter(unit.path)).order_by("path")
                     .values_list(*UNIT_REF_FIELDS)))
    counts = _counts(actor, campaign, unit, paths={u.pk: u.path for u in units})
    pace = _pace(campaign, day)
    rows = {u.path: _row(u, counts, campaign, pace, level=u.depth - unit.depth) for u in units}
    siblings: dict[int | None, list[UnitRow]] = {}
    for row in rows.values():
        siblings.setdefault(row.unit.parent_id, []).append(row)
    for group in siblings.values():
        _ranked(group)
    root = rows.pop(unit.path)
    return CampaignReport(campaign=campaign, unit=unit, figures=root.figures, rows=list(rows.values()), day=day,
                          planned=planned_share(campaign, day), behind=root.behind)


def _row(unit: Unit | UnitRef, counts: Rollup, campaign: Campaign, pace: tuple[int, int] | None,
         level: int = 1) -> UnitRow:
    figures = figures_of(counts.at(unit.path), campaign)
    return UnitRow(unit=unit, figures=figures, behind=_behind(figures, pace), level=level)


# --- daily progress ------------------------------------------------------------------------------


@dataclass
class Progress:
    """Completions of the headline step per day over a unit's subtree, and where that leads."""

    campaign: Campaign
    eligible: int
    start: dt.date
    day: dt.date  # the last day shown (today, or the deadline once past it)
    cumulative: list[tuple[dt.date, int]] = field(default_factory=list)  # every day from start to `day`
    rate: Decimal = Decimal(0)  # completions a day over the last RECENT_DAYS days
    needed: Decimal | None = None  # completions a day from tomorrow to the deadline to finish on time
    projected: dt.date | None = None  # when the recent rate completes everyone (None: no rate)

    @property
    def completed(self) -> int:
        return self.cumulative[-1][1] if self.cumulative else 0

    @property
    def remaining(self) -> int:
        return max(self.eligible - self.completed, 0)

    @property
    def on_pace(self) -> bool:
        return not self.remaining or (self.projected is not None and self.projected <= self.campaign.deadline)


def campaign_progress(actor: Any, campaign: Campaign, unit: Unit | None = None, *, eligible: int,
                      day: dt.date | None = None) -> Progress:
    """The daily progress of `unit`'s subtree (the campaign's by default): one GROUP BY of the step
    records by day. `eligible` is the unit's figure from its report (the line the chart aims at)."""
    unit = unit or campaign.unit
    day = day or today()
    step = campaign.headline_step
    per_day = dict(StepRecord.objects.filter(
        step=step, participant__in=counted_participants(actor, campaign, unit).values("id"), day__lte=day)
        .order_by().values_list("day").annotate(n=Count("*")).values_list("day", "n"))
    first = min([campaign.start, *per_day])
    cumulative, running = [], 0
    for offset in range((day - first).days + 1):
        current = first + dt.timedelta(days=offset)
        running += per_day.get(current, 0)
        cumulative.append((current, running))
    progress = Progress(campaign=campaign, eligible=eligible, start=first, day=day, cumulative=cumulative)
    recent = sum(n for d, n in per_day.items() if (day - d).days < RECENT_DAYS)
    progress.rate = (Decimal(recent) / RECENT_DAYS).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    remaining = progress.remaining
    days_left = (campaign.deadline - day).days
    if remaining and days_left > 0:
        progress.needed = (Decimal(remaining) / days_left).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if not remaining:
        progress.projected = max((d for d, n in per_day.items() if n), default=day)
    elif recent:
        progress.projected = day + dt.timedelta(days=math.ceil(remaining * RECENT_DAYS / recent))
    return progress

