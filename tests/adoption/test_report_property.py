"""For random trees, members, logins, handbook use and meetings, every unit's figures in the adoption
report equal a count of its subtree made here from the generated data (the rules written out again by
hand, independent of org.rollup and of the report's queries); so does the top unit's trend."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dangvien.adoption.periods import Period, add_months, local_midnight
from dangvien.adoption.reports import adoption_report, adoption_report_tree, adoption_trend
from dangvien.org.models import Unit, UnitKind
from tests.adoption.fixtures import ACTIVATED, bulk_accounts, bulk_activity, bulk_members, held_meeting
from tests.factories import system_admin

pytestmark = pytest.mark.django_db

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
ON_ROLL = {"official", "probationary", "exempted", "temporarily_out"}
USERS = {"official", "probationary", "temporarily_out"}

person = st.fixed_dictionaries({
    "status": st.sampled_from(["official", "official", "probationary", "exempted", "temporarily_out",
                               "transferred_out", "removed"]),
    "smartphone": st.sampled_from([True, False, None]),
    "account": st.sampled_from([None, "registered", "registered", "closed", "waiting"]),
    "used_2025": st.integers(0, 4095) | st.just(0),
    "used_2026": st.integers(0, 4095) | st.just(0),
})
# A meeting: (month of 2026, day, status); starts at 19:00 local time.
meeting = st.tuples(st.integers(1, 11), st.integers(1, 28), st.sampled_from(["held", "held", "scheduled", "cancelled"]))
# A unit: (its parent among the units before it, a cell or a committee, its people, its meetings).
tree = st.lists(st.tuples(st.integers(0, 10**6), st.booleans(), st.lists(person, max_size=3),
                          st.lists(meeting, max_size=2)), min_size=1, max_size=7)
periods = st.sampled_from([Period.month(2026, 11), Period.month(2026, 3), Period.quarter(2026, 2),
                           Period.year(2026), Period.custom(dt.date(2025, 11, 1), dt.date(2026, 2, 1))])


_P = {"status": "official", "smartphone": None, "account": "registered", "used_2025": 0, "used_2026": 0}


class Rollback(Exception):
    pass


def _build(spec):
    units: list[Unit] = []
    children: dict[int, int] = {}
    for index, (parent_pick, is_cell, people, meetings) in enumerate(spec):
        parent = units[parent_pick % index] if index else None
        if parent is None:
            path = "0900"
        else:
            children[parent.pk] = children.get(parent.pk, 0) + 1
            path = f"{parent.path}{children[parent.pk]:04d}"
        kind = UnitKind.CELL if is_cell else UnitKind.COMMUNE
        unit = Unit.objects.create(kind=kind, code=f"P{index}", name=f"Đơn vị {index}", parent=parent, path=path,
                                   depth=len(path) // 4 - 1)
        units.append(unit)
        for p in people if is_cell else []:
            ids = bulk_members(unit, 1, status=p["status"], has_smartphone=p["smartphone"])
            if p["account"]:
                bulk_accounts(ids, is_active=p["account"] != "closed", usable=p["account"] != "waiting")
            for year in (2025, 2026):
                if p[f"used_{year}"]:
                    bulk_activity(ids, year=year, months=p[f"used_{year}"])
        for month, day, status in meetings:
            held_meeting(unit, dt.datetime(2026, month, day, 19, 0, tzinfo=HCM), status=status)
    return units


def _used(p: dict, months: list[dt.date]) -> bool:
    return any(p[f"used_{m.year}"] >> (m.month - 1) & 1 for m in months)


def _held(meetings: list, months: list[dt.date]) -> bool:
    return any(status == "held" and dt.date(2026, month, 1) in months for month, _day, status in meetings)


def _expected(spec, units, unit: Unit, period: Period) -> tuple:
    """(members, target, registered, active, cells, held, half, most) of `unit`'s subtree, from the spec."""
    months = period.months
    totals = [0] * 8
    for u, (_pick, is_cell, people, meetings) in zip(units, spec, strict=True):
        if not u.path.startswith(unit.path) or not is_cell:
            continue
        on_roll = [p for p in people if p["status"] in ON_ROLL]
        active = sum(_used(p, months) for p in on_roll)
        totals[0] += len(on_roll)
        totals[1] += sum(p["status"] in USERS and p["smartphone"] is not False for p in on_roll)
        totals[2] += sum(p["account"] == "registered" for p in on_roll)
        totals[3] += active
        totals[4] += 1
        totals[5] += _held(meetings, months)
        totals[6] += bool(on_roll) and 2 * active >= len(on_roll)
        totals[7] += bool(on_roll) and 5 * active >= 4 * len(on_roll)
    return tuple(totals)


def _reported(f) -> tuple:
    return f.members, f.target, f.registered, f.active, f.cells, f.cells_held, f.cells_half, f.cells_most


def _expected_trend(spec, period: Period) -> list[tuple]:
    points = []
    for month in period.trend_months():
        end = local_midnight(add_months(month, 1))
        registered = active = held = 0
        for _pick, is_cell, people, meetings in spec:
            if not is_cell:
                continue
            on_roll = [p for p in people if p["status"] in ON_ROLL]
            registered += sum(p["account"] == "registered" for p in on_roll) if ACTIVATED < end else 0
            active += sum(_used(p, [month]) for p in on_roll)
            held += _held(meetings, [month])
        points.append((month, registered, active, held))
    return points


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=tree, period=periods)
# A cell below a cell (the tree allows it): each counts its own members for the thresholds.
@example(spec=[(0, True, [_P | {"used_2026": 1 << 10}, _P], []), (0, True, [_P], [(11, 5, "held")])],
         period=Period.month(2026, 11))
def test_every_unit_equals_a_count_of_its_subtree(db, spec, period):
    admin = system_admin()
    try:
        with transaction.atomic():
            units = _build(spec)
            whole = adoption_report_tree(admin, units[0], period)
            assert _reported(whole.figures) == _expected(spec, units, units[0], period)
            assert len(whole.rows) == len(units) - 1
            for row in whole.rows:
                assert _reported(row.figures) == _expected(spec, units, row.unit, period), row.unit.code
            for unit in units:
                report = adoption_report(admin, unit, period)
                assert _reported(report.figures) == _expected(spec, units, unit, period)
                assert {r.unit.pk: _reported(r.figures) for r in report.rows} == {
                    child.pk: _expected(spec, units, child, period) for child in units if child.parent_id == unit.pk}
            trend = adoption_trend(admin, units[0], period)
            assert [(p.month, p.registered, p.active, p.cells_held) for p in trend] == _expected_trend(spec, period)
            raise Rollback
    except Rollback:
        pass
