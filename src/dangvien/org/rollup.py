"""Counts per unit, summed up the tree: the one engine behind every unit-tree report (the tree page's
member counts, the card campaign's progress, the handbook's adoption).

One GROUP BY over the rows by (unit id, keys), answered from the rows' own columns and indexes, and
at most one more query for the paths of the units the caller did not load; each unit's counts are
then added to every unit on its path in memory. The depth of the tree never adds a query.

Scoping is the caller's: `rows` comes from a scoped selector (e.g. members_visible_to), so the counts
hold only what the actor may see. A unit above the actor's scope gets the sum of its visible part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

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
    paths: Mapping[int, str] | None = None, down_to: int | None = None,
) -> Rollup:
    """Count `rows` (or sum `measure`, an aggregate such as Sum("amount")) per unit and grouping
    keys, and roll the counts up the tree.

    unit_field: the rows' link to their unit ("unit", or across a relation: "member__unit").
    paths: unit id -> path of units the caller already loaded (the rest are read in one query).
    down_to: fill only the units at this depth and above (a report of a unit and its children):
    the deeper units' counts are merged into their ancestor at that depth first, so the walk up
    the tree is made once per such ancestor and key, not once per row.
    """
    grouped = (rows.order_by().values_list(unit_field, *keys)
               .annotate(n=measure if measure is not None else Count("*")))
    # One key (the common case: counts by status) comes out of the query as (unit, key, n) already.
    counts = list(grouped) if len(keys) == 1 else [(row[0], _key(row[1:-1]), row[-1]) for row in grouped]
    unit_paths = dict(paths or {})
    missing = {unit_id for unit_id, _, _ in counts if unit_id is not None} - unit_paths.keys()
    if missing:
        unit_paths.update(Unit.objects.filter(pk__in=missing).values_list("id", "path"))
    # Plain dicts and an inline walk up the path: a province is tens of thousands of additions, and
    # Counter's and a list of prefixes' overheads were most of the engine's time.
    at_paths = (_merged_at(counts, unit_paths, (down_to + 1) * SEGMENT) if down_to is not None
                else [(unit_paths[unit_id], key, n) for unit_id, key, n in counts if unit_id is not None and n])
    by_path: dict[str, dict[Any, int]] = {}
    for path, key, n in at_paths:
        for end in range(SEGMENT, len(path) + 1, SEGMENT):
            bucket = by_path.get(path[:end])
            if bucket is None:
                bucket = by_path[path[:end]] = {}
            bucket[key] = bucket.get(key, 0) + n
    return Rollup(by_path)


def _merged_at(counts: list, unit_paths: Mapping[int, str], length: int) -> list[tuple[str, Any, int]]:
    """The counts keyed by the path cut at `length` (the unit's ancestor at that depth, or itself)."""
    merged: dict[tuple[str, Any], int] = {}
    for unit_id, key, n in counts:
        if unit_id is None or not n:
            continue
        at = (unit_paths[unit_id][:length], key)
        merged[at] = merged.get(at, 0) + n
    return [(path, key, n) for (path, key), n in merged.items()]


def _key(values: tuple) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values
