"""The phone QR: its layout, its size (a full credential within QR version 15 at level Q), selective
disclosure, and presentation offline from what the phone keeps."""

from __future__ import annotations

import datetime as dt
import itertools

import base45
import cbor2
import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from dangvien.credentials import phone, qr
from dangvien.credentials.phone import FIELDS, PhoneQRError
from tests.clock import NOW
from tests.credentials._qr_support import claims, phone_signer

# A long Vietnamese name (57 bytes in UTF-8), a long committee code and a long status list address:
# if this fits, ordinary cards fit with room to spare.
LONG = dict(name="Công Tôn Nữ Thị Hoàng Phương Thảo Nguyễn Lê", committee="GL.12.0345.0001",
            status_list_uri="https://thedangvien.gov.vn/cards/status/1234")


def _cbor(text: str) -> cbor2.CBORTag:
    assert text.startswith("DV1:")
    return cbor2.loads(base45.b45decode(text[4:]))


def test_a_full_credential_fits_qr_version_15_at_level_q() -> None:
    text = phone.phone_credential(claims(**LONG), disclose=FIELDS, signer=phone_signer(), now=NOW)
    code = segno.make(text, error="q", micro=False, boost_error=False)
    assert code.version <= 15, code.designator
    assert code.error == "Q"
    assert qr.card_qr(text).version <= 15


def test_every_choice_of_fields_fits_a_screen_qr_of_version_15() -> None:
    credential = phone.issue(claims(**LONG), signer=phone_signer(), now=NOW)
    texts = [phone.present(credential, shown)
             for size in range(len(FIELDS) + 1) for shown in itertools.combinations(FIELDS, size)]
    # One alphanumeric segment each (Base45 is QR's alphanumeric alphabet), so the longest text needs
    # the largest code.
    assert all(segno.make(text, micro=False).mode == "alphanumeric" for text in texts[:3])
    code = qr.screen_qr(max(texts, key=len))
    assert code.version <= 15 and code.error in "MQH", code.designator


def test_the_layout_is_a_cose_sign1_with_a_detached_payload() -> None:
    signer = phone_signer()
    text = phone.phone_credential(claims(), disclose=FIELDS, signer=signer, now=NOW)
    message = _cbor(text)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -7, 4: bytes.fromhex(signer.info.key_id)}
    assert payload is None and len(signature) == 64
    iat, exp, index, uri, salts, slots = unprotected[-65537]
    assert (iat, exp) == (int(NOW.timestamp()), int(NOW.timestamp()) + 24 * 3600)
    assert (index, uri) == (4_181_977, "https://thedangvien.gov.vn/cards/status/17")
    assert isinstance(salts, bytes) and len(salts) == 16  # every field shown: the seed stands for the salts
    assert slots == ("Nguyễn Thị Thanh Hương", "GL00123456", dt.date(1958, 3, 12), "GL.12.0345",
                     dt.date(1980, 5, 19), dt.date(1981, 5, 19))


def test_a_qr_shows_only_the_chosen_fields() -> None:
    credential = phone.issue(claims(), signer=phone_signer(), now=NOW)
    text = phone.present(credential, ["name"])
    opened = phone.open_qr(text)
    assert opened.fields == {"name": "Nguyễn Thị Thanh Hương"}
    _iat, _exp, _index, _uri, salts, slots = _cbor(text).value[1][-65537]
    assert len(salts) == 1 and len(salts[0]) == 16  # the name's salt, not the seed
    assert slots[0] == "Nguyễn Thị Thanh Hương"
    assert all(isinstance(slot, bytes) and len(slot) == 16 for slot in slots[1:])  # digests only
    raw = base45.b45decode(text[4:])
    for withheld in (b"GL00123456", b"GL.12.0345", cbor2.dumps(cbor2.CBORTag(100, -4313))):
        assert withheld not in raw
    # Nothing shown at all: the QR still names the card's status entry, and nothing else.
    assert phone.open_qr(phone.present(credential, [])).fields == {}
    # The rebuilt payload is the same whatever is shown: one signature covers every choice.
    assert {phone.open_qr(phone.present(credential, shown)).payload
            for shown in ([], ["name"], FIELDS, ["official_date", "birth_date"])} == {opened.payload}


def test_the_phone_presents_offline_from_what_it_keeps() -> None:
    kept = phone.issue(claims(birth_date=1958, official_date=None), signer=phone_signer(), now=NOW).to_bytes()
    credential = phone.IssuedCredential.from_bytes(kept)  # no key from here on
    opened = phone.open_qr(phone.present(credential, ["birth_date", "official_date", "committee"]))
    assert opened.fields == {"birth_date": 1958, "official_date": None, "committee": "GL.12.0345"}


def test_each_credential_has_fresh_salts() -> None:
    # The same member's credentials of two days share no digest: a verifier cannot link them by those.
    first = _cbor(phone.phone_credential(claims(), disclose=[], signer=phone_signer(), now=NOW)).value[1][-65537][5]
    second = _cbor(phone.phone_credential(claims(), disclose=[], signer=phone_signer(),
                                          now=NOW + dt.timedelta(days=1))).value[1][-65537][5]
    assert not set(first) & set(second)


def test_bad_requests_are_refused_with_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="unknown field.*photo.*the fields are name, card_number"):
        phone.phone_credential(claims(), disclose=["name", "photo"], signer=phone_signer(), now=NOW)
    with pytest.raises(ValueError, match="name is required"):
        phone.phone_credential(claims(name="  "), disclose=[], signer=phone_signer(), now=NOW)
    with pytest.raises(ValueError, match="aware"):
        phone.phone_credential(claims(), disclose=[], signer=phone_signer(), now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="status list"):
        phone.phone_credential(claims(status_index=-1), disclose=[], signer=phone_signer(), now=NOW)


def test_names_are_signed_in_nfc() -> None:
    decomposed = "Nguye\u0302\u0303n Va\u0306n An"  # what some keyboards send
    text = phone.phone_credential(claims(name=decomposed), disclose=["name"], signer=phone_signer(), now=NOW)
    assert phone.open_qr(text).fields["name"] == "Nguyễn Văn An"


@pytest.mark.parametrize(("text", "reason"), [
    ("HC1:6BFOXN*TS0BI$ZD", "not_a_card_qr"),
    ("DV1:ÄÖ", "malformed"),  # outside the Base45 alphabet
    ("DV1:AAAA", "malformed"),  # 3n + 1 characters
    ("DV1:" + base45.b45encode(cbor2.dumps([1, 2, 3])).decode(), "malformed"),
])
def test_what_is_not_a_phone_qr_is_told_apart(text: str, reason: str) -> None:
    with pytest.raises(PhoneQRError) as caught:
        phone.open_qr(text)
    assert caught.value.reason == reason


@given(st.binary(max_size=400))
def test_base45_decoding_matches_the_base45_package(data: bytes) -> None:
    assert phone.b45decode(base45.b45encode(data).decode()) == data


@pytest.mark.parametrize("text", ["GGW", "A", "ABCD", "abc", "ZZ", "::::"])
def test_base45_decoding_refuses_what_the_base45_package_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        base45.b45decode(text)
    with pytest.raises(ValueError):
        phone.b45decode(text)
