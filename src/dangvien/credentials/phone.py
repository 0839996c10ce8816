"""The phone QR: a party card credential a verifier checks offline, showing only what the member chose.

Selective disclosure by salted digests (as ISO 18013-5 mdoc and SD-CWT do): the server signs, once,
the digests of the six fields; the member's phone keeps the values and the salts and builds, offline,
a QR showing any subset of the fields. A QR showing nothing still proves "a valid member's card"
once the status list says so.

Wire format (docs/credentials.md has the byte-level description):

    "DV1:" + Base45( COSE_Sign1 tagged 18 [
        protected  = bstr {1: -7 (ES256), 4: kid (8 bytes)},
        unprotected = {-65537: [iat, exp, status idx, status uri, salts, slots]},
        payload    = nil  (detached: the verifier rebuilds it, below),
        signature  = 64 bytes r||s ])

    slots[i], one per field of FIELDS in that order: the value when shown, else its 16-byte digest.
    salts: the 16-byte seed when every field is shown, else the 16-byte salts of the shown fields.
    salt[i]   = HMAC-SHA256(seed, "DV1 salt" || i)[:16]
    digest[i] = SHA-256(CBOR [i, salt[i], value[i]])[:16]

The signed payload, rebuilt by the verifier (never sent: the QR carries only what it cannot infer):

    CWT claims {4: exp, 6: iat, 65535: {"status_list": {"idx": idx, "uri": uri}},
                -65537: [digest[0], ..., digest[5]], -65538: "dangvien-card/1"}

Why the shown fields' digests are not sent: a full credential would otherwise carry each field twice
(value and digest); leaving them out keeps the printed card's QR within version 15 at level Q.
Digests are SHA-256 cut to 128 bits: forging a value means a second preimage of 128 bits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import base45
import cbor2

from dangvien.credentials import cose
from dangvien.credentials.status_list import CLAIM_EXP, CLAIM_IAT, CLAIM_STATUS

if TYPE_CHECKING:
    from dangvien.credentials.keys import Signer

PREFIX = "DV1:"
FORMAT = "dangvien-card/1"
FIELDS: tuple[str, ...] = ("name", "card_number", "birth_date", "committee", "admission_date", "official_date")
SEED_BYTES = SALT_BYTES = DIGEST_BYTES = 16
LABEL_PRESENTATION = -65537  # unprotected header parameter, private use (RFC 9052 §3.1)
CLAIM_DIGESTS = -65537  # CWT claims, private use (RFC 8392 §9.1)
CLAIM_FORMAT = -65538
# A phone QR lasts a day: the handbook fetches a fresh credential whenever the phone is online, so a
# member who is offline at a check still has one, while a screenshot passed on stops working the
# next day. The card's status (revoked, suspended) is checked separately, through the status list.
VALIDITY = dt.timedelta(hours=24)
_SALT_CONTEXT = b"DV1 salt"
_EPOCH = dt.date(1970, 1, 1)
_DATE_TAG = 100  # RFC 8943: days since 1970-01-01


class PhoneQRError(ValueError):
    """Not a phone QR this verifier can read; `reason` is the verdict's reason code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PhoneClaims:
    """What a phone credential can show. `birth_date` is a date, or a year when only the year is
    known (member records allow it); `committee` is the issuing committee's code."""

    name: str
    card_number: str
    birth_date: dt.date | int | None
    committee: str
    admission_date: dt.date
    official_date: dt.date | None
    status_list_uri: str
    status_index: int

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in FIELDS)


@dataclass(frozen=True)
class IssuedCredential:
    """What the server signs and the phone keeps: everything needed to build any QR offline, with
    no key. `to_bytes()` is the form the handbook stores (CBOR)."""

    protected: bytes
    signature: bytes
    issued_at: int
    expires_at: int
    status_index: int
    status_uri: str
    seed: bytes
    values: tuple[Any, ...]

    def to_bytes(self) -> bytes:
        return cbor2.dumps([self.protected, self.signature, self.issued_at, self.expires_at, self.status_index,
                            self.status_uri, self.seed, [_encode_value(v) for v in self.values]])

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuedCredential:
        protected, signature, iat, exp, idx, uri, seed, values = cbor2.loads(data)
        return cls(protected, signature, iat, exp, idx, uri, seed, tuple(_decode_value(v) for v in values))


# --- issuing ------------------------------------------------------------------------------------


def phone_credential(claims: PhoneClaims, *, disclose: Collection[str], signer: Signer, now: dt.datetime,
                     valid_for: dt.timedelta = VALIDITY) -> str:
    """The QR text showing the `disclose` fields (names from FIELDS). The card face prints the full
    credential (`disclose=FIELDS`) with `valid_for` the card's life; the phone's lasts a day."""
    return present(issue(claims, signer=signer, now=now, valid_for=valid_for), disclose)


def issue(claims: PhoneClaims, *, signer: Signer, now: dt.datetime, valid_for: dt.timedelta = VALIDITY,
          seed: bytes | None = None) -> IssuedCredential:
    """Sign the digests of all fields once; the phone presents any subset later."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if valid_for <= dt.timedelta(0):
        raise ValueError("valid_for must be positive")
    if claims.status_index < 0 or not claims.status_list_uri:
        raise ValueError("the credential needs a status list uri and a non-negative index")
    values = _checked_values(claims)
    seed = seed if seed is not None else secrets.token_bytes(SEED_BYTES)
    if len(seed) != SEED_BYTES:
        raise ValueError(f"the seed is {SEED_BYTES} bytes")
    iat = int(now.timestamp())
    exp = iat + int(valid_for.total_seconds())
    digests = [_digest(i, _salt(seed, i), value) for i, value in enumerate(values)]
    payload = signed_payload(iat=iat, exp=exp, index=claims.status_index, uri=claims.status_list_uri,
                             digests=digests)
    protected = cose.protected_header(signer)
    signature = cose.signature(payload, signer=signer, protected=protected)
    return IssuedCredential(protected, signature, iat, exp, claims.status_index, claims.status_list_uri, seed, values)


def present(credential: IssuedCredential, disclose: Collection[str]) -> str:
    """The QR text showing the chosen fields: what the handbook does on the phone, offline."""
    shown = _checked_disclosure(disclose)
    seed = credential.seed
    if len(shown) == len(FIELDS):
        salts: bytes | list[bytes] = seed  # every salt follows from the seed: one item instead of six
    else:
        salts = [_salt(seed, i) for i in range(len(FIELDS)) if i in shown]
    slots = [_encode_value(value) if i in shown else _digest(i, _salt(seed, i), value)
             for i, value in enumerate(credential.values)]
    presentation = [credential.issued_at, credential.expires_at, credential.status_index, credential.status_uri,
                    salts, slots]
    message = cbor2.CBORTag(cose.TAG_SIGN1, [credential.protected, {LABEL_PRESENTATION: presentation}, None,
                                             credential.signature])
    return PREFIX + base45.b45encode(cbor2.dumps(message)).decode("ascii")


def signed_payload(*, iat: int, exp: int, index: int, uri: str, digests: list[bytes]) -> bytes:
    """The CWT claims the signature covers, in this exact order (the verifier rebuilds these bytes)."""
    return cbor2.dumps({
        CLAIM_EXP: exp,
        CLAIM_IAT: iat,
        CLAIM_STATUS: {"status_list": {"idx": index, "uri": uri}},
        CLAIM_DIGESTS: digests,
        CLAIM_FORMAT: FORMAT,
    })


# --- reading (verifier side; the signature is checked by verify.py against the trust list) ----------


@dataclass(frozen=True)
class OpenedQR:
    """A parsed phone QR with its signed payload rebuilt: ready for the signature check."""

    message: cose.Sign1
    payload: bytes
    issued_at: int
    expires_at: int
    status_index: int
    status_uri: str
    fields: dict[str, Any]  # the shown fields, by name


def open_qr(text: str) -> OpenedQR:
    """Parse the QR text and rebuild the payload its signature covers; PhoneQRError if malformed."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise PhoneQRError("not_a_card_qr", f"the text does not start with {PREFIX}")
    try:
        data = b45decode(text[len(PREFIX):])
    except ValueError:
        raise PhoneQRError("malformed", "the text after the prefix is not Base45") from None
    try:
        message = cose.decode_sign1(data)
    except cose.CoseError as exc:
        raise PhoneQRError("malformed", str(exc)) from None
    if message.payload is not None:
        raise PhoneQRError("malformed", "the payload must be detached")
    iat, exp, index, uri, salts, slots = _presentation(message.unprotected.get(LABEL_PRESENTATION))
    shown = [i for i, slot in enumerate(slots) if not isinstance(slot, bytes)]
    salt_of = _salts_of(salts, shown)
    digests: list[bytes] = []
    fields: dict[str, Any] = {}
    for i, slot in enumerate(slots):
        if isinstance(slot, bytes):
            if len(slot) != DIGEST_BYTES:
                raise PhoneQRError("malformed", f"the digest of {FIELDS[i]} is not {DIGEST_BYTES} bytes")
            digests.append(slot)
            continue
        try:
            value = _decode_value(slot)
        except ValueError as exc:
            raise PhoneQRError("malformed", f"{FIELDS[i]}: {exc}") from None
        digests.append(_digest(i, salt_of[i], value))
        fields[FIELDS[i]] = value
    payload = signed_payload(iat=iat, exp=exp, index=index, uri=uri, digests=digests)
    return OpenedQR(message, payload, iat, exp, index, uri, fields)


def _presentation(item: Any) -> tuple[int, int, int, str, Any, list[Any]]:
    if not isinstance(item, list | tuple) or len(item) != 6:
        raise PhoneQRError("malformed", "no presentation in the unprotected header")
    iat, exp, index, uri, salts, slots = item
    if type(iat) is not int or type(exp) is not int or type(index) is not int or index < 0:
        raise PhoneQRError("malformed", "iat, exp and the status index must be integers")
    if not isinstance(uri, str) or not uri:
        raise PhoneQRError("malformed", "no status list uri")
    if not isinstance(slots, list | tuple) or len(slots) != len(FIELDS):
        raise PhoneQRError("malformed", f"the credential has {len(FIELDS)} fields")
    return iat, exp, index, uri, salts, list(slots)


def _salts_of(salts: Any, shown: list[int]) -> dict[int, bytes]:
    if isinstance(salts, bytes):
        if len(salts) != SEED_BYTES or len(shown) != len(FIELDS):
            raise PhoneQRError("malformed", "a seed is only sent with every field shown")
        return {i: _salt(salts, i) for i in shown}
    if (not isinstance(salts, list | tuple) or len(salts) != len(shown)
            or not all(isinstance(s, bytes) and len(s) == SALT_BYTES for s in salts)):
        raise PhoneQRError("malformed", "one 16-byte salt for each field shown")
    return dict(zip(shown, salts, strict=True))


# --- field values ------------------------------------------------------------------------------------


def _checked_values(claims: PhoneClaims) -> tuple[Any, ...]:
    for field in ("name", "card_number", "committee"):
        if not isinstance(getattr(claims, field), str) or not getattr(claims, field).strip():
            raise ValueError(f"{field} is required")
    if not isinstance(claims.admission_date, dt.date):
        raise ValueError("admission_date is required")
    values = list(claims.values())
    # Names are compared and hashed as NFC (docs/architecture.md: Vietnamese text always NFC).
    values[0] = unicodedata.normalize("NFC", values[0].strip())
    for i in (1, 3):
        values[i] = values[i].strip()
    for value in values:
        _encode_value(value)  # fails early on a type the wire cannot carry
    return tuple(values)


def _checked_disclosure(disclose: Collection[str]) -> set[int]:
    unknown = sorted(set(disclose) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}")
    return {FIELDS.index(name) for name in disclose}


def _encode_value(value: Any) -> Any:
    """Dates as RFC 8943 tag 100 (days since 1970: 5 bytes), a year alone as an integer."""
    if value is None or isinstance(value, str) or isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return cbor2.CBORTag(_DATE_TAG, (value - _EPOCH).days)
    raise ValueError(f"a field cannot hold {type(value).__name__}")


def _decode_value(item: Any) -> Any:
    """A value as cbor2 decodes it (tag 100 already a date) or as _encode_value made it."""
    kind = type(item)
    if kind is str or kind is dt.date or kind is int or item is None:  # cbor2 makes tag 100 a date
        return item
    if kind is cbor2.CBORTag and item.tag == _DATE_TAG and type(item.value) is int:
        return _EPOCH + dt.timedelta(days=item.value)
    raise ValueError(f"a field cannot hold {type(item).__name__}")


def _salt(seed: bytes, index: int) -> bytes:
    return hmac.digest(seed, _SALT_CONTEXT + bytes([index]), "sha256")[:SALT_BYTES]


def _digest(index: int, salt: bytes, value: Any) -> bytes:
    return hashlib.sha256(cbor2.dumps([index, salt, _encode_value(value)])).digest()[:DIGEST_BYTES]


# --- Base45 (RFC 9285), decoding ---------------------------------------------------------------------

_B45_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUES = bytes.maketrans(_B45_ALPHABET, bytes(range(45)))


def b45decode(text: str) -> bytes:
    """RFC 9285 Base45 decoding, the same answers as the `base45` package (tests/credentials compare
    them) at a sixth of its time: the verifier's budget is a third of a millisecond a QR.

    Every three characters c0 c1 c2 are the number c0 + 45·c1 + 2025·c2 (at most 0xFFFF), written as
    two bytes. Instead of a Python loop over the triples, each of c0, c1 and c2 is laid in its own
    32-bit lane of one big integer; the three integers are weighted and added (a lane's sum, below
    2^17, never carries into the next), and the lanes are read back as bytes."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("not Base45: a character outside its alphabet") from None
    if raw.translate(None, _B45_ALPHABET):
        raise ValueError("not Base45: a character outside its alphabet")
    values = raw.translate(_B45_VALUES)
    triples, rest = divmod(len(values), 3)
    if rest == 1:
        raise ValueError("not Base45: a length of 3n + 1 characters")
    total = 0
    for position, weight in enumerate((1, 45, 45 * 45)):
        lanes = bytearray(4 * triples)
        lanes[3::4] = values[position:3 * triples:3]
        total += weight * int.from_bytes(lanes, "big")
    sums = total.to_bytes(4 * triples, "big")
    if sums[1::4].strip(b"\0"):
        raise ValueError("not Base45: a triple above 0xFFFF")
    out = bytearray(2 * triples)
    out[0::2] = sums[2::4]
    out[1::2] = sums[3::4]
    if rest:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise ValueError("not Base45: a final pair above 0xFF")
        out.append(last)
    return bytes(out)
