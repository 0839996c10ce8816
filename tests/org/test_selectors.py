"""Reads of the unit tree: subtree ranges, scoping, and the tree with member counts."""

from __future__ import annotations

import datetime as dt

import pytest

from dangvien.core.errors import NotFound
from dangvien.core.scope import subtree_filter, subtree_upper_bound
from dangvien.members.models import Member, Status
from dangvien.members.selectors import unit_tree_with_counts
from dangvien.members.services import member_transfer_out
from dangvien.org.models import Unit, UnitKind
from dangvien.org.selectors import (
    UnitNode,
    unit_get_by_code_for,
    unit_get_for,
    unit_roots_for,
    units_visible_to,
)
from dangvien.org.services import unit_create
from tests.factories import make_member


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def shape(nodes: list[UnitNode]) -> list:
    """The tree as nested (code, counts, children), to compare in one assertion."""
    return [(n.unit.code, n.counts, shape(n.children)) for n in nodes]


# --- subtree ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "bound"), [("0001", "0002"), ("0009", "0010"), ("0099", "0100"),
                                             ("00010009", "00010010"), ("00019998", "00019999")])
def test_subtree_upper_bound(path, bound):
    assert subtree_upper_bound(path) == bound


@pytest.fixture
def ten_communes(world):
    """Communes 0001..0010 under the province, each with one grassroots cell, so that paths
    0001 and 0010 (and their children) sit side by side."""
    communes = [world.commune_a, world.commune_b]
    for i in range(3, 11):
        communes.append(unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code=f"X{i:02d}", name=f"Xã {i}",
                                    parent=world.province))
    for i, commune in enumerate(communes[2:], start=3):
        unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code=f"X{i:02d}-C", name=f"Chi bộ {i}",
                    parent=commune)
    return communes


def test_subtree_filter_never_leaks_a_sibling_sharing_digits(world, ten_communes):
    first, tenth = ten_communes[0], ten_communes[9]
    assert (first.path, tenth.path) == ("00010001", "00010010")
    in_first = codes(Unit.objects.filter(**subtree_filter(first.path)))
    assert in_first == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}
    assert codes(Unit.objects.filter(**subtree_filter(tenth.path))) == {"X10", "X10-C"}
    # The grassroots cell 0001 of commune 0010 has a path that contains "00010001" textually too.
    cell_of_tenth = Unit.objects.get(code="X10-C")
    assert cell_of_tenth.path == "000100100001"
    assert cell_of_tenth.code not in in_first
    # Each commune's subtree is exactly itself plus its descendants.
    for commune in ten_communes:
        expected = {u.code for u in Unit.objects.all() if u.path.startswith(commune.path)}
        assert codes(Unit.objects.filter(**subtree_filter(commune.path))) == expected


def test_subtree_filter_on_a_related_field(world):
    members = set(Member.objects.filter(**subtree_filter(world.commune_a.path, "unit__path")))
    assert members == {world.member_a1, world.member_a2}


# --- scoped reads -------------------------------------------------------------------------------


def test_units_visible_per_role(world):
    all_codes = codes(Unit.objects.all())
    assert codes(units_visible_to(world.admin)) == all_codes
    assert codes(units_visible_to(world.province_officer)) == all_codes
    assert codes(units_visible_to(world.officer_a)) == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}
    assert codes(units_visible_to(world.officer_b)) == {"GL-B", "GL-B-01"}
    assert codes(units_visible_to(world.secretary_a1)) == {"GL-A-01-01"}
    assert codes(units_visible_to(world.card_officer_a)) == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}
    assert codes(units_visible_to(world.member_user_a1)) == set()


def test_unit_get_for_out_of_scope_is_not_found(world):
    assert unit_get_for(world.officer_a, world.cell_a2.pk) == world.cell_a2
    with pytest.raises(NotFound):
        unit_get_for(world.officer_a, world.commune_b.pk)
    with pytest.raises(NotFound):
        unit_get_for(world.officer_a, world.province.pk)
    with pytest.raises(NotFound):
        unit_get_for(world.officer_a, 10**9)
    assert unit_get_by_code_for(world.officer_b, "GL-B-01") == world.org_b
    with pytest.raises(NotFound):
        unit_get_by_code_for(world.officer_b, "GL-A")


def test_unit_roots(world):
    assert unit_roots_for(world.admin) == [world.province]
    assert unit_roots_for(world.officer_a) == [world.commune_a]
    assert unit_roots_for(world.secretary_a1) == [world.cell_a1]
    assert unit_roots_for(world.member_user_a1) == []


# --- the tree with counts -----------------------------------------------------------------------

P, O = Status.PROBATIONARY.value, Status.OFFICIAL.value  # noqa: E741


def test_tree_counts_roll_up(world):
    tree = unit_tree_with_counts(world.admin)
    assert shape(tree) == [
        ("GL", {O: 2, P: 1}, [
            ("GL-A", {O: 1, P: 1}, [
                ("GL-A-01", {O: 1, P: 1}, [
                    ("GL-A-01-01", {O: 1}, []),
                    ("GL-A-01-02", {P: 1}, []),
                ]),
            ]),
            ("GL-B", {O: 1}, [("GL-B-01", {O: 1}, [])]),
        ]),
    ]
    assert tree[0].total == 3


def test_tree_counts_every_status_in_the_subtree(world):
    make_member(world.cell_a2, full_name="Phạm Văn Bình")
    m = make_member(world.cell_a2, full_name="Võ Thị Cúc")
    member_transfer_out(actor=world.admin, member=m, expected_version=m.version, date=dt.date(2026, 1, 5),
                        destination="Tỉnh Đắk Lắk")
    commune_a = unit_tree_with_counts(world.admin, root=world.commune_a)[0]
    assert commune_a.counts == {O: 2, P: 1, Status.TRANSFERRED_OUT.value: 1}
    assert commune_a.children[0].children[1].counts == {O: 1, P: 1, Status.TRANSFERRED_OUT.value: 1}


def test_max_depth_cuts_the_tree_but_counts_keep_everything_below(world):
    tree = unit_tree_with_counts(world.admin, max_depth=1)
    assert shape(tree) == [("GL", {O: 2, P: 1}, [("GL-A", {O: 1, P: 1}, []), ("GL-B", {O: 1}, [])])]
    tree = unit_tree_with_counts(world.admin, max_depth=0)
    assert shape(tree) == [("GL", {O: 2, P: 1}, [])]


def test_root_and_max_depth_are_relative_to_the_root(world):
    tree = unit_tree_with_counts(world.admin, root=world.commune_a, max_depth=1)
    assert shape(tree) == [("GL-A", {O: 1, P: 1}, [("GL-A-01", {O: 1, P: 1}, [])])]
    tree = unit_tree_with_counts(world.admin, root=world.org_a)
    assert shape(tree) == [("GL-A-01", {O: 1, P: 1}, [("GL-A-01-01", {O: 1}, []), ("GL-A-01-02", {P: 1}, [])])]


def test_tree_with_neighbouring_paths_does_not_mix_counts(world, ten_communes):
    tenth_cell = Unit.objects.get(code="X10-C")
    make_member(tenth_cell, full_name="Đinh Văn Mười")
    tree = unit_tree_with_counts(world.admin, root=ten_communes[0])
    assert tree[0].counts == {O: 1, P: 1}
    tree = unit_tree_with_counts(world.admin, root=ten_communes[9])
    assert shape(tree) == [("X10", {O: 1}, [("X10-C", {O: 1}, [])])]


def test_tree_is_scoped_to_the_actor(world):
    assert shape(unit_tree_with_counts(world.officer_a)) == [
        ("GL-A", {O: 1, P: 1}, [
            ("GL-A-01", {O: 1, P: 1}, [("GL-A-01-01", {O: 1}, []), ("GL-A-01-02", {P: 1}, [])]),
        ]),
    ]
    assert shape(unit_tree_with_counts(world.officer_b)) == [("GL-B", {O: 1}, [("GL-B-01", {O: 1}, [])])]
    assert shape(unit_tree_with_counts(world.secretary_a1)) == [("GL-A-01-01", {O: 1}, [])]
    assert unit_tree_with_counts(world.member_user_a1) == []
    # A root outside the actor's scope shows nothing, not an empty frame of someone else's unit.
    assert unit_tree_with_counts(world.officer_a, root=world.commune_b) == []


def test_root_above_the_actor_shows_only_the_actor_part(world):
    tree = unit_tree_with_counts(world.officer_a, root=world.province)
    assert [n.unit.code for n in tree] == ["GL-A"]
    assert tree[0].counts == {O: 1, P: 1}


def test_pending_incoming_members_are_not_counted_at_the_destination(world):
    m = world.member_a1
    member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=dt.date(2026, 1, 5),
                        destination_unit=world.cell_b1)
    assert unit_tree_with_counts(world.officer_b)[0].counts == {O: 1}


def test_max_depth_for_an_officer_counts_from_the_officer_roots(world):
    """Without an explicit root, max_depth=0 should show the actor's own top units."""
    tree = unit_tree_with_counts(world.officer_a, max_depth=0)
    assert shape(tree) == [("GL-A", {O: 1, P: 1}, [])]


def test_tree_takes_a_fixed_number_of_queries(world, django_assert_num_queries):
    for i in range(5):
        make_member(world.cell_a1 if i % 2 else world.cell_b1, full_name=f"Nguyễn Văn Số {chr(65 + i)}")
    unit_tree_with_counts(world.admin)  # grants cached on the user object
    with django_assert_num_queries(2):
        unit_tree_with_counts(world.admin)
