"""The credentials' keys (credentials/keys.py) and `dangvien keys`: the root and its signers, their
certificates, encrypted files, current signer and rotation with overlap, the trust list."""

from __future__ import annotations

import datetime as dt
import json
import stat
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import CommandError, call_command

from dangvien.credentials.keys import (
    ROLE_OIDS,
    SIGNER_ROLES,
    KeyRole,
    KeysError,
    TrustList,
    key_id_of,
    keys_init,
    keys_rotate,
    load_keyring,
    signer_for,
    trust_list,
)
from tests.clock import NOW
from tests.credentials.conftest import MADE_AT, TEST_PASSPHRASE


def _root(directory):
    return next(e for e in load_keyring(directory).entries if e.role == KeyRole.ROOT)


def test_init_makes_a_p384_root_and_p256_signers_it_certifies(test_keys):
    keyring = load_keyring(test_keys.directory)
    root = _root(test_keys.directory).certificate
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey) and root.public_key().curve.name == "secp384r1"
    assert root.issuer == root.subject
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    root.verify_directly_issued_by(root)

    signers = [e for e in keyring.entries if e.role != KeyRole.ROOT]
    assert sorted((e.authority, e.role) for e in signers) == sorted(
        (a, r) for a in ("TW", "GL") for r in SIGNER_ROLES)
    for entry in signers:
        certificate = entry.certificate
        certificate.verify_directly_issued_by(root)
        assert certificate.public_key().curve.name == "secp256r1"
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
        assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            ROLE_OIDS[entry.role]]
        assert certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex() == (
            entry.key_id) == key_id_of(certificate.public_key())
        assert certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == (
            bytes.fromhex(_root(test_keys.directory).key_id))
        assert certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == (
            entry.authority)
    chip = next(e for e in signers if e.role == KeyRole.CHIP and e.authority == "TW")
    # A year of signing, then ten years in which the cards it signed still verify.
    assert chip.signing_period() == (MADE_AT.astimezone(dt.UTC).replace(microsecond=0),
                                     MADE_AT.astimezone(dt.UTC).replace(microsecond=0) + dt.timedelta(days=365))
    assert chip.not_after - chip.not_before == dt.timedelta(days=11 * 365 + 3)


def test_private_keys_are_encrypted_files_only_their_owner_reads(test_keys):
    for entry in load_keyring(test_keys.directory).entries:
        path = test_keys.directory / entry.key_file
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # "Password was not given but private key is encrypted"
            serialization.load_pem_private_key(path.read_bytes(), password=None)


def test_the_current_signer_signs_and_its_certificate_verifies(test_keys):
    signer = signer_for(KeyRole.CHIP)
    assert (signer.info.role, signer.info.authority) == (KeyRole.CHIP, "TW")  # the default authority
    public_key = signer.info.certificate.public_key()
    public_key.verify(signer.sign(b"card data"), b"card data", ec.ECDSA(hashes.SHA256()))
    raw = signer.sign_raw(b"card data")
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, b"card data", ec.ECDSA(hashes.SHA256()))
    assert signer_for(KeyRole.CHIP, authority="GL").info.key_id != signer.info.key_id


def test_no_signer_after_its_signing_period_and_the_root_never_signs_cards(test_keys):
    with pytest.raises(KeysError, match="rotate --role status --authority TW"):
        signer_for(KeyRole.STATUS, at=MADE_AT + dt.timedelta(days=366))
    with pytest.raises(KeysError, match="root key signs only signer certificates"):
        signer_for(KeyRole.ROOT)


def test_a_wrong_passphrase_decrypts_nothing(fresh_keys, monkeypatch):
    with pytest.raises(KeysError, match="wrong passphrase"):
        keys_init(authorities=["HN"], passphrase="not it", directory=fresh_keys.directory)
    assert load_keyring(fresh_keys.directory).authorities() == ["GL", "TW"]  # nothing was added
    monkeypatch.setenv("DANGVIEN_KEY_PASSPHRASE", "not it")
    with pytest.raises(KeysError, match="cannot be decrypted: wrong passphrase"):
        signer_for(KeyRole.CHIP)


def test_rotation_hands_signing_over_and_keeps_the_old_certificate_trusted_until_it_expires(fresh_keys):
    old = signer_for(KeyRole.PHONE)
    later = NOW + dt.timedelta(days=100)
    (new_entry,) = keys_rotate(role=KeyRole.PHONE, authority="TW", passphrase=TEST_PASSPHRASE, now=later)
    assert signer_for(KeyRole.PHONE, at=later).info.key_id == new_entry.key_id
    assert signer_for(KeyRole.PHONE, at=later - dt.timedelta(days=1)).info.key_id == old.info.key_id
    assert signer_for(KeyRole.PHONE, authority="GL", at=later).info.key_id != new_entry.key_id  # TW only

    def phone_signers(at):
        return {c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
                for c in trust_list(at).signers if ROLE_OIDS[KeyRole.PHONE] in
                list(c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)}

    assert {old.info.key_id, new_entry.key_id} <= phone_signers(later)
    after_old_expiry = old.info.certificate.not_valid_after_utc + dt.timedelta(days=1)
    assert old.info.key_id not in phone_signers(after_old_expiry)
    assert new_entry.key_id in phone_signers(after_old_expiry)


def test_a_new_root_certifies_the_signers_made_after_it(fresh_keys):
    old_root = _root(fresh_keys.directory)
    later = NOW + dt.timedelta(days=10)
    (new_root,) = keys_rotate(role=KeyRole.ROOT, passphrase=TEST_PASSPHRASE, now=later)
    (chip,) = keys_rotate(role=KeyRole.CHIP, authority="GL", passphrase=TEST_PASSPHRASE, now=later)
    chip.certificate.verify_directly_issued_by(new_root.certificate)
    assert {c.serial_number for c in trust_list(later).roots} == {old_root.certificate.serial_number,
                                                                  new_root.certificate.serial_number}


def test_init_again_adds_an_authority_and_nothing_else(fresh_keys):
    before = load_keyring(fresh_keys.directory).entries
    made = keys_init(authorities=["TW", "HN"], passphrase=TEST_PASSPHRASE, directory=fresh_keys.directory)
    assert sorted((e.authority, e.role) for e in made) == sorted(("HN", r) for r in SIGNER_ROLES)
    assert load_keyring(fresh_keys.directory).entries[:len(before)] == before


@pytest.mark.parametrize("authority", ["", "Tỉnh ủy", "a b", "x" * 33])
def test_authority_codes_are_short_plain_words(fresh_keys, authority):
    with pytest.raises(KeysError, match="authority code"):
        keys_init(authorities=[authority], passphrase=TEST_PASSPHRASE, directory=fresh_keys.directory)


def test_the_trust_list_travels_as_json_and_finds_signers_by_key_id(test_keys, tmp_path):
    trust = TrustList.from_json(trust_list().to_json())
    assert len(trust.roots) == 1 and len(trust.signers) == 10  # 5 roles × 2 authorities
    phone = signer_for(KeyRole.PHONE)
    assert trust.signer(phone.info.key_id) == phone.info.certificate
    assert trust.signer(phone.info.key_id, at=NOW, role=KeyRole.PHONE) == phone.info.certificate
    assert trust.signer(phone.info.key_id, at=NOW, role=KeyRole.CHIP) is None
    assert trust.signer("00" * 8) is None
    # A signer listed next to a root that did not issue it is not trusted.
    keys_init(authorities=["TW"], passphrase=TEST_PASSPHRASE, directory=tmp_path / "other")
    foreign = TrustList(roots=trust.roots, signers=[e.certificate for e in load_keyring(tmp_path / "other").entries])
    assert foreign.signer(foreign.signers[1].extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest.hex()) is None
    with pytest.raises(KeysError, match="not a trust list"):
        TrustList.from_json(b'{"roots": []}')


def _keys_command(*args: str) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_the_keys_command_inits_lists_rotates_and_exports(fresh_keys, settings, tmp_path):
    settings.DANGVIEN = {**settings.DANGVIEN, "KEYS_DIR": tmp_path / "cli-keys"}
    made = _keys_command("init", "--authority", "GL")
    assert made.count(" new ") == 6  # the root and 5 signers and "keep a copy offline" in made
    assert _keys_command("init", "--authority", "GL").startswith("Nothing to make")
    rotated = _keys_command("rotate", "--role", "batch")
    assert rotated.startswith("batch   GL ") and "Publish the new trust list" in rotated
    listing = _keys_command("list").splitlines()
    assert [line.split()[:2] + [line.split()[3]] for line in listing] == [
        ["root", "-", "signing"], ["chip", "GL", "signing"], ["phone", "GL", "signing"],
        ["status", "GL", "signing"], ["batch", "GL", "valid"], ["printed", "GL", "signing"], ["batch", "GL", "signing"]]
    _keys_command("export-trust", "-o", str(tmp_path / "trust.json"))
    exported = TrustList.from_json((tmp_path / "trust.json").read_bytes())
    assert (len(exported.roots), len(exported.signers)) == (1, 6)  # chip, phone, status, printed, the old and the new batch signer
    pem = _keys_command("export-trust", "--pem")
    assert pem.count("-----BEGIN CERTIFICATE-----") == 7
    assert json.loads(_keys_command("export-trust"))["format"] == "dangvien-trust-list/1"


def test_the_keys_command_without_a_passphrase_stops_and_says_where_to_put_it(fresh_keys, monkeypatch):
    monkeypatch.delenv("DANGVIEN_KEY_PASSPHRASE")
    with pytest.raises(CommandError, match="DANGVIEN_KEY_PASSPHRASE"):
        _keys_command("rotate", "--role", "chip")
    monkeypatch.setenv("DANGVIEN_KEY_PASSPHRASE", TEST_PASSPHRASE)
    with pytest.raises(CommandError, match="No signers for authority HN"):
        _keys_command("rotate", "--role", "chip", "--authority", "HN")
