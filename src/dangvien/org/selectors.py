"""Reads of the unit tree, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit
from dangvien.org.permissions import UNIT_VIEW
from dangvien.org.rollup import Rollup


def units_visible_to(actor: Any) -> QuerySet[Unit]:
    if not getattr(actor, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(scope_for(actor, UNIT_VIEW).q())


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
    scope = scope_for(actor, UNIT_VIEW)
    if scope.everywhere:
        return list(Unit.objects.filter(parent__isnull=True))
    return list(Unit.objects.filter(path__in=scope.paths))


def _top_depth(actor: Any, root: Unit | None) -> int:
    """Depth where the shown tree starts: the root's, else the shallowest unit the actor is granted."""
    if root is not None:
        return root.depth
    scope = scope_for(actor, UNIT_VIEW)
    return 0 if scope.everywhere or not scope.paths else min(len(p) // SEGMENT - 1 for p in scope.paths)


@dataclass
class UnitNode:
    unit: Unit
    counts: dict[Any, int] = field(default_factory=dict)  # e.g. status -> members in the whole subtree
    children: list[UnitNode] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def tree_units_for(actor: Any, root: Unit | None = None, max_depth: int | None = None) -> list[Unit]:
    """The units a tree page shows: the actor's (under `root`, when given), at most `max_depth`
    levels below the root or the actor's own top units, in path order."""
    units = units_visible_to(actor)
    if root is not None:
        units = units.filter(**subtree_filter(root.path))
    if max_depth is not None:
        units = units.filter(depth__lte=max_depth + _top_depth(actor, root))
    return list(units.order_by("path"))


def tree_scope_q(actor: Any, root: Unit | None = None) -> Q:
    """A filter on units: the actor's visible part of `root`'s subtree (all of it without a root).
    Counts for a tree page are taken over these units."""
    scope = scope_for(actor, UNIT_VIEW).q()
    return scope & Q(**subtree_filter(root.path)) if root is not None else scope


def unit_tree(units: list[Unit], counts: Rollup | None = None) -> list[UnitNode]:
    """Units (in path order) as a forest, each node with its rolled-up counts (the rollup's own
    dicts, not copies: a rollup is made for the one tree it fills)."""
    by_path = counts.by_path if counts else {}
    nodes = {u.path: UnitNode(u, by_path.get(u.path) or {}) for u in units}
    roots: list[UnitNode] = []
    for unit in units:  # path order: children come out sorted
        parent = nodes.get(unit.path[:-SEGMENT]) if unit.depth else None
        if parent is None:
            roots.append(nodes[unit.path])
        else:
            parent.children.append(nodes[unit.path])
    return roots
