"""STAND-IN for credentials/keys.py (cred-chip's), until it lands: the contract's shapes, nothing more.

The lead swaps this for the real `test_keys` fixture (tests/credentials/conftest.py): replace
`standin_keys()` / `other_root_keys()` by signers from `signer_for(KeyRole.PHONE | STATUS)` and the
trust list from `trust_list()`, and drop `keys_module_for` (the real module is then importable).

What it mirrors, from the contract and cred-chip's work in progress:
- KeyRole (StrEnum), SignerInfo(key_id, role, authority, certificate), a Signer with sign (DER) and
  sign_raw (r||s, 64 bytes); key ids: first 8 bytes of SHA-256 of the SPKI, hex, also the certificate's
  SubjectKeyIdentifier;
- a P-384 self-signed root certifying P-256 signers whose role is an extended key usage;
- TrustList(roots, signers) with to_json/from_json, signer(key_id, at=, role=) (None unless it chains
  to a root) and check(certificate, at=, role=) -> TrustProblem(code, text) | None.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import types
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from tests.clock import NOW


class KeyRole(StrEnum):
    ROOT = "root"
    CHIP = "chip"
    PHONE = "phone"
    STATUS = "status"
    BATCH = "batch"
    PRINTED = "printed"


ROLE_ARC = "2.25.152578289270845777386620793050669449179"  # as cred-chip's keys.py
ROLE_OIDS = {role: x509.ObjectIdentifier(f"{ROLE_ARC}.{n}")
             for n, role in enumerate((KeyRole.CHIP, KeyRole.PHONE, KeyRole.STATUS, KeyRole.BATCH, KeyRole.PRINTED), 1)}


@dataclass(frozen=True)
class SignerInfo:
    key_id: str
    role: KeyRole
    authority: str
    certificate: x509.Certificate


class StandinSigner:
    def __init__(self, info: SignerInfo, key: ec.EllipticCurvePrivateKey):
        self.info = info
        self._key = key

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def sign_raw(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self.sign(data))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True)
class TrustProblem:
    code: str
    text: str


@dataclass(frozen=True)
class TrustList:
    roots: list[x509.Certificate]
    signers: list[x509.Certificate]

    def to_json(self) -> bytes:
        def pem(c: x509.Certificate) -> str:
            return c.public_bytes(serialization.Encoding.PEM).decode()
        return json.dumps({"format": "dangvien-trust-list/1", "roots": [pem(c) for c in self.roots],
                           "signers": [pem(c) for c in self.signers]}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> TrustList:
        parsed = json.loads(data)
        return cls([x509.load_pem_x509_certificate(p.encode()) for p in parsed["roots"]],
                   [x509.load_pem_x509_certificate(p.encode()) for p in parsed["signers"]])

    def signer(self, key_id: str, *, at: dt.datetime | None = None, role: str | None = None) -> x509.Certificate | None:
        for certificate in self.signers:
            if _ski(certificate) == key_id:
                return None if self.check(certificate, at=at, role=role) else certificate
        return None

    def check(self, certificate: x509.Certificate, *, at: dt.datetime | None,
              role: str | None = None) -> TrustProblem | None:
        if not any(_issued_by(certificate, root) for root in self.roots):
            return TrustProblem("signer_untrusted", "the signer's certificate is not issued by a trusted root")
        if role is not None:
            roles = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if ROLE_OIDS[KeyRole(role)] not in roles:
                return TrustProblem("signer_role", f"the certificate is not a {role} signer's")
        if at is not None and at > certificate.not_valid_after_utc:
            return TrustProblem("signer_expired", "the signer's certificate expired")
        if at is not None and at < certificate.not_valid_before_utc:
            return TrustProblem("signer_not_yet_valid", "the signer's certificate is not valid yet")
        return None


def _ski(certificate: x509.Certificate) -> str:
    return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()


def _issued_by(certificate: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8].hex()


@dataclass(frozen=True)
class Keys:
    root: x509.Certificate
    signers: dict[KeyRole, StandinSigner]
    trust: TrustList

    def signer(self, role: KeyRole) -> StandinSigner:
        return self.signers[role]


def make_keys(name: str, *, start: dt.datetime | None = None, days: int = 400) -> Keys:
    """A root and one signer of each role, valid from `start` (default: 30 days before the suite's NOW)."""
    start = start or NOW - dt.timedelta(days=30)
    root_key = ec.generate_private_key(ec.SECP384R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(root_key, hashes.SHA384()))
    signers = {}
    for role in ROLE_OIDS:
        key = ec.generate_private_key(ec.SECP256R1())
        kid = _key_id(key.public_key())
        certificate = (x509.CertificateBuilder()
                       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {role} {kid}")]))
                       .issuer_name(root_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
                       .add_extension(x509.ExtendedKeyUsage([ROLE_OIDS[role]]), critical=False)
                       .add_extension(x509.SubjectKeyIdentifier(bytes.fromhex(kid)), critical=False)
                       .sign(root_key, hashes.SHA384()))
        signers[role] = StandinSigner(SignerInfo(kid, role, "TW", certificate), key)
    return Keys(root, signers, TrustList([root], [s.info.certificate for s in signers.values()]))


@functools.cache
def standin_keys() -> Keys:
    return make_keys("dangvien test")


@functools.cache
def other_root_keys() -> Keys:
    """Keys under another root: what a forger with a look-alike hierarchy has."""
    return make_keys("forger")


def keys_module_for(keys: Keys) -> types.ModuleType:
    """A `dangvien.credentials.keys` module for code that imports it at run time (the status list
    endpoint's signer_for, the command's TrustList.from_json); tests put it in sys.modules."""
    module = types.ModuleType("dangvien.credentials.keys")
    module.KeyRole = KeyRole  # type: ignore[attr-defined]
    module.TrustList = TrustList  # type: ignore[attr-defined]
    module.signer_for = lambda role, **_: keys.signer(KeyRole(role))  # type: ignore[attr-defined]
    module.trust_list = lambda *_, **__: keys.trust  # type: ignore[attr-defined]
    return module
