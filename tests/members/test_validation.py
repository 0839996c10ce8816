"""Field rules for member records (members/validation.py), without the database."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.utils import translation

from dangvien.core.citizen_id import make
from dangvien.members import validation
from dangvien.members.validation import check, normalize
from tests.clock import TODAY  # the suite's frozen today (tests/conftest.py)


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield


def record(**changes) -> dict:
    """A valid full record; each test breaks one thing."""
    base = {
        "full_name": "Nguyễn Thị Hà", "sex": "F", "date_of_birth": dt.date(1975, 8, 9), "birth_year": 1975,
        "citizen_id": make("064", "F", 1975, 1), "admission_date": dt.date(2000, 5, 19),
        "admission_ceremony_date": dt.date(2000, 6, 1), "official_date": dt.date(2001, 6, 1),
        "phone": "0912345678", "profile_number": "123456GL", "card_number": "01234567", "old_id_number": "",
        "service_background": "",
    }
    return {**base, **changes}


def test_valid_record_has_no_errors():
    assert check(record()) == {}


# --- normalize ---------------------------------------------------------------------------------


def test_normalize_stores_text_nfc_and_trimmed():
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị Hà ")
    out = normalize({"full_name": nfd, "hometown": unicodedata.normalize("NFD", "Xã Ia Grai,  Gia Lai")})
    assert out["full_name"] == "Nguyễn Thị Hà"
    assert unicodedata.is_normalized("NFC", out["full_name"])
    assert out["hometown"] == "Xã Ia Grai, Gia Lai"


def test_normalize_identifiers():
    out = normalize({"citizen_id": " 064 175.000-001 ", "profile_number": "123456 gl", "card_number": "",
                     "old_id_number": " 123 456 789", "phone": "(091) 234-5678"})
    assert out == {"citizen_id": "064175000001", "profile_number": "123456GL", "card_number": None,
                   "old_id_number": "123456789", "phone": "0912345678"}
    assert normalize({"citizen_id": None, "profile_number": "  "}) == {"citizen_id": None, "profile_number": None}


def test_normalize_takes_the_birth_year_from_the_date():
    assert normalize({"date_of_birth": dt.date(1980, 1, 2), "birth_year": 1999})["birth_year"] == 1980
    assert normalize({"birth_year": 1999}) == {"birth_year": 1999}


def test_normalize_leaves_absent_fields_absent():
    assert normalize({"sex": "M"}) == {"sex": "M"}


# --- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "The full name is required."),
        ({"full_name": "Nguyễn Văn 2"}, "full_name", "A name cannot contain digits."),
        ({"sex": "X"}, "sex", "Choose male or female."),
        ({"service_background": "navy"}, "service_background", "Unknown value."),
        ({"date_of_birth": None, "birth_year": None}, "birth_year",
         "The date or at least the year of birth is required."),
        ({"date_of_birth": None, "birth_year": 1899}, "birth_year",
         "The year of birth must be between 1900 and this year."),
        ({"birth_year": 1976}, "birth_year", "The year of birth disagrees with the date of birth."),
        ({"admission_date": None}, "admission_date", "The admission date is required."),
        ({"admission_date": dt.date(1993, 8, 8)}, "admission_date", "Admission must be at age 18 or older."),
        ({"admission_ceremony_date": dt.date(2000, 5, 18)}, "admission_ceremony_date",
         "The ceremony cannot be before the admission decision."),
        ({"official_date": dt.date(2000, 5, 18)}, "official_date",
         "The official date cannot be before the admission date."),
        ({"old_id_number": "12345678"}, "old_id_number", "An old ID (CMND) number has exactly 9 digits."),
        ({"old_id_number": "１２３４５６７８９"}, "old_id_number", "An old ID (CMND) number has exactly 9 digits."),
        ({"phone": "12345"}, "phone", "Enter a Vietnamese phone number, e.g. 0912345678."),
        ({"phone": "０９１２３４５６７８"}, "phone", "Enter a Vietnamese phone number, e.g. 0912345678."),
        ({"phone": "0912345678\n"}, "phone", "Enter a Vietnamese phone number, e.g. 0912345678."),
        ({"profile_number": "12345GL"}, "profile_number", "A profile number is 6 digits followed by 1 to 3 letters."),
        ({"profile_number": "123456GLAB"}, "profile_number",
         "A profile number is 6 digits followed by 1 to 3 letters."),
        ({"profile_number": "１２３４５６GL"}, "profile_number",
         "A profile number is 6 digits followed by 1 to 3 letters."),
        ({"card_number": "12345"}, "card_number", "A card number has 6 to 20 digits or capital letters."),
        ({"card_number": "abc12345"}, "card_number", "A card number has 6 to 20 digits or capital letters."),
    ],
)
def test_each_rule(changes, field, message):
    errors = check(record(**changes))
    assert errors == {field: [message]}


@pytest.mark.parametrize("field", validation.DATE_FIELDS)
def test_future_dates(field):
    tomorrow = TODAY + dt.timedelta(days=1)
    errors = check(record(**{field: tomorrow}))
    assert "This date is in the future." in errors[field]


def test_today_is_not_the_future():
    assert check(record(official_date=TODAY)) == {}


def test_admission_exactly_at_eighteen_is_allowed_one_day_earlier_is_not():
    assert check(record(admission_date=dt.date(1993, 8, 9), admission_ceremony_date=None)) == {}
    assert "admission_date" in check(record(admission_date=dt.date(1993, 8, 8), admission_ceremony_date=None))


def test_admission_age_with_only_the_year_of_birth_assumes_the_earliest_birthday():
    """Older records often know only the year: someone born in 1975 may have been 18 on 2 January
    1993, so the record is not refused."""
    only_year = record(date_of_birth=None, birth_year=1975, citizen_id=make("064", "F", 1975, 1))
    assert check({**only_year, "admission_date": dt.date(1993, 1, 2), "official_date": dt.date(1994, 1, 2),
                  "admission_ceremony_date": None}) == {}
    errors = check({**only_year, "admission_date": dt.date(1992, 12, 31), "official_date": dt.date(1994, 1, 2),
                    "admission_ceremony_date": None})
    assert errors == {"admission_date": ["Admission must be at age 18 or older."]}


def test_a_citizen_id_disagreeing_with_the_record_is_a_warning_not_an_error():
    """Registry first (issue 9): stored, with a warning; only a value that cannot be stored is an error."""
    cases = [
        (make("064", "M", 1975, 1), "The 4th digit says male but the record says female."),
        (make("064", "F", 1976, 1), "The ID's century and year digits say born in 1976 but the record says 1975."),
        ("999175000001", "999 is not a province code used in citizen IDs."),
        ("064875000001", "The 4th digit (century and sex) must be 0 to 5, not 8."),
    ]
    for value, message in cases:
        assert check(record(citizen_id=value)) == {}
        assert validation.record_warnings(record(citizen_id=value)) == [
            validation.RecordWarning("citizen_id", message)]
    assert check(record(citizen_id="06417500000")) == {"citizen_id": ["A citizen ID has exactly 12 digits."]}
    assert check(record(citizen_id="06417500000A")) == {"citizen_id": ["A citizen ID has exactly 12 digits."]}
    assert validation.record_warnings(record()) == []


def test_record_warnings_of_a_member_and_of_a_dict_agree():
    from dangvien.members.models import Member

    member = Member(citizen_id="001280000001", sex="F", birth_year=1980, old_id_number="")
    fields = {"citizen_id": "001280000001", "sex": "F", "birth_year": 1980, "old_id_number": ""}
    assert validation.record_warnings(member) == validation.record_warnings(fields) == [
        validation.RecordWarning("citizen_id", "The 4th digit says male but the record says female."),
        validation.RecordWarning("citizen_id",
                                 "The ID's century and year digits say born in 2080 but the record says 1980."),
    ]


def test_an_old_id_without_a_citizen_id_is_a_warning():
    assert check(record(citizen_id=None, old_id_number="212345678")) == {}
    assert validation.record_warnings(record(citizen_id=None, old_id_number="212345678")) == [
        validation.RecordWarning("old_id_number", "No citizen ID is recorded, only the old ID (CMND) number 212345678.")]
    # Both numbers, or neither: nothing to warn about.
    assert validation.record_warnings(record(old_id_number="212345678")) == []
    assert validation.record_warnings(record(citizen_id=None)) == []


def test_normalize_moves_an_old_id_given_as_the_citizen_id():
    assert normalize({"citizen_id": "212 345 678"}) == {"old_id_number": "212345678"}
    assert normalize({"citizen_id": "212345678", "old_id_number": ""}) == {"old_id_number": "212345678"}
    assert normalize({"citizen_id": "212345678", "old_id_number": "212345678"}) == {"old_id_number": "212345678"}
    # Another old ID beside it: left in place, and refused (which is the person's is not guessed).
    kept = normalize({"citizen_id": "212345678", "old_id_number": "230000001"})
    assert kept == {"citizen_id": "212345678", "old_id_number": "230000001"}
    assert check(record(**kept)) == {"citizen_id": [
        "212345678 has 9 digits: an old ID (CMND) number, and the old ID number already holds another one. "
        "Enter the 12-digit citizen ID here, or leave it empty."]}
    # Neither 9 nor 12 digits: left for check to refuse.
    assert normalize({"citizen_id": "21234567"}) == {"citizen_id": "21234567"}


def test_several_problems_are_all_reported():
    errors = check(record(full_name="", sex="", phone="1", official_date=dt.date(1990, 1, 1),
                          citizen_id="0641760000011"))
    assert set(errors) == {"full_name", "sex", "phone", "official_date", "citizen_id"}


def test_an_unknown_sex_is_not_compared_with_the_citizen_id():
    assert check(record(sex="X")) == {"sex": ["Choose male or female."]}
    assert check(record(sex="")) == {"sex": ["Choose male or female."]}


def test_text_longer_than_its_column_is_refused_by_field():
    from dangvien.members.validation import check

    errors = check({"full_name": "Nguyễn " * 30, "hometown": "x" * 201})
    assert "At most 120 characters." in errors["full_name"]
    assert "At most 200 characters." in errors["hometown"]
