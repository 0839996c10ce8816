"""Creating units: which kind goes under which, codes, paths and depth, permission, audit."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dangvien.core.audit import audit_verify
from dangvien.core.models import AuditEntry
from dangvien.core.scope import MAX_CHILDREN, SEGMENT
from dangvien.core.text import collation_key
from dangvien.org.models import ALLOWED_CHILDREN, Unit, UnitKind
from dangvien.org.services import unit_create
from tests.factories import system_admin

pytestmark = pytest.mark.django_db

_counter = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield


def _create(actor, kind, parent, name="Đơn vị"):
    return unit_create(actor=actor, kind=kind, code=f"U{next(_counter)}", name=name, parent=parent)


def _chain_to(kind: str, admin) -> Unit:
    """A unit of `kind` built under valid parents from a fresh province."""
    route = {
        UnitKind.PROVINCE: [],
        UnitKind.COMMUNE: [UnitKind.PROVINCE],
        UnitKind.GRASSROOTS_COMMITTEE: [UnitKind.PROVINCE, UnitKind.COMMUNE],
        UnitKind.GRASSROOTS_CELL: [UnitKind.PROVINCE, UnitKind.COMMUNE],
        UnitKind.SUB_COMMITTEE: [UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.GRASSROOTS_COMMITTEE],
        UnitKind.CELL: [UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.GRASSROOTS_COMMITTEE],
        UnitKind.PARTY_GROUP: [UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.GRASSROOTS_COMMITTEE, UnitKind.CELL],
    }[kind]
    parent = None
    for step in [*route, kind]:
        parent = _create(admin, step, parent)
    return parent


def test_allowed_children_table():
    assert ALLOWED_CHILDREN[UnitKind.PROVINCE] == {UnitKind.COMMUNE}
    assert ALLOWED_CHILDREN[UnitKind.COMMUNE] == {UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL}
    assert ALLOWED_CHILDREN[UnitKind.GRASSROOTS_COMMITTEE] == {UnitKind.SUB_COMMITTEE, UnitKind.CELL}
    assert ALLOWED_CHILDREN[UnitKind.SUB_COMMITTEE] == {UnitKind.CELL}
    assert ALLOWED_CHILDREN[UnitKind.GRASSROOTS_CELL] == {UnitKind.PARTY_GROUP}
    assert ALLOWED_CHILDREN[UnitKind.CELL] == {UnitKind.PARTY_GROUP}
    assert ALLOWED_CHILDREN[UnitKind.PARTY_GROUP] == set()


@pytest.mark.parametrize("parent_kind", UnitKind.values)
@pytest.mark.parametrize("kind", UnitKind.values)
def test_kind_under_parent(parent_kind, kind):
    admin = system_admin()
    parent = _chain_to(parent_kind, admin)
    if kind in ALLOWED_CHILDREN[parent_kind]:
        unit = _create(admin, kind, parent)
        assert (unit.kind, unit.parent_id, unit.depth) == (kind, parent.pk, parent.depth + 1)
    else:
        before = Unit.objects.count()
        with pytest.raises(ValidationError) as exc:
            _create(admin, kind, parent)
        assert "cannot be placed under" in exc.value.message_dict["kind"][0]
        assert Unit.objects.count() == before


@pytest.mark.parametrize("kind", [k for k in UnitKind.values if k != UnitKind.PROVINCE])
def test_only_a_province_is_top_level(kind):
    with pytest.raises(ValidationError) as exc:
        _create(system_admin(), kind, None)
    assert "parent" in exc.value.message_dict
    assert not Unit.objects.exists()


def test_unknown_kind_missing_code_and_name():
    with pytest.raises(ValidationError) as exc:
        unit_create(actor=system_admin(), kind="district", code="  ", name=" ", parent=None)
    assert set(exc.value.message_dict) == {"kind", "code", "name"}
    assert not Unit.objects.exists()


def test_duplicate_code_refused_after_cleaning(world):
    before = Unit.objects.count()
    with pytest.raises(ValidationError) as exc:
        unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code=" GL-A ", name="Xã khác", parent=world.province)
    assert exc.value.message_dict == {"code": ["The code GL-A is already used."]}
    assert Unit.objects.count() == before


def test_paths_and_depth(world):
    assert world.province.path == "0001" and world.province.depth == 0
    assert (world.commune_a.path, world.commune_b.path) == ("00010001", "00010002")
    assert world.org_a.path == "000100010001" and world.org_a.depth == 2
    assert (world.cell_a1.path, world.cell_a2.path) == ("0001000100010001", "0001000100010002")
    assert world.cell_a1.depth == 3
    for unit in Unit.objects.all():
        assert len(unit.path) == SEGMENT * (unit.depth + 1)
        if unit.parent_id:
            assert unit.path[:-SEGMENT] == unit.parent.path


def test_next_path_follows_the_highest_sibling_not_the_count(world):
    third = unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code="GL-C", name="Xã C", parent=world.province)
    assert third.path == "00010003"
    second_province = unit_create(actor=world.admin, kind=UnitKind.PROVINCE, code="HN", name="Hà Nội", parent=None)
    assert second_province.path == "0002"


def test_sibling_numbers_beyond_nine_keep_four_digit_segments(world):
    paths = [unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code=f"GL-{i}", name=f"Xã {i}",
                         parent=world.province).path for i in range(3, 13)]
    assert paths[-1] == "00010012"
    assert paths[7] == "00010010"


def test_a_full_parent_refuses_more_children(world, monkeypatch):
    from dangvien.org import services

    monkeypatch.setattr(services, "MAX_CHILDREN", 2)
    with pytest.raises(ValidationError, match="cannot take more sub-units"):
        unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code="GL-C", name="Xã C", parent=world.province)
    assert MAX_CHILDREN == 10**SEGMENT - 2


def test_name_stored_nfc_and_sort_key(world):
    name = unicodedata.normalize("NFD", "  Chi bộ   Thôn Đê Lơh ")
    unit = unit_create(actor=world.admin, kind=UnitKind.CELL, code="GL-A-01-03", name=name, parent=world.org_a)
    unit.refresh_from_db()
    assert unit.name == "Chi bộ Thôn Đê Lơh"
    assert unit.sort_key == collation_key("Chi bộ Thôn Đê Lơh")


def test_creation_is_audited(world):
    before = AuditEntry.objects.count()
    unit = unit_create(actor=world.officer_a, kind=UnitKind.CELL, code="GL-A-01-03", name="Chi bộ 3",
                       parent=world.org_a)
    entry = AuditEntry.objects.order_by("-seq").first()  # the newest row (seq has gaps on PostgreSQL)
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == ("unit.create", "unit", str(unit.pk))
    assert entry.actor_id == world.officer_a.pk
    assert entry.unit_path == unit.path
    assert entry.after == {"kind": "cell", "code": "GL-A-01-03", "name": "Chi bộ 3", "parent": world.org_a.pk}
    assert audit_verify() == (before + 1, None)


def test_officer_creates_only_inside_own_subtree(world):
    unit = unit_create(actor=world.officer_a, kind=UnitKind.GRASSROOTS_CELL, code="GL-A-02", name="Chi bộ thôn",
                       parent=world.commune_a)
    assert unit.path.startswith(world.commune_a.path)
    before = (Unit.objects.count(), AuditEntry.objects.count())
    with pytest.raises(PermissionDenied):
        unit_create(actor=world.officer_a, kind=UnitKind.GRASSROOTS_CELL, code="GL-B-02", name="X",
                    parent=world.commune_b)
    with pytest.raises(PermissionDenied):
        unit_create(actor=world.officer_a, kind=UnitKind.COMMUNE, code="GL-Z", name="X", parent=world.province)
    with pytest.raises(PermissionDenied):
        unit_create(actor=world.province_officer, kind=UnitKind.PROVINCE, code="HN", name="Hà Nội", parent=None)
    assert (Unit.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("name", ["secretary_a1", "card_officer_a", "member_user_a1"])
def test_roles_without_unit_manage_cannot_create(world, name):
    before = Unit.objects.count()
    with pytest.raises(PermissionDenied):
        unit_create(actor=getattr(world, name), kind=UnitKind.PARTY_GROUP, code="GL-A-01-01-01", name="Tổ 1",
                    parent=world.cell_a1)
    assert Unit.objects.count() == before


def test_out_of_scope_actor_learns_nothing_about_codes(world):
    """Permission is checked before uniqueness, so an officer cannot probe other communes' codes."""
    with pytest.raises(PermissionDenied):
        unit_create(actor=world.officer_a, kind=UnitKind.GRASSROOTS_CELL, code="GL-B-01", name="X",
                    parent=world.commune_b)
