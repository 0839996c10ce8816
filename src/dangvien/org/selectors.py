"""Reads of the unit tree, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import Perm, scope_paths, scope_q
from dangvien.core.errors import NotFound
from dangvien.org.models import MEMBER_UNIT_KINDS, SEGMENT, Unit, subtree_filter


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


def cell_for_transfer(code: str) -> Unit:
    """The destination of an official transfer, named by the code on the transfer letter.

    Deliberately not scoped: a transfer may go to any cell on the system, including one the
    sending officer cannot see; only the cell itself (its name) is revealed, never its members.
    """
    unit = Unit.objects.filter(code=code, kind__in=MEMBER_UNIT_KINDS).first()
    if unit is None:
        raise ValidationError(_("No cell has the code %(code)s.") % {"code": code})
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

    Two queries whatever the size (a third for the paths of cells below a max_depth cut): the
    units, and member counts grouped by (cell, status), rolled up to ancestors here.
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
    scope = Q(**subtree_filter(root.path)) if root is not None else Q()
    scope &= scope_q(actor, Perm.UNIT_VIEW)
    # Counted by cell id over the (unit, status) index, with the scope as a subquery on units:
    # about three times faster on PostgreSQL than grouping joined rows by path (docs/benchmarks.md).
    rows = list(Member.objects.filter(unit_id__in=Unit.objects.filter(scope).values("id"))
                .values_list("unit_id", "status").annotate(n=Count("*")).order_by())
    paths = {u.pk: u.path for u in units}
    missing = {unit_id for unit_id, _, _ in rows} - paths.keys()
    if missing:  # cells below a max_depth cut
        paths.update(Unit.objects.filter(pk__in=missing).values_list("id", "path"))
    nodes = {u.path: UnitNode(u) for u in units}
    # Add each cell's counts to every shown unit on its path (prefixes of SEGMENT digits), so a
    # tree cut at max_depth still counts the members below the cut.
    for unit_id, status, n in rows:
        cell_path = paths[unit_id]
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
