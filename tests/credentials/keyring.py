"""The test keyring (`test_keys`, `fresh_keys`): a plugin of tests/conftest.py, so that tests outside
tests/credentials (the scope matrix's card face) sign with it too. See tests/credentials/conftest.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from dangvien.credentials.keys import (
    PASSPHRASE_ENV,
    KeyRole,
    Signer,
    TrustList,
    keys_init,
    signer_for,
    trust_list,
)
from tests.clock import NOW

TEST_PASSPHRASE = "dangvien test keys: not a secret"
TEST_AUTHORITIES = ["TW", "GL"]
MADE_AT = NOW - dt.timedelta(days=1)
# scrypt at 2^10 (production 2^17): the tests make keyrings, they do not guard them.
TEST_SCRYPT_N = 2**10


@dataclass(frozen=True)
class TestKeys:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    directory: Path
    passphrase: str
    authorities: list[str]

    def signer(self, role: KeyRole = KeyRole.CHIP, *, authority: str | None = None,
               at: dt.datetime | None = None) -> Signer:
        return signer_for(role, authority=authority, at=at)

    def trust(self, at: dt.datetime | None = None) -> TrustList:
        return trust_list(at)


def _make_keyring(directory: Path) -> Path:
    keys_init(authorities=TEST_AUTHORITIES, passphrase=TEST_PASSPHRASE, now=MADE_AT, directory=directory,
              scrypt_n=TEST_SCRYPT_N)
    return directory


@pytest.fixture(scope="session")
def _test_keys_dir(tmp_path_factory) -> Path:
    # The settings fixture is per test: organization and key periods come from the real settings.
    assert django_settings.configured
    return _make_keyring(tmp_path_factory.mktemp("keys"))


def _point_at(settings, monkeypatch, directory: Path) -> TestKeys:
    settings.DANGVIEN = {**settings.DANGVIEN, "KEYS_DIR": directory, "PKCS11": None, "KEYS_SCRYPT_N": TEST_SCRYPT_N}
    monkeypatch.setenv(PASSPHRASE_ENV, TEST_PASSPHRASE)
    return TestKeys(directory=directory, passphrase=TEST_PASSPHRASE, authorities=TEST_AUTHORITIES)


@pytest.fixture
def test_keys(settings, monkeypatch, _test_keys_dir) -> TestKeys:
    return _point_at(settings, monkeypatch, _test_keys_dir)


@pytest.fixture
def fresh_keys(settings, monkeypatch, tmp_path) -> TestKeys:
    """A keyring of this test's own (same passphrase and authorities), for tests that change it."""
    return _point_at(settings, monkeypatch, _make_keyring(tmp_path / "keys"))
