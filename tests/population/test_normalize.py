"""The one normalization: hand-written expectations for each rule, and the DuckDB macros against
their Python twins."""

from __future__ import annotations

import datetime as dt
import unicodedata

import duckdb
import pytest

from dangvien.core.text import fold
from dangvien.population import normalize as n


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    n.install_macros(connection)
    yield connection
    connection.close()


def sql(con, expression: str, value):
    return con.execute(f"SELECT {expression}", [value]).fetchone()[0]


def test_both_tone_placements_and_nfd_give_one_name(con):
    forms = ["Nguyễn Thị Hoà", unicodedata.normalize("NFD", "Nguyễn Thị Hòa"), "Nguyễn Thị Hòa", "NGUYỄN THỊ HOÀ"]
    assert {sql(con, "dv_name_tone(?)", f) for f in forms} == {"nguyễn thị hòa"}
    assert {sql(con, "dv_name_folded(?)", f) for f in forms} == {"nguyen thi hoa"}
    assert sql(con, "dv_name_nfc(?)", forms[1]) == "Nguyễn Thị Hòa"


@pytest.mark.parametrize(("written", "tone"), [
    ("Thuỷ", "thủy"), ("Thủy", "thủy"), ("Khoẻ", "khỏe"), ("Khỏe", "khỏe"), ("Hoạ", "họa"), ("Toả", "tỏa"),
    ("Loã", "lõa"), ("Hoá", "hóa"), ("Huỵ", "hụy"),
    # Before a consonant or a glide the tone is on the second vowel in both styles; a misplaced one moves.
    ("Hoàng", "hoàng"), ("Hòang", "hoàng"), ("Huỳnh", "huỳnh"), ("Hùynh", "huỳnh"), ("Hoài", "hoài"),
    ("Hòai", "hoài"), ("Khoảng", "khoảng"),
    # After q the u belongs to the consonant: quý in both styles.
    ("Quý", "quý"), ("Qúy", "quý"),
    # Letters with their own marks are untouched; Ð (U+00D0) is Đ.
    ("Nguyễn", "nguyễn"), ("Ðỗ", "đỗ"), ("Đỗ", "đỗ"),
])
def test_tone_placement(con, written, tone):
    assert sql(con, "dv_name_tone(?)", written) == tone
    assert n.name_tone(written) == tone


@pytest.mark.parametrize(("written", "folded"), [
    ("Đặng", "dang"), ("Ðặng", "dang"), ("đặng", "dang"), ("Nguyễn  Thị\u00a0Hoà ", "nguyen thi hoa"),
    ("Trương Thị Ưng", "truong thi ung"), ("Ksor H’Bơ", "ksor h'bo"), ("Ksor H'Bơ", "ksor h'bo"),
])
def test_folding(con, written, folded):
    assert sql(con, "dv_name_folded(?)", written) == folded
    assert n.name_folded(written) == folded


def test_apostrophes_agree_with_core_text(con):
    # core.text.clean_name makes every apostrophe the straight one and fold keeps it: so do we.
    assert sql(con, "dv_name_nfc(?)", "Ksor H\u02bcBơ") == "Ksor H'Bơ"
    assert sql(con, "dv_name_folded(?)", "Ksor H’Bơ") == fold("Ksor H'Bơ")


@pytest.mark.parametrize(("name", "parts"), [
    ("Nguyễn Thị Hoà", ("nguyen", "thi", "hoa", "nguyen hoa")),
    ("Nguyễn Hoà", ("nguyen", "", "hoa", "nguyen hoa")),
    ("Âu Dương Thị Mỹ Linh", ("au duong", "thi my", "linh", "au duong linh")),
    ("Rơ Mah Hlin", ("ro mah", "", "hlin", "ro mah hlin")),
    ("Ksor H'Bơ", ("ksor", "", "h'bo", "ksor h'bo")),
    ("Sanh", ("", "", "sanh", "sanh")),
    ("", ("", "", "", "")),
])
def test_name_parts(con, name, parts):
    f = "dv_name_folded(?)"
    got = con.execute(f"SELECT dv_family({f}), dv_middle({f}), dv_given({f}), dv_no_middle({f})", [name] * 4).fetchone()
    assert got == parts
    assert n.name_parts(n.name_folded(name)) == parts[:3]


AS_OF = dt.date(2026, 11, 21)


@pytest.mark.parametrize(("written", "date", "year", "month", "day", "problem"), [
    ("17/05/1980", dt.date(1980, 5, 17), 1980, 5, 17, ""),
    ("7/5/1980", dt.date(1980, 5, 7), 1980, 5, 7, ""),
    ("07.05.1980", dt.date(1980, 5, 7), 1980, 5, 7, ""),
    ("1980-05-17", dt.date(1980, 5, 17), 1980, 5, 17, ""),
    ("1952", None, 1952, None, None, ""),
    ("00/00/1952", None, 1952, None, None, ""),
    ("00/03/1952", None, 1952, 3, None, ""),
    ("", None, None, None, None, ""),
    ("31/02/1980", None, 1980, 2, 31, "no_such_day"),
    ("17/13/1980", None, 1980, 13, 17, "no_such_day"),
    ("12/00/1980", None, 1980, None, None, "no_such_day"),
    ("17-May-1980", None, None, None, None, "format"),
    ("1870", None, 1870, None, None, "year_range"),
    ("01/01/2027", dt.date(2027, 1, 1), 2027, 1, 1, "year_range"),
    ("22/11/2026", dt.date(2026, 11, 22), 2026, 11, 22, "future"),
])
def test_birth_dates(con, written, date, year, month, day, problem):
    got = con.execute("SELECT dv_birth_date(?), dv_birth_year(?), dv_birth_month(?), dv_birth_day(?), "
                      "dv_birth_problem(?, ?)", [written] * 5 + [AS_OF]).fetchone()
    assert got == (date, year, month, day, problem)


def test_python_birth_parts_agree():
    assert n.birth_parts("00/03/1952") == (1952, 3, None)
    assert n.birth_parts("1980-05-17") == (1980, 5, 17)
    with pytest.raises(ValueError):
        n.birth_parts("31/02/1980")


@pytest.mark.parametrize(("written", "sex"), [("Nam", "M"), ("NỮ", "F"), ("nu", "F"), ("F", "F"), ("", None),
                                             ("khác", None)])
def test_sex(con, written, sex):
    assert sql(con, "dv_sex(?)", written) == sex


@pytest.mark.parametrize(("written", "citizen_id", "old_id"), [
    ("064080012345", "064080012345", None), (" 064080012345 ", "064080012345", None),
    ("64080012345", None, None), ("０６４０８００１２３４５", None, None), ("230123456", None, "230123456"),
])
def test_identifiers(con, written, citizen_id, old_id):
    assert con.execute("SELECT dv_citizen_id(?), dv_old_id(?)", [written, written]).fetchone() == (citizen_id, old_id)


def test_sql_and_python_agree_on_many_names(con):
    # Names with every vowel and tone in the positions the rules touch, and ordinary ones.
    vowels = ["oa", "oe", "uy", "oai", "oan", "uyn", "uyê", "ươ", "a", "ê"]
    names = []
    for v in vowels:
        for tone in ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]:
            for at in range(len(v)):
                word = v[:at + 1] + tone + v[at + 1:]
                names.append(unicodedata.normalize("NFC", f"Trần H{word} Q{word}"))
    rows = con.execute("SELECT s, dv_name_tone(s), dv_name_folded(s) FROM unnest(?) t(s)", [names]).fetchall()
    assert len(rows) == len(names)
    for s, tone, folded in rows:
        assert (tone, folded) == (n.name_tone(s), n.name_folded(s)), s
