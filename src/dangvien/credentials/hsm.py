"""Signer keys in a hardware token through PKCS#11 (python-pkcs11), for production.

settings.DANGVIEN["PKCS11"] = {"MODULE": "/usr/lib/softhsm/libsofthsm2.so", "TOKEN": "label", "PIN": "..."}
(from DANGVIEN_PKCS11_MODULE, _TOKEN, _PIN). The keys are made in the token (EC P-256, not
extractable) and found again by their CKA_ID, which the keyring records. The token signs the SHA-256
digest with CKM_ECDSA (every token has it; not all have CKM_ECDSA_SHA256), answering r||s.

A PKCS#11 session belongs to the process that opened it: each process (web worker, job worker,
command) opens its own on first use, and keeps it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings

if TYPE_CHECKING:
    from .keys import SignerInfo


@dataclass(frozen=True)
class Pkcs11Config:
    module: str
    token: str
    pin: str


def pkcs11_config() -> Pkcs11Config | None:
    config = settings.DANGVIEN.get("PKCS11")
    if not config or not config.get("MODULE"):
        return None
    return Pkcs11Config(module=config["MODULE"], token=config["TOKEN"], pin=config["PIN"])


_lock = threading.Lock()
_libraries: dict[str, Any] = {}
_sessions: dict[tuple[int, Pkcs11Config], Any] = {}


def _session(config: Pkcs11Config) -> Any:
    """This process's read-write session with the token, logged in (opened once)."""
    import pkcs11

    marker = (os.getpid(), config)
    if (session := _sessions.get(marker)) is None:
        if (library := _libraries.get(config.module)) is None:
            library = _libraries[config.module] = pkcs11.lib(config.module)
        token = library.get_token(token_label=config.token)
        session = _sessions[marker] = token.open(user_pin=config.pin, rw=True)
    return session


def generate_key(config: Pkcs11Config, pkcs11_id: bytes, *, label: str) -> ec.EllipticCurvePublicKey:
    """A new P-256 key pair in the token (private key sensitive, not extractable); its public key."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    with _lock:
        session = _session(config)
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        public, _private = parameters.generate_keypair(
            store=True, label=label, id=pkcs11_id,
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False})
        key = serialization.load_der_public_key(encode_ec_public_key(public))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


class Pkcs11Signer:
    """A signer whose key stays in the token."""

    def __init__(self, info: SignerInfo, config: Pkcs11Config, pkcs11_id: bytes):
        self.info = info
        self._config = config
        self._id = pkcs11_id

    def sign_raw(self, data: bytes) -> bytes:
        from pkcs11 import KeyType, Mechanism, ObjectClass

        digest = hashlib.sha256(data).digest()
        with _lock:
            key = _session(self._config).get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC,
                                                 id=self._id)
            return key.sign(digest, mechanism=Mechanism.ECDSA)

    def sign(self, data: bytes) -> bytes:
        raw = self.sign_raw(data)
        return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
