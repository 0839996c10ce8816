"""Passive authentication of a chip image (ICAO 9303 part 11, 5.1), offline, with a trust list.

In this order, stopping at the first failure, whose code and text the verdict's reason gives:

    sod_missing            no EF.SOD
    sod_malformed          EF.SOD is not a SignedData over an LDS security object as 9303 and this project write it
    signer_untrusted       the signer's certificate is not issued by a root of the trust list
    signer_role            ... it is, but for another role than the chip's security object
    root_not_valid / signer_expired / signer_not_yet_valid      ... not valid at the time asked
    sod_signature          the signature, or the signed digest of the security object, does not verify
    dg_missing             a data group the security object lists is not there (DG1 and DG13 must be listed)
    dg_hash                a data group's SHA-256 differs from the one signed (the reason names it)
    dg_unlisted            a data group is there that the security object does not list
    ef_com                 EF.COM is missing, or does not list exactly the signed groups and LDS version
    dg1_malformed / dg13_malformed / dg11_malformed / dg12_malformed    signed, yet unreadable
    dg_inconsistent        DG1's document number is not DG13's card number

EF.COM is not covered by the signature (9303); it is checked against what is: the signed data group
list and the LDS version info of the security object, so no byte of it can change unnoticed either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from . import lds, mrz
from .keys import KeyRole, TrustList
from .sod import SodDigestError, SodError, parse_sod
from .tlv import TlvError, read_one

REQUIRED_GROUPS = (1, 13)
_DG_NAME = re.compile(r"DG(\d{1,2})")


@dataclass(frozen=True)
class ChipVerdict:
    ok: bool
    reason: str  # "" when ok, else "code: text"
    card_number: str | None = None
    status_list_uri: str | None = None
    status_index: int | None = None
    # What the chip says, once verified: name, card number, dates, committee, re-issue counter...
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0]


class _Rejected(Exception):
    def __init__(self, code: str, text: str):
        super().__init__(f"{code}: {text}")
        self.code, self.text = code, text


def passive_authentication(files: dict[str, bytes], trust: TrustList, *, at: dt.datetime) -> ChipVerdict:
    """Check a chip image ({"EF.COM": ..., "DG1": ..., "EF.SOD": ...}) at time `at`."""
    try:
        return _verify(files, trust, at)
    except _Rejected as rejected:
        return ChipVerdict(ok=False, reason=str(rejected))


def _verify(files: dict[str, bytes], trust: TrustList, at: dt.datetime) -> ChipVerdict:
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime")
    if "EF.SOD" not in files:
        raise _Rejected("sod_missing", "the chip image has no EF.SOD")
    try:
        sod = parse_sod(read_one(files["EF.SOD"], lds.SOD_TAG))
    except SodDigestError as exc:
        raise _Rejected("sod_signature", str(exc)) from exc
    except (SodError, TlvError) as exc:
        raise _Rejected("sod_malformed", str(exc)) from exc
    if problem := trust.check(sod.certificate, at=at, role=KeyRole.CHIP):
        raise _Rejected(problem.code, problem.text)
    public_key = sod.certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise _Rejected("sod_malformed", "the signer's key is not ECDSA P-256")
    try:
        public_key.verify(sod.signature, sod.signed_attributes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Rejected("sod_signature", "the security object's signature does not verify") from None

    groups = {int(m.group(1)): data for name, data in files.items() if (m := _DG_NAME.fullmatch(name))}
    for number in REQUIRED_GROUPS:
        if number not in sod.hashes:
            raise _Rejected("dg_missing", f"the security object does not list DG{number}")
    for number, signed_hash in sorted(sod.hashes.items()):
        if number not in groups:
            raise _Rejected("dg_missing", f"DG{number} is listed in the security object and missing")
        if hashlib.sha256(groups[number]).digest() != signed_hash:
            raise _Rejected("dg_hash", f"DG{number} does not match the hash in the security object")
    if unlisted := sorted(set(groups) - set(sod.hashes)):
        raise _Rejected("dg_unlisted", f"DG{unlisted[0]} is not listed in the security object")
    _check_ef_com(files.get("EF.COM"), sod.hashes, sod.lds_version, sod.unicode_version)
    return _verified(groups)


def _check_ef_com(ef_com: bytes | None, signed: dict[int, bytes], lds_version: str | None,
                  unicode_version: str | None) -> None:
    if ef_com is None:
        raise _Rejected("ef_com", "the chip image has no EF.COM")
    if any(n not in lds.DG_TAGS for n in signed):
        raise _Rejected("ef_com", "the security object lists a data group this profile does not know")
    expected = lds.tlv(lds.COM_TAG, lds.tlv(0x5F01, (lds_version or lds.LDS_VERSION).encode())
                       + lds.tlv(0x5F36, (unicode_version or lds.UNICODE_VERSION).encode())
                       + lds.tlv(0x5C, bytes(lds.DG_TAGS[n] for n in sorted(signed))))
    if ef_com != expected:
        raise _Rejected("ef_com", "EF.COM does not list exactly the signed data groups and LDS version")


def _verified(groups: dict[int, bytes]) -> ChipVerdict:
    try:
        mrz_data = lds.parse_dg1(groups[1])
    except (TlvError, mrz.MrzError, UnicodeDecodeError) as exc:
        raise _Rejected("dg1_malformed", f"DG1: {exc}") from exc
    try:
        party = lds.parse_dg13(groups[13])
    except (TlvError, UnicodeDecodeError) as exc:
        raise _Rejected("dg13_malformed", f"DG13: {exc}") from exc
    if mrz_data.document_number != mrz.document_number_chars(party.card_number):
        raise _Rejected("dg_inconsistent", "DG1's document number is not DG13's card number")
    fields = {"card_number": party.card_number, "mrz_name": " ".join(mrz_data.name.replace("<", " ").split()),
              "admission_date": party.admission_date.isoformat(),
              "official_date": party.official_date.isoformat() if party.official_date else "",
              "committee_code": party.committee_code, "reissue_count": str(party.reissue_count)}
    for number, tags in ((11, {0x5F0E: "full_name", 0x5F10: "citizen_id", 0x5F2B: "date_of_birth"}),
                         (12, {0x5F19: "issuing_authority", 0x5F26: "issued_on"})):
        if number in groups:
            try:
                read = lds.parse_tagged_fields(groups[number], number)
            except TlvError as exc:
                raise _Rejected(f"dg{number}_malformed", f"DG{number}: {exc}") from exc
            fields.update({name: read[tag].replace("<<", " ") for tag, name in tags.items() if tag in read})
    return ChipVerdict(ok=True, reason="", card_number=party.card_number, status_list_uri=party.status_list_uri,
                       status_index=party.status_index, fields=fields)
