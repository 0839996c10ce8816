"""Counts per unit, summed up the tree: the one engine behind every unit-tree report (the tree page's
member counts, the card campaign's progress, the handbook's adoption).

One GROUP BY over the rows by (unit id, keys), answered from the rows' own columns and indexes, and
at most one more query for the paths of the units the caller did not load; the counts are then
summed bottom-up in memory (each unit's sums added once to its parent's). The depth of the tree never
adds a query. A report that stops at a depth has the database group by the units' ancestors there.

Scoping is the caller's: `rows` comes from a scoped selector (e.g. members_visible_to), so the counts
hold only what the actor may see. A unit above the actor's scope gets the sum of its visible part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, QuerySet

from dangvien.core.scope import SEGMENT
from dangvien.org.models import Unit


@dataclass
class Rollup:
    """Counts per unit path; each unit's counts cover its whole subtree. Keys are the values of the
    grouping fields (one field: the value; several: a tuple; none: None)."""

    by_path: dict[str, dict[Any, int]] = field(default_factory=dict)

    def at(self, unit: Unit | str) -> dict[Any, int]:
        """The counts of a unit (or path); empty for a unit with nothing below it."""
        path = unit if isinstance(unit, str) else unit.path
        return self.by_path.get(path, {})

    def total(self, unit: Unit | str) -> int:
        return sum(self.at(unit).values())


def rollup(
    rows: QuerySet, *, keys: Sequence[str] = (), unit_field: str = "unit", measure: Any = None,
    measures: Mapping[str, Any] | None = None, paths: Mapping[int, str] | None = None, down_to: int | None = None,
) -> Rollup:
    """Count `rows` (or sum `measure`, an additive aggregate such as Sum("amount")) per unit and
    grouping keys, and roll the counts up the tree.

    unit_field: the rows' link to their unit ("unit", or across a relation: "member__unit").
    measures: several additive aggregates by name, taken in the same GROUP BY (one pass over the rows
    where separate calls would make one each); a unit's counts are then keyed by the keys' values
    and the measure's name ((status, "registered"); with no keys, the name alone).
    paths: unit id -> path of units the caller already loaded (the rest are read in one query).
    down_to: fill only the units at this depth and above (a report of a unit and its children).
    The database then groups by each unit's ancestor at that depth (its path cut there), so a
    national page reads a few hundred groups, not a million, and `paths` is not needed.
    """
    if measures is not None and measure is not None:
        raise ValueError("rollup: give measure or measures, not both")
    names = list(measures) if measures else None
    aggregates = {f"_rollup_m{i}": m for i, m in enumerate(measures.values())} if measures else {
        "_rollup_n": measure if measure is not None else Count("*")}
    if down_to is not None:
        grouped = _grouped_at(rows, keys, unit_field, aggregates, (down_to + 1) * SEGMENT)
        return Rollup(_summed_up(_counted(grouped, names)))
    counted = _counted(rows.order_by().values_list(unit_field, *keys).annotate(**aggregates), names)
    unit_paths = paths or {}
    missing = counted.keys() - unit_paths.keys()
    if missing:
        unit_paths = {**unit_paths, **dict(Unit.objects.filter(pk__in=missing).values_list("id", "path"))}
    return Rollup(_summed_up({unit_paths[unit_id]: bucket for unit_id, bucket in counted.items()}))


def summed(own: Mapping[str, Mapping[Any, int]]) -> Rollup:
    """Counts a caller made per unit (path -> {key: n}), summed up the tree as rollup() sums its
    GROUP BY: for figures derived per unit from other rollups (the adoption report's cells where half
    the members are active, counted from each cell's members and active members)."""
    return Rollup(_summed_up({path: dict(counts) for path, counts in own.items()}))


def _grouped_at(rows: QuerySet, keys: Sequence[str], unit_field: str, aggregates: Mapping[str, Any],
                length: int) -> list[tuple[Any, ...]]:
    """(path cut at `length`, *key values, n): the GROUP BY by unit and keys (the rows' own index), then its
    groups joined to the unit table and grouped again by the path cut there, in the database. Two
    levels: joining every row to its unit first made PostgreSQL hash 5.6 million rows; joined after
    the first GROUP BY, it is one row per (unit, key). Django's ORM has no subquery in FROM, so the
    outer level is SQL around the ORM's compiled query; its values are typed as the ORM would."""
    aliases = [f"_rollup_k{i}" for i in range(len(keys))]
    inner = (rows.order_by().annotate(_rollup_unit=F(unit_field), **{a: F(k) for a, k in zip(aliases, keys, strict=True)})
             .values_list("_rollup_unit", *aliases).annotate(**aggregates))
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing (an actor with no scope)
        return []
    q = connections[inner.db].ops.quote_name
    columns = "".join(f", g.{q(a)}" for a in aliases)
    positions = "".join(f", {i}" for i in range(2, len(aliases) + 2))
    sums = ", ".join(f"SUM(g.{q(name)})" for name in aggregates)
    sql = (f"SELECT SUBSTR(u.{q('path')}, 1, %s){columns}, {sums} FROM ({inner_sql}) g "
           f"JOIN {q(Unit._meta.db_table)} u ON u.{q('id')} = g.{q('_rollup_unit')} GROUP BY 1{positions}")
    fields = [inner.query.annotations[a].output_field for a in [*aliases, *aggregates]]
    with connections[inner.db].cursor() as cursor:
        cursor.execute(sql, [length, *params])
        grouped = cursor.fetchall()
    return [(path, *[value if value is None else f.to_python(value) for f, value in zip(fields, values, strict=True)])
            for path, *values in grouped]


def _counted(grouped: Iterable[tuple[Any, ...]], names: Sequence[str] | None = None) -> dict[Any, dict[Any, int]]:
    """{unit id or path: {key: n}} from the GROUP BY's rows (unit or path, *key values, n), or with
    named measures (unit or path, *key values, *one value a measure), each keyed by its name after
    the key values. One dict per unit and one tuple per distinct key stay alive, not a tuple per row:
    the live objects of a report are what sets off the garbage collector's full collections
    (docs/benchmarks.md)."""
    counted: dict[Any, dict[Any, int]] = {}
    distinct: dict[Any, Any] = {}
    width = len(names) if names else 1
    for row in grouped:
        where = row[0]
        if where is None:
            continue
        values = row[-width:]
        bucket = counted.get(where)
        for name, n in zip(names or (None,), values, strict=True):
            if not n:
                continue
            key = _key(row[1:-width] if names is None else (*row[1:-width], name))
            key = distinct.setdefault(key, key)
            if bucket is None:
                bucket = counted[where] = {}
            bucket[key] = bucket.get(key, 0) + n
    return counted


def _summed_up(own: dict[str, dict[Any, int]]) -> dict[str, dict[Any, int]]:
    """Each unit's counts over its subtree, bottom-up: the deepest units first, each unit's sums
    added once to its parent's (so a unit's work is its keys, whatever its depth, where a walk up
    every path prefix per (unit, key) made a deep tree's rows cost their depth each)."""
    by_path = own
    levels: dict[int, list[str]] = {}
    for path in by_path:
        levels.setdefault(len(path), []).append(path)
    for length in range(max(levels, default=0), SEGMENT, -SEGMENT):
        above = levels.setdefault(length - SEGMENT, [])
        for path in levels.get(length, ()):
            parent_path = path[:-SEGMENT]
            parent = by_path.get(parent_path)
            if parent is None:
                by_path[parent_path] = dict(by_path[path])
                above.append(parent_path)
                continue
            for key, n in by_path[path].items():
                parent[key] = parent.get(key, 0) + n
    return by_path


def _key(values: tuple) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values
