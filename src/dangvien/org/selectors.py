"""Reads of the unit tree, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangvien.accounts.permissions import Perm, scope_paths, scope_q
from dangvien.core.errors import NotFound
from dangvien.org.models import SEGMENT, Unit, subtree_filter


def units_visible_to(actor: Any) -> QuerySet[Unit]:
    if not getattr(actor, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(scope_q(actor, Perm.UNIT_VIEW))


def unit_get_for(actor: Any, unit_id: int) -> Unit:
    unit = units_visible_to(actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("No such unit.")
    return unit


def unit_get_by_code_for(actor: Any, code: str) -> Unit:
    unit = units_visible_to(actor).filter(code=code).first()
    if unit is None:
        raise NotFound("No such unit.")
    return unit


def unit_roots_for(actor: Any) -> list[Unit]:
    """The top units of the actor's view: every province for an administrator, else each granted unit."""
    paths = scope_paths(actor, Perm.UNIT_VIEW)
    if paths is None:
        return list(Unit.objects.filter(parent__isnull=True))
    return list(Unit.objects.filter(path__in=paths))


def _top_depth(actor: Any, root: Unit | None) -> int:
    """Depth where the shown tree starts: the root's, else the shallowest unit the actor is granted."""
    if root is not None:
        return root.depth
    paths = scope_paths(actor, Perm.UNIT_VIEW)
    return 0 if not paths else min(len(p) // SEGMENT - 1 for p in paths)


@dataclass
class UnitNode:
    unit: Unit
    counts: dict[str, int] = field(default_factory=dict)  # status -> members in the whole subtree
    children: list[UnitNode] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def unit_tree_with_counts(actor: Any, root: Unit | None = None, max_depth: int | None = None) -> list[UnitNode]:
    """The actor's units as a tree, each with member counts by status over its whole subtree.

    Two queries whatever the size: the units, and member counts grouped by (cell, status), rolled
    up to ancestors here.
    """
    from dangvien.members.models import Member

    if root is not None:
        units_qs = units_visible_to(actor).filter(**subtree_filter(root.path))
    else:
        units_qs = units_visible_to(actor)
    if max_depth is not None:
        units_qs = units_qs.filter(depth__lte=max_depth + _top_depth(actor, root))
    units = list(units_qs.order_by("path"))
    if not units:
        return []
    member_filter = Q()
    if root is not None:
        member_filter = Q(**subtree_filter(root.path, "unit__path"))
    member_filter &= scope_q(actor, Perm.UNIT_VIEW, "unit__path")
    # Grouped by the cell's id first: PostgreSQL hashes (unit id, path, status) about 2.5 times
    # faster than (path, status) over a province's members (docs/benchmarks.md).
    rows = (Member.objects.filter(member_filter).values_list("unit_id", "unit__path", "status")
            .annotate(n=Count("id")).order_by())
    nodes = {u.path: UnitNode(u) for u in units}
    # Add each cell's counts to every shown unit on its path (prefixes of SEGMENT digits), so a
    # tree cut at max_depth still counts the members below the cut.
    for _cell_id, cell_path, status, n in rows:
        for end in range(SEGMENT, len(cell_path) + 1, SEGMENT):
            node = nodes.get(cell_path[:end])
            if node is not None:
                node.counts[status] = node.counts.get(status, 0) + n
    roots: list[UnitNode] = []
    for unit in units:  # path order: children come out sorted
        parent = nodes.get(unit.path[:-SEGMENT]) if unit.depth else None
        if parent is None:
            roots.append(nodes[unit.path])
        else:
            parent.children.append(nodes[unit.path])
    return roots
