"""The verifier's answers, each with its reason: valid, revoked, suspended, unknown (no or stale status
list copy), invalid (expired, wrong root, wrong role, a changed byte...). Offline throughout: the
status list comes from the verifier's cache."""

from __future__ import annotations

import datetime as dt

import base45
import cbor2
import pytest
from django.utils import translation

from dangvien.credentials import phone, qr
from dangvien.credentials.phone import FIELDS
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.verify import Verifier, verify
from tests.clock import NOW
from tests.credentials._keys_standin import KeyRole, TrustList, make_keys, other_root_keys
from tests.credentials._qr_support import (
    REVOKED_INDEX,
    SUSPENDED_INDEX,
    URI,
    cache_with_list,
    claims,
    keys,
    phone_signer,
)


@pytest.fixture
def cache(tmp_path) -> StatusCache:
    return cache_with_list(tmp_path / "status")


def _verify(text: str, cache: StatusCache, *, now: dt.datetime = NOW, trust: TrustList | None = None):
    return Verifier(trust or keys().trust, cache).verify(text, now=now)


def _qr(*, disclose=FIELDS, now: dt.datetime = NOW, signer=None, **changes) -> str:
    return phone.phone_credential(claims(**changes), disclose=disclose, signer=signer or phone_signer(), now=now)


def test_a_qr_rendered_to_png_and_read_back_verifies(cache, tmp_path) -> None:
    # The card's printed code: the full credential, at level Q.
    printed = phone.phone_credential(claims(), disclose=FIELDS, signer=phone_signer(), now=NOW,
                                     valid_for=dt.timedelta(days=3650))
    [read_back] = qr.decode_image(qr.png(qr.card_qr(printed), scale=2))
    verdict = verify(read_back, trust=keys().trust, status_cache=cache, now=NOW)
    assert (verdict.result, verdict.fields["birth_date"]) == ("valid", dt.date(1958, 3, 12))
    # A phone's code showing two fields, from a picture file.
    text = _qr(disclose=["name", "committee"])
    picture = qr.png(qr.screen_qr(text), scale=3)
    assert qr.decode_image(picture) == [text]
    path = tmp_path / "qr.png"
    path.write_bytes(picture)
    verdict = verify(path, trust=keys().trust, status_cache=cache, now=NOW + dt.timedelta(hours=23))
    assert (verdict.result, verdict.reason, verdict.source) == ("valid", "", "phone")
    assert verdict.fields == {"name": "Nguyễn Thị Thanh Hương", "committee": "GL.12.0345"}
    assert verdict.expires_at == NOW + dt.timedelta(hours=24)
    assert verdict.status_list_issued_at == NOW and verdict.status_uri == URI


def test_a_revoked_or_suspended_card_is_told(cache) -> None:
    revoked = _verify(_qr(status_index=REVOKED_INDEX), cache)
    assert (revoked.result, revoked.reason) == ("revoked", "revoked")
    assert revoked.fields["card_number"] == "GL00123456"  # genuine, so what it shows is told too
    suspended = _verify(_qr(status_index=SUSPENDED_INDEX), cache)
    assert (suspended.result, suspended.reason) == ("suspended", "suspended")


def test_an_expired_credential_is_invalid(cache) -> None:
    text = _qr()
    assert _verify(text, cache, now=NOW + dt.timedelta(hours=24) - dt.timedelta(seconds=1)).result == "valid"
    expired = _verify(text, cache, now=NOW + dt.timedelta(hours=24))
    assert (expired.result, expired.reason, expired.fields) == ("invalid", "expired", {})
    # The printed card's QR lives as long as the card; its status decides.
    printed = phone.phone_credential(claims(), disclose=FIELDS, signer=phone_signer(), now=NOW,
                                     valid_for=dt.timedelta(days=3650))
    assert _verify(printed, cache, now=NOW + dt.timedelta(days=2)).result == "valid"
    # A QR made on a phone whose clock runs far ahead is not valid yet.
    ahead = _verify(_qr(now=NOW + dt.timedelta(minutes=30)), cache)
    assert (ahead.result, ahead.reason) == ("invalid", "not_yet_valid")
    assert _verify(_qr(now=NOW + dt.timedelta(minutes=4)), cache).result == "valid"


def test_a_stale_status_list_copy_makes_the_answer_unknown(tmp_path) -> None:
    text = _qr(status_index=REVOKED_INDEX)  # a fresh QR of a revoked card
    eight_days = NOW - dt.timedelta(days=8)
    stale = cache_with_list(tmp_path / "stale", issued_at=eight_days, fetched_at=eight_days)
    verdict = _verify(text, stale)
    assert (verdict.result, verdict.reason) == ("unknown", "status_stale")
    assert verdict.fields["name"] == "Nguyễn Thị Thanh Hương"
    # Six days old: still an answer.
    six_days = NOW - dt.timedelta(days=6)
    assert _verify(text, cache_with_list(tmp_path / "recent", issued_at=six_days, fetched_at=six_days)).result == "revoked"
    # No copy at all.
    missing = _verify(text, StatusCache(tmp_path / "empty"))
    assert (missing.result, missing.reason) == ("unknown", "status_unavailable")


def test_a_wrong_root_is_rejected(cache) -> None:
    forged = _qr(signer=other_root_keys().signer(KeyRole.PHONE))
    verdict = _verify(forged, cache)
    assert (verdict.result, verdict.reason, verdict.fields) == ("invalid", "signer_untrusted", {})
    # The forger's certificate slipped into the trust list still does not chain to the trusted root.
    forger = other_root_keys().signer(KeyRole.PHONE).info.certificate
    padded = TrustList(keys().trust.roots, [*keys().trust.signers, forger])
    assert _verify(forged, cache, trust=padded).reason == "signer_untrusted"


def test_a_key_of_another_role_or_out_of_its_period_is_rejected(cache, tmp_path) -> None:
    by_status_signer = _verify(_qr(signer=keys().signer(KeyRole.STATUS)), cache)
    assert (by_status_signer.result, by_status_signer.reason) == ("invalid", "signer_role")
    old = make_keys("old", start=NOW - dt.timedelta(days=500), days=400)  # its certificates ended 100 days ago
    trust = TrustList([*keys().trust.roots, old.root], [*keys().trust.signers, old.signer(KeyRole.PHONE).info.certificate])
    after_expiry = _verify(_qr(signer=old.signer(KeyRole.PHONE)), cache, trust=trust)
    assert (after_expiry.result, after_expiry.reason) == ("invalid", "signer_expired")


def test_a_changed_byte_anywhere_is_rejected(cache) -> None:
    text = _qr()
    raw = base45.b45decode(text[4:])
    assert _verify(text, cache).result == "valid"
    reasons = set()
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        verdict = _verify("DV1:" + base45.b45encode(bytes(changed)).decode(), cache)
        assert verdict.result == "invalid", position
        reasons.add(verdict.reason)
    assert reasons <= {"malformed", "bad_signature", "signer_untrusted", "not_yet_valid", "expired"}
    # A change to the shown name, the validity or the status entry: the signature no longer matches.
    message = cbor2.loads(raw)
    protected, unprotected, _payload, signature = message.value
    iat, exp, index, uri, salts, slots = unprotected[-65537]
    for presentation in ([iat, exp, index, uri, salts, ["Nguyễn Thị Thanh Hưởng", *slots[1:]]],
                         [iat, exp + 30 * 86400, index, uri, salts, list(slots)],
                         [iat, exp, index + 1, uri, salts, list(slots)]):
        tampered = cbor2.dumps(cbor2.CBORTag(18, [protected, {-65537: presentation}, None, signature]))
        verdict = _verify("DV1:" + base45.b45encode(tampered).decode(), cache)
        assert (verdict.result, verdict.reason) == ("invalid", "bad_signature")


def test_an_index_outside_the_list_is_invalid(cache) -> None:
    verdict = _verify(_qr(status_index=2**23), cache)
    assert (verdict.result, verdict.reason) == ("invalid", "status_index_out_of_range")


def test_verdicts_speak_vietnamese_and_english(cache) -> None:
    verdict = _verify(_qr(status_index=REVOKED_INDEX), cache)
    with translation.override("en"):
        assert verdict.message == "This card has been revoked."
    with translation.override("vi"):
        assert verdict.message == "Thẻ này đã bị thu hồi."
    data = verdict.as_json()
    assert data["result"] == "revoked" and data["fields"]["birth_date"] == "1958-03-12"


# Chip images: tests/credentials/test_verify_chip.py (the real passive authentication and keys).
