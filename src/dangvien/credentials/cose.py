"""COSE_Sign1 with ES256 (RFC 9052), the one signed envelope of the status list token and the phone QR.

Written here on cbor2 + cryptography rather than taken from pycose: the structure is four CBOR items
and one ECDSA signature; pycose (last release 2023) would add python-ecdsa, certvalidator and oscrypto
to the lock, and its object layer costs a third of the phone QR's verification budget (bench/qr_bench.py).

The signer is the contract's `keys.Signer` (its `sign_raw` gives r||s, 64 bytes, as COSE wants); the
key id in the headers is the signer's hex key id as bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

if TYPE_CHECKING:
    from dangvien.credentials.keys import Signer

TAG_SIGN1 = 18
HEADER_ALG = 1
HEADER_KID = 4
HEADER_TYPE = 16  # RFC 9596
ALG_ES256 = -7
ES256_SIGNATURE_BYTES = 64


_MAPS = (dict, cbor2.frozendict)


class CoseError(ValueError):
    """Not a COSE_Sign1 this application reads (structure, algorithm or key id)."""


@dataclass(frozen=True)
class Sign1:
    protected: bytes  # the protected header exactly as signed (a CBOR map in a byte string)
    headers: Mapping[Any, Any]  # the protected header, decoded
    unprotected: Mapping[Any, Any]  # cbor2 decodes a tag's content as immutable (frozendict)
    payload: bytes | None  # None: detached (the reader rebuilds it)
    signature: bytes

    @property
    def key_id(self) -> str:
        return key_id_of(self.headers[HEADER_KID])


def kid_bytes(key_id: str) -> bytes:
    """The key id as it travels in COSE headers: the contract's hex id as its bytes (8 bytes, not 16
    characters: the phone QR counts every byte)."""
    try:
        return bytes.fromhex(key_id)
    except ValueError:
        raise CoseError(f"key id {key_id!r} is not hexadecimal") from None


def key_id_of(kid: bytes) -> str:
    return kid.hex()


def protected_header(signer: Signer, extra: dict[int, Any] | None = None) -> bytes:
    """{1: -7, 4: kid, ...extra}, in that order (e.g. extra={HEADER_TYPE: "application/..."})."""
    header: dict[int, Any] = {HEADER_ALG: ALG_ES256, HEADER_KID: kid_bytes(signer.info.key_id)}
    header.update(extra or {})
    return cbor2.dumps(header)


def to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """Sig_structure for COSE_Sign1 (RFC 9052 §4.4), no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def signature(payload: bytes, *, signer: Signer, protected: bytes) -> bytes:
    """The ES256 signature (r||s) of a COSE_Sign1 over `payload`."""
    raw = signer.sign_raw(to_be_signed(protected, payload))
    if len(raw) != ES256_SIGNATURE_BYTES:
        raise CoseError("the signer did not return a 64-byte r||s signature")
    return raw


def sign1(payload: bytes, *, signer: Signer, protected: bytes, unprotected: dict[Any, Any] | None = None,
          detached: bool = False) -> bytes:
    """A tagged COSE_Sign1; with `detached` the payload is signed but left out (nil)."""
    message = [protected, unprotected or {}, None if detached else payload,
               signature(payload, signer=signer, protected=protected)]
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, message))


def decode_sign1(data: bytes) -> Sign1:
    """Parse without verifying; raises CoseError on anything but an ES256 COSE_Sign1 with a key id."""
    try:
        item = cbor2.loads(data, allow_duplicate_keys=False)
    except Exception as exc:  # cbor2 raises several error types for bad input
        raise CoseError(f"not CBOR: {exc}") from None
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise CoseError(f"CBOR tag {item.tag}, not COSE_Sign1 (18)")
        item = item.value
    if type(item) not in (list, tuple) or len(item) != 4:
        raise CoseError("not a COSE_Sign1 array of four items")
    protected, unprotected, payload, signature = item
    # Concrete types, not the Mapping ABC (whose isinstance is slow): cbor2 gives a dict, or its
    # frozendict inside a tag.
    if type(protected) is not bytes or type(unprotected) not in _MAPS or type(signature) is not bytes:
        raise CoseError("COSE_Sign1 items of the wrong types")
    if payload is not None and not isinstance(payload, bytes):
        raise CoseError("COSE_Sign1 payload is neither bytes nor nil")
    try:
        headers = cbor2.loads(protected, allow_duplicate_keys=False) if protected else {}
    except Exception:
        raise CoseError("protected header is not CBOR") from None
    if type(headers) not in _MAPS:
        raise CoseError("protected header is not a map")
    if headers.get(HEADER_ALG) != ALG_ES256:
        raise CoseError(f"algorithm {headers.get(HEADER_ALG)!r}, expected ES256 (-7)")
    if not isinstance(headers.get(HEADER_KID), bytes):
        raise CoseError("no key id in the protected header")
    if len(signature) != ES256_SIGNATURE_BYTES:
        raise CoseError("signature is not 64 bytes")
    return Sign1(protected, headers, unprotected, payload, signature)


def signature_valid(public_key: ec.EllipticCurvePublicKey, message: Sign1, payload: bytes) -> bool:
    """ES256 over the Sig_structure of `payload` (the message's own, or the one rebuilt when detached)."""
    half = ES256_SIGNATURE_BYTES // 2
    der = encode_dss_signature(int.from_bytes(message.signature[:half], "big"),
                               int.from_bytes(message.signature[half:], "big"))
    try:
        public_key.verify(der, to_be_signed(message.protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
