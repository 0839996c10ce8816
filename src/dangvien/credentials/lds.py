"""The chip's data: ICAO 9303 part 10's logical data structure (LDS 1.7) for a party card.

Files, each one BER-TLV record (tlv.py); tags as in 9303 part 10:

- EF.COM (0x60): LDS version 5F01 "0107", Unicode version 5F36 "040000", tag list 5C of the data groups.
- DG1 (0x61): 5F1F, the TD1 MRZ (mrz.py): document code "IP", issuing state VNM, the card number.
- DG2 (0x75): the portrait, 7F61 { 02 count, 7F60 { A1 biometric header, 5F2E ISO/IEC 19794-5 record
  wrapping the JPEG } }.
- DG11 (0x6B): personal details in UTF-8: 5F0E full name (family<<given), 5F10 personal number (the
  citizen ID), 5F2B full date of birth, 5F11 place of birth, 5F42 address; 5C lists the tags present.
- DG12 (0x6C): 5F19 issuing authority, 5F26 date of issue; 5C lists them.
- DG13 (0x6D): the party's data, in this project's own layout (DG13 is the issuer's to define), see
  `dg13` and docs/credentials.md.
- EF.SOD (0x77): the security object, signed (sod.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image

from dangvien.core.text import nfc

from . import mrz
from .keys import Signer
from .sod import signed_security_object
from .tlv import TlvError, read_one, read_tlv, records, tlv

LDS_VERSION = "0107"
UNICODE_VERSION = "040000"
ISSUING_STATE = "VNM"
# The MRZ document code: "I" for an ID card; the second letter is the issuer's choice (not V). "P"
# for party, so that a reader does not take the card for the citizen ID card (IDVNM...).
DOCUMENT_CODE = "IP"

# data group number -> its file's tag (9303 part 10, table 34)
DG_TAGS = {1: 0x61, 2: 0x75, 11: 0x6B, 12: 0x6C, 13: 0x6D}
COM_TAG, SOD_TAG = 0x60, 0x77
FILE_NAMES = ["EF.COM", *(f"DG{n}" for n in DG_TAGS), "EF.SOD"]

DG13_LAYOUT_VERSION = 1
# DG13's records (context-specific tags), in the order they must appear.
DG13_VERSION, DG13_CARD_NUMBER, DG13_ADMISSION, DG13_OFFICIAL = 0x80, 0x81, 0x82, 0x83
DG13_COMMITTEE, DG13_STATUS_URI, DG13_STATUS_INDEX, DG13_REISSUE = 0x84, 0x85, 0x86, 0x87

_SEX_BYTE = {"M": 1, "F": 2}  # ISO/IEC 19794-5 gender
_DATE = re.compile(r"\d{8}")


class ChipDataError(ValueError):
    """Card data that cannot be written to the chip as given (the message names the field)."""


@dataclass(frozen=True)
class ChipData:
    card_number: str
    full_name: str
    family_name: str
    given_names: str
    sex: str  # "M" / "F"
    date_of_birth: dt.date | None
    birth_year: int
    citizen_id: str | None
    place_of_birth: str
    address: str
    nationality: str  # "VNM"
    issuing_authority: str
    issued_on: dt.date
    expires_on: dt.date | None
    admission_date: dt.date
    official_date: dt.date | None
    committee_code: str
    status_list_uri: str
    status_index: int
    reissue_count: int
    portrait_jpeg: bytes


@dataclass(frozen=True)
class PartyData:
    """DG13 read back."""

    card_number: str
    admission_date: dt.date
    official_date: dt.date | None
    committee_code: str
    status_list_uri: str
    status_index: int
    reissue_count: int


def chip_image(data: ChipData, signer: Signer) -> dict[str, bytes]:
    """Every file of the card's chip, EF.COM to EF.SOD, as the card maker writes them."""
    groups = data_groups(data)
    hashes = {number: hashlib.sha256(groups[f"DG{number}"]).digest() for number in DG_TAGS}
    sod = signed_security_object(hashes, signer, lds_version=LDS_VERSION, unicode_version=UNICODE_VERSION)
    return {"EF.COM": ef_com(list(DG_TAGS)), **groups, "EF.SOD": tlv(SOD_TAG, sod)}


def data_groups(data: ChipData) -> dict[str, bytes]:
    _check(data)
    return {"DG1": dg1(data), "DG2": dg2(data), "DG11": dg11(data), "DG12": dg12(data), "DG13": dg13(data)}


def _check(data: ChipData) -> None:
    if data.sex not in _SEX_BYTE:
        raise ChipDataError(f"sex must be M or F, not {data.sex!r}")
    if not re.fullmatch(r"[A-Z]{3}", data.nationality):
        raise ChipDataError(f"nationality must be three capital letters (VNM), not {data.nationality!r}")
    if not 0 <= data.status_index < 2**32:
        raise ChipDataError(f"status index {data.status_index} is outside 0..2^32-1")
    if not 0 <= data.reissue_count < 2**16:
        raise ChipDataError(f"re-issue counter {data.reissue_count} is outside 0..65535")
    if data.date_of_birth is not None and data.date_of_birth.year != data.birth_year:
        raise ChipDataError(f"birth year {data.birth_year} differs from the date of birth {data.date_of_birth}")
    for name in ("card_number", "full_name", "family_name", "issuing_authority", "committee_code",
                 "status_list_uri"):
        if not getattr(data, name).strip():
            raise ChipDataError(f"{name} is empty")


# --- EF.COM ------------------------------------------------------------------------------------------


def ef_com(dg_numbers: list[int]) -> bytes:
    tags = bytes(DG_TAGS[n] for n in dg_numbers)
    return tlv(COM_TAG, tlv(0x5F01, LDS_VERSION.encode()) + tlv(0x5F36, UNICODE_VERSION.encode())
               + tlv(0x5C, tags))


# --- DG1: the MRZ ------------------------------------------------------------------------------------


def td1_mrz(data: ChipData) -> str:
    try:
        return mrz.td1(
            document_code=DOCUMENT_CODE, issuing_state=ISSUING_STATE,
            document_number=mrz.document_number_chars(data.card_number),
            birth=mrz.mrz_date(data.date_of_birth, year=data.birth_year), sex=data.sex,
            expiry=mrz.mrz_date(data.expires_on), nationality=data.nationality,
            primary=mrz.mrz_text(data.family_name), secondary=mrz.mrz_text(data.given_names))
    except mrz.MrzError as exc:
        raise ChipDataError(str(exc)) from exc


def dg1(data: ChipData) -> bytes:
    return tlv(DG_TAGS[1], tlv(0x5F1F, td1_mrz(data).encode("ascii")))


def parse_dg1(data: bytes) -> mrz.Td1:
    return mrz.parse_td1(read_one(read_one(data, DG_TAGS[1]), 0x5F1F).decode("ascii"))


# --- DG2: the portrait -------------------------------------------------------------------------------

# The biometric header template (9303 part 10, 4.7.2.1): ICAO header version 1.1, biometric type
# "facial features", format owner ISO/IEC JTC 1 SC 37 (0x0101), format type "face image" (0x0008).
_BIOMETRIC_HEADER = tlv(0xA1, tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02") + tlv(0x87, b"\x01\x01")
                        + tlv(0x88, b"\x00\x08"))


def portrait_size(jpeg: bytes) -> tuple[int, int]:
    """Width and height from the JPEG's header (Pillow reads no pixels for this)."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            if image.format != "JPEG":
                raise ChipDataError(f"the portrait is a {image.format} image, a JPEG is needed")
            return image.size
    except (OSError, Image.DecompressionBombError) as exc:
        raise ChipDataError(f"the portrait is not a readable JPEG: {exc}") from exc


def face_record(jpeg: bytes, *, sex: str) -> bytes:
    """An ISO/IEC 19794-5:2005 face image record holding one JPEG: general header, facial record
    header, no feature points, image information, the image."""
    width, height = portrait_size(jpeg)
    facial_header = (
        (20 + 12 + len(jpeg)).to_bytes(4, "big")  # facial record data length
        + b"\x00\x00"  # feature points: none
        + bytes((_SEX_BYTE.get(sex, 0), 0, 0))  # gender, eye colour, hair colour (unspecified)
        + b"\x00\x00\x00"  # property mask
        + b"\x00\x00"  # expression: unspecified
        + b"\x00\x00\x00" + b"\x00\x00\x00"  # pose angles and their uncertainty: unspecified
    )
    image_information = (
        b"\x01"  # face image type: full frontal
        + b"\x00"  # image data type: JPEG
        + width.to_bytes(2, "big") + height.to_bytes(2, "big")
        + b"\x01"  # colour space: 24-bit RGB
        + b"\x02"  # source type: static photograph from a digital still camera
        + b"\x00\x00" + b"\x00\x00"  # device type, quality: unspecified
    )
    record_length = 14 + len(facial_header) + len(image_information) + len(jpeg)
    general_header = b"FAC\x00" + b"010\x00" + record_length.to_bytes(4, "big") + b"\x00\x01"
    return general_header + facial_header + image_information + jpeg


def dg2(data: ChipData) -> bytes:
    instance = tlv(0x7F60, _BIOMETRIC_HEADER + tlv(0x5F2E, face_record(data.portrait_jpeg, sex=data.sex)))
    return tlv(DG_TAGS[2], tlv(0x7F61, tlv(0x02, b"\x01") + instance))


def portrait_from_dg2(data: bytes) -> bytes:
    """The JPEG inside DG2 (one face image)."""
    group = read_one(read_one(data, DG_TAGS[2]), 0x7F61)
    tag, count, offset = read_tlv(group)
    if tag != 0x02 or count != b"\x01":
        raise TlvError("DG2 must hold exactly one portrait")
    instance = read_one(group[offset:], 0x7F60)
    _, _, offset = read_tlv(instance)  # the biometric header
    record = read_one(instance[offset:], 0x5F2E)
    if record[:8] != b"FAC\x00010\x00" or int.from_bytes(record[8:12], "big") != len(record):
        raise TlvError("DG2 does not hold an ISO/IEC 19794-5 face record")
    return record[14 + 20 + 12:]


# --- DG11, DG12: personal details, issuer ------------------------------------------------------------


def _date(day: dt.date) -> bytes:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}".encode("ascii")


def _utf8(value: str) -> bytes:
    return nfc(value).encode("utf-8")


def _with_tag_list(tag: int, fields: list[tuple[int, bytes]]) -> bytes:
    tag_list = b"".join(t.to_bytes(2, "big") for t, _ in fields)
    return tlv(tag, tlv(0x5C, tag_list) + b"".join(tlv(t, v) for t, v in fields))


def dg11(data: ChipData) -> bytes:
    # 9303 writes the full name with '<<' between the primary and the secondary identifier.
    fields = [(0x5F0E, _utf8(f"{data.family_name}<<{data.given_names}"))]
    if data.citizen_id:
        fields.append((0x5F10, _utf8(data.citizen_id)))
    if data.date_of_birth is not None:  # only a year known: DG1 holds it (YY<<<<)
        fields.append((0x5F2B, _date(data.date_of_birth)))
    if data.place_of_birth:
        fields.append((0x5F11, _utf8(data.place_of_birth)))
    if data.address:
        fields.append((0x5F42, _utf8(data.address)))
    return _with_tag_list(DG_TAGS[11], fields)


def dg12(data: ChipData) -> bytes:
    return _with_tag_list(DG_TAGS[12], [(0x5F19, _utf8(data.issuing_authority)), (0x5F26, _date(data.issued_on))])


def parse_tagged_fields(data: bytes, dg: int) -> dict[int, str]:
    """DG11 or DG12 as {tag: text}; the tag list must name exactly the fields present, in order."""
    found = list(records(read_one(data, DG_TAGS[dg])))
    if not found or found[0][0] != 0x5C:
        raise TlvError(f"DG{dg} does not start with its tag list")
    listed = [int.from_bytes(found[0][1][i:i + 2], "big") for i in range(0, len(found[0][1]), 2)]
    fields = found[1:]
    if listed != [tag for tag, _ in fields]:
        raise TlvError(f"DG{dg}'s tag list does not match its fields")
    try:
        return {tag: value.decode("utf-8") for tag, value in fields}
    except UnicodeDecodeError as exc:
        raise TlvError(f"DG{dg} holds text that is not UTF-8") from exc


# --- DG13: the party's data --------------------------------------------------------------------------


def _unsigned(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def dg13(data: ChipData) -> bytes:
    body = tlv(DG13_VERSION, bytes((DG13_LAYOUT_VERSION,)))
    body += tlv(DG13_CARD_NUMBER, _utf8(data.card_number))
    body += tlv(DG13_ADMISSION, _date(data.admission_date))
    if data.official_date is not None:  # a probationary member has none yet
        body += tlv(DG13_OFFICIAL, _date(data.official_date))
    body += tlv(DG13_COMMITTEE, _utf8(data.committee_code))
    body += tlv(DG13_STATUS_URI, _utf8(data.status_list_uri))
    body += tlv(DG13_STATUS_INDEX, _unsigned(data.status_index, 4))
    body += tlv(DG13_REISSUE, _unsigned(data.reissue_count, 2))
    return tlv(DG_TAGS[13], body)


def _read_date(value: bytes, what: str) -> dt.date:
    if not _DATE.fullmatch(value.decode("ascii", "replace")):
        raise TlvError(f"DG13's {what} is not a date YYYYMMDD")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise TlvError(f"DG13's {what} is not a date: {exc}") from exc


def _read_text(value: bytes, what: str) -> str:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TlvError(f"DG13's {what} is not UTF-8") from exc
    if not text or text != nfc(text):
        raise TlvError(f"DG13's {what} is empty or not NFC")
    return text


def parse_dg13(data: bytes) -> PartyData:
    """DG13 read strictly: every record in its place, with the size and form the layout gives it."""
    fields = dict(_dg13_records(read_one(data, DG_TAGS[13])))
    if fields[DG13_VERSION] != bytes((DG13_LAYOUT_VERSION,)):
        raise TlvError(f"DG13 layout version {fields[DG13_VERSION].hex()} is not {DG13_LAYOUT_VERSION}")
    if len(fields[DG13_STATUS_INDEX]) != 4 or len(fields[DG13_REISSUE]) != 2:
        raise TlvError("DG13's status index must be 4 bytes and its re-issue counter 2")
    official = fields.get(DG13_OFFICIAL)
    return PartyData(
        card_number=_read_text(fields[DG13_CARD_NUMBER], "card number"),
        admission_date=_read_date(fields[DG13_ADMISSION], "admission date"),
        official_date=_read_date(official, "official date") if official is not None else None,
        committee_code=_read_text(fields[DG13_COMMITTEE], "committee code"),
        status_list_uri=_read_text(fields[DG13_STATUS_URI], "status list URI"),
        status_index=int.from_bytes(fields[DG13_STATUS_INDEX], "big"),
        reissue_count=int.from_bytes(fields[DG13_REISSUE], "big"),
    )


_DG13_ORDER = [DG13_VERSION, DG13_CARD_NUMBER, DG13_ADMISSION, DG13_OFFICIAL, DG13_COMMITTEE,
               DG13_STATUS_URI, DG13_STATUS_INDEX, DG13_REISSUE]
_DG13_OPTIONAL = {DG13_OFFICIAL}


def _dg13_records(body: bytes) -> list[tuple[int, bytes]]:
    found = list(records(body))
    expected = iter(_DG13_ORDER)
    for tag, _ in found:
        for want in expected:
            if want == tag:
                break
            if want not in _DG13_OPTIONAL:
                raise TlvError(f"DG13 lacks record {want:02X} (or has {tag:02X} out of place)")
        else:
            raise TlvError(f"DG13 has an unknown or repeated record {tag:02X}")
    missing = [want for want in expected if want not in _DG13_OPTIONAL]
    if missing:
        raise TlvError(f"DG13 lacks record {missing[0]:02X}")
    return found
