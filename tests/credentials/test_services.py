"""The card lifecycle through its services: issue, re-issue, suspend, reinstate, revoke, and the member
hook that revokes on expulsion, removal and death."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.models import AuditEntry
from dangvien.credentials import services
from dangvien.credentials.models import Card, Portrait, StatusList
from dangvien.members import services as member_services
from dangvien.members.models import MemberEvent
from tests.clock import TODAY
from tests.credentials.fixtures import jpeg, send_to_production

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 11, 2)


def issue(cards, member, actor=None, day=DAY) -> Card:
    return services.card_issue(actor=actor or cards.world.card_officer_a if member.unit.path.startswith(
        cards.world.commune_a.path) else cards.card_officer_b, member=member, day=day)


def state() -> tuple:
    return (list(Card.objects.order_by("pk").values_list("pk", "status", "version")), MemberEvent.objects.count(),
            AuditEntry.objects.count(), StatusList.objects.count())


def refused(call, error: type[Exception]) -> Exception:
    before = state()
    with pytest.raises(error) as caught:
        call()
    assert state() == before
    return caught.value


def card_events(member) -> list[tuple[str, dict[str, Any], str]]:
    return list(MemberEvent.objects.filter(member=member, kind__startswith="card.").order_by("id")
                .values_list("kind", "details", "note"))


# --- issue ------------------------------------------------------------------------------------------


def test_a_card_officer_issues_the_first_card_of_a_member_sent_to_production(cards):
    officer = cards.world.card_officer_a
    card = services.card_issue(actor=officer, member=cards.a1, day=DAY, note="Đợt 1")
    card.refresh_from_db()
    # The default scheme: province code 01 (the first province), sequence 0000001, Luhn digit 7.
    assert (card.number, card.reissue_count, card.status, card.issued_on) == ("0100000017", 0, "active", DAY)
    assert card.display_number == "0100000017"
    assert card.authority == cards.world.province and card.issued_by == officer
    assert card.portrait == Portrait.objects.get(member=cards.a1)
    assert card.status_list.uri == f"http://127.0.0.1:8000/cards/status/{card.status_list_id}"
    assert 0 <= card.status_index < 2**20
    assert card_events(cards.a1) == [("card.issued", {"card_number": "0100000017", "reissue_count": 0}, "Đợt 1")]
    row = AuditEntry.objects.filter(action="card.issued").get()
    assert (row.object_type, row.object_id, row.unit_path, row.actor_id) == (
        "card", str(card.pk), cards.world.cell_a1.path, officer.pk)
    assert row.before is None
    assert row.after["number"] == "0100000017" and row.after["status_index"] == card.status_index
    # The next member of the same province takes the next number (Luhn digit 5).
    assert issue(cards, cards.b1).number == "0100000025"


def test_issue_refuses_a_member_not_ready_and_writes_nothing(cards):
    officer = cards.world.card_officer_a
    error = refused(lambda: services.card_issue(actor=officer, member=cards.a2, day=DAY), ValidationError)
    assert error.message_dict == {"member": ["A probationary member gets the party card on recognition as official."]}
    cards.a2.__class__.objects.filter(pk=cards.a2.pk).update(status="official")  # test setup: recognized
    error = refused(lambda: services.card_issue(actor=officer, member=cards.a2, day=DAY), ValidationError)
    assert "has not been sent to the Central Organizing Committee" in error.message_dict["member"][0]
    send_to_production(cards.a2)  # sent, but no photo of them yet
    error = refused(lambda: services.card_issue(actor=officer, member=cards.a2, day=DAY), ValidationError)
    assert error.message_dict == {"photo": ["There is no photo of the member: upload the photo taken at the photo "
                                            "step."]}
    services.card_issue(actor=officer, member=cards.a1, day=DAY)
    error = refused(lambda: services.card_issue(actor=officer, member=cards.a1, day=DAY), ValidationError)
    assert error.message_dict == {"member": ["The member already holds a card: re-issue it instead."]}
    error = refused(lambda: services.card_issue(actor=cards.card_officer_b, member=cards.b1, day=TODAY
                                                + dt.timedelta(days=1)), ValidationError)
    assert error.message_dict == {"day": ["This date is in the future."]}


def test_issue_happens_only_in_the_card_officers_area(cards):
    w = cards.world
    refused(lambda: services.card_issue(actor=w.card_officer_a, member=cards.b1, day=DAY), NotFound)
    # A committee officer and a cell secretary see the member's cards but do not issue them.
    for actor in (w.officer_a, w.province_officer, w.secretary_a1):
        refused(lambda actor=actor: services.card_issue(actor=actor, member=cards.a1, day=DAY), PermissionDenied)
    refused(lambda: services.card_issue(actor=w.member_user_a1, member=cards.a1, day=DAY), PermissionDenied)


def test_a_member_off_the_roll_gets_no_card(cards):
    w = cards.world
    member_services.member_remove(actor=w.officer_b, member=cards.b1, expected_version=cards.b1.version, date=DAY,
                                  reason="Bỏ sinh hoạt")
    error = refused(lambda: services.card_issue(actor=cards.card_officer_b, member=cards.b1, day=DAY),
                    ValidationError)
    assert error.message_dict == {"member": ["The member is removed from the roll: no card is issued."]}


# --- re-issue, suspension, revocation -------------------------------------------------------------


def test_a_lost_card_is_suspended_then_replaced_keeping_the_number(cards):
    officer = cards.world.card_officer_a
    first = issue(cards, cards.a1)
    suspended = services.card_suspend(actor=cards.world.officer_a, card=first, expected_version=1,
                                      day=dt.date(2026, 11, 5), note="Báo mất tại chi bộ")
    assert (suspended.status, suspended.status_changed_on, suspended.version) == ("suspended", dt.date(2026, 11, 5), 2)
    cards.photo(cards.a1, shade=30)  # a new photo for the new card
    new = services.card_reissue(actor=officer, card=first, expected_version=2, reason="lost",
                                day=dt.date(2026, 11, 10), note="Quyết định 12-QĐ/ĐU")
    old = Card.objects.get(pk=first.pk)
    assert (old.status, old.revocation_reason, old.status_changed_on, old.version) == (
        "revoked", "lost", dt.date(2026, 11, 10), 3)
    assert (new.number, new.reissue_count, new.display_number, new.status) == ("0100000017", 1, "0100000017.1", "active")
    assert new.replaces == old and old.replaced_by == new
    assert (new.status_list_id, new.status_index) != (old.status_list_id, old.status_index)
    assert new.portrait != old.portrait == Portrait.objects.filter(member=cards.a1).order_by("pk").first()
    assert card_events(cards.a1) == [
        ("card.issued", {"card_number": "0100000017", "reissue_count": 0}, ""),
        ("card.suspended", {"card_number": "0100000017", "reissue_count": 0}, "Báo mất tại chi bộ"),
        ("card.reissued", {"card_number": "0100000017", "reissue_count": 1, "reason": "lost"}, "Quyết định 12-QĐ/ĐU"),
    ]
    actions = list(AuditEntry.objects.filter(object_type="card").order_by("seq").values_list("action", "before",
                                                                                             "object_id"))
    assert actions[1:] == [
        ("card.suspended", {"status": "active", "status_changed_on": None, "status_note": ""}, str(old.pk)),
        ("card.revoked", {"status": "suspended", "status_changed_on": "2026-11-05", "status_note": "Báo mất tại chi bộ",
                          "revocation_reason": ""}, str(old.pk)),
        ("card.reissued", None, str(new.pk))]
    # No third card from the revoked one; the new one is re-issued in turn as number .2.
    refused(lambda: services.card_reissue(actor=officer, card=old, expected_version=3, reason="damaged", day=DAY),
            ValidationError)
    third = services.card_reissue(actor=officer, card=new, expected_version=1, reason="damaged")
    assert (third.number, third.reissue_count, third.issued_on) == ("0100000017", 2, TODAY)


def test_reissue_and_revoke_refuse_a_stale_copy_a_wrong_reason_and_others_areas(cards):
    w = cards.world
    card = issue(cards, cards.a1)
    services.card_suspend(actor=w.card_officer_a, card=card, expected_version=1, day=DAY)
    refused(lambda: services.card_reissue(actor=w.card_officer_a, card=card, expected_version=1, reason="lost",
                                          day=DAY), StaleEdit)
    error = refused(lambda: services.card_reissue(actor=w.card_officer_a, card=card, expected_version=2,
                                                  reason="expelled", day=DAY), ValidationError)
    assert error.message_dict == {"reason": ["A card is re-issued after loss, damage or a change of its data."]}
    refused(lambda: services.card_revoke(actor=cards.card_officer_b, card=card, expected_version=2, reason="lost",
                                         day=DAY), NotFound)
    refused(lambda: services.card_revoke(actor=w.secretary_a1, card=card, expected_version=2, reason="lost", day=DAY),
            PermissionDenied)
    # A committee officer revokes and reinstates, but does not re-issue.
    refused(lambda: services.card_reissue(actor=w.officer_a, card=card, expected_version=2, reason="lost", day=DAY),
            PermissionDenied)
    error = refused(lambda: services.card_revoke(actor=w.officer_a, card=card, expected_version=2, reason="x",
                                                 day=DAY), ValidationError)
    assert error.message_dict == {"reason": ["Choose the reason."]}
    error = refused(lambda: services.card_reinstate(actor=w.officer_a, card=card, expected_version=2,
                                                    day=dt.date(2026, 11, 1)), ValidationError)
    assert error.message_dict == {"day": ["This date is before 02/11/2026."]}
    back = services.card_reinstate(actor=w.officer_a, card=card, expected_version=2, day=DAY)
    assert (back.status, back.version) == ("active", 3)


def test_a_card_issued_in_error_is_revoked_and_issued_again_with_the_same_number(cards):
    w = cards.world
    card = issue(cards, cards.a1)
    services.card_revoke(actor=w.officer_a, card=card, expected_version=1, reason="issued_in_error", day=DAY,
                         note="In sai ngày sinh")
    error = refused(lambda: services.card_revoke(actor=w.officer_a, card=card, expected_version=2,
                                                 reason="issued_in_error", day=DAY), ValidationError)
    assert error.message_dict == {"card": ["This card is revoked already."]}
    again = issue(cards, cards.a1)
    assert (again.number, again.reissue_count, again.replaces) == ("0100000017", 1, None)
    assert [k for k, _d, _n in card_events(cards.a1)] == ["card.issued", "card.revoked", "card.issued"]


# --- the member hook -----------------------------------------------------------------------------------------


def test_expulsion_removal_and_death_revoke_the_live_card_in_the_member_services_transaction(cards):
    w = cards.world
    a1_card, b1_card = issue(cards, cards.a1), issue(cards, cards.b1)
    member_services.member_discipline(actor=w.officer_a, member=cards.a1, expected_version=cards.a1.version,
                                      date=DAY, form="expulsion", decision="5-QĐ/ĐU")
    b1 = type(cards.b1).objects.get(pk=cards.b1.pk)
    member_services.member_record_death(actor=w.officer_b, member=b1, expected_version=b1.version,
                                        date=dt.date(2026, 11, 12))
    a1_card.refresh_from_db()
    b1_card.refresh_from_db()
    assert (a1_card.status, a1_card.revocation_reason, a1_card.status_changed_on) == ("revoked", "expelled", DAY)
    assert (b1_card.status, b1_card.revocation_reason, b1_card.status_changed_on) == (
        "revoked", "deceased", dt.date(2026, 11, 12))
    # The committee officer who expelled holds no card permission: the hook needs none.
    audit = AuditEntry.objects.get(action="card.revoked", object_id=str(a1_card.pk))
    assert audit.actor_id == w.officer_a.pk and audit.after["revocation_reason"] == "expelled"
    event = MemberEvent.objects.get(member=cards.a1, kind="card.revoked")
    assert (event.details, event.from_status, event.to_status, event.effective_date) == (
        {"card_number": a1_card.number, "reissue_count": 0, "reason": "expelled"}, "expelled", "expelled", DAY)


def test_a_failing_card_write_fails_the_member_change(cards, monkeypatch):
    card = issue(cards, cards.a1)

    def broken(**kwargs):
        raise RuntimeError("card store down")

    monkeypatch.setattr("dangvien.credentials.lifecycle.card_revoke_for_member", broken)
    with pytest.raises(RuntimeError):
        member_services.member_remove(actor=cards.world.officer_a, member=cards.a1, expected_version=cards.a1.version,
                                      date=DAY, reason="Bỏ sinh hoạt")
    cards.a1.refresh_from_db()
    card.refresh_from_db()
    assert (cards.a1.status, card.status) == ("official", "active")


def test_a_transfer_keeps_the_card(cards):
    card = issue(cards, cards.a1)
    member_services.member_transfer_out(actor=cards.world.officer_a, member=cards.a1, expected_version=cards.a1.version,
                                        date=DAY, destination="Đảng bộ tỉnh Kon Tum")
    card.refresh_from_db()
    assert card.status == "active" and not MemberEvent.objects.filter(kind="card.revoked").exists()


# --- photos ------------------------------------------------------------------------------------------------


def test_a_photo_is_stored_upright_scaled_and_without_metadata(cards):
    from PIL import Image

    big = jpeg(900, 1200, exif=_exif_with_gps())
    portrait = services.portrait_record(actor=cards.world.card_officer_a, member=cards.a1, data=big,
                                        taken_on=dt.date(2026, 10, 21))
    stored = Image.open(__import__("io").BytesIO(bytes(portrait.jpeg)))
    assert (stored.format, stored.size, portrait.width, portrait.height) == ("JPEG", (398, 531), 398, 531)
    assert not stored.getexif()
    assert AuditEntry.objects.filter(action="card.portrait_recorded", object_id=str(cards.a1.pk)).count() == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"%PDF-1.7 not a photo", "The file is not a JPEG photo."),
    (jpeg(fmt="PNG"), "The photo must be a JPEG file (this one is PNG)."),
    (jpeg()[:600], "The photo file is damaged."),
    (jpeg(200, 300), "The photo is 200 × 300 pixels: at least 240 × 320 are needed."),
    (jpeg(500, 400), "The photo is wider than it is tall: send a portrait (head and shoulders)."),
])
def test_a_bad_photo_is_refused_with_the_reason(cards, data, message):
    error = refused(lambda: services.portrait_record(actor=cards.world.card_officer_a, member=cards.a1, data=data),
                    ValidationError)
    assert error.message_dict == {"photo": [message]}


def test_a_photo_too_large_is_refused(cards, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "PORTRAIT_MAX_BYTES": 1000}
    error = refused(lambda: services.portrait_record(actor=cards.world.card_officer_a, member=cards.a1, data=jpeg()),
                    ValidationError)
    assert error.message_dict == {"photo": ["The photo is larger than 0.000953674 MB."]}


def _exif_with_gps() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (13.0, 59.0, 0.0)}  # GPS
    return exif.tobytes()


# --- many at once --------------------------------------------------------------------------------------------


class _RolledBack(Exception):
    def __init__(self, written: dict[str, Any]):
        self.written = written


def written_by(write) -> dict[str, Any]:
    """The cards, events and audit rows `write` adds (cards named by their order), then undone."""
    first_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    last_card = Card.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_event = MemberEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            write()
            new = list(Card.objects.filter(pk__gt=last_card).order_by("pk").values())
            name = {c["id"]: f"card {i}" for i, c in enumerate(new)}
            random = ("id", "status_index", "created_at")
            raise _RolledBack({
                "cards": [{k: v for k, v in c.items() if k not in random} for c in new],
                "events": list(MemberEvent.objects.filter(pk__gt=last_event).order_by("pk").values(
                    "member_id", "kind", "effective_date", "from_status", "to_status", "unit_id", "actor_id", "note",
                    "details")),
                "audit": [{**a, "object_id": name.get(int(a["object_id"]), a["object_id"]),
                           "after": {k: v for k, v in a["after"].items() if k != "status_index"}}
                          for a in AuditEntry.objects.filter(seq__gt=first_seq).order_by("seq").values(
                              "action", "object_type", "object_id", "before", "after", "unit_path", "actor_id")],
            })
    except _RolledBack as done:
        return done.written


def test_a_production_run_writes_what_issuing_one_by_one_writes(cards):
    from tests.factories import make_member

    w = cards.world
    # Two more in cell A2 (one of them had a card revoked in error: they keep its number), one without a photo.
    lan = make_member(w.cell_a2, full_name="Trần Thị Lan", sex="F")
    an = make_member(w.cell_a2, full_name="Đỗ Văn An")
    nophoto = make_member(w.cell_a1, full_name="Võ Văn Tám")
    from dangvien.campaign.services import campaign_refresh

    campaign_refresh(actor=w.admin, campaign=cards.campaign)
    send_to_production(lan, an, nophoto)
    cards.photo(lan, 3)
    cards.photo(an, 4)
    first_an = issue(cards, an)
    services.card_revoke(actor=w.card_officer_a, card=first_an, expected_version=1, reason="issued_in_error", day=DAY)

    from dangvien.credentials.selectors import members_awaiting_cards

    waiting = list(members_awaiting_cards(w.card_officer_a, w.commune_a))
    assert [m.full_name for m in waiting] == ["Nguyễn Thị Hà", "Võ Văn Tám", "Đỗ Văn An", "Trần Thị Lan"]
    results: list[Any] = []
    bulk = written_by(lambda: results.append(services.cards_issue_bulk(actor=w.card_officer_a, unit=w.commune_a,
                                                                       day=DAY, expected=4)))
    one_by_one = written_by(lambda: [services.card_issue(actor=w.card_officer_a, member=m, day=DAY)
                                     for m in waiting if m != nophoto])
    assert bulk == one_by_one
    assert [m.full_name for m in results[0].without_photo] == ["Võ Văn Tám"]
    assert [(c["member_id"], c["number"], c["reissue_count"]) for c in bulk["cards"]] == [
        (cards.a1.pk, "0100000025", 0), (an.pk, "0100000017", 1), (lan.pk, "0100000033", 0)]
    assert first_an.number == "0100000017"
    assert len(bulk["audit"]) == 3 and len(bulk["events"]) == 3


def test_a_production_run_refuses_a_list_that_changed_and_another_area(cards):
    w = cards.world
    error = refused(lambda: services.cards_issue_bulk(actor=w.card_officer_a, unit=w.commune_a, day=DAY, expected=2),
                    ValidationError)
    assert error.message_dict == {"expected": ["1 members are waiting now, not 2: reload the list."]}
    refused(lambda: services.cards_issue_bulk(actor=w.card_officer_a, unit=w.commune_b, day=DAY), PermissionDenied)
    cards_made = services.cards_issue_bulk(actor=w.card_officer_a, unit=w.province.__class__.objects.get(
        pk=w.commune_a.pk), day=DAY).cards
    assert [c.member_id for c in cards_made] == [cards.a1.pk]
    assert services.cards_issue_bulk(actor=w.card_officer_a, unit=w.commune_a, day=DAY).cards == []


def test_many_photos_are_stored_as_one_by_one(cards):
    w = cards.world
    photos = [(cards.a1, jpeg(shade=1)), (cards.a2, jpeg(shade=2)), (cards.a1, jpeg(shade=1))]
    made = services.portraits_record_many(actor=w.card_officer_a, photos=photos, source="campaign",
                                          taken_on=dt.date(2026, 10, 22))
    assert [(p.member_id, p.width, p.height, p.source) for p in made] == [
        (cards.a1.pk, 300, 400, "campaign"), (cards.a2.pk, 300, 400, "campaign"), (cards.a1.pk, 300, 400, "campaign")]
    single = services.portrait_record(actor=w.card_officer_a, member=cards.a1, data=jpeg(shade=1), source="campaign",
                                      taken_on=dt.date(2026, 10, 22))
    assert single.sha256 == made[0].sha256 and bytes(single.jpeg) == bytes(made[0].jpeg)
    rows = list(AuditEntry.objects.filter(action="card.portrait_recorded").order_by("-seq")[:4].values_list(
        "object_id", "after"))
    assert rows[0][1] == {**rows[3][1], "portrait": single.pk}  # the same row but the photo's id
    refused(lambda: services.portraits_record_many(actor=w.card_officer_a, photos=[(cards.b1, jpeg())],
                                                   source="campaign"), NotFound)
