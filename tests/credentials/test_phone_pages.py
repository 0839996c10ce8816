"""The member's card page with its phone QR (/cards/mine/) and the public verifier page
(/cards/verify/): a QR the member's page draws is read back from its picture and checked on the
verifier page, before and after the card is revoked. (Who may open the routes: tests/test_scope_matrix.py.)"""

from __future__ import annotations

import datetime as dt
import re

import base45
import pytest
from django.test import Client

from dangvien.credentials import qr
from dangvien.credentials.models import Card
from dangvien.credentials.services import card_issue, card_revoke

pytestmark = pytest.mark.usefixtures("english", "test_keys")


def client(user=None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["django_language"] = "en"
    if user is not None:
        c.force_login(user)
    return c


def qr_text_of(page: str) -> str:
    """The code's text the page offers, checked to be what its QR picture holds."""
    text = re.search(r'<textarea[^>]*data-qr-text[^>]*>([^<]+)</textarea>', page)
    assert text is not None
    drawn = re.search(r"<svg.*?</svg>", page, re.S)
    assert drawn is not None and drawn.group(0) == qr.svg(qr.screen_qr(text.group(1)), scale=4, title="QR").strip()
    return text.group(1)


def verdict_of(page: str) -> tuple[str, str]:
    found = re.search(r'data-result="(\w+)" data-reason="(\w*)"', page)
    assert found is not None, page
    return found.group(1), found.group(2)


def test_the_members_qr_shows_what_they_chose_and_the_verifier_page_answers(cards):
    w = cards.world
    card = card_issue(actor=w.admin, member=cards.a1, day=dt.date(2026, 11, 2))
    member = client(w.member_user_a1)

    home = member.get("/handbook/").content.decode()
    assert 'href="/cards/mine/"' in home
    response = member.get("/cards/mine/")
    page = response.content.decode()
    assert response.status_code == 200 and response["X-Dangvien-Offline-Copy"] == str(w.member_user_a1.pk)
    assert card.display_number in page and "It shows: Full name." in page
    default = qr_text_of(page)

    anyone = client()
    result = anyone.post("/cards/verify/", {"text": default}).content.decode()
    assert verdict_of(result) == ("valid", "")
    assert cards.a1.full_name in result and card.display_number not in result  # the name only

    chosen = member.get("/cards/mine/", {"chosen": "1", "show": ["card_number", "committee"]}).content.decode()
    result = anyone.post("/cards/verify/", {"text": qr_text_of(chosen)}).content.decode()
    assert verdict_of(result) == ("valid", "")
    assert card.display_number in result and cards.a1.full_name not in result

    nothing = member.get("/cards/mine/", {"chosen": "1"}).content.decode()
    assert "only that the card is valid" in nothing

    card_revoke(actor=w.admin, card=Card.objects.get(pk=card.pk), expected_version=card.version,
                reason="issued_in_error", day=dt.date(2026, 11, 3))
    assert verdict_of(anyone.post("/cards/verify/", {"text": default}).content.decode()) == ("revoked", "revoked")
    assert "no longer valid" in member.get("/cards/mine/").content.decode()


def test_the_verifier_page_names_what_is_wrong_with_a_text(cards):
    card = card_issue(actor=cards.world.admin, member=cards.a1, day=dt.date(2026, 11, 2))
    text = qr_text_of(client(cards.world.member_user_a1).get("/cards/mine/").content.decode())
    anyone = client()
    data = bytearray(base45.b45decode(text[4:]))
    data[-1] ^= 1  # the signature's last byte
    tampered = "DV1:" + base45.b45encode(bytes(data)).decode()
    answers = {
        "hello": ("invalid", "not_a_card_qr"),
        "DV1:!!": ("invalid", "malformed"),
        tampered: ("invalid", "bad_signature"),
    }
    for item, expected in answers.items():
        assert verdict_of(anyone.post("/cards/verify/", {"text": item}).content.decode()) == expected, item
    empty = anyone.post("/cards/verify/", {"text": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert card.pk
