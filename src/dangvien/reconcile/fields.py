"""The member fields a reconciliation compares, as plain values: what the record says now (to tell
whether it changed since a run compared it), what a population value changes on the record when an
officer accepts it, and the discrepancies between a member and an extract row an officer links by
hand (classified by the engine's SQL, reconcile/discrepancies.py, not by a twin here).

Values are text: names and hometowns NFC, dates dd/mm/yyyy (as the engine writes them; ISO is read
too) or a year alone, sex M or F,
identifiers as digits; an empty text is "not on record".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangvien.core.text import clean, fold
from dangvien.reconcile import discrepancies
from dangvien.reconcile.models import Field
from dangvien.reconcile.sides import MEMBER_FIELDS, member_table

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")


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
    disagrees with the extract row: the engine's own classification (discrepancies.between), so a
    link made by hand and one made by a run say the same of the same pair."""
    row = tuple(getattr(member, name) for name in MEMBER_FIELDS)
    return [(d["field"], d["kind"], d["record_value"] or "", d["population_value"] or "")
            for d in discrepancies.between(member_table([row]), person, so_dinh_danh)]
