"""The card pages and API: the flows a card officer goes through, and the member's card on the
member page. (Who may open which route: tests/test_scope_matrix.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.credentials.models import Card, Portrait
from tests.credentials.fixtures import jpeg

pytestmark = pytest.mark.usefixtures("english")


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"  # the messages are asserted in English (the msgids)
    client.force_login(user)
    return client


def test_the_pages_speak_vietnamese_by_default(cards):
    client = Client()
    client.force_login(cards.world.card_officer_a)
    page = client.get(f"/members/{cards.a1.pk}/").content.decode()
    assert "Thẻ đảng viên gắn chip" in page and "Chưa được cấp thẻ." in page and "Cấp thẻ đảng viên" in page


def test_a_card_officer_issues_suspends_and_reissues_through_the_pages(cards):
    w = cards.world
    client = client_for(w.card_officer_a)
    page = client.get(f"/members/{cards.a1.pk}/").content.decode()
    assert "No card issued yet." in page and f'href="/cards/members/{cards.a1.pk}/issue/"' in page
    response = client.post(f"/cards/members/{cards.a1.pk}/issue/", {"day": "02/11/2026", "note": "Đợt 1"})
    card = Card.objects.get(member=cards.a1)
    assert response.status_code == 302 and response["Location"] == f"/cards/{card.pk}/"
    page = client.get(f"/cards/{card.pk}/").content.decode()
    assert "0100000017" in page and f'href="/cards/{card.pk}/suspend/"' in page
    assert f'href="/cards/{card.pk}/reinstate/"' not in page
    portrait = client.get(f"/cards/{card.pk}/portrait.jpg")
    assert portrait["Content-Type"] == "image/jpeg" and portrait.content == bytes(Portrait.objects.get(member=cards.a1).jpeg)
    # A stale form is refused with a message, and changes nothing.
    stale = client.post(f"/cards/{card.pk}/suspend/", {"version": 0, "day": "05/11/2026", "note": ""})
    assert stale.status_code == 200 and "Someone else changed this card" in stale.content.decode()
    client.post(f"/cards/{card.pk}/suspend/", {"version": 1, "day": "05/11/2026", "note": "Báo mất"})
    response = client.post(f"/cards/{card.pk}/reissue/", {"version": 2, "reason": "lost", "day": "10/11/2026",
                                                         "note": ""})
    new = Card.objects.get(member=cards.a1, status="active")
    assert response["Location"] == f"/cards/{new.pk}/" and new.display_number == "0100000017.1"
    page = client.get(f"/members/{cards.a1.pk}/").content.decode()
    assert "Card 0100000017.1" in page and "Chip party card re-issued" in page
    listing = client.get("/cards/", {"q": "0100000017"}).content.decode()
    assert f'href="/cards/{new.pk}/"' in listing and f'href="/cards/{card.pk}/"' in listing


def test_a_form_error_comes_back_on_the_form(cards):
    client = client_for(cards.world.card_officer_a)
    response = client.post(f"/cards/members/{cards.a2.pk}/issue/", {"day": "02/11/2026"})
    assert response.status_code == 200
    assert "A probationary member gets the party card on recognition as official." in response.content.decode()
    response = client.post(f"/cards/members/{cards.a1.pk}/photo/", {
        "taken_on": "20/10/2026", "photo": _upload(jpeg(fmt="PNG"), "anh.jpg")})
    assert "The photo must be a JPEG file (this one is PNG)." in response.content.decode()
    assert Portrait.objects.filter(member=cards.a1).count() == 1


def test_a_member_sees_their_card_on_their_record_but_no_officer_links(cards):
    client_for(cards.world.card_officer_a).post(f"/cards/members/{cards.a1.pk}/issue/", {"day": "02/11/2026"})
    issued = Card.objects.get(member=cards.a1)
    card = client_for(cards.world.member_user_a1)
    page = card.get(f"/members/{cards.a1.pk}/").content.decode()
    assert "Card 0100000017" in page and "/issue/" not in page and "/photo/" not in page
    page = card.get(f"/cards/{issued.pk}/").content.decode()
    assert "0100000017" in page and "/suspend/" not in page and "/revoke/" not in page
    assert card.get("/cards/").status_code == 403  # no list: their own card only


def test_the_pending_page_issues_a_production_run(cards):
    client = client_for(cards.world.card_officer_a)
    page = client.get("/cards/pending/").content.decode()  # the officer's one area is chosen
    assert cards.a1.full_name in page and cards.b1.full_name not in page
    response = client.post("/cards/pending/?unit=GL-A", {"expected": 1, "day": "02/11/2026"})
    assert response.status_code == 302
    assert list(Card.objects.values_list("member_id", "number")) == [(cards.a1.pk, "0100000017")]
    assert "Nobody is waiting for a card here." in client.get("/cards/pending/?unit=GL-A").content.decode()


def test_the_api_issues_lists_and_revokes(cards):
    w = cards.world
    client = client_for(cards.card_officer_b)
    response = client.post(f"/api/cards/members/{cards.b1.pk}/issue", {"day": "2026-11-02"},
                           content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["version"], body["member"]["id"]) == (
        "0100000017", "active", 1, cards.b1.pk)
    assert client.get("/api/cards").json()["total"] == 1
    assert [c["id"] for c in client.get(f"/api/cards/members/{cards.b1.pk}").json()] == [body["id"]]
    stale = client.post(f"/api/cards/{body['id']}/revoke", {"version": 7, "reason": "issued_in_error"},
                        content_type="application/json")
    assert stale.status_code == 409
    revoked = client_for(w.officer_b).post(f"/api/cards/{body['id']}/revoke", {"version": 1, "reason": "issued_in_error"},
                                           content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = client.post(f"/api/cards/{body['id']}/reissue", {"version": 2, "reason": "expelled"},
                          content_type="application/json")
    assert refused.status_code == 422


def test_the_api_takes_a_photo_as_multipart(cards):
    client = client_for(cards.world.card_officer_a)
    before = AuditEntry.objects.count()
    response = client.post(f"/api/cards/members/{cards.a1.pk}/photo",
                           {"photo": _upload(jpeg(600, 800), "a.jpg"), "taken_on": "2026-11-01"})
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"], response.json()["taken_on"]) == (
        398, 531, "2026-11-01")
    assert AuditEntry.objects.count() == before + 1
    response = client.post(f"/api/cards/members/{cards.a1.pk}/photo", {"photo": _upload(b"GIF89a", "a.jpg")})
    assert response.status_code == 422 and response.json()["errors"] == {"photo": ["The file is not a JPEG photo."]}


def _upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")

