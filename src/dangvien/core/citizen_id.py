"""Citizen ID (CCCD) checks. There is no check digit: we check the format, the province code, and
that the century/sex digit and the birth-year digits agree with the record (domain.md).

Two kinds of finding (docs/import-format.md, "Warnings and rejections"): `format_problem` is what
cannot be stored (not 12 digits), and refuses the record; `warnings` are the ways a well-formed ID
disagrees with its own structure or with the record (unknown province code, 4th digit outside 0-5,
sex or birth year). Those are stored with a visible warning: the record or the ID may be the wrong
one, and reconciliation with the population database is what tells which."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

# The 63 pre-2025 province codes used in citizen IDs; numbers did not change with the mergers.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

# ASCII digits only (\d would also take fullwidth and other Unicode digits) and fullmatch (a "$"
# pattern would accept a trailing newline).
_FORMAT = re.compile(r"[0-9]{12}")
_OLD_FORMAT = re.compile(r"[0-9]{9}")
# Century and sex digit: 1900s male 0 / female 1, 2000s male 2 / female 3, 2100s 4/5, 1800s... not used.
_CENTURY_BASE = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100}


@dataclass(frozen=True)
class CitizenId:
    province_code: str
    sex: str  # "M" or "F"
    birth_year: int


def parse(value: str) -> CitizenId:
    """Parse a 12-digit citizen ID; ValueError with a translated message when malformed."""
    if not _FORMAT.fullmatch(value):
        raise ValueError(_("A citizen ID has exactly 12 digits."))
    province = value[:3]
    if province not in PROVINCE_CODES:
        raise ValueError(_("%(code)s is not a province code used in citizen IDs.") % {"code": province})
    digit = int(value[3])
    if digit not in _CENTURY_BASE:
        raise ValueError(_("The 4th digit (century and sex) must be 0 to 5, not %(digit)s.") % {"digit": digit})
    return CitizenId(
        province_code=province,
        sex="M" if digit % 2 == 0 else "F",
        birth_year=_CENTURY_BASE[digit] + int(value[4:6]),
    )


def format_problem(value: str) -> str | None:
    """Why `value` cannot be stored as a citizen ID, or None."""
    return None if _FORMAT.fullmatch(value) else _("A citizen ID has exactly 12 digits.")


def warnings(value: str, *, sex: str | None, birth_year: int | None) -> list[str]:
    """Every way a well-formed (12-digit) citizen ID disagrees with its structure or with the
    record's sex and birth year. A malformed value gives none: that is format_problem's."""
    if not _FORMAT.fullmatch(value):
        return []
    found: list[str] = []
    if value[:3] not in PROVINCE_CODES:
        found.append(_("%(code)s is not a province code used in citizen IDs.") % {"code": value[:3]})
    digit = int(value[3])
    if digit not in _CENTURY_BASE:
        # Neither sex nor century can be read: nothing to compare the record with.
        found.append(_("The 4th digit (century and sex) must be 0 to 5, not %(digit)s.") % {"digit": digit})
        return found
    id_sex = "M" if digit % 2 == 0 else "F"
    id_year = _CENTURY_BASE[digit] + int(value[4:6])
    # Only a known sex is compared: anything else is the sex field's own error, not the ID's.
    if sex in ("M", "F") and id_sex != sex:
        found.append(
            _("The 4th digit says %(id_sex)s but the record says %(sex)s.")
            % {"id_sex": _("male") if id_sex == "M" else _("female"),
               "sex": _("male") if sex == "M" else _("female")}
        )
    if birth_year and id_year != birth_year:
        found.append(
            _("The ID's century and year digits say born in %(id_year)s but the record says %(year)s.")
            % {"id_year": id_year, "year": birth_year}
        )
    return found


def problems(value: str, *, sex: str | None, birth_year: int | None) -> list[str]:
    """Every way a citizen ID is malformed or disagrees with the record's sex and birth year: the
    format problem alone when there is one, else the warnings."""
    problem = format_problem(value)
    return [problem] if problem else warnings(value, sex=sex, birth_year=birth_year)


def is_old_id(value: str) -> bool:
    return bool(_OLD_FORMAT.fullmatch(value))


def make(province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """Build a well-formed citizen ID (demo data and tests)."""
    century = (birth_year // 100 - 19) * 2 + (1 if sex == "F" else 0)
    return f"{province_code}{century}{birth_year % 100:02d}{serial % 1_000_000:06d}"
