"""Card reads in scope, members waiting for a card, status-list entries and their packed bytes."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import transaction

from dangvien.core.errors import NotFound
from dangvien.credentials import entries, selectors, services
from dangvien.credentials.models import Card, StatusList

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def issued(cards):
    a1 = services.card_issue(actor=cards.world.card_officer_a, member=cards.a1, day=DAY)
    b1 = services.card_issue(actor=cards.card_officer_b, member=cards.b1, day=DAY)
    return cards, a1, b1


def test_each_role_sees_the_cards_of_its_area_and_a_member_their_own(issued):
    cards, a1, b1 = issued
    w = cards.world
    seen = {name: set(selectors.cards_visible_to(getattr(w, name))) for name in (
        "admin", "province_officer", "officer_a", "officer_b", "secretary_a1", "card_officer_a", "member_user_a1")}
    assert seen == {"admin": {a1, b1}, "province_officer": {a1, b1}, "officer_a": {a1}, "officer_b": {b1},
                    "secretary_a1": {a1}, "card_officer_a": {a1}, "member_user_a1": {a1}}
    assert selectors.card_get_for(w.member_user_a1, a1.pk) == a1
    with pytest.raises(NotFound):
        selectors.card_get_for(w.card_officer_a, b1.pk)
    with pytest.raises(NotFound):
        selectors.card_get_for(w.secretary_a1, 999_999)
    assert selectors.card_for_member(w.officer_b, cards.a1) is None
    assert selectors.card_for_member(w.officer_a, cards.a1) == a1


def test_the_member_card_is_the_live_one_else_the_latest(issued):
    cards, a1, _b1 = issued
    officer = cards.world.card_officer_a
    new = services.card_reissue(actor=officer, card=a1, expected_version=1, reason="damaged", day=DAY)
    assert selectors.card_for_member(officer, cards.a1) == new
    services.card_revoke(actor=officer, card=new, expected_version=1, reason="issued_in_error", day=DAY)
    assert selectors.card_for_member(officer, cards.a1) == new  # both revoked: the latest
    assert list(selectors.cards_of_member(officer, cards.a1)) == [new, a1]


def test_the_list_filters_by_unit_status_and_number_or_name(issued):
    cards, a1, b1 = issued
    w = cards.world
    services.card_suspend(actor=w.province_officer, card=b1, expected_version=1, day=DAY)
    every = selectors.CardFilter()
    assert list(selectors.card_list(w.province_officer, every)) == [a1, b1]  # by unit path
    assert list(selectors.card_list(w.province_officer, selectors.CardFilter(unit=w.commune_b))) == [b1]
    assert list(selectors.card_list(w.province_officer, selectors.CardFilter(status="suspended"))) == [b1]
    assert list(selectors.card_list(w.province_officer, selectors.CardFilter(query="01000000 25"))) == [b1]
    assert list(selectors.card_list(w.province_officer, selectors.CardFilter(query="hoa"))) == [b1]  # Lê Thị Hoà
    assert list(selectors.card_list(w.officer_a, selectors.CardFilter(query="hoa"))) == []


def test_members_waiting_for_a_card(cards):
    w = cards.world
    assert list(selectors.members_awaiting_cards(w.province_officer, w.province)) == [cards.a1, cards.b1]
    assert list(selectors.members_awaiting_cards(w.card_officer_a, w.province)) == [cards.a1]  # scope
    services.card_issue(actor=w.card_officer_a, member=cards.a1, day=DAY)
    assert list(selectors.members_awaiting_cards(w.province_officer, w.province)) == [cards.b1]


# --- status lists ---------------------------------------------------------------------------------------


def test_statuses_are_packed_two_bits_an_entry_least_significant_first(cards, settings):
    """The draft's example: statuses 1, 2, 0, 3 at indexes 0-3 make the byte 0xC9 (11 00 10 01);
    a card's status is never 3, so here the first two make 0x09 (00 00 10 01)."""
    settings.DANGVIEN = {**settings.DANGVIEN, "STATUS_LIST_SIZE": 16}
    w = cards.world
    a1 = services.card_issue(actor=w.card_officer_a, member=cards.a1, day=DAY)
    b1 = services.card_issue(actor=cards.card_officer_b, member=cards.b1, day=DAY)
    # Put the cards where the example wants them (test setup: entries are drawn at random), by way
    # of free indexes so that they never share one.
    Card.objects.filter(pk=a1.pk).update(status_index=100)
    Card.objects.filter(pk=b1.pk).update(status_index=101)
    Card.objects.filter(pk=a1.pk).update(status_index=0)
    Card.objects.filter(pk=b1.pk).update(status_index=1)
    services.card_revoke(actor=w.officer_a, card=a1, expected_version=1, reason="issued_in_error", day=DAY)
    services.card_suspend(actor=w.officer_b, card=b1, expected_version=1, day=DAY)
    assert selectors.status_list_bytes(a1.status_list_id) == bytes([0b1001, 0, 0, 0])
    # Index 5 (byte 1, bits 2-3) revoked, index 15 (byte 3, bits 6-7) suspended.
    Card.objects.filter(pk=a1.pk).update(status_index=5)
    Card.objects.filter(pk=b1.pk).update(status_index=15)
    assert selectors.status_list_bytes(a1.status_list_id) == bytes([0, 0b0100, 0, 0b1000_0000])
    services.card_reinstate(actor=w.officer_b, card=b1, expected_version=2, day=DAY)
    assert selectors.status_list_bytes(a1.status_list_id) == bytes([0, 0b0100, 0, 0])
    assert selectors.status_list_statuses is selectors.status_list_bytes
    with pytest.raises(NotFound):
        selectors.status_list_bytes(999)


@pytest.mark.django_db
def test_entries_are_random_never_reused_and_a_new_list_opens_at_the_threshold(settings, monkeypatch):
    settings.DANGVIEN = {**settings.DANGVIEN, "STATUS_LIST_SIZE": 64, "STATUS_LIST_FILL": 0.75}
    monkeypatch.setattr(entries, "random_source", random.Random(7))
    with transaction.atomic():
        first = entries.entries_draw(40)
    lists = list(StatusList.objects.order_by("pk"))
    assert len(lists) == 1 and (lists[0].used, lists[0].full) == (40, False)
    indexes = [index for _list, index in first]
    assert len(set(indexes)) == 40 and all(0 <= i < 64 for i in indexes)
    assert indexes != sorted(indexes)  # not handed out in order
    # Take them for real, so the next draws must avoid them.
    _store_cards(first)
    with transaction.atomic():
        more = entries.entries_draw(20)
    lists = list(StatusList.objects.order_by("pk"))
    # 48 entries (3/4 of 64) in the first list, the other 12 in a new one.
    assert [(s.used, s.full) for s in lists] == [(48, True), (12, False)]
    in_first = [i for s, i in more if s == lists[0]]
    assert len(in_first) == 8 and not set(in_first) & set(indexes)
    assert lists[1].uri == f"http://127.0.0.1:8000/cards/status/{lists[1].pk}"


def _store_cards(drawn: list) -> None:
    """Cards holding these entries (test setup: the entries are what this test is about)."""
    from tests.credentials.fixtures import jpeg
    from tests.factories import build_world

    world = build_world()
    from dangvien.credentials.models import Portrait

    portrait = Portrait.objects.create(member=world.member_a1, jpeg=jpeg(), width=300, height=400, sha256="0" * 64,
                                       source="upload", taken_on=DAY)
    Card.objects.bulk_create([
        Card(member=world.member_a1, number=f"N{i}", status="revoked", issued_on=DAY, authority=world.province,
             portrait=portrait, status_list=status_list, status_index=index)
        for i, (status_list, index) in enumerate(drawn)])
