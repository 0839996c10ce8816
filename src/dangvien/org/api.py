"""JSON API over the unit tree: the same scoped reads as the HTML pages (org/selectors.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dangvien.org.models import Unit, UnitKind
from dangvien.org.selectors import UnitNode, unit_get_for, unit_tree_with_counts, units_visible_to

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    kind: UnitKind
    kind_label: str
    code: str
    name: str
    parent_id: int | None
    depth: int
    holds_members: bool

    @staticmethod
    def resolve_kind_label(unit: Unit) -> str:
        return str(UnitKind(unit.kind).label)


class UnitTreeNode(Schema):
    id: int
    kind: UnitKind
    code: str
    name: str
    depth: int
    # Members in the whole subtree by status, and their sum.
    counts: dict[str, int]
    total: int
    children: list[UnitTreeNode]


UnitTreeNode.model_rebuild()


def _tree_out(node: UnitNode) -> UnitTreeNode:
    unit = node.unit
    return UnitTreeNode(
        id=unit.pk, kind=UnitKind(unit.kind), code=unit.code, name=unit.name, depth=unit.depth,
        counts=dict(node.counts), total=node.total, children=[_tree_out(child) for child in node.children],
    )


class UnitListFilter(Schema):
    parent: int | None = Field(None, description="Only the direct children of this unit.")
    kind: UnitKind | None = None


@router.get("", response=list[UnitOut], summary="Units the user may see")
def list_units(request: HttpRequest, filters: Query[UnitListFilter]) -> list[Unit]:
    units = units_visible_to(request.user)
    if filters.parent is not None:
        # Resolved through the scoped selector: asking for the children of a hidden unit is a 404.
        units = units.filter(parent=unit_get_for(request.user, filters.parent))
    if filters.kind is not None:
        units = units.filter(kind=filters.kind)
    return list(units.order_by("path"))


@router.get("/{int:unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return unit_get_for(request.user, unit_id)


@router.get("/{int:unit_id}/tree", response=UnitTreeNode, summary="A unit's subtree with member counts")
def get_unit_tree(
    request: HttpRequest, unit_id: int,
    depth: int | None = Query(None, ge=0, le=10, description="Levels below the unit; all when omitted."),
) -> UnitTreeNode:
    unit = unit_get_for(request.user, unit_id)
    roots = unit_tree_with_counts(request.user, root=unit, max_depth=depth)
    # The root is visible (checked above) and sorts first by path, so it is the first root.
    return _tree_out(roots[0])
