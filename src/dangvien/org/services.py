"""Writes to the unit tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import require
from dangvien.core.audit import audit_record
from dangvien.core.scope import MAX_CHILDREN, SEGMENT
from dangvien.core.text import clean, collation_key
from dangvien.org.models import ALLOWED_CHILDREN, Unit, UnitKind
from dangvien.org.permissions import UNIT_MANAGE


def _next_child_path(parent: Unit | None) -> str:
    siblings = Unit.objects.filter(parent=parent) if parent else Unit.objects.filter(parent__isnull=True)
    last = siblings.order_by("-path").values_list("path", flat=True).first()
    number = int(last[-SEGMENT:]) + 1 if last else 1
    if number > MAX_CHILDREN:
        raise ValidationError(_("This unit cannot take more sub-units."))
    return (parent.path if parent else "") + str(number).zfill(SEGMENT)


def unit_create(*, actor, kind: str, code: str, name: str, parent: Unit | None) -> Unit:
    """Create a unit under `parent` (None only for a province, by a system administrator)."""
    code, name = clean(code), clean(name)
    # Permission first, so that an actor outside the subtree cannot probe which codes exist there.
    require(actor, UNIT_MANAGE, parent)
    errors: dict[str, list[str]] = {}
    if kind not in UnitKind.values:
        errors["kind"] = [_("Unknown unit kind.")]
    elif parent is None and kind != UnitKind.PROVINCE:
        errors["parent"] = [_("Only a provincial committee can be a top-level unit.")]
    elif parent is not None and kind not in ALLOWED_CHILDREN[parent.kind]:
        errors["kind"] = [_("A %(kind)s cannot be placed under a %(parent)s.")
                          % {"kind": UnitKind(kind).label, "parent": UnitKind(parent.kind).label}]
    if not code:
        errors["code"] = [_("A code is required.")]
    elif Unit.objects.filter(code=code).exists():
        errors["code"] = [_("The code %(code)s is already used.") % {"code": code}]
    if not name:
        errors["name"] = [_("A name is required.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if parent is not None:
            # Lock the parent so that two concurrent creations under it do not pick the same path.
            Unit.objects.select_for_update().filter(pk=parent.pk).first()
        unit = Unit.objects.create(
            kind=kind, code=code, name=name, parent=parent,
            path=_next_child_path(parent), depth=(parent.depth + 1) if parent else 0,
            sort_key=collation_key(name),
        )
        audit_record(actor=actor, action="unit.create", object_type="unit", object_id=unit.pk,
                     after={"kind": kind, "code": code, "name": name, "parent": parent}, unit_path=unit.path)
        return unit
