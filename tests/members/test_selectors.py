"""Reads of the member registry: who sees whom, search and ordering."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.contrib.auth.models import AnonymousUser

from dangvien.accounts.models import Role
from dangvien.core.errors import NotFound
from dangvien.core.text import name_sort_key
from dangvien.members.models import EventKind, Member, Status
from dangvien.members.selectors import (
    MemberFilter,
    member_get_for,
    member_history,
    member_is_visible,
    member_list,
    members_visible_to,
)
from dangvien.members.services import member_correct, member_transfer_out
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.factories import make_member, make_user


def names(qs) -> list[str]:
    return [m.full_name for m in qs]


def search(actor, query: str, **kw) -> set[str]:
    return set(names(member_list(actor, MemberFilter(query=query, **kw))))


# --- visibility --------------------------------------------------------------------------------


def test_visibility_per_role(world):
    a1, a2, b1 = world.member_a1, world.member_a2, world.member_b1
    expected = {
        "admin": {a1, a2, b1},
        "province_officer": {a1, a2, b1},
        "officer_a": {a1, a2},
        "officer_b": {b1},
        "secretary_a1": {a1},
        "card_officer_a": {a1, a2},
        "member_user_a1": {a1},  # the member's own record, not through any unit grant
    }
    for role, members in expected.items():
        assert set(members_visible_to(getattr(world, role))) == members, role


def test_anonymous_sees_nothing(world):
    assert not members_visible_to(AnonymousUser()).exists()
    with pytest.raises(NotFound):
        member_get_for(AnonymousUser(), world.member_a1.pk)


def test_member_user_without_a_record_sees_nothing(world):
    world.member_user_a1.member = None
    world.member_user_a1.save()
    assert not members_visible_to(world.member_user_a1).exists()


def test_member_get_for_out_of_scope_is_not_found(world):
    assert member_get_for(world.officer_a, world.member_a2.pk) == world.member_a2
    for actor, member in [(world.officer_a, world.member_b1), (world.secretary_a1, world.member_a2),
                          (world.member_user_a1, world.member_a2), (world.officer_b, world.member_a1)]:
        with pytest.raises(NotFound):
            member_get_for(actor, member.pk)
        assert not member_is_visible(actor, member)
    with pytest.raises(NotFound):
        member_get_for(world.admin, 10**9)


def test_pending_incoming_transfer_is_visible_to_the_receiving_side_only(world):
    m = world.member_a1
    member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=dt.date(2026, 3, 2),
                        destination_unit=world.cell_b1)
    assert member_get_for(world.officer_b, m.pk).pending_unit == world.cell_b1
    assert world.member_a1 in members_visible_to(world.officer_b)
    assert member_is_visible(world.officer_a, m)  # the sender still holds the record
    assert member_is_visible(world.secretary_a1, m)
    # Within commune B, only grants covering the addressed cell see it.
    other_cell = unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-B-02", name="Chi bộ 2",
                             parent=world.commune_b)
    assert not member_is_visible(make_user("bithu_b2", Role.CELL_SECRETARY, other_cell), m)
    assert member_is_visible(make_user("bithu_b1", Role.CELL_SECRETARY, world.cell_b1), m)


def test_external_transfer_is_not_visible_to_other_communes(world):
    m = world.member_a1
    member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=dt.date(2026, 3, 2),
                        destination="Tỉnh Đắk Lắk")
    assert not member_is_visible(world.officer_b, m)


def test_list_restricted_to_a_unit_and_status(world):
    # Given names first: Đức < Hà.
    assert names(member_list(world.admin, MemberFilter(unit=world.commune_a))) == ["Trần Văn Đức", "Nguyễn Thị Hà"]
    assert names(member_list(world.admin, MemberFilter(status=Status.PROBATIONARY))) == ["Trần Văn Đức"]
    # The unit filter narrows the actor's view; it never widens it.
    assert names(member_list(world.officer_a, MemberFilter(unit=world.province))) == ["Trần Văn Đức", "Nguyễn Thị Hà"]
    assert names(member_list(world.officer_a, MemberFilter(unit=world.commune_b))) == []


def test_history_is_the_members_timeline_and_scoped(world):
    m = world.member_a1
    member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes={"phone": "0912345678"})
    kinds = [e.kind for e in member_history(world.member_user_a1, m.pk)]
    assert kinds == [EventKind.ADMITTED, EventKind.RECOGNIZED_OFFICIAL, EventKind.CORRECTED]
    with pytest.raises(NotFound):
        member_history(world.officer_b, m.pk)


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "nguyen thi ha",
    "NGUYỄN THỊ HÀ",
    "Nguyễn Thị Hà",
    unicodedata.normalize("NFD", "Nguyễn Thị Hà"),
    "Nguyen Thi Ha",
    "  nguyen   thi  ha ",
    "ha",
    "ng th h",  # every word a prefix of a word of the name
    "ha nguyen",  # word order does not matter
])
def test_search_finds_nguyen_thi_ha(world, query):
    assert search(world.admin, query) == {"Nguyễn Thị Hà"}


@pytest.mark.parametrize("query", ["hoa", "Hoà", "Hòa", "HOÀ", "hoà"])
def test_search_ignores_tone_placement(world, query):
    make_member(world.cell_b1, full_name="Phạm Thị Hòa", sex="F")
    assert search(world.admin, query) == {"Lê Thị Hoà", "Phạm Thị Hòa"}


def test_search_is_word_prefix_not_substring(world):
    make_member(world.cell_a1, full_name="Đỗ Văn Hải")
    make_member(world.cell_a1, full_name="Lê Văn Thanh")
    assert search(world.admin, "ha") == {"Nguyễn Thị Hà", "Đỗ Văn Hải"}
    assert search(world.admin, "hai") == {"Đỗ Văn Hải"}
    assert search(world.admin, "anh") == set()  # inside "Thanh", not at a word start
    assert search(world.admin, "uyen") == set()
    assert search(world.admin, "van") == {"Trần Văn Đức", "Đỗ Văn Hải", "Lê Văn Thanh"}
    assert search(world.admin, "van ha") == {"Đỗ Văn Hải"}
    assert search(world.admin, "duc") == {"Trần Văn Đức"}
    assert search(world.admin, "đức") == {"Trần Văn Đức"}
    assert search(world.admin, "\u00d0ức") == {"Trần Văn Đức"}  # legacy Ð typed for Đ


def test_search_treats_like_wildcards_literally(world):
    assert search(world.admin, "%") == set()
    assert search(world.admin, "_a") == set()


def test_search_matches_birth_name_and_aliases(world):
    make_member(world.cell_a1, full_name="Trần Thị Bích", sex="F", birth_name="Trần Thị Tý", aliases="Út Tý")
    assert search(world.admin, "ty") == {"Trần Thị Bích"}
    assert search(world.admin, "ut") == {"Trần Thị Bích"}


def test_search_by_digits_matches_ids_from_their_start(world):
    m = world.member_a1
    cid = m.citizen_id
    assert search(world.admin, cid) == {"Nguyễn Thị Hà"}
    assert search(world.admin, cid[:8]) >= {"Nguyễn Thị Hà"}
    assert search(world.admin, f"{cid[:3]} {cid[3:6]} {cid[6:]}") == {"Nguyễn Thị Hà"}
    assert search(world.admin, cid[1:]) == set()  # from the start only
    member_correct(actor=world.admin, member=m, expected_version=m.version,
                   changes={"profile_number": "654321GL", "card_number": "09876543"})
    assert search(world.admin, "654321gl") == {"Nguyễn Thị Hà"}
    assert search(world.admin, "0987654") == {"Nguyễn Thị Hà"}


def test_search_stays_inside_the_actor_scope(world):
    assert search(world.officer_a, "hoa") == set()
    assert search(world.officer_b, "hoa") == {"Lê Thị Hoà"}
    assert search(world.officer_b, world.member_a1.citizen_id) == set()


# --- ordering ---------------------------------------------------------------------------------------


def test_list_is_in_vietnamese_order_given_family_middle(world):
    for full_name in ["Nguyễn Văn Anh", "Bùi Ánh", "Lê Ảnh", "Phạm Ân", "Vũ Duy", "Đỗ Văn An", "Trần An"]:
        make_member(world.cell_a1, full_name=full_name, sex="M" if "Văn" in full_name else "F")
    listed = names(member_list(world.officer_a, MemberFilter(unit=world.cell_a1)))
    # Same given name An: the family name decides (Đỗ < Trần), whatever the middle name.
    assert listed == ["Đỗ Văn An", "Trần An", "Nguyễn Văn Anh", "Lê Ảnh", "Bùi Ánh", "Phạm Ân", "Vũ Duy",
                      "Nguyễn Thị Hà"]
    assert listed == sorted(listed, key=name_sort_key)
    reverse = names(member_list(world.officer_a, MemberFilter(unit=world.cell_a1, order="-name")))
    assert reverse == list(reversed(listed))


def test_duy_before_duc(world):
    make_member(world.cell_a2, full_name="Lê Duy")
    assert names(member_list(world.officer_a, MemberFilter(unit=world.cell_a2))) == ["Lê Duy", "Trần Văn Đức"]


def test_other_orders(world):
    assert names(member_list(world.admin, MemberFilter(order="birth"))) == ["Lê Thị Hoà", "Nguyễn Thị Hà",
                                                                           "Trần Văn Đức"]
    assert names(member_list(world.admin, MemberFilter(order="-admission")))[0] == "Trần Văn Đức"
    # An unknown order falls back to the name order.
    assert names(member_list(world.admin, MemberFilter(order="drop table"))) == names(
        member_list(world.admin, MemberFilter()))


def test_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    for i in range(10):
        make_member(world.cell_a1, full_name=f"Nguyễn Văn Số {chr(0x41 + i)}")
    member_list(world.officer_a, MemberFilter())  # grants cached on the user
    with django_assert_max_num_queries(1):
        rows = list(member_list(world.officer_a, MemberFilter()))
        assert [m.unit.code for m in rows]  # the unit comes with the row
    assert len(rows) == 12
    assert Member.objects.count() == 13
