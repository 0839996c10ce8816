"""The card credentials' keys: an offline root and the signers it certifies.

- The root: ECDSA P-384, a self-signed CA certificate. It only signs signer certificates, during
  `dangvien keys init` and `dangvien keys rotate`; it is never loaded to sign anything else.
- Signers: ECDSA P-256, one per issuing authority (a short code such as "TW") and per role: the chip's
  security object (the ICAO Document Signer), the phone credential, the status list, the production
  batch. Each certificate is issued by the root with key usage digitalSignature, a private-key usage
  period (the signer signs only within it) and its role as an extended key usage under this project's
  own OID arc, so that a phone signer cannot vouch for a chip.
- Key ids: the first 8 bytes of SHA-256 of the public key (SubjectPublicKeyInfo DER), in hex; the
  certificate's SubjectKeyIdentifier holds the same bytes.
- Rotation with overlap: `rotate` makes a new signer that takes over signing at once; the old
  certificate stays in the trust list until it expires, so what it signed still verifies.
- Storage under settings.DANGVIEN["KEYS_DIR"]: a keyring index (keyring.json: the entries and the
  passphrase's key-derivation parameters), each certificate as PEM, each private key as a PKCS#8 PEM
  encrypted under scrypt(passphrase) (the passphrase from DANGVIEN_KEY_PASSPHRASE or, in the command, a
  prompt). When settings.DANGVIEN["PKCS11"] names a module, token and PIN, new signer keys are made in
  that token instead (hsm.py) and never leave it; the root stays a file, to be kept offline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from .hsm import Pkcs11Signer, generate_key, pkcs11_config


class KeyRole(StrEnum):
    ROOT = "root"
    CHIP = "chip"
    PHONE = "phone"
    STATUS = "status"
    BATCH = "batch"
    PRINTED = "printed"  # the QR printed on the card, which lives as long as the card


SIGNER_ROLES = (KeyRole.CHIP, KeyRole.PHONE, KeyRole.STATUS, KeyRole.BATCH, KeyRole.PRINTED)  # ROLE_OIDS: append only
# A private arc (2.25: an OID made of a UUID, X.667; no registration needed) for the signers' roles.
ROLE_ARC = "2.25.152578289270845777386620793050669449179"
ROLE_OIDS = {role: x509.ObjectIdentifier(f"{ROLE_ARC}.{n}") for n, role in enumerate(SIGNER_ROLES, 1)}

PASSPHRASE_ENV = "DANGVIEN_KEY_PASSPHRASE"
KEYRING_FILE = "keyring.json"
_AUTHORITY = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class KeyPeriod:
    """How long a key signs, and how long its certificate stays valid (the signing days plus the
    life of what it signs: a chip signer's certificate must outlive the cards it signed)."""

    signing_days: int
    valid_days: int


DEFAULT_PERIODS = {
    KeyRole.ROOT: KeyPeriod(signing_days=10 * 365, valid_days=25 * 365),
    KeyRole.CHIP: KeyPeriod(signing_days=365, valid_days=11 * 365 + 3),  # cards live 10 years
    KeyRole.PHONE: KeyPeriod(signing_days=365, valid_days=365 + 30),  # phone credentials live days
    KeyRole.STATUS: KeyPeriod(signing_days=365, valid_days=365 + 30),  # status lists live days
    KeyRole.BATCH: KeyPeriod(signing_days=365, valid_days=2 * 365),  # a batch is checked within a year
    # A printed card's QR lives 10 years, as its chip: a phone signer's certificate (13 months) would
    # leave the trust list long before, and every card printed under it would stop verifying.
    KeyRole.PRINTED: KeyPeriod(signing_days=365, valid_days=11 * 365 + 3),
}
# scrypt's cost for the passphrase (2^17: ~0.3 s and 128 MB once per process; a keyring records its own;
# settings.DANGVIEN["KEYS_SCRYPT_N"] may set another for new keyrings: the tests' is small).
DEFAULT_SCRYPT_N = 2**17


class KeysError(Exception):
    """Keys missing, unreadable, or not allowed to do what was asked (the message says what to do)."""


@dataclass(frozen=True)
class SignerInfo:
    key_id: str
    role: KeyRole
    authority: str
    certificate: x509.Certificate


class Signer(Protocol):
    info: SignerInfo

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 over SHA-256 of `data`, DER-encoded."""
        ...

    def sign_raw(self, data: bytes) -> bytes:
        """The same signature as r||s (64 bytes), as COSE writes it."""
        ...


def key_id_of(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8].hex()


def certificate_key_id(certificate: x509.Certificate) -> str:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
    except x509.ExtensionNotFound:
        return key_id_of(certificate.public_key())  # type: ignore[arg-type]


def raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# --- the trust list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustProblem:
    code: str  # signer_untrusted | signer_expired | signer_not_yet_valid | signer_role | root_not_valid
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


@dataclass(frozen=True)
class TrustList:
    """What a verifier trusts: the root certificates, and the signer certificates still valid (a
    verifier that finds a signer's certificate by key id, e.g. from a COSE header, looks it up here)."""

    roots: list[x509.Certificate]
    signers: list[x509.Certificate]

    def to_json(self) -> bytes:
        pem = [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in (*self.roots, *self.signers)]
        return json.dumps({"format": "dangvien-trust-list/1", "roots": pem[:len(self.roots)],
                           "signers": pem[len(self.roots):]}, indent=1).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> TrustList:
        try:
            parsed = json.loads(data)
            if parsed.get("format") != "dangvien-trust-list/1":
                raise ValueError(f"unknown format {parsed.get('format')!r}")
            roots = [x509.load_pem_x509_certificate(p.encode("ascii")) for p in parsed["roots"]]
            signers = [x509.load_pem_x509_certificate(p.encode("ascii")) for p in parsed["signers"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeysError(f"not a trust list: {exc}") from exc
        return cls(roots=roots, signers=signers)

    def signer(self, key_id: str, *, at: dt.datetime | None = None,
               role: KeyRole | None = None) -> x509.Certificate | None:
        """The listed signer certificate with that key id, if it chains to a root (and, given `at` and
        `role`, is valid then and holds that role)."""
        for certificate in self.signers:
            if certificate_key_id(certificate) == key_id:
                problem = self.check(certificate, at=at, role=role)
                return None if problem else certificate
        return None

    def check(self, certificate: x509.Certificate, *, at: dt.datetime | None,
              role: KeyRole | None = None) -> TrustProblem | None:
        """None when `certificate` is a signer certificate issued by one of the roots (and, given
        `at`, both are valid then; given `role`, it holds that role), else what is wrong."""
        root = next((r for r in self.roots if _issued_by(certificate, r)), None)
        if root is None or not _is_signer_certificate(certificate):
            return TrustProblem("signer_untrusted", "the signer's certificate is not issued by a trusted root")
        if role is not None and ROLE_OIDS[role] not in _roles_of(certificate):
            return TrustProblem("signer_role", f"the certificate is not a {role} signer's")
        if at is not None:
            if at > certificate.not_valid_after_utc:
                return TrustProblem("signer_expired",
                                    f"the signer's certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}")
            if at < certificate.not_valid_before_utc:
                return TrustProblem("signer_not_yet_valid",
                                    f"the signer's certificate is valid from {certificate.not_valid_before_utc:%Y-%m-%d}")
            if at < root.not_valid_before_utc or at > root.not_valid_after_utc:  # a signer never outlives its root
                return TrustProblem("root_not_valid", f"the root certificate is not valid on {at:%Y-%m-%d}")
        return None


# (certificate DER, root DER) -> issued by it: a verifier checks many cards from one signer, and
# the root's P-384 signature check costs more than everything else in a verification.
_issued_cache: dict[tuple[bytes, bytes], bool] = {}


def _issued_by(certificate: x509.Certificate, root: x509.Certificate) -> bool:
    marker = (certificate.fingerprint(hashes.SHA256()), root.fingerprint(hashes.SHA256()))
    if (known := _issued_cache.get(marker)) is not None:
        return known
    try:
        certificate.verify_directly_issued_by(root)
        issued = _is_ca(root)
    except (ValueError, TypeError, InvalidSignature):
        issued = False
    if len(_issued_cache) > 4096:
        _issued_cache.clear()
    _issued_cache[marker] = issued
    return issued


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _is_signer_certificate(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return usage.digital_signature and not _is_ca(certificate)


def _roles_of(certificate: x509.Certificate) -> list[x509.ObjectIdentifier]:
    try:
        return list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


# --- the keyring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    role: KeyRole
    authority: str  # "" for a root
    backend: str  # "file" | "pkcs11"
    certificate: x509.Certificate
    key_file: str = ""  # file backend: the encrypted key, relative to the keys directory
    pkcs11_id: str = ""  # pkcs11 backend: the key's CKA_ID (hex)

    @property
    def not_before(self) -> dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    def signing_period(self) -> tuple[dt.datetime, dt.datetime]:
        period = self.certificate.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod).value
        assert period.not_before is not None and period.not_after is not None
        return (period.not_before.replace(tzinfo=dt.UTC), period.not_after.replace(tzinfo=dt.UTC))

    def may_sign_at(self, at: dt.datetime) -> bool:
        start, end = self.signing_period()
        return start <= at <= end and self.not_before <= at <= self.not_after

    def valid_at(self, at: dt.datetime) -> bool:
        return self.not_before <= at <= self.not_after


@dataclass(frozen=True)
class Keyring:
    directory: Path
    default_authority: str
    scrypt: dict[str, Any]  # salt (hex), n, r, p
    entries: list[KeyEntry]  # in the order they were made

    def newest(self, role: KeyRole, authority: str, at: dt.datetime) -> KeyEntry | None:
        candidates = [(e.not_before, i, e) for i, e in enumerate(self.entries)
                      if e.role == role and e.authority == authority and e.may_sign_at(at)]
        return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None

    def authorities(self) -> list[str]:
        return sorted({e.authority for e in self.entries if e.role != KeyRole.ROOT})


def keys_dir() -> Path:
    return Path(settings.DANGVIEN.get("KEYS_DIR") or Path(settings.VAR_DIR) / "keys")


# (keyring path, mtime_ns, size) -> Keyring: a rotation made by another process is picked up.
_keyring_cache: dict[tuple[str, int, int], Keyring] = {}


def load_keyring(directory: Path | None = None) -> Keyring:
    directory = Path(directory or keys_dir())
    path = directory / KEYRING_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise KeysError(f"No keys in {directory}: run `dangvien keys init` first.") from None
    marker = (str(path), stat.st_mtime_ns, stat.st_size)
    if (keyring := _keyring_cache.get(marker)) is None:
        keyring = _read_keyring(directory, path)
        if len(_keyring_cache) > 16:
            _keyring_cache.clear()
        _keyring_cache[marker] = keyring
    return keyring


def _read_keyring(directory: Path, path: Path) -> Keyring:
    try:
        data = json.loads(path.read_text())
        entries = [KeyEntry(key_id=e["key_id"], role=KeyRole(e["role"]), authority=e["authority"],
                            backend=e["backend"], key_file=e.get("key_file", ""), pkcs11_id=e.get("pkcs11_id", ""),
                            certificate=x509.load_pem_x509_certificate((directory / e["certificate"]).read_bytes()))
                   for e in data["keys"]]
        return Keyring(directory=directory, default_authority=data["default_authority"], scrypt=data["scrypt"],
                       entries=entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeysError(f"The keyring {path} cannot be read: {exc}") from exc


def _write_keyring(keyring: Keyring) -> None:
    data = {
        "format": "dangvien-keyring/1",
        "default_authority": keyring.default_authority,
        "scrypt": keyring.scrypt,
        "keys": [{"key_id": e.key_id, "role": str(e.role), "authority": e.authority, "backend": e.backend,
                  "certificate": _certificate_file(e), "key_file": e.key_file, "pkcs11_id": e.pkcs11_id,
                  "not_after": e.not_after.isoformat()}
                 for e in keyring.entries],
    }
    _write_atomic(keyring.directory / KEYRING_FILE, (json.dumps(data, indent=1) + "\n").encode())


def _certificate_file(entry: KeyEntry) -> str:
    return f"{entry.role}-{entry.authority or 'root'}-{entry.key_id}.crt.pem"


# --- passphrase and key files ------------------------------------------------------------------------


def passphrase_from_env() -> str:
    if not (passphrase := os.environ.get(PASSPHRASE_ENV)):
        raise KeysError(f"The keys' passphrase is not set: put it in the environment variable {PASSPHRASE_ENV}.")
    return passphrase


# (passphrase, salt, n) -> the files' password: scrypt is slow on purpose, the keys share it.
_derived: dict[tuple[str, str, int], bytes] = {}


def _file_password(passphrase: str, kdf: dict[str, Any]) -> bytes:
    marker = (passphrase, kdf["salt"], int(kdf["n"]))
    if (password := _derived.get(marker)) is None:
        key = Scrypt(salt=bytes.fromhex(kdf["salt"]), length=32, n=int(kdf["n"]), r=int(kdf["r"]),
                     p=int(kdf["p"])).derive(passphrase.encode("utf-8"))
        password = _derived[marker] = key.hex().encode("ascii")
    return password


def _load_private_key(keyring: Keyring, entry: KeyEntry, passphrase: str) -> ec.EllipticCurvePrivateKey:
    path = keyring.directory / entry.key_file
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=_file_password(passphrase, keyring.scrypt))
    except OSError as exc:
        raise KeysError(f"The key file {path} cannot be read: {exc}") from exc
    except ValueError as exc:
        raise KeysError(f"The key {entry.key_id} cannot be decrypted: wrong passphrase? ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key_id_of(key.public_key()) != entry.key_id:
        raise KeysError(f"The key file {path} does not hold key {entry.key_id}.")
    return key


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


# --- signers -----------------------------------------------------------------------------------------


class FileSigner:
    """A signer whose private key was read from its encrypted file."""

    def __init__(self, info: SignerInfo, key: ec.EllipticCurvePrivateKey):
        self.info = info
        self._key = key
        self._algorithm = ec.ECDSA(hashes.SHA256())

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, self._algorithm)

    def sign_raw(self, data: bytes) -> bytes:
        return raw_signature(self.sign(data))


# (keys directory, key id) -> signer: a key is decrypted (or found in the token) once per process.
_signers: dict[tuple[str, str], Signer] = {}


def signer_for(role: KeyRole, *, authority: str | None = None, at: dt.datetime | None = None) -> Signer:
    """The current signer of `role` for `authority` (default: the keyring's default authority): the
    newest whose private-key usage period and certificate include `at` (default: now)."""
    if role == KeyRole.ROOT:
        raise KeysError("The root key signs only signer certificates, in `dangvien keys init|rotate`.")
    keyring = load_keyring()
    authority = authority or keyring.default_authority
    at = at or timezone.now()
    entry = keyring.newest(role, authority, at)
    if entry is None:
        raise KeysError(f"No {role} signer of authority {authority} may sign on {at:%Y-%m-%d}: run "
                        f"`dangvien keys rotate --role {role} --authority {authority}`.")
    return _signer(keyring, entry)


def _signer(keyring: Keyring, entry: KeyEntry) -> Signer:
    marker = (str(keyring.directory), entry.key_id)
    if (signer := _signers.get(marker)) is None:
        info = SignerInfo(key_id=entry.key_id, role=entry.role, authority=entry.authority,
                          certificate=entry.certificate)
        if entry.backend == "pkcs11":
            config = pkcs11_config()
            if config is None:
                raise KeysError(f"Key {entry.key_id} is in a PKCS#11 token, and settings.DANGVIEN['PKCS11'] is not set.")
            signer = Pkcs11Signer(info, config, bytes.fromhex(entry.pkcs11_id))
        else:
            signer = FileSigner(info, _load_private_key(keyring, entry, passphrase_from_env()))
        _signers[marker] = signer
    return signer


def trust_list(at: dt.datetime | None = None) -> TrustList:
    """The roots and every signer certificate valid at `at` (default now): what verifiers need."""
    keyring = load_keyring()
    at = at or timezone.now()
    roots = [e.certificate for e in keyring.entries if e.role == KeyRole.ROOT and e.valid_at(at)]
    signers = [e.certificate for e in keyring.entries if e.role != KeyRole.ROOT and e.valid_at(at)]
    return TrustList(roots=roots, signers=signers)


# --- making keys: init and rotate --------------------------------------------------------------------


def key_period(role: KeyRole) -> KeyPeriod:
    days = settings.DANGVIEN.get("KEY_PERIODS", {}).get(str(role))
    return KeyPeriod(*days) if days else DEFAULT_PERIODS[role]


def _organization() -> str:
    return settings.DANGVIEN.get("KEYS_ORGANIZATION", "dangvien")


def _check_authority(authority: str) -> str:
    if not _AUTHORITY.fullmatch(authority):
        raise KeysError(f"An authority code is 1 to 32 letters, digits, '-' or '_', not {authority!r}.")
    return authority


def _validity(role: KeyRole, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    start = now.astimezone(dt.UTC).replace(microsecond=0)
    period = key_period(role)
    return start, start + dt.timedelta(days=period.signing_days), start + dt.timedelta(days=period.valid_days)


def _root_certificate(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    kid = key_id_of(key.public_key())
    start, signing_end, end = _validity(KeyRole.ROOT, now)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, _organization()),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"dangvien card root {kid}")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier(bytes.fromhex(kid)), critical=False)
            .add_extension(x509.PrivateKeyUsagePeriod(start, signing_end), critical=False)
            .sign(key, hashes.SHA384()))


def _signer_certificate(public_key: ec.EllipticCurvePublicKey, role: KeyRole, authority: str,
                        root: KeyEntry, root_key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    kid = key_id_of(public_key)
    start, signing_end, end = _validity(role, now)
    if end > root.not_after:
        raise KeysError(f"A new {role} certificate would outlive the root (valid until {root.not_after:%Y-%m-%d}): "
                        "rotate the root first (`dangvien keys rotate --role root`).")
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, _organization()),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, authority),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"dangvien {role} signer {kid}")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(root.certificate.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ROLE_OIDS[role]]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier(bytes.fromhex(kid)), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(bytes.fromhex(root.key_id), None, None), critical=False)
            .add_extension(x509.PrivateKeyUsagePeriod(start, signing_end), critical=False)
            .sign(root_key, hashes.SHA384()))


def _encrypted_pem(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(password))


class _Maker:
    """Writes new keys and certificates into a keyring directory, then the index, last."""

    def __init__(self, keyring: Keyring, passphrase: str, now: dt.datetime):
        self.keyring, self.passphrase, self.now = keyring, passphrase, now
        self.entries = list(keyring.entries)

    def _store(self, entry: KeyEntry, key: ec.EllipticCurvePrivateKey | None) -> KeyEntry:
        directory = self.keyring.directory
        if key is not None:
            entry = dataclasses.replace(entry, key_file=_certificate_file(entry).replace(".crt.pem", ".key.pem"))
            _write_atomic(directory / entry.key_file,
                          _encrypted_pem(key, _file_password(self.passphrase, self.keyring.scrypt)), private=True)
        _write_atomic(directory / _certificate_file(entry), entry.certificate.public_bytes(serialization.Encoding.PEM))
        self.entries.append(entry)
        return entry

    def check_passphrase(self) -> None:
        roots = [e for e in self.entries if e.role == KeyRole.ROOT]
        if roots:
            _load_private_key(self.keyring, roots[-1], self.passphrase)

    def root(self) -> KeyEntry:
        key = ec.generate_private_key(ec.SECP384R1())
        entry = KeyEntry(key_id=key_id_of(key.public_key()), role=KeyRole.ROOT, authority="", backend="file",
                         certificate=_root_certificate(key, self.now))
        return self._store(entry, key)

    def signer(self, role: KeyRole, authority: str) -> KeyEntry:
        root = self._current_root()
        root_key = _load_private_key(self.keyring, root, self.passphrase)
        config = pkcs11_config()
        if config is not None:
            pkcs11_id = secrets.token_bytes(8)
            public_key = generate_key(config, pkcs11_id, label=f"dangvien {role} {authority}")
            certificate = _signer_certificate(public_key, role, authority, root, root_key, self.now)
            entry = KeyEntry(key_id=key_id_of(public_key), role=role, authority=authority, backend="pkcs11",
                             certificate=certificate, pkcs11_id=pkcs11_id.hex())
            return self._store(entry, None)
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _signer_certificate(key.public_key(), role, authority, root, root_key, self.now)
        entry = KeyEntry(key_id=key_id_of(key.public_key()), role=role, authority=authority, backend="file",
                         certificate=certificate)
        return self._store(entry, key)

    def _current_root(self) -> KeyEntry:
        roots = [(e.not_before, i, e) for i, e in enumerate(self.entries)
                 if e.role == KeyRole.ROOT and e.may_sign_at(self.now)]
        if not roots:
            raise KeysError(f"No root may certify signers on {self.now:%Y-%m-%d}: "
                            "`dangvien keys rotate --role root` makes a new one.")
        return max(roots, key=lambda r: (r[0], r[1]))[2]

    def save(self, default_authority: str | None = None) -> Keyring:
        keyring = Keyring(directory=self.keyring.directory,
                          default_authority=default_authority or self.keyring.default_authority,
                          scrypt=self.keyring.scrypt, entries=self.entries)
        _write_keyring(keyring)
        return keyring


def keys_init(*, authorities: list[str], passphrase: str, now: dt.datetime | None = None,
              directory: Path | None = None, scrypt_n: int | None = None) -> list[KeyEntry]:
    """Make the root and a signer of every role for each authority. On an existing keyring (same
    passphrase), only what is missing: signers for a new authority. Returns the new entries."""
    if not authorities:
        raise KeysError("Name at least one issuing authority (--authority CODE).")
    for authority in authorities:
        _check_authority(authority)
    if not passphrase:
        raise KeysError("The passphrase is empty.")
    directory = Path(directory or keys_dir())
    now = now or timezone.now()
    if (directory / KEYRING_FILE).exists():
        keyring = load_keyring(directory)
    else:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        keyring = Keyring(directory=directory, default_authority=authorities[0], entries=[],
                          scrypt={"salt": secrets.token_hex(16), "r": 8, "p": 1,
                                  "n": scrypt_n or settings.DANGVIEN.get("KEYS_SCRYPT_N", DEFAULT_SCRYPT_N)})
    maker = _Maker(keyring, passphrase, now)
    maker.check_passphrase()  # an existing keyring: the same passphrase, or stop here
    made = [] if any(e.role == KeyRole.ROOT for e in keyring.entries) else [maker.root()]
    for authority in authorities:
        for role in SIGNER_ROLES:
            if not any(e.role == role and e.authority == authority for e in maker.entries):
                made.append(maker.signer(role, authority))
    maker.save()
    return made


def keys_rotate(*, role: KeyRole, passphrase: str, authority: str | None = None,
                now: dt.datetime | None = None, directory: Path | None = None) -> list[KeyEntry]:
    """A new key of `role` (for one authority, or each authority that has one) that signs from now
    on; the old certificates stay in the trust list until they expire. A new root certifies the
    signers made after it; the old root stays trusted until it expires, with what it certified."""
    keyring = load_keyring(directory)
    maker = _Maker(keyring, passphrase, now or timezone.now())
    maker.check_passphrase()
    if role == KeyRole.ROOT:
        made = [maker.root()]
    else:
        targets = [_check_authority(authority)] if authority else keyring.authorities()
        unknown = [a for a in targets if a not in keyring.authorities()]
        if unknown:
            raise KeysError(f"No signers for authority {unknown[0]}: `dangvien keys init --authority {unknown[0]}` "
                            "makes them.")
        made = [maker.signer(role, a) for a in targets]
    maker.save()
    return made

