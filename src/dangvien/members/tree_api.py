"""JSON API: a unit's subtree with member counts (the tree page's data), under /api/units."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from dangvien.members.selectors import unit_tree_with_counts
from dangvien.org.models import UnitKind
from dangvien.org.selectors import UnitNode, unit_get_for

router = Router(tags=["units"])


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


@router.get("/{id:unit_id}/tree", response=UnitTreeNode, summary="A unit's subtree with member counts")
def get_unit_tree(
    request: HttpRequest, unit_id: int,
    depth: int | None = Query(None, ge=0, le=10, description="Levels below the unit; all when omitted."),
) -> UnitTreeNode:
    unit = unit_get_for(request.user, unit_id)
    roots = unit_tree_with_counts(request.user, root=unit, max_depth=depth)
    # The root is visible (checked above) and sorts first by path, so it is the first root.
    return _tree_out(roots[0])
