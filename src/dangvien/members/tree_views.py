"""Unit tree pages: the units with their member counts. Each page runs a fixed number of queries
whatever the tree's size: the tree and its member counts come from unit_tree_with_counts (two
queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangvien.accounts.permissions import can
from dangvien.core.scope import SEGMENT
from dangvien.members.models import ON_ROLL_STATUSES, Status
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.members.selectors import unit_tree_with_counts
from dangvien.org.models import Unit
from dangvien.org.selectors import UnitNode, unit_get_for, unit_roots_for, units_visible_to

# Levels shown below each root; deeper units are reached through their own page. A big subtree
# (a province holds thousands of grassroots organizations) is cut one level higher so that the
# page stays light on a phone.
LEVELS_SHOWN = 2
MAX_ROWS = 400


@dataclass
class TreeRow:
    unit: Unit
    level: int  # 0 for a root of the page
    on_roll: int
    official: int
    probationary: int
    can_admit: bool
    children: list[TreeRow] = field(default_factory=list)  # the rows shown below it


def _rows(actor: Any, roots: list[UnitNode]) -> list[TreeRow]:
    """The page's top rows, each with the rows below it, LEVELS_SHOWN levels below each root (fewer
    when that would make too long a page)."""
    rows = _cut(actor, roots, LEVELS_SHOWN)
    return rows if len(_flat(rows)) <= MAX_ROWS else _cut(actor, roots, 1)


def _cut(actor: Any, nodes: list[UnitNode], levels: int, level: int = 0) -> list[TreeRow]:
    rows = []
    for node in nodes:
        counts = node.counts
        rows.append(TreeRow(
            unit=node.unit, level=level,
            on_roll=sum(counts.get(s, 0) for s in ON_ROLL_STATUSES),
            official=counts.get(Status.OFFICIAL, 0), probationary=counts.get(Status.PROBATIONARY, 0),
            can_admit=node.unit.holds_members and can(actor, MEMBER_MANAGE, node.unit),
            children=_cut(actor, node.children, levels, level + 1) if level < levels else [],
        ))
    return rows


def _flat(rows: list[TreeRow]) -> list[TreeRow]:
    """Every row in display order."""
    return [item for row in rows for item in (row, *_flat(row.children))]


def _page(request: HttpRequest, roots: list[UnitNode], **context: Any) -> HttpResponse:
    tree = _rows(request.user, roots)
    return render(request, "members/unit_tree.html", {"tree": tree, "rows": _flat(tree), **context})


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """Every subtree the actor may see, each from its top unit."""
    tops = unit_roots_for(request.user)
    roots: list[UnitNode] = []
    if tops:
        # One tree query for all tops, deep enough for the deepest one; _rows cuts each top.
        roots = unit_tree_with_counts(request.user, max_depth=max(u.depth for u in tops) + LEVELS_SHOWN)
    return _page(request, roots, unit=None, ancestors=[])


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit's subtree with counts; out-of-scope units are a 404."""
    unit = unit_get_for(request.user, pk)
    roots = unit_tree_with_counts(request.user, root=unit, max_depth=LEVELS_SHOWN)
    prefixes = [unit.path[:end] for end in range(SEGMENT, len(unit.path), SEGMENT)]
    ancestors = list(units_visible_to(request.user).filter(path__in=prefixes).order_by("path")) if prefixes else []
    return _page(request, roots, unit=unit, ancestors=ancestors,
                 can_admit=unit.holds_members and can(request.user, MEMBER_MANAGE, unit))
