"""The machine-readable zone of an ID-1 card (ICAO 9303 part 5, TD1: three lines of 30 characters),
with the check digits of part 3.

    line 1: document code (2), issuing state (3), document number (9), its check digit, optional data (15)
    line 2: date of birth YYMMDD + check, sex, date of expiry YYMMDD + check, nationality (3),
            optional data (11), composite check digit
    line 3: PRIMARY<<SECONDARY<NAMES

A document number longer than 9 characters continues in the optional data of line 1 (part 5, 4.2.4):
position 15 holds '<', the rest of the number and its check digit follow.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dangvien.core.text import fold

LINE = 30
FILLER = "<"
_MRZ_CHARS = re.compile(r"[A-Z0-9<]*")
_WEIGHTS = (7, 3, 1)
_VALUES = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, FILLER: 0}


class MrzError(ValueError):
    """A value that cannot be written into, or a zone that cannot be read as, a TD1 MRZ."""


def check_digit(field: str) -> str:
    """9303 part 3, 4.9: digits count as themselves, A-Z as 10-35, the filler as 0, weights 7 3 1."""
    try:
        total = sum(_VALUES[ch] * _WEIGHTS[i % 3] for i, ch in enumerate(field))
    except KeyError as exc:
        raise MrzError(f"{exc.args[0]!r} is not an MRZ character") from None
    return str(total % 10)


def mrz_text(value: str) -> str:
    """A name or a word in the MRZ character set: diacritics dropped (đ -> D), upper case, spaces and
    hyphens become the filler, other punctuation (the apostrophe of H'Bơ) is omitted (part 3, 6.A)."""
    folded = fold(value).upper().replace("-", " ")
    words = ["".join(ch for ch in word if "A" <= ch <= "Z" or ch.isdigit()) for word in folded.split()]
    return FILLER.join(word for word in words if word)


def document_number_chars(number: str) -> str:
    """The document number in the MRZ: its letters and digits, punctuation omitted (part 3, 4.2.2)."""
    kept = "".join(ch for ch in number.upper() if "A" <= ch <= "Z" or ch.isdigit())
    if not kept:
        raise MrzError(f"the card number {number!r} has no letter or digit")
    if len(kept) > 22:
        raise MrzError(f"the card number {number!r} is longer than the 22 characters a TD1 MRZ holds")
    return kept


def mrz_date(day: dt.date | None, *, year: int | None = None) -> str:
    """YYMMDD; a date of which only the year is known is YY<<<< (part 3, 4.4), none at all <<<<<<."""
    if day is not None:
        return f"{day.year % 100:02d}{day.month:02d}{day.day:02d}"
    if year is not None:
        return f"{year % 100:02d}" + FILLER * 4
    return FILLER * 6


def _pad(value: str, width: int, what: str) -> str:
    if len(value) > width:
        raise MrzError(f"{what} {value!r} is longer than {width} characters")
    return value + FILLER * (width - len(value))


def td1(*, document_code: str, issuing_state: str, document_number: str, birth: str, sex: str,
        expiry: str, nationality: str, primary: str, secondary: str, optional1: str = "",
        optional2: str = "") -> str:
    """The 90 characters of a TD1 MRZ from fields already in the MRZ character set."""
    for name, value in (("document code", document_code), ("issuing state", issuing_state),
                        ("document number", document_number), ("nationality", nationality),
                        ("date of birth", birth), ("date of expiry", expiry), ("sex", sex),
                        ("name", primary + secondary), ("optional data", optional1 + optional2)):
        if not _MRZ_CHARS.fullmatch(value):
            raise MrzError(f"the {name} {value!r} holds characters outside A-Z 0-9 <")
    if len(document_number) <= 9:
        number_field = _pad(document_number, 9, "document number") + check_digit(_pad(document_number, 9, ""))
        optional_field = _pad(optional1, 15, "optional data")
    else:  # the rest of the number, its check digit and a filler open the optional data
        number_field = document_number[:9] + FILLER
        overflow = document_number[9:] + check_digit(document_number) + FILLER
        optional_field = _pad(overflow + optional1, 15, "optional data")
    line1 = _pad(document_code, 2, "document code") + _pad(issuing_state, 3, "issuing state") + number_field \
        + optional_field
    birth_field = birth + check_digit(birth)
    expiry_field = expiry + check_digit(expiry)
    upper = birth_field + _pad(sex or FILLER, 1, "sex") + expiry_field + _pad(nationality, 3, "nationality") \
        + _pad(optional2, 11, "optional data")
    composite = check_digit(line1[5:30] + birth_field + expiry_field + upper[18:29])
    line2 = upper + composite
    name = primary + FILLER * 2 + secondary if secondary else primary
    line3 = _pad(name[:LINE], LINE, "name")  # a longer name is cut (part 3, 4.6: truncation)
    return line1 + line2 + line3


@dataclass(frozen=True)
class Td1:
    """A TD1 MRZ read back, its check digits verified."""

    document_code: str
    issuing_state: str
    document_number: str
    birth: str
    sex: str
    expiry: str
    nationality: str
    name: str


def parse_td1(mrz: str) -> Td1:
    """Read a 90-character TD1 MRZ and verify its four check digits; MrzError names the first fault."""
    if len(mrz) != 3 * LINE or not _MRZ_CHARS.fullmatch(mrz):
        raise MrzError("a TD1 MRZ is 90 characters of A-Z 0-9 <")
    line1, line2, line3 = mrz[:30], mrz[30:60], mrz[60:]
    if line1[14] == FILLER and line1[15] != FILLER:  # a long number continues in the optional data
        rest = line1[15:].split(FILLER, 1)[0]
        number, digit = line1[5:14] + rest[:-1], rest[-1:]
        if check_digit(number) != digit:
            raise MrzError("the document number's check digit is wrong")
    else:
        number = line1[5:14].rstrip(FILLER)
        if check_digit(line1[5:14]) != line1[14]:
            raise MrzError("the document number's check digit is wrong")
    if check_digit(line2[0:6]) != line2[6]:
        raise MrzError("the date of birth's check digit is wrong")
    if check_digit(line2[8:14]) != line2[14]:
        raise MrzError("the date of expiry's check digit is wrong")
    if check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]) != line2[29]:
        raise MrzError("the composite check digit is wrong")
    return Td1(document_code=line1[0:2], issuing_state=line1[2:5], document_number=number,
               birth=line2[0:6], sex=line2[7], expiry=line2[8:14], nationality=line2[15:18],
               name=line3.rstrip(FILLER))
