"""Verifying a card credential offline: a phone QR (its text or a picture of it) or a chip image.

The answer is one of valid / revoked / suspended / unknown / invalid, with a reason code (REASONS
gives each its sentence for people) and the fields the credential showed. The order follows the
status list draft's validation rules: first the credential itself (format, signer, signature,
validity period), and an invalid one is never looked up; then its status, from the verifier's
cached copy of the list: missing or more than 7 days old → unknown.

Everything a verification needs again is kept between calls (parsed signer certificates by key id,
the inflated status lists), so a checkpoint verifies thousands of QR codes a second
(bench/qr_bench.py).
"""

from __future__ import annotations

import datetime as dt
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dangvien.credentials import cose
from dangvien.credentials.keys import KeyRole
from dangvien.credentials.phone import PREFIX, OpenedQR, PhoneQRError, open_qr
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.status_list import CardStatus

if TYPE_CHECKING:
    from cryptography import x509

    from dangvien.credentials.keys import TrustList

Result = Literal["valid", "revoked", "suspended", "unknown", "invalid"]
# The QR roles (keys.KeyRole): the phone's short-lived credential, and the one printed on the card.
QR_ROLES = ("phone", "printed")
# A phone's clock may run a little ahead of the verifier's: a QR made "now" on it is accepted.
CLOCK_SKEW = dt.timedelta(minutes=5)

REASONS: dict[str, Promise] = {
    "": _("Valid party card."),
    "revoked": _("This card has been revoked."),
    "suspended": _("This card is suspended."),
    # unknown: the credential is genuine, its status cannot be told.
    "status_unavailable": _("The card status list has not been downloaded on this device: connect once to "
                            "download it."),
    "status_stale": _("This device's copy of the card status list is more than 7 days old: connect to "
                      "refresh it."),
    "status_list_invalid": _("This device's copy of the card status list cannot be trusted: connect to "
                             "download it again."),
    "status_unrecognized": _("The card status list gives this card a status this verifier does not know."),
    # invalid
    "not_a_card_qr": _("This is not a party card QR code."),
    "malformed": _("The code is damaged or incomplete."),
    "signer_untrusted": _("Not signed by a trusted issuer."),
    "signer_role": _("Signed with a key that may not issue this kind of credential."),
    "signer_expired": _("The issuer's certificate had expired when this was signed."),
    "signer_not_yet_valid": _("The issuer's certificate was not yet valid when this was signed."),
    "root_not_valid": _("The root certificate was not valid when this was signed."),
    "bad_signature": _("The signature does not match: the content has been altered."),
    "expired": _("This QR code has expired: ask the member to open a fresh one."),
    "not_yet_valid": _("This QR code is not valid yet: check this device's date and time."),
    "status_index_out_of_range": _("The card's status list entry does not exist."),
    "unreadable": _("No party card QR code or chip image could be read from this input."),
    "chip_verifier_unavailable": _("Chip images cannot be checked by this installation."),
    "chip_rejected": _("The chip data does not verify."),
}
_STATUS_RESULTS: dict[CardStatus, Result] = {
    CardStatus.VALID: "valid", CardStatus.REVOKED: "revoked", CardStatus.SUSPENDED: "suspended"}
_UNKNOWN_STATUS_REASONS = {"status_unavailable", "status_stale", "status_list_invalid", "status_unrecognized"}


@dataclass(frozen=True)
class Verdict:
    result: Result
    reason: str  # "" when valid, else a code (REASONS, or the chip verifier's own code)
    fields: dict[str, Any] = field(default_factory=dict)  # what the credential shows, once it verified
    detail: str = ""  # what exactly failed, for logs and the command line (English)
    source: Literal["phone", "chip", ""] = ""
    expires_at: dt.datetime | None = None
    status_list_issued_at: dt.datetime | None = None
    status_uri: str = ""  # the status list the credential names (empty when it was not read that far)

    @property
    def message(self) -> str:
        """The reason as a sentence in the active language."""
        text = REASONS.get(self.reason) or REASONS["chip_rejected" if self.source == "chip" else "malformed"]
        return str(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "result": self.result, "reason": self.reason, "message": self.message, "detail": self.detail,
            "source": self.source, "fields": {k: _json_value(v) for k, v in self.fields.items()},
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "status_list_issued_at": self.status_list_issued_at.isoformat() if self.status_list_issued_at else None,
            "status_uri": self.status_uri or None,
        }


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass
class _SignerEntry:
    certificate: x509.Certificate | None
    public_key: Any
    problem: tuple[str, str] | None  # (code, text) without regard to time


class Verifier:
    """Verifies credentials against one trust list and one status cache, keeping what it parsed."""

    def __init__(self, trust: TrustList, status_cache: StatusCache):
        self.trust = trust
        self.status_cache = status_cache
        self._signers: dict[tuple[str, str], _SignerEntry] = {}

    def verify(self, item: str | Mapping[str, bytes] | os.PathLike[str], *, now: dt.datetime) -> Verdict:
        """A QR text, a chip image ({"EF.COM": ..., "DG1": ..., "EF.SOD": ...}), or a path: a chip image
        directory, a picture of a QR code, or a text file holding the QR text."""
        if isinstance(item, os.PathLike):
            return self.verify_path(Path(item), now=now)
        if isinstance(item, Mapping):
            return self.verify_chip(item, now=now)
        return self.verify_qr(item, now=now)

    # --- phone QR -------------------------------------------------------------------------------------

    def verify_qr(self, text: str, *, now: dt.datetime) -> Verdict:
        try:
            opened = open_qr(text)
        except PhoneQRError as exc:
            return Verdict("invalid", exc.reason, detail=exc.detail, source="phone")
        expires_at = dt.datetime.fromtimestamp(opened.expires_at, dt.UTC)
        if problem := self._signature_problem(opened):
            return Verdict("invalid", problem[0], detail=problem[1], source="phone")
        if now.timestamp() >= opened.expires_at:
            return Verdict("invalid", "expired", detail=f"expired at {expires_at:%Y-%m-%d %H:%M} UTC",
                           source="phone", expires_at=expires_at)
        if now.timestamp() + CLOCK_SKEW.total_seconds() < opened.issued_at:
            issued_at = dt.datetime.fromtimestamp(opened.issued_at, dt.UTC)
            return Verdict("invalid", "not_yet_valid", detail=f"issued for {issued_at:%Y-%m-%d %H:%M} UTC",
                           source="phone", expires_at=expires_at)
        return self._with_status(opened.status_uri, opened.status_index, now=now, fields=opened.fields,
                                 source="phone", expires_at=expires_at)

    def _signature_problem(self, opened: OpenedQR) -> tuple[str, str] | None:
        message = opened.message
        entry = self._qr_signer(message.key_id)
        if entry.problem:
            return entry.problem
        assert entry.certificate is not None
        if not cose.signature_valid(entry.public_key, message, opened.payload):
            return "bad_signature", "the signature does not verify over the rebuilt payload"
        signed_at = dt.datetime.fromtimestamp(opened.issued_at, dt.UTC)
        if signed_at > entry.certificate.not_valid_after_utc:
            return "signer_expired", f"key {message.key_id}'s certificate expired before {signed_at:%Y-%m-%d}"
        if signed_at < entry.certificate.not_valid_before_utc:
            return "signer_not_yet_valid", f"key {message.key_id}'s certificate starts after {signed_at:%Y-%m-%d}"
        return None

    def _qr_signer(self, key_id: str) -> _SignerEntry:
        """The signer of a QR: a phone or a printed-card signer (the first role its certificate holds)."""
        entries = [self._signer(key_id, role) for role in QR_ROLES]
        return next((entry for entry in entries if not entry.problem or entry.problem[0] != "signer_role"), entries[0])

    def _signer(self, key_id: str, role: str) -> _SignerEntry:
        """The signer's certificate by key id, checked once (chain to a root, role); its validity period
        is checked per credential against the time it was signed."""
        entry = self._signers.get((key_id, role))
        if entry is None:
            certificate = self.trust.signer(key_id)
            if certificate is None:
                entry = _SignerEntry(None, None, ("signer_untrusted", f"key {key_id} is not in the trust list or "
                                                  "does not chain to one of its roots"))
            elif problem := self.trust.check(certificate, at=None, role=KeyRole(role)):
                entry = _SignerEntry(certificate, None, (problem.code, problem.text))
            else:
                entry = _SignerEntry(certificate, certificate.public_key(), None)
            self._signers[(key_id, role)] = entry
        return entry

    # --- chip image -------------------------------------------------------------------------------------

    def verify_chip(self, files: Mapping[str, bytes], *, now: dt.datetime) -> Verdict:
        """Passive authentication (cred-chip's credentials.passive_auth), then the card's status."""
        try:
            from dangvien.credentials.passive_auth import passive_authentication
        except ImportError as exc:
            return Verdict("invalid", "chip_verifier_unavailable", detail=str(exc), source="chip")
        chip = passive_authentication(dict(files), self.trust, at=now)
        if not chip.ok:
            code, _sep, text = chip.reason.partition(":")
            return Verdict("invalid", code.strip() or "chip_rejected", detail=text.strip() or chip.reason,
                           source="chip")
        fields = dict(getattr(chip, "fields", {}) or {})
        if chip.card_number:
            fields.setdefault("card_number", chip.card_number)
        if chip.status_list_uri is None or chip.status_index is None:
            return Verdict("invalid", "malformed", fields=fields, detail="the chip names no status list entry",
                           source="chip")
        return self._with_status(chip.status_list_uri, chip.status_index, now=now, fields=fields, source="chip")

    # --- a path -------------------------------------------------------------------------------------------

    def verify_path(self, path: Path, *, now: dt.datetime) -> Verdict:
        try:
            return self.verify(read_input(path), now=now)
        except (OSError, ValueError) as exc:
            return Verdict("invalid", "unreadable", detail=f"{path}: {exc}")

    # --- status -----------------------------------------------------------------------------------------

    def _with_status(self, uri: str, index: int, *, now: dt.datetime, fields: dict[str, Any],
                     source: Literal["phone", "chip"], expires_at: dt.datetime | None = None) -> Verdict:
        lookup = self.status_cache.lookup(uri, index, trust=self.trust, now=now)
        result: Result
        if lookup.status is not None:
            result = _STATUS_RESULTS[lookup.status]
            reason: str = "" if result == "valid" else result
        else:
            result = "unknown" if lookup.reason in _UNKNOWN_STATUS_REASONS else "invalid"
            reason = lookup.reason
        return Verdict(result, reason, fields=fields, detail=lookup.detail, source=source, expires_at=expires_at,
                       status_list_issued_at=lookup.list_issued_at, status_uri=uri)


def read_input(path: Path) -> str | dict[str, bytes]:
    """What a path holds: a chip image directory (its files by name: EF.COM, DG1..., EF.SOD; a ".bin"
    ending is dropped), a picture of a QR code (PNG, JPEG, ...: its card QR's text, else the first QR
    code's), or a text file
    (its first line starting with the QR prefix)."""
    if path.is_dir():
        return {_chip_file_name(p.name): p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()
                and not p.name.startswith(".")}
    data = path.read_bytes()
    if data.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM", b"RIFF")):
        from dangvien.credentials.qr import decode_image

        texts = decode_image(data)
        if not texts:
            raise ValueError("no QR code found in the picture")
        return next((text for text in texts if text.startswith(PREFIX)), texts[0])
    text = data.decode("utf-8", errors="replace")
    return next((line.strip() for line in text.splitlines() if line.strip().startswith(PREFIX)), text.strip())


def _chip_file_name(name: str) -> str:
    return name[:-4] if name.lower().endswith(".bin") else name


# The last verifier made by `verify()`, reused while the same trust list and cache are passed: what it
# parsed (signer keys, inflated lists) is the point of keeping it.
_last: tuple[weakref.ref[Any], weakref.ref[Any], Verifier] | None = None


def verify(item: str | Mapping[str, bytes] | os.PathLike[str], *, trust: TrustList, status_cache: StatusCache,
           now: dt.datetime) -> Verdict:
    """The contract's entry point: `Verifier(trust, status_cache).verify(item, now=now)`, the verifier
    kept for the next call with the same trust list and cache."""
    global _last
    if _last is None or _last[0]() is not trust or _last[1]() is not status_cache:
        _last = (weakref.ref(trust), weakref.ref(status_cache), Verifier(trust, status_cache))
    return _last[2].verify(item, now=now)
