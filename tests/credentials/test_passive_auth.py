"""Passive authentication (credentials/passive_auth.py): a genuine chip image passes; any one-byte
change, a wrong root, an expired or wrong-role signer fail with their own reason; OpenSSL's CMS
verifier accepts the EF.SOD this project writes."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from dangvien.credentials.keys import KeyRole, TrustList, keys_init, load_keyring
from dangvien.credentials.lds import chip_image
from dangvien.credentials.passive_auth import passive_authentication
from dangvien.credentials.sod import parse_sod
from dangvien.credentials.tlv import read_one
from tests.clock import NOW
from tests.credentials.conftest import TEST_PASSPHRASE, TEST_SCRYPT_N


@pytest.fixture
def image(test_keys, chip_data) -> dict[str, bytes]:
    return chip_image(chip_data(), test_keys.signer(KeyRole.CHIP))


def _flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes((data[position] ^ 0x01,)) + data[position + 1:]


def test_a_genuine_chip_image_passes_and_says_which_status_entry_to_look_up(test_keys, image):
    verdict = passive_authentication(image, test_keys.trust(), at=NOW)
    assert (verdict.ok, verdict.reason) == (True, "")
    assert (verdict.card_number, verdict.status_list_uri, verdict.status_index) == (
        "GL-0012345", "https://the.example/cards/status/1", 70_000)
    assert verdict.fields["full_name"] == "Nguyễn Thị Hồng Đào"
    assert verdict.fields["reissue_count"] == "1"


# Every bit-flip of every byte: the data groups and EF.COM each with their own reason; in EF.SOD, what
# a changed byte breaks depends on where it is (below, a test for each kind of place), never a data group.
EXPECTED_CODES = {
    "EF.COM": {"ef_com"},
    "DG1": {"dg_hash"},
    "DG2": {"dg_hash"},
    "DG11": {"dg_hash"},
    "DG12": {"dg_hash"},
    "DG13": {"dg_hash"},
    "EF.SOD": {"sod_malformed", "sod_signature", "signer_untrusted"},
}


def _positions(image: dict[str, bytes], name: str, portrait: bytes) -> list[int]:
    """Every byte, but in DG2 only every 16th of the JPEG (all of it is hashed alike; the headers
    before it, every byte), to keep the test fast."""
    if name != "DG2":
        return list(range(len(image[name])))
    start = len(image["DG2"]) - len(portrait)
    return [*range(start), *range(start, len(image["DG2"]), 16)]


@pytest.mark.parametrize("name", list(EXPECTED_CODES))
def test_a_one_byte_change_anywhere_in_a_file_is_rejected_with_the_files_reason(test_keys, image, name,
                                                                                 portrait_jpeg):
    trust = test_keys.trust()
    wrong: dict[int, str] = {}
    for position in _positions(image, name, portrait_jpeg):
        verdict = passive_authentication({**image, name: _flipped(image[name], position)}, trust, at=NOW)
        if verdict.ok or verdict.code not in EXPECTED_CODES[name]:
            wrong[position] = verdict.reason or "accepted"
        elif name.startswith("DG") and not verdict.reason.startswith(f"dg_hash: {name} "):
            wrong[position] = verdict.reason
    assert wrong == {}, f"{len(wrong)} of {len(image[name])} changes of {name} were not rejected as expected"


def _rejection(image: dict[str, bytes], trust: TrustList, *, sod_bytes_to_flip: bytes, at: dt.datetime = NOW):
    sod = image["EF.SOD"]
    position = sod.index(sod_bytes_to_flip) + len(sod_bytes_to_flip) // 2
    return passive_authentication({**image, "EF.SOD": _flipped(sod, position)}, trust, at=at).reason


def test_a_change_in_a_signed_hash_breaks_the_signature(test_keys, image):
    signed_hash = parse_sod(read_one(image["EF.SOD"], 0x77)).hashes[13]
    assert _rejection(image, test_keys.trust(), sod_bytes_to_flip=signed_hash) == (
        "sod_signature: the signed message digest does not match the security object")


def test_a_change_in_the_signature_breaks_it(test_keys, image):
    signature = parse_sod(read_one(image["EF.SOD"], 0x77)).signature
    assert _rejection(image, test_keys.trust(), sod_bytes_to_flip=signature[-20:]) == (
        "sod_signature: the security object's signature does not verify")


def test_a_change_in_the_signers_certificate_makes_it_untrusted(test_keys, image):
    # a letter of the signer's name: the certificate still parses, the root's signature over it fails
    assert _rejection(image, test_keys.trust(), sod_bytes_to_flip=b"chip signer") == (
        "signer_untrusted: the signer's certificate is not issued by a trusted root")


def test_a_wrong_root_is_rejected(test_keys, image, tmp_path):
    keys_init(authorities=["TW"], passphrase=TEST_PASSPHRASE, now=NOW, directory=tmp_path / "other",
              scrypt_n=TEST_SCRYPT_N)
    other_root = next(e.certificate for e in load_keyring(tmp_path / "other").entries if e.role == KeyRole.ROOT)
    genuine = test_keys.trust()
    for trust in (TrustList(roots=[other_root], signers=genuine.signers), TrustList(roots=[], signers=[])):
        verdict = passive_authentication(image, trust, at=NOW)
        assert (verdict.ok, verdict.code) == (False, "signer_untrusted")


def test_a_signer_outside_its_validity_is_rejected(test_keys, image):
    certificate = test_keys.signer(KeyRole.CHIP).info.certificate
    expired = passive_authentication(image, test_keys.trust(), at=certificate.not_valid_after_utc + dt.timedelta(seconds=1))
    assert expired.reason == f"signer_expired: the signer's certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}"
    early = passive_authentication(image, test_keys.trust(), at=certificate.not_valid_before_utc - dt.timedelta(days=1))
    assert early.code == "signer_not_yet_valid"


def test_a_phone_signer_cannot_sign_a_chip(test_keys, chip_data):
    image = chip_image(chip_data(), test_keys.signer(KeyRole.PHONE))
    assert passive_authentication(image, test_keys.trust(), at=NOW).reason == (
        "signer_role: the certificate is not a chip signer's")


def test_missing_and_extra_files_are_named(test_keys, image):
    trust = test_keys.trust()
    for name, code in (("EF.SOD", "sod_missing"), ("DG2", "dg_missing"), ("EF.COM", "ef_com")):
        without = {k: v for k, v in image.items() if k != name}
        assert passive_authentication(without, trust, at=NOW).code == code
    extra = passive_authentication({**image, "DG3": b"\x63\x00"}, trust, at=NOW)
    assert extra.reason == "dg_unlisted: DG3 is not listed in the security object"


def test_another_cards_data_group_does_not_pass_as_this_ones(test_keys, image, chip_data):
    other = chip_image(chip_data(card_number="GL-0012346"), test_keys.signer(KeyRole.CHIP))
    swapped = passive_authentication({**image, "DG13": other["DG13"]}, test_keys.trust(), at=NOW)
    assert swapped.reason == "dg_hash: DG13 does not match the hash in the security object"


def test_a_signer_rotated_away_still_verifies_the_cards_it_signed(fresh_keys, chip_data):
    from dangvien.credentials.keys import keys_rotate

    old = fresh_keys.signer(KeyRole.CHIP)
    image = chip_image(chip_data(), old)
    later = NOW + dt.timedelta(days=30)
    keys_rotate(role=KeyRole.CHIP, authority="TW", passphrase=fresh_keys.passphrase, now=later)
    assert fresh_keys.signer(KeyRole.CHIP, at=later).info.key_id != old.info.key_id
    assert passive_authentication(image, fresh_keys.trust(later), at=later).ok


def test_openssl_cms_verify_accepts_the_ef_sod(test_keys, image, tmp_path):
    sod_file, root_file, wrong_root, content = (tmp_path / n for n in ("sod.der", "root.pem", "other.pem", "lso.der"))
    sod_file.write_bytes(read_one(image["EF.SOD"], 0x77))
    root_file.write_bytes(test_keys.trust().roots[0].public_bytes(serialization.Encoding.PEM))
    command = ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(sod_file), "-purpose", "any",
               "-binary", "-out", str(content), "-attime", str(int(NOW.timestamp()))]
    result = subprocess.run([*command, "-CAfile", str(root_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert content.read_bytes() == parse_sod(read_one(image["EF.SOD"], 0x77)).content
    # The same command with another root (the phone signer's certificate posing as one) refuses it.
    wrong_root.write_bytes(test_keys.signer(KeyRole.PHONE).info.certificate.public_bytes(serialization.Encoding.PEM))
    refused = subprocess.run([*command, "-CAfile", str(wrong_root)], capture_output=True, text=True)
    assert refused.returncode != 0 and "Verification failure" in refused.stderr

