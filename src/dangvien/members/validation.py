"""Field rules for member records, shared by forms, the API and imports (through the services)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.core import citizen_id
from dangvien.core.text import clean, clean_name, name_problem
from dangvien.members.models import Member, ServiceBackground, Sex, Status

TEXT_FIELDS = [
    "full_name", "birth_name", "aliases", "place_of_birth", "hometown", "permanent_residence",
    "temporary_residence", "ethnicity", "religion", "education", "political_theory",
    "professional_qualification", "foreign_language", "occupation_at_admission", "occupation",
    "badge_number",
]
# Personal names: letters, spaces, hyphens, dots and apostrophes only; aliases are a list of names.
NAME_FIELDS = {"full_name": "", "birth_name": "", "aliases": ",;"}
DATE_FIELDS = ["date_of_birth", "admission_date", "admission_ceremony_date", "official_date"]
# Everything a data correction may change (status and unit change only through lifecycle events).
PROFILE_FIELDS = [
    *TEXT_FIELDS, *DATE_FIELDS, "sex", "birth_year", "citizen_id", "old_id_number", "phone",
    "has_smartphone", "profile_number", "card_number", "service_background",
]
NULLABLE_FIELDS = frozenset({"citizen_id", "profile_number", "card_number", "has_smartphone", "birth_year",
                             *DATE_FIELDS})
CONTACT_FIELDS = ["phone", "permanent_residence", "temporary_residence", "has_smartphone"]

# Used with fullmatch and ASCII [0-9]: "\d" would accept fullwidth digits, "$" a trailing newline.
_PHONE = re.compile(r"(\+84|0)[0-9]{9,10}")
_PROFILE_NUMBER = re.compile(r"[0-9]{6}[A-ZĐ]{1,3}")
_CARD_NUMBER = re.compile(r"[0-9A-Z]{6,20}")
_OLD_ID = re.compile(r"[0-9]{9}")
# What normalize strips from identifiers, an old ID number and a phone number.
_IDENTIFIER_JUNK = re.compile(r"[\s.\-]")
_SPACE = re.compile(r"\s")
_PHONE_JUNK = re.compile(r"[\s.\-()]")
# The choices' values, looked up once (Choices.values builds a new list on every call).
_SEXES = tuple(Sex.values)
_SERVICE_BACKGROUNDS = tuple(ServiceBackground.values)


def today() -> dt.date:
    return timezone.localdate()


def age_on(birth: dt.date, day: dt.date) -> int:
    if type(birth) is dt.date and type(day) is dt.date and birth <= day and birth.day <= 28:
        # relativedelta's count, without building one: when the birthday falls in every month,
        # a year is complete on the same month and day.
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return relativedelta(day, birth).years


@functools.lru_cache(maxsize=65536)
def _months_after(day: dt.date, months: int) -> dt.date:
    # Cached: an import checks a province's records, which share a few thousand admission dates.
    return day + relativedelta(months=months)


@functools.cache
def _text_limits() -> tuple[tuple[str, int], ...]:
    """(field, max_length) of the text fields that have one."""
    limits = ((field, getattr(Member._meta.get_field(field), "max_length", None)) for field in TEXT_FIELDS)
    return tuple((field, limit) for field, limit in limits if limit)


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """NFC text, stripped identifiers, empty identifiers as None (so unique columns allow many)."""
    out = dict(data)
    for field in TEXT_FIELDS:
        if field in out:
            out[field] = clean_name(out[field]) if field in NAME_FIELDS else clean(out[field])
    for field in ("citizen_id", "profile_number", "card_number"):
        if field in out:
            value = _IDENTIFIER_JUNK.sub("", clean(out[field] or ""))
            out[field] = _same_if_equal(value, value.upper()) or None
    if "old_id_number" in out:
        out["old_id_number"] = _SPACE.sub("", clean(out["old_id_number"] or ""))
    if old_id := old_id_in_citizen_id(out):
        # Stored where it belongs. The key goes (not None): a correction then leaves a citizen ID
        # already on record alone, and a registration stores none.
        del out["citizen_id"]
        out["old_id_number"] = old_id
    if "phone" in out:
        out["phone"] = _PHONE_JUNK.sub("", clean(out["phone"] or ""))
    if out.get("date_of_birth"):
        out["birth_year"] = out["date_of_birth"].year
    return out


def old_id_in_citizen_id(data: dict[str, Any]) -> str | None:
    """The old 9-digit ID (CMND) given as the citizen ID, when the old ID field does not hold
    another number: normalize moves it to `old_id_number`. (With another old ID there, the value
    stays and check refuses it: which number is the person's is not ours to guess.)"""
    value = _IDENTIFIER_JUNK.sub("", clean(data.get("citizen_id") or ""))
    if not _OLD_ID.fullmatch(value):
        return None
    other = _SPACE.sub("", clean(data.get("old_id_number") or ""))
    return value if other in ("", value) else None


def old_id_conflict(value: str) -> str:
    """The error for an old ID given as the citizen ID when another old ID is on the record."""
    return _("%(value)s has 9 digits: an old ID (CMND) number, and the old ID number already holds another "
             "one. Enter the 12-digit citizen ID here, or leave it empty.") % {"value": value}


def _same_if_equal(value: str, changed: str) -> str:
    # The value already in the record when nothing changed: a province's identifiers are held once.
    return value if changed == value else changed


def _name_error(name: str, separators: str) -> str | None:
    """What is wrong with a personal name, naming the character (by its code when invisible)."""
    if any(map(str.isdigit, name)):
        return _("A name cannot contain digits.")
    problem = name_problem(name, separators)
    if problem is None:
        return None
    kind, ch = problem
    if kind == "control":
        return _("A name cannot contain invisible control or formatting characters (U+%(code)s).") % {
            "code": f"{ord(ch):04X}"}
    if kind == "symbol":
        return _("A name cannot contain symbols or emoji (“%(char)s”).") % {"char": ch}
    return _("A name may hold only letters, spaces, hyphens, dots and apostrophes, not “%(char)s”.") % {"char": ch}


def check(record: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with a full member record, by field. `record` holds every profile field."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    now = today()
    for field, limit in _text_limits():
        if len(record.get(field) or "") > limit:
            add(field, _("At most %(limit)s characters.") % {"limit": limit})
    if not record.get("full_name"):
        add("full_name", _("The full name is required."))
    for field, separators in NAME_FIELDS.items():
        if message := _name_error(record.get(field) or "", separators):
            add(field, message)
    if record.get("sex") not in _SEXES:
        add("sex", _("Choose male or female."))
    if record.get("service_background", "") not in _SERVICE_BACKGROUNDS:
        add("service_background", _("Unknown value."))

    for field in DATE_FIELDS:
        value = record.get(field)
        if value and value > now:
            add(field, _("This date is in the future."))
    birth = record.get("date_of_birth")
    year = record.get("birth_year")
    if not year:
        add("birth_year", _("The date or at least the year of birth is required."))
    elif not (1900 <= year <= now.year):
        add("birth_year", _("The year of birth must be between 1900 and this year."))
    elif birth and birth.year != year:
        add("birth_year", _("The year of birth disagrees with the date of birth."))

    admission = record.get("admission_date")
    if not admission:
        add("admission_date", _("The admission date is required."))
    elif (birth or year) and "admission_date" not in errors:
        min_age = settings.DANGVIEN["ADMISSION_MIN_AGE"]
        # Only the year known (common for older members): give the benefit of the doubt.
        born = birth or dt.date(record["birth_year"], 1, 1)
        if admission <= born or age_on(born, admission) < min_age:
            add("admission_date", _("Admission must be at age %(age)s or older.") % {"age": min_age})
    ceremony = record.get("admission_ceremony_date")
    if ceremony and admission and ceremony < admission:
        add("admission_ceremony_date", _("The ceremony cannot be before the admission decision."))
    official = record.get("official_date")
    if official and admission and official < admission:
        add("official_date", _("The official date cannot be before the admission date."))
    elif official and admission:
        # Counted here from the admission decision (member_recognize_official counts from the
        # ceremony): a lower bound any true record meets.
        months = settings.DANGVIEN["PROBATION_MONTHS"]
        if official < _months_after(admission, months):
            add("official_date", _("Probation lasts %(months)s months: the official date cannot be before %(date)s.")
                % {"months": months, "date": _months_after(admission, months).strftime("%d/%m/%Y")})

    # Only what cannot be stored is an error here; a well-formed ID that disagrees with the record
    # is a warning (record_warnings), resolved by reconciliation.
    if value := record.get("citizen_id"):
        if _OLD_ID.fullmatch(value):
            add("citizen_id", old_id_conflict(value))
        elif problem := citizen_id.format_problem(value):
            add("citizen_id", problem)
    if (value := record.get("old_id_number")) and not _OLD_ID.fullmatch(value):
        add("old_id_number", _("An old ID (CMND) number has exactly 9 digits."))
    if (value := record.get("phone")) and not _PHONE.fullmatch(value):
        add("phone", _("Enter a Vietnamese phone number, e.g. 0912345678."))
    if (value := record.get("profile_number")) and not _PROFILE_NUMBER.fullmatch(value):
        add("profile_number", _("A profile number is 6 digits followed by 1 to 3 letters."))
    if (value := record.get("card_number")) and not _CARD_NUMBER.fullmatch(value):
        add("card_number", _("A card number has 6 to 20 digits or capital letters."))
    return errors


@dataclass(frozen=True)
class RecordWarning:
    """Something stored but doubtful about a record, for the officer to see until it is resolved."""

    field: str
    message: str


def record_warnings(record: Any) -> list[RecordWarning]:
    """What is doubtful about a stored (or about to be stored) record: a member or a dict of its
    fields. Computed from the record, never stored, so a correction makes it go away. Reads only
    the record's own columns (citizen_id, old_id_number, sex, birth_year): no query."""
    def get(name: str) -> Any:
        return record.get(name) if isinstance(record, dict) else getattr(record, name, None)

    found: list[RecordWarning] = []
    if value := get("citizen_id"):
        found.extend(RecordWarning("citizen_id", message) for message in citizen_id.warnings(
            value, sex=get("sex"), birth_year=get("birth_year")))
    elif old_id := get("old_id_number"):
        found.append(RecordWarning("old_id_number", _(
            "No citizen ID is recorded, only the old ID (CMND) number %(old_id)s.") % {"old_id": old_id}))
    return found


def stored_value(field: str, value: Any) -> Any:
    """Text columns store '' for nothing; nullable ones (identifiers, dates, flags) store None."""
    return "" if value is None and field not in NULLABLE_FIELDS else value


# Cross-field rules that always apply to a correction, whichever fields it changes.
_ALWAYS_CHECKED = ("birth_year", "admission_date", "official_date")


def registration_errors(record: dict[str, Any], status: str) -> dict[str, list[str]]:
    """Everything wrong with a normalized new record entered with `status` (uniqueness against the
    database apart: the caller checks that, one by one or in bulk)."""
    errors = check(record)
    if status == Status.PROBATIONARY and record.get("official_date"):
        errors.setdefault("official_date", []).append(_("A probationary member has no official date."))
    if status == Status.OFFICIAL and not record.get("official_date"):
        errors.setdefault("official_date", []).append(_("An official member needs the official date."))
    return errors


def correction_errors(
    record: dict[str, Any], status: str, changes: dict[str, Any], *, was_official: bool,
) -> dict[str, list[str]]:
    """What is wrong when `changes` (normalized) turn a member's record into `record`: problems in
    the changed fields and in the rules spanning fields, not old problems elsewhere.

    A correction may fix the official date's value but not add or remove it: a member becomes
    official only by recognition (member_recognize_official), after the probation.
    """
    errors = {k: v for k, v in check(record).items() if k in changes or k in _ALWAYS_CHECKED}
    if "official_date" in changes and bool(record.get("official_date")) != was_official:
        errors.setdefault("official_date", []).append(
            _("The official date is set by recognizing the member as official, not by a correction.")
            if not was_official else _("The official date of an official member cannot be removed."))
    elif status == Status.OFFICIAL and not record.get("official_date"):
        errors.setdefault("official_date", []).append(_("An official member needs the official date."))
    return errors
