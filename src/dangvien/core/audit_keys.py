"""The audit trail's secrets, kept in files outside the database.

- The keyring (settings.AUDIT_KEYS_FILE, `{"current": "k1", "keys": {"k1": "<hex>"}}`): HMAC-SHA256
  keys of the audit rows and of the seal blocks. New rows and blocks use the current key; older keys
  stay in the file so that what they keyed still verifies (`dangvien audit rotate-key`).
- The signing key (settings.AUDIT_SIGNING_KEY, PEM): the Ed25519 key that signs exported checkpoints.

Both are generated on first use with mode 0600, like the Django secret key (settings._secret_key).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

logger = logging.getLogger("dangvien.audit")


class AuditKeyError(Exception):
    """A key file that is missing where it must exist, or that cannot be read."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]


# (path, mtime_ns, size) -> Keyring: every audit write needs the keyring, and a rotation made by
# another process (a new file) is picked up at the next write.
_cache: dict[tuple[str, int, int], Keyring] = {}


def audit_keyring(*, create: bool = True) -> Keyring | None:
    """The keyring, generated on first use when `create` (writers); None when it does not exist and
    `create` is false (verification never makes a key: a missing file is a finding)."""
    path = Path(settings.AUDIT_KEYS_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        _write_new(path, _keyring_json(Keyring("k1", {"k1": secrets.token_bytes(32)})))
        stat = path.stat()
    marker = (str(path), stat.st_mtime_ns, stat.st_size)
    if (keyring := _cache.get(marker)) is None:
        _warn_if_readable_by_others(path, stat.st_mode)
        keyring = _parse_keyring(path)
        _cache.clear()
        _cache[marker] = keyring
    return keyring


def audit_key_rotate() -> Keyring:
    """Add a new key and make it current; the old keys stay, for verifying what they keyed. Running
    processes pick the new key up at their next audit write."""
    keyring = audit_keyring()
    assert keyring is not None
    numbers = [int(k[1:]) for k in keyring.keys if k[:1] == "k" and k[1:].isdigit()]
    new_id = f"k{max(numbers, default=0) + 1}"
    rotated = Keyring(new_id, {**keyring.keys, new_id: secrets.token_bytes(32)})
    path = Path(settings.AUDIT_KEYS_FILE)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write_private(temporary, _keyring_json(rotated))
    os.replace(temporary, path)  # readers see the old file or the new one, never half of one
    return rotated


def _keyring_json(keyring: Keyring) -> str:
    return json.dumps({"current": keyring.current, "keys": {k: v.hex() for k, v in keyring.keys.items()}},
                      indent=2) + "\n"


def _parse_keyring(path: Path) -> Keyring:
    try:
        data = json.loads(path.read_text())
        keys = {str(k): bytes.fromhex(v) for k, v in data["keys"].items()}
        current = str(data["current"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuditKeyError(f"The audit keys file {path} cannot be read: {exc}") from exc
    if current not in keys:
        raise AuditKeyError(f"The audit keys file {path} names current key {current!r}, which it does not hold.")
    return Keyring(current, keys)


# --- the checkpoint signing key -------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key, generated on first use."""
    path = Path(settings.AUDIT_SIGNING_KEY)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _write_new(path, pem.decode())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"The audit signing key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"The audit signing key {path} is not an Ed25519 key.")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key (PEM) given to the verifier, e.g. a copy kept away from the application server."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"The public key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError(f"The public key {path} is not an Ed25519 key.")
    return key


# --- files ------------------------------------------------------------------------------------------


def _write_new(path: Path, text: str) -> None:
    """Create a private file unless it exists, atomically: concurrent first uses (several workers
    starting at once) all end up with the same key, and nobody reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write_private(temporary, text)
    try:
        os.link(temporary, path)  # fails if another process created it first: theirs wins
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _warn_if_readable_by_others(path: Path, mode: int) -> None:
    if mode & 0o077:
        logger.warning("The audit keys file %s can be read by other users (mode %o); it should be 0600.",
                       path, mode & 0o777)
