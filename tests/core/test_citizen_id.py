"""Citizen ID (CCCD): format, province code, and the century/sex and birth-year digits."""

from __future__ import annotations

import pytest

from dangvien.core import citizen_id
from dangvien.core.citizen_id import CitizenId, is_old_id, make, parse, problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001080012345", CitizenId("001", "M", 1980)),
        ("064175000001", CitizenId("064", "F", 1975)),
        ("079200999999", CitizenId("079", "M", 2000)),
        ("052305123456", CitizenId("052", "F", 2005)),
        ("096099000000", CitizenId("096", "M", 1999)),
    ],
)
def test_parse(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize("value", ["", "06417500000", "0641750000011", "06417500000a", " 064175000001",
                                   "064-175-000001", "064175000001\n",
                                   "０６４１７５０００００１", "٠٦٤١٧٥٠٠٠٠٠١"])
def test_wrong_format(value):
    with pytest.raises(ValueError, match="exactly 12 digits"):
        parse(value)
    assert problems(value, sex=None, birth_year=None) == ["A citizen ID has exactly 12 digits."]


@pytest.mark.parametrize("code", ["000", "003", "065", "097", "999"])
def test_unknown_province_code(code):
    value = f"{code}080012345"
    with pytest.raises(ValueError) as exc:
        parse(value)
    assert str(exc.value) == f"{code} is not a province code used in citizen IDs."


@pytest.mark.parametrize("digit", [6, 7, 8, 9])
def test_century_digit_out_of_range(digit):
    with pytest.raises(ValueError) as exc:
        parse(f"064{digit}80012345")
    assert str(exc.value) == f"The 4th digit (century and sex) must be 0 to 5, not {digit}."


def test_every_listed_province_code_parses():
    assert len(citizen_id.PROVINCE_CODES) == 63
    for code in citizen_id.PROVINCE_CODES:
        assert parse(f"{code}080000001").province_code == code
    assert citizen_id.PROVINCE_CODES["064"] == "Gia Lai"
    assert citizen_id.PROVINCE_CODES["079"] == "Hồ Chí Minh"


def test_sex_mismatch_message():
    # 4th digit 0: a man born in the 1900s; the record says female.
    assert problems("064080012345", sex="F", birth_year=1980) == [
        "The 4th digit says male but the record says female."
    ]
    assert problems("064380012345", sex="M", birth_year=2080) == [
        "The 4th digit says female but the record says male."
    ]


def test_birth_year_mismatch_message():
    assert problems("064080012345", sex="M", birth_year=1981) == [
        "The ID's century and year digits say born in 1980 but the record says 1981."
    ]
    # Right two digits, wrong century.
    assert problems("064280012345", sex="M", birth_year=1980) == [
        "The ID's century and year digits say born in 2080 but the record says 1980."
    ]


def test_both_mismatches_are_reported():
    found = problems("064080012345", sex="F", birth_year=1990)
    assert len(found) == 2
    assert "record says female" in found[0]
    assert "record says 1990" in found[1]


def test_agreeing_record_has_no_problems_and_missing_facts_are_not_checked():
    assert problems("064175000001", sex="F", birth_year=1975) == []
    assert problems("064175000001", sex=None, birth_year=None) == []
    assert problems("064175000001", sex="", birth_year=0) == []


@pytest.mark.parametrize("sex", ["M", "F"])
@pytest.mark.parametrize("year", [1900, 1945, 1999, 2000, 2007, 2099])
def test_make_round_trips_through_parse(sex, year):
    value = make("064", sex, year, 4321)
    assert len(value) == 12 and value.isdigit()
    assert parse(value) == CitizenId("064", sex, year)
    assert value.endswith("004321")
    assert problems(value, sex=sex, birth_year=year) == []


@pytest.mark.parametrize(("sex", "year", "digit"), [("M", 1980, "0"), ("F", 1980, "1"), ("M", 2003, "2"),
                                                    ("F", 2003, "3")])
def test_make_uses_the_documented_century_sex_digit(sex, year, digit):
    assert make("001", sex, year, 1)[3] == digit


def test_make_keeps_six_serial_digits():
    assert make("001", "M", 1980, 1_234_567)[-6:] == "234567"


def test_old_id():
    assert is_old_id("123456789")
    assert not is_old_id("12345678")
    assert not is_old_id("064175000001")
    assert not is_old_id("12345678a")
    assert not is_old_id("123456789\n")
    assert not is_old_id("１２３４５６７８９")
