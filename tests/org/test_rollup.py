"""org.rollup: counts per unit summed up the tree, checked against direct counts of each subtree."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangvien.core.scope import SEGMENT
from dangvien.members.models import Member, Status
from dangvien.org.models import Unit, UnitKind
from dangvien.org.rollup import rollup, summed

pytestmark = pytest.mark.django_db

STATUSES = [Status.OFFICIAL, Status.PROBATIONARY, Status.EXEMPTED, Status.DECEASED]


def build_tree(parents: list[int | None]) -> list[Unit]:
    """Units whose i-th has parent parents[i] (an earlier unit's index, or None for a root)."""
    units: list[Unit] = []
    children: Counter = Counter()
    for i, parent_index in enumerate(parents):
        parent = units[parent_index] if parent_index is not None else None
        children[parent_index] += 1
        number = children[parent_index]
        # Roots from 9001 on: apart from the test world's province (0001).
        path = parent.path + str(number).zfill(SEGMENT) if parent else str(9000 + number)
        units.append(Unit.objects.create(kind=UnitKind.CELL, code=f"R{i}", name=f"Unit {i}", parent=parent,
                                         path=path, depth=len(path) // SEGMENT - 1))
    return units


def add_members(units: list[Unit], placements: list[tuple[int, int]]) -> None:
    Member.objects.bulk_create([
        Member(unit=units[u % len(units)], status=STATUSES[s], full_name=f"Người {n}", sex="M", birth_year=1970,
               admission_date=dt.date(2000, 1, 1), search_name=f" nguoi {n}", sort_key=f"{n:08d}")
        for n, (u, s) in enumerate(placements)])


@st.composite
def forests(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    parents: list[int | None] = []
    for i in range(size):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None)
    placements = draw(st.lists(st.tuples(st.integers(0, 100), st.integers(0, len(STATUSES) - 1)), max_size=60))
    return parents, placements


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forest=forests())
def test_every_unit_equals_a_direct_count_of_its_subtree(db, forest):
    parents, placements = forest
    with transaction.atomic():
        units = build_tree(parents)
        add_members(units, placements)
        counts = rollup(Member.objects.filter(unit__in=units), keys=["status"])
        for unit in units:
            direct = Counter(status for status, path in Member.objects.filter(unit__in=units)
                             .values_list("status", "unit__path") if path.startswith(unit.path))
            assert counts.at(unit) == direct, unit.path
            assert counts.total(unit) == sum(direct.values())
        transaction.set_rollback(True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forest=forests(), depth=st.integers(0, 4), phones=st.lists(st.sampled_from([None, True, False]), max_size=60))
def test_grouped_in_the_database_at_a_depth_equals_the_rollup_by_unit(db, forest, depth, phones):
    """down_to groups by the units' ancestors at that depth in the database (two levels of GROUP BY):
    the same counts as the GROUP BY by unit rolled up, at every unit down to that depth, none below."""
    parents, placements = forest
    with transaction.atomic():
        units = build_tree(parents)
        add_members(units, placements)
        for member, phone in zip(Member.objects.order_by("pk"), phones, strict=False):
            member.has_smartphone = phone
            member.save(update_fields=["has_smartphone"])
        rows = Member.objects.filter(unit__in=units)
        for keys in (["status"], ["status", "has_smartphone"], []):
            by_unit = rollup(rows, keys=keys)
            at_depth = rollup(rows, keys=keys, down_to=depth)
            for unit in units:
                if unit.depth <= depth:
                    assert at_depth.at(unit) == by_unit.at(unit), (keys, unit.path)
                else:
                    assert unit.path not in at_depth.by_path
            # Several measures in one GROUP BY: each the same as its own rollup, by unit and at a depth.
            measures = {"all": Count("*"), "phones": Count("pk", filter=Q(has_smartphone=True)),
                        "born": Sum("birth_year")}
            for together in (rollup(rows, keys=keys, measures=measures),
                             rollup(rows, keys=keys, measures=measures, down_to=depth)):
                for name, measure in measures.items():
                    alone = rollup(rows, keys=keys, measure=measure)
                    for path in together.by_path:
                        mine = {k[:-1] if len(keys) > 1 else k[0] if keys else None: n
                                for k, n in together.at(path).items() if (k[-1] if keys else k) == name}
                        assert mine == alone.at(path), (keys, name, path)
            # The keys come back typed as the ORM types them (a boolean, not SQLite's 0 or 1).
            assert {type(key[1]) for path in at_depth.by_path for key in at_depth.at(path)
                    if len(keys) == 2 and key[1] is not None} <= {bool}
        transaction.set_rollback(True)


def test_two_queries_at_most_whatever_the_depth(django_assert_max_num_queries):
    units = build_tree([None, 0, 1, 2, 3, 4, 5, 6])  # a chain eight levels deep
    add_members(units, [(7, 0), (7, 1), (3, 0)])
    with django_assert_max_num_queries(2):
        counts = rollup(Member.objects.filter(unit__in=units), keys=["status"])
    assert counts.at(units[0]) == {Status.OFFICIAL: 2, Status.PROBATIONARY: 1}
    assert counts.at(units[4]) == {Status.OFFICIAL: 1, Status.PROBATIONARY: 1}
    with django_assert_max_num_queries(1):  # the paths are known: one GROUP BY
        rollup(Member.objects.filter(unit__in=units), paths={u.pk: u.path for u in units})


def test_no_keys_several_keys_a_measure_and_a_relation(world):
    counts = rollup(Member.objects.all())
    assert counts.at(world.province) == {None: 3}
    counts = rollup(Member.objects.all(), keys=["status", "sex"])
    assert counts.at(world.commune_a) == {(Status.OFFICIAL, "F"): 1, (Status.PROBATIONARY, "M"): 1}
    counts = rollup(Member.objects.all(), measure=Sum("birth_year"))
    assert counts.total(world.commune_b) == world.member_b1.birth_year
    events = rollup(world.member_a1.events.all(), unit_field="member__unit")
    assert events.total(world.cell_a1) == world.member_a1.events.count()
    assert events.total(world.cell_a2) == 0
    # The same at a depth (the database groups by the ancestors there), and a measure's sums.
    assert rollup(world.member_a1.events.all(), unit_field="member__unit", down_to=1).total(world.commune_a) == \
        world.member_a1.events.count()
    sums = rollup(Member.objects.all(), measure=Sum("birth_year"), down_to=1)
    assert sums.total(world.commune_b) == world.member_b1.birth_year
    assert type(sums.total(world.province)) is int
    assert rollup(Member.objects.none(), keys=["status"], down_to=0).by_path == {}


def test_summed_adds_a_callers_figures_up_the_tree():
    """Figures a caller worked out per unit, summed bottom-up as the GROUP BY's are."""
    units = build_tree([None, 0, 0, 1])
    counts = summed({units[3].path: {"cells": 1, "held": 1}, units[2].path: {"cells": 1}})
    assert counts.at(units[0]) == {"cells": 2, "held": 1}
    assert counts.at(units[1]) == {"cells": 1, "held": 1}
    assert counts.at(units[2]) == {"cells": 1}
