"""The card status list: IETF Token Status List (draft-ietf-oauth-status-list), 2 bits per card.

Pure functions for both sides. The issuer packs each card's status at the card's (random) index, and
signs the compressed list as a Status List Token in CWT form (COSE_Sign1, ES256); a verifier reads a
token back (signature, claims) and looks an index up.

Layout (draft §4.1): entry i sits in byte i // 4, bits 2·(i % 4) and up, the first entry in the least
significant bits; the byte array is compressed with DEFLATE in the ZLIB format, at the highest level.
Unused indexes stay 0 (valid), so the list does not tell how many cards exist.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from dangvien.credentials import cose
from dangvien.credentials.keys import KeyRole

if TYPE_CHECKING:
    from dangvien.credentials.keys import Signer, TrustList

BITS = 2
PER_BYTE = 8 // BITS
MASK = (1 << BITS) - 1
MEDIA_TYPE = "application/statuslist+cwt"
SIGNER_ROLE = KeyRole.STATUS  # only a status list signer's token counts

# CWT claim keys (RFC 8392, and the draft's requested assignments).
CLAIM_SUB = 2
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_STATUS_LIST = 65533
CLAIM_TTL = 65534
CLAIM_STATUS = 65535  # in a referenced token (the phone credential): {"status_list": {"idx", "uri"}}

# A verifier's copy older than this answers "unknown" (issue 13); the token's exp says the same.
MAX_AGE = dt.timedelta(days=7)


class CardStatus(IntEnum):
    """The draft's status types: 0x00 VALID, 0x01 INVALID (here: revoked), 0x02 SUSPENDED."""

    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


class StatusListError(ValueError):
    """A status list or token that cannot be used: bad input on the issuer's side, or a token a
    verifier must not trust (the message says which check failed)."""


# --- packing -------------------------------------------------------------------------------------


def pack(statuses: Sequence[int]) -> bytes:
    """One status a card (0..3) → the packed byte array. Big-integer shifts do the packing in C:
    every fourth status shifted by 2, 4, 6 bits and ORed lands in its byte's bit pair (a status
    < 4 never carries into the next byte); 8 million entries take well under a second."""
    raw = bytes(statuses)  # ValueError if a status is not 0..255
    if raw and max(raw) > MASK:
        raise StatusListError(f"a status is {max(raw)}; 2-bit entries hold 0 to {MASK}")
    raw += bytes(-len(raw) % PER_BYTE)
    size = len(raw) // PER_BYTE
    packed = 0
    for position in range(PER_BYTE):
        packed |= int.from_bytes(raw[position::PER_BYTE], "little") << (BITS * position)
    return packed.to_bytes(size, "little")


def pack_entries(size: int, entries: Iterable[tuple[int, int]]) -> bytes:
    """A list of `size` entries, all valid but the given (index, status) pairs: the database side
    reads only the cards that are not valid."""
    if size <= 0 or size % PER_BYTE:
        raise StatusListError(f"a list's size must be a positive multiple of {PER_BYTE}, not {size}")
    packed = bytearray(size // PER_BYTE)
    for index, status in entries:
        set_status(packed, index, status)
    return bytes(packed)


def set_status(packed: bytearray, index: int, status: int) -> None:
    if not 0 <= index < len(packed) * PER_BYTE:
        raise StatusListError(f"index {index} is outside the list (0 to {len(packed) * PER_BYTE - 1})")
    if not 0 <= status <= MASK:
        raise StatusListError(f"status {status} does not fit in {BITS} bits")
    shift = BITS * (index % PER_BYTE)
    byte = index // PER_BYTE
    packed[byte] = (packed[byte] & ~(MASK << shift) & 0xFF) | (status << shift)


def status_at(packed: bytes, index: int) -> int:
    """The status at `index`; IndexError outside the list (the draft: reject, no statement)."""
    if index < 0:
        raise IndexError(index)
    return (packed[index // PER_BYTE] >> (BITS * (index % PER_BYTE))) & MASK


def compress(packed: bytes) -> bytes:
    return zlib.compress(packed, 9)


def decompress(lst: bytes) -> bytes:
    try:
        return zlib.decompress(lst)
    except zlib.error as exc:
        raise StatusListError(f"the list does not inflate: {exc}") from None


def status_list_cbor(packed: bytes) -> dict[str, Any]:
    """The draft's StatusList CBOR map."""
    return {"bits": BITS, "lst": compress(packed)}


# --- the signed token (issuer side) ----------------------------------------------------------------


def status_list_token(statuses: bytes | Sequence[int], *, uri: str, signer: Signer, issued_at: dt.datetime,
                      ttl: dt.timedelta, valid_for: dt.timedelta = MAX_AGE) -> bytes:
    """The Status List Token in CWT form: COSE_Sign1 tagged 18, protected header {alg ES256, kid,
    type "application/statuslist+cwt"}, claims {sub: uri, iat, exp, ttl, status_list}.

    `statuses`: already packed (bytes, as the database side's selector returns them) or one int a
    card. `ttl`: how long a verifier may keep the copy before fetching again; `valid_for`: when the
    token expires (a verifier offline answers "unknown" after that)."""
    packed = bytes(statuses) if isinstance(statuses, bytes | bytearray | memoryview) else pack(statuses)
    if not packed:
        raise StatusListError("an empty status list")
    if issued_at.tzinfo is None:
        raise StatusListError("issued_at must be an aware datetime")
    ttl_seconds = int(ttl.total_seconds())
    if ttl_seconds <= 0:
        raise StatusListError("ttl must be positive")
    iat = int(issued_at.timestamp())
    claims = {
        CLAIM_SUB: uri,
        CLAIM_IAT: iat,
        CLAIM_EXP: iat + int(valid_for.total_seconds()),
        CLAIM_TTL: ttl_seconds,
        CLAIM_STATUS_LIST: status_list_cbor(packed),
    }
    protected = cose.protected_header(signer, {cose.HEADER_TYPE: MEDIA_TYPE})
    return cose.sign1(cbor2.dumps(claims), signer=signer, protected=protected)


# --- reading a token (verifier side) ------------------------------------------------------------------


@dataclass(frozen=True)
class StatusListToken:
    """A verified token: its claims, and the list inflated once for lookups."""

    uri: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    ttl: dt.timedelta | None
    packed: bytes
    key_id: str

    @property
    def size(self) -> int:
        return len(self.packed) * PER_BYTE

    def status(self, index: int) -> int:
        return status_at(self.packed, index)


def read_status_list_token(token: bytes, *, trust: TrustList) -> StatusListToken:
    """Check the token's signature against the trust list (a status list signer's, chaining to a
    root, valid when the token was issued) and its claims; the time checks (exp, age) are the caller's,
    who knows "now". Raises StatusListError saying what failed."""
    try:
        message = cose.decode_sign1(token)
    except cose.CoseError as exc:
        raise StatusListError(str(exc)) from None
    if message.headers.get(cose.HEADER_TYPE) != MEDIA_TYPE:
        raise StatusListError("the token's type is not application/statuslist+cwt")
    if message.payload is None:
        raise StatusListError("the token has no payload")
    certificate = trust.signer(message.key_id)
    if certificate is None:
        raise StatusListError(f"signer_untrusted: key {message.key_id} is not in the trust list or does not "
                              "chain to its root")
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not cose.signature_valid(public_key, message,
                                                                                          message.payload):
        raise StatusListError("bad_signature: the token's signature does not verify")
    try:
        claims = cbor2.loads(message.payload, allow_duplicate_keys=False)
    except Exception:
        raise StatusListError("the token's claims are not CBOR") from None
    token_ = _token_from_claims(claims, message.key_id)
    if problem := trust.check(certificate, at=token_.issued_at, role=SIGNER_ROLE):
        raise StatusListError(f"{problem.code}: {problem.text}")
    return token_


def _token_from_claims(claims: Any, key_id: str) -> StatusListToken:
    if not isinstance(claims, dict):
        raise StatusListError("the token's claims are not a map")
    uri, iat, exp, ttl = (claims.get(key) for key in (CLAIM_SUB, CLAIM_IAT, CLAIM_EXP, CLAIM_TTL))
    status_list = claims.get(CLAIM_STATUS_LIST)
    if not isinstance(uri, str) or not isinstance(iat, int) or not isinstance(status_list, dict):
        raise StatusListError("the token lacks sub, iat or status_list")
    if exp is not None and not isinstance(exp, int) or ttl is not None and not (isinstance(ttl, int) and ttl > 0):
        raise StatusListError("the token's exp or ttl is not a positive integer")
    if status_list.get("bits") != BITS or not isinstance(status_list.get("lst"), bytes):
        raise StatusListError(f"the list is not {BITS} bits an entry with a byte string")
    return StatusListToken(
        uri=uri, issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
        expires_at=dt.datetime.fromtimestamp(exp, dt.UTC) if exp is not None else None,
        ttl=dt.timedelta(seconds=ttl) if ttl is not None else None,
        packed=decompress(status_list["lst"]), key_id=key_id)
