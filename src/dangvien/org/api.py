"""JSON API over the unit tree: the same scoped reads as the pages (org/selectors.py). The subtree
with member counts is served by members/tree_api.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dangvien.core.urls import MAX_ID
from dangvien.org.models import Unit, UnitKind
from dangvien.org.selectors import unit_get_for, units_visible_to

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


class UnitListFilter(Schema):
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="Only the direct children of this unit.")
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


@router.get("/{id:unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return unit_get_for(request.user, unit_id)
