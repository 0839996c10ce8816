"""Signer keys in a PKCS#11 token (credentials/hsm.py), with a real SoftHSM2 token (Debian package
softhsm2, installed by `make test` when missing) made in a temporary folder for this test."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from dangvien.credentials import hsm
from dangvien.credentials.hsm import Pkcs11Signer
from dangvien.credentials.keys import PASSPHRASE_ENV, KeyRole, keys_init, load_keyring, signer_for, trust_list
from dangvien.credentials.lds import chip_image
from dangvien.credentials.passive_auth import passive_authentication
from tests.clock import NOW
from tests.credentials.conftest import TEST_PASSPHRASE, TEST_SCRYPT_N

SOFTHSM_MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"]


def _softhsm_token(directory: Path, monkeypatch) -> str:
    """A fresh SoftHSM2 token (label dangvien-test, user PIN 1234) in `directory`; its module's path."""
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    assert module, "SoftHSM2 is not installed: `make test` installs the Debian package softhsm2"
    (directory / "tokens").mkdir(parents=True)
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "dangvien-test", "--so-pin", "5678",
                    "--pin", "1234"], check=True, capture_output=True)
    return module


def test_signers_made_in_a_softhsm_token_sign_through_pkcs11(settings, monkeypatch, tmp_path, chip_data):
    module = _softhsm_token(tmp_path / "softhsm", monkeypatch)
    settings.DANGVIEN = {**settings.DANGVIEN, "KEYS_DIR": tmp_path / "keys", "KEYS_SCRYPT_N": TEST_SCRYPT_N,
                         "PKCS11": {"MODULE": module, "TOKEN": "dangvien-test", "PIN": "1234"}}
    monkeypatch.setenv(PASSPHRASE_ENV, TEST_PASSPHRASE)
    keys_init(authorities=["TW"], passphrase=TEST_PASSPHRASE)

    backends = {(e.role, e.backend, e.key_file) for e in load_keyring().entries}
    assert backends == {(KeyRole.ROOT, "file", next(e.key_file for e in load_keyring().entries if e.key_file)),
                        *((role, "pkcs11", "") for role in (KeyRole.CHIP, KeyRole.PHONE, KeyRole.STATUS,
                                                            KeyRole.BATCH, KeyRole.PRINTED))}
    signer = signer_for(KeyRole.CHIP)
    assert isinstance(signer, Pkcs11Signer)
    public_key = signer.info.certificate.public_key()
    public_key.verify(signer.sign(b"through the token"), b"through the token", ec.ECDSA(hashes.SHA256()))
    raw = signer.sign_raw(b"as COSE wants it")
    public_key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                      b"as COSE wants it", ec.ECDSA(hashes.SHA256()))

    image = chip_image(chip_data(), signer)
    assert passive_authentication(image, trust_list(), at=NOW).ok

    # The private key never leaves the token.
    from pkcs11 import Attribute, KeyType, ObjectClass

    session = hsm._session(hsm.pkcs11_config())
    entry = next(e for e in load_keyring().entries if e.key_id == signer.info.key_id)
    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC, id=bytes.fromhex(entry.pkcs11_id))
    assert (key[Attribute.SENSITIVE], key[Attribute.EXTRACTABLE]) == (True, False)
