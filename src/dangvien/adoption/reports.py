"""The handbook adoption report at every level of the unit tree (docs/adoption.md).

A unit's figures cover its whole subtree:
- members on the roll; handbook accounts registered, of them and of the target (handbook.counting:
  the same rules as the cell secretary's roster);
- cells, and cells that held at least one meeting in the app in the period (a HELD meeting that
  starts in it: the meetings contract), against the goal of 80%;
- members active in the period (used the handbook in one of its months: adoption.models), and the
  cells where at least half / four fifths of the members were active.

Counted through org.rollup, the one rollup engine, by cell: one GROUP BY of the members on the roll
with two measures (members, handbook users), one of those with a registered account (a flag the
database keeps on the member row), one of the handbook users marked as without a smartphone (the
target is the users less these), one of the active members, and
the cells that held a meeting; each cell's threshold flags are worked out from its own counts and
summed up the tree by the same engine (org.rollup.summed). The subtree's units are read once, as
plain rows. Whatever the depth of the tree and the length of the period, a report is seven queries
(docs/adoption.md). The trend (monthly: accounts registered by each month's end, members active,
cells that held a meeting) is three more, for the report's unit, one conditional count a month each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from dangvien.adoption.periods import Period, add_months, local_midnight, month_bit, months_by_year
from dangvien.adoption.selectors import (
    accounts_within_for,
    activity_within_for,
    held_meetings_within_for,
    members_within_for,
)
from dangvien.campaign.formatting import format_share, percent
from dangvien.core.scope import subtree_filter
from dangvien.handbook.counting import handbook_user_q, no_smartphone_q, registered_member_q
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit
from dangvien.org.rollup import Rollup, rollup, summed

DEFAULT_PRECISION = 0  # whole percents, as the press and the committees write them ("84%", "104%")
HELD_GOAL = 80  # % of the cells holding their meetings in the app (the source article's goal)
ACTIVE_THRESHOLDS = (50, 80)  # % of a cell's members active: the two bars the report counts cells over


@dataclass(frozen=True)
class Figures:
    """One unit's counts over its subtree."""

    members: int = 0  # on the roll
    target: int = 0  # handbook users not marked as without a smartphone
    registered: int = 0  # members on the roll with a registered account
    active: int = 0  # members on the roll who used the handbook in the period
    cells: int = 0
    cells_held: int = 0  # cells with at least one meeting held in the app in the period
    cells_half: int = 0  # cells with members, at least 50% of them active
    cells_most: int = 0  # cells with members, at least 80% of them active
    precision: int = DEFAULT_PRECISION

    def _share(self, done: int, total: int, language: str | None) -> str:
        return format_share(done, total, self.precision, language)

    def _percent(self, done: int, total: int) -> Decimal | None:
        return percent(done, total, self.precision)

    # "48,597/57,597 = 84%" in the language (the active one by default); "0/0 = —" of nothing.
    def registered_share(self, language: str | None = None) -> str:
        return self._share(self.registered, self.members, language)

    def target_share(self, language: str | None = None) -> str:
        return self._share(self.registered, self.target, language)

    def held_share(self, language: str | None = None) -> str:
        return self._share(self.cells_held, self.cells, language)

    def active_share(self, language: str | None = None) -> str:
        return self._share(self.active, self.members, language)

    def half_share(self, language: str | None = None) -> str:
        return self._share(self.cells_half, self.cells, language)

    def most_share(self, language: str | None = None) -> str:
        return self._share(self.cells_most, self.cells, language)

    @property
    def registered_percent(self) -> Decimal | None:
        return self._percent(self.registered, self.members)

    @property
    def target_percent(self) -> Decimal | None:
        return self._percent(self.registered, self.target)

    @property
    def held_percent(self) -> Decimal | None:
        return self._percent(self.cells_held, self.cells)

    @property
    def active_percent(self) -> Decimal | None:
        return self._percent(self.active, self.members)

    @property
    def held_goal_met(self) -> bool:
        """At least HELD_GOAL% of the cells held a meeting in the app (exact integers)."""
        return bool(self.cells) and 100 * self.cells_held >= HELD_GOAL * self.cells

    def active_at_least(self, share: int) -> bool:
        """At least `share`% of the members on the roll were active (exact integers; not without members)."""
        return bool(self.members) and 100 * self.active >= share * self.members

    @property
    def half_active(self) -> bool:
        return self.active_at_least(ACTIVE_THRESHOLDS[0])

    @property
    def mostly_active(self) -> bool:
        return self.active_at_least(ACTIVE_THRESHOLDS[1])


class UnitRef(NamedTuple):
    """A unit as the report shows it: the columns, not a model object."""

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
    unit: Unit | UnitRef
    figures: Figures
    level: int = 1  # below the report's unit (the whole-tree variant)


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date  # its first day
    registered: int  # accounts registered by the month's end (of today's members on the roll)
    cells_held: int  # cells that held a meeting in the app in the month
    active: int  # members on the roll who used the handbook in the month
    partial: bool = False  # the month is not over yet


@dataclass
class AdoptionReport:
    unit: Unit
    period: Period
    figures: Figures  # the unit's own
    rows: list[UnitRow]  # its children (or, for the whole tree, every unit below it in tree order)
    as_of: dt.datetime = field(default_factory=timezone.now)

    @property
    def children_half(self) -> int:
        """Child units where at least half the members were active."""
        return sum(row.figures.half_active for row in self.rows if row.level == 1)

    @property
    def children_most(self) -> int:
        return sum(row.figures.mostly_active for row in self.rows if row.level == 1)

    @property
    def children(self) -> int:
        return sum(row.level == 1 for row in self.rows)


# --- the counts ------------------------------------------------------------------------------------


def _active_rows(actor: Any, unit: Unit, masks: dict[int, int]) -> QuerySet:
    """Handbook use rows of the subtree's members on the roll with a bit of the period's months.
    Within one year the test is on the row's own columns (the index (year, unit, months) answers it
    alone); across years, each year's rows with its own months."""
    if len(masks) == 1:
        [(year, mask)] = masks.items()
        hit: Any = F("months").bitand(mask)
    else:
        hit = Case(*[When(year=year, then=F("months").bitand(mask)) for year, mask in masks.items()],
                   default=Value(0), output_field=IntegerField())
    return activity_within_for(actor, unit, sorted(masks)).annotate(period_hit=hit).filter(period_hit__gt=0)


@dataclass
class _Counts:
    members: Rollup  # "members" on the roll, of them handbook "users"
    registered: Rollup  # members on the roll with a registered account
    no_phone: Rollup  # handbook users marked as without a smartphone
    active: Rollup
    cells: Rollup  # by "cells", "held", "half", "most"


def _counts(actor: Any, unit: Unit, period: Period, units: list[UnitRef]) -> _Counts:
    """Every count of every unit of the subtree: three GROUP BYs by cell and the held meetings' cells."""
    paths = {u.pk: u.path for u in units}
    members = members_within_for(actor, unit)
    # Members and handbook users in one pass by cell over the members' (unit, status) index (the users
    # counted by their unit, a column of the index: counted by id, PostgreSQL read the table); the
    # members with a registered account from their own partial index (the flag the database keeps
    # from the logins: handbook.counting.registered_member_q), with no join to the logins.
    by_cell = rollup(members, paths=paths, measures={"members": Count("*"), "users": Count("unit", filter=handbook_user_q())})
    registered = rollup(members.filter(registered_member_q()), paths=paths)
    # The target is the handbook users less those marked as without a smartphone (handbook.counting):
    # a few percent of the members, read from their own partial index.
    no_phone = rollup(members.filter(handbook_user_q(), no_smartphone_q()), paths=paths)
    masks = period.year_masks()
    # One row a member and year: a period within a year counts rows, one across years members.
    measure = Count("member", distinct=True) if len(masks) > 1 else None
    active = rollup(_active_rows(actor, unit, masks), measure=measure, paths=paths)
    held = set(held_meetings_within_for(actor, unit, period.start, period.end)
               .order_by().values_list("unit_id", flat=True).distinct())
    below: dict[int, list[str]] = {}
    for u in units:
        if u.parent_id is not None:
            below.setdefault(u.parent_id, []).append(u.path)
    own: dict[str, dict[str, int]] = {}
    for cell in units:
        if cell.kind not in MEMBER_UNIT_KINDS:
            continue
        # The cell's own members (the rollup's counts cover its subtree: a cell's party groups hold
        # none, but the tree does not forbid a cell below a cell).
        on_roll = by_cell.at(cell.path).get("members", 0) - sum(by_cell.at(p).get("members", 0)
                                                                for p in below.get(cell.pk, ()))
        used = active.total(cell.path) - sum(active.total(p) for p in below.get(cell.pk, ()))
        half, most = (int(bool(on_roll) and 100 * used >= share * on_roll) for share in ACTIVE_THRESHOLDS)
        own[cell.path] = {"cells": 1, "held": int(cell.pk in held), "half": half, "most": most}
    return _Counts(members=by_cell, registered=registered, no_phone=no_phone, active=active, cells=summed(own))


def _figures(counts: _Counts, path: str, precision: int) -> Figures:
    members = counts.members.at(path)
    cells = counts.cells.at(path)
    return Figures(members=members.get("members", 0), target=members.get("users", 0) - counts.no_phone.total(path),
                   registered=counts.registered.total(path), active=counts.active.total(path),
                   cells=cells.get("cells", 0), cells_held=cells.get("held", 0), cells_half=cells.get("half", 0),
                   cells_most=cells.get("most", 0), precision=precision)


def _subtree_units(unit: Unit) -> list[UnitRef]:
    units = Unit.objects.filter(**subtree_filter(unit.path))
    return list(map(UnitRef._make, units.order_by("path").values_list(*UNIT_REF_FIELDS)))


def adoption_report(actor: Any, unit: Unit, period: Period, *,
                    precision: int = DEFAULT_PRECISION) -> AdoptionReport:
    """The report of `unit` and its children for the period. The caller has checked that the actor
    sees the unit (adoption.selectors.adoption_unit_for)."""
    units = _subtree_units(unit)
    counts = _counts(actor, unit, period, units)
    rows = [UnitRow(unit=u, figures=_figures(counts, u.path, precision)) for u in units if u.parent_id == unit.pk]
    return AdoptionReport(unit=unit, period=period, figures=_figures(counts, unit.path, precision), rows=rows)


def adoption_report_tree(actor: Any, unit: Unit, period: Period, *,
                         precision: int = DEFAULT_PRECISION) -> AdoptionReport:
    """Every unit of `unit`'s subtree in tree order, each with its figures (the XLSX)."""
    units = _subtree_units(unit)
    counts = _counts(actor, unit, period, units)
    rows = [UnitRow(unit=u, figures=_figures(counts, u.path, precision), level=u.depth - unit.depth)
            for u in units if u.pk != unit.pk]
    return AdoptionReport(unit=unit, period=period, figures=_figures(counts, unit.path, precision), rows=rows)


# --- the trend -------------------------------------------------------------------------------------


def adoption_trend(actor: Any, unit: Unit, period: Period) -> list[TrendPoint]:
    """Month by month over the trend's months (period.trend_months): three queries, each one
    conditional count a month over the unit's subtree."""
    months = period.trend_months()
    ends = [local_midnight(add_months(month, 1)) for month in months]
    starts = [local_midnight(month) for month in months]
    accounts = accounts_within_for(actor, unit)
    registered = accounts.aggregate(**{f"m{i}": Count("pk", filter=Q(activated_at__lt=end))
                                       for i, end in enumerate(ends)})
    held = held_meetings_within_for(actor, unit, starts[0], ends[-1]).aggregate(**{
        f"m{i}": Count("unit", distinct=True, filter=Q(starts_at__gte=start, starts_at__lt=end))
        for i, (start, end) in enumerate(zip(starts, ends, strict=True))})
    bits = {f"b{i}": F("months").bitand(month_bit(month)) for i, month in enumerate(months)}
    rows = activity_within_for(actor, unit, sorted(months_by_year(months))).annotate(**bits)
    active = rows.aggregate(**{f"m{i}": Count("pk", filter=Q(year=month.year, **{f"b{i}__gt": 0}))
                               for i, month in enumerate(months)})
    now = timezone.now()
    return [TrendPoint(month=month, registered=registered[f"m{i}"], cells_held=held[f"m{i}"],
                       active=active[f"m{i}"], partial=ends[i] > now) for i, month in enumerate(months)]
