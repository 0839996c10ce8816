"""The member fields a reconciliation compares, as plain values: what the record says now (to tell
whether it changed since a run compared it), what a population value changes on the record when an
officer accepts it, and the discrepancies between a member and an extract row an officer links by
hand (the engine finds those of its own links itself).

Values are text: names and hometowns NFC, dates dd/mm/yyyy (as the engine writes them; ISO is read
too) or a year alone, sex M or F,
identifiers as digits; an empty text is "not on record".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangvien.core.text import clean, fold
from dangvien.reconcile.models import Field, Kind

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_SPACES = re.compile(r"\s+")
# Words that name the kind of a place, which the extract and the records write or leave out at will.
_PLACE_WORDS = re.compile(r"\b(xa|phuong|thi tran|dac khu|tinh|thanh pho|tp|huyen|quan|thi xa)\b\.?")


def parse_day(value: Any) -> dt.date | int | None:
    """A date, a year alone (int), or None: from a date, ISO text, dd/mm/yyyy text (a day or month
    written 00 is unknown, as the population records write a year alone) or a year."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    found = _ISO.fullmatch(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    elif found := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
    elif _YEAR.fullmatch(text):
        return int(text)
    else:
        return None
    if not day or not month:
        return year
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def day_text(value: dt.date | int | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)


def sex_code(value: Any) -> str:
    text = fold(str(value or "")).strip()
    return {"m": "M", "nam": "M", "male": "M", "f": "F", "nu": "F", "female": "F"}.get(text, "")


def record_value(member: Any, field: str) -> str:
    """What the member's record says for `field` now, as a discrepancy's record_value writes it."""
    if field == Field.DATE_OF_BIRTH:
        return day_text(member.date_of_birth or member.birth_year or None)
    value = getattr(member, field)
    return clean(value) if value else ""


def same_value(field: str, a: str, b: str) -> bool:
    """Whether two texts of `field` say the same (NFC and spacing aside; dates by their value)."""
    if field == Field.DATE_OF_BIRTH:
        return parse_day(a) == parse_day(b)
    return clean(a or "") == clean(b or "")


def changes_for(field: str, population_value: str) -> dict[str, Any]:
    """What accepting the population value changes on the record (members.services.member_correct
    `changes`)."""
    if field not in Field.values:
        raise ValidationError({"field": [_("This field cannot be corrected from the population database.")]})
    if field == Field.DATE_OF_BIRTH:
        day = parse_day(population_value)
        if day is None:
            raise ValidationError({"population_value": [_("The population database gives no usable date.")]})
        if isinstance(day, int):
            return {"date_of_birth": None, "birth_year": day}
        return {"date_of_birth": day, "birth_year": day.year}
    if field == Field.SEX:
        return {"sex": sex_code(population_value)}
    value = clean(population_value)
    return {field: value or None} if field == Field.CITIZEN_ID else {field: value}


# --- a person of the extract, linked by hand --------------------------------------------------------


def person_values(person: Mapping[str, Any], so_dinh_danh: str) -> dict[str, str]:
    """The compared fields of an extract row (a candidate's `person`), as field -> text."""
    commune, province = clean(person.get("que_quan_xa") or ""), clean(person.get("que_quan_tinh") or "")
    return {
        Field.FULL_NAME: clean(person.get("ho_ten") or person.get("name_nfc") or ""),
        Field.DATE_OF_BIRTH: day_text(parse_day(person.get("ngay_sinh") or person.get("birth_date"))),
        Field.SEX: sex_code(person.get("gioi_tinh") or person.get("sex")),
        Field.HOMETOWN: ", ".join(part for part in (commune, province) if part),
        Field.CITIZEN_ID: so_dinh_danh,
        Field.OLD_ID: clean(person.get("so_cmnd") or ""),
    }


def discrepancies_with(member: Any, person: Mapping[str, Any], so_dinh_danh: str) -> list[tuple[str, str, str, str]]:
    """(field, kind, record value, population value) for each field on which the member's record
    disagrees with the extract row. A field the extract leaves empty is not a discrepancy; a citizen
    ID missing on record is one (the officer accepts it onto the record)."""
    found = []
    for field, population in person_values(person, so_dinh_danh).items():
        record = record_value(member, field)
        if not population or same_value(field, record, population) or _same_place(field, record, population):
            continue
        if field == Field.OLD_ID and not record:
            continue  # an old ID missing on record is nothing to correct: the citizen ID replaces it
        found.append((str(field), kind_of(field, record, population, member), record, population))
    return found


def _same_place(field: str, a: str, b: str) -> bool:
    """Hometowns written with or without "xã", "tỉnh", accents and commas name the same place."""
    if field != Field.HOMETOWN:
        return False

    def bare(text: str) -> str:
        return _SPACES.sub(" ", _PLACE_WORDS.sub(" ", fold(text).replace(",", " "))).strip()

    return bare(a) == bare(b)


def kind_of(field: str, record: str, population: str, member: Any = None) -> str:
    """How the record's value differs from the population's."""
    if not record:
        if field == Field.CITIZEN_ID and member is not None and member.old_id_number:
            return Kind.OLD_ID
        return Kind.MISSING
    if field == Field.FULL_NAME:
        return _name_kind(record, population)
    if field == Field.DATE_OF_BIRTH:
        return _date_kind(parse_day(record), parse_day(population))
    if field in (Field.CITIZEN_ID, Field.OLD_ID):
        return Kind.TYPO if _one_slip(record, population) else Kind.OTHER
    if field == Field.HOMETOWN and fold(record) == fold(population):
        return Kind.DIACRITICS_ONLY
    return Kind.OTHER


def _name_kind(record: str, population: str) -> str:
    if record.casefold().split() == population.casefold().split():
        return Kind.CASE_OR_SPACING
    a, b = fold(record).split(), fold(population).split()
    if a == b:
        return Kind.TONE_PLACEMENT if _tone_marks(record) == _tone_marks(population) else Kind.DIACRITICS_ONLY
    if len(a) != len(b) and a[:1] == b[:1] and a[-1:] == b[-1:]:
        return Kind.MIDDLE_NAME
    if len(a) == len(b) and _one_slip(" ".join(a), " ".join(b)):
        return Kind.TYPO
    return Kind.OTHER


def _tone_marks(name: str) -> list[str]:
    """The tone marks of each word, in order, wherever they sit in the word (hoà and hòa agree)."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    return ["".join(ch for ch in unicodedata.normalize("NFD", word.casefold()) if ch in tones)
            for word in name.split()]


def _date_kind(record: dt.date | int | None, population: dt.date | int | None) -> str:
    if isinstance(record, int) and isinstance(population, dt.date) and population.year == record:
        return Kind.YEAR_ONLY
    if isinstance(record, dt.date) and isinstance(population, dt.date):
        if (record.year, record.month, record.day) == (population.year, population.day, population.month):
            return Kind.DAY_MONTH_SWAP
        if sum(x != y for x, y in zip((record.year, record.month, record.day),
                                      (population.year, population.month, population.day), strict=True)) == 1:
            return Kind.TYPO
    return Kind.OTHER


def _one_slip(a: str, b: str) -> bool:
    """One character wrong, or two neighbours swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
