"""The QR printed on a card lives as long as the card (10 years); a phone signer's certificate lasts 13
months and leaves the trust list when it expires. The printed QR is signed by a printed-card signer
whose certificate covers the card's life, so years later it still verifies with the trust list of that
day, where a phone signer's would not."""

from __future__ import annotations

import datetime as dt

from dangvien.credentials import phone, status_list
from dangvien.credentials.faces import PRINTED_VALIDITY
from dangvien.credentials.keys import KeyRole, keys_rotate, signer_for, trust_list
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.verify import Verifier
from tests.clock import NOW

URI = "https://thedangvien.gov.vn/cards/status/3"
INDEX = 1_234


def _printed_qr(role: KeyRole) -> str:
    claims = phone.PhoneClaims(name="Nguyễn Thị Thanh Hương", card_number="GL00123456",
                               birth_date=dt.date(1958, 3, 12), committee="GL", admission_date=dt.date(1980, 5, 19),
                               official_date=dt.date(1981, 5, 19), status_list_uri=URI, status_index=INDEX)
    return phone.phone_credential(claims, disclose=phone.FIELDS, signer=signer_for(role, at=NOW), now=NOW,
                                  valid_for=PRINTED_VALIDITY)


def test_a_printed_qr_verifies_five_years_on_where_a_phone_signed_one_does_not(fresh_keys, tmp_path) -> None:
    printed, phone_signed = _printed_qr(KeyRole.PRINTED), _printed_qr(KeyRole.PHONE)
    later = NOW + dt.timedelta(days=5 * 365)
    # That day's keys: a status signer rotated in, and the trust list `keys export-trust` gives then.
    keys_rotate(role=KeyRole.STATUS, passphrase=fresh_keys.passphrase, now=later - dt.timedelta(days=1))
    trust = trust_list(later)
    token = status_list.status_list_token(status_list.pack_entries(2**14, []), uri=URI,
                                          signer=signer_for(KeyRole.STATUS, at=later), issued_at=later,
                                          ttl=dt.timedelta(hours=1))
    cache = StatusCache(tmp_path / "status")
    cache.put(token, uri=URI, trust=trust, fetched_at=later)
    verifier = Verifier(trust, cache)

    verdict = verifier.verify_qr(printed, now=later)
    assert (verdict.result, verdict.reason, verdict.fields["card_number"]) == ("valid", "", "GL00123456")
    refused = verifier.verify_qr(phone_signed, now=later)
    assert (refused.result, refused.reason) == ("invalid", "signer_untrusted")
    # The printed signer's certificate outlives the card: 11 years and 3 days from its making.
    [printed_signer] = [c for c in trust.signers if signer_for(KeyRole.PRINTED, at=NOW).info.certificate == c]
    assert printed_signer.not_valid_after_utc - printed_signer.not_valid_before_utc == dt.timedelta(days=11 * 365 + 3)


def test_a_qr_signed_by_a_chip_or_status_key_is_refused_for_its_role(fresh_keys, tmp_path) -> None:
    verifier = Verifier(trust_list(NOW), StatusCache(tmp_path / "status"))
    for role in (KeyRole.CHIP, KeyRole.STATUS, KeyRole.BATCH):
        verdict = verifier.verify_qr(_printed_qr(role), now=NOW)
        assert (verdict.result, verdict.reason) == ("invalid", "signer_role"), role
