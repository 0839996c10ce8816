"""The one normalization of a person's data, on both sides of a reconciliation: the extract at
load and the member records when reconcile matches them. It is DuckDB SQL (macros that
`install_macros(con)` creates on a connection), so millions of rows are normalized in bulk and the
two sides agree by construction. The Python twins below compute the same values for one string;
tests check that they agree with the SQL.

Columns of a normalized person row (see PERSON_COLUMNS):
- name_nfc: NFC, trimmed, single spaces, every apostrophe the straight one (core.text.clean_name),
  case as given;
- name_folded: lower case, no diacritics, đ/Đ/Ð -> d, single spaces ("nguyen thi hoa"); the
  apostrophe kept, as core.text.fold keeps it ("ksor h'bo");
- name_tone: lower case, diacritics kept, the tone mark of oa, oe and uy placed one way (on the
  first vowel at the end of a syllable: hoà -> hòa, thuỷ -> thủy; on the second before a
  consonant: hòang -> hoàng), so that both placements in use compare equal;
- family_folded, middle_folded (may be ''), given_folded (the last word), name_no_middle (family
  and given): the parts of name_folded, compound family names taking two words (core.text);
- birth_date (DATE or NULL), birth_year, birth_month, birth_day (INT or NULL): dates are
  dd/mm/yyyy (also d/m/yyyy, with / - or .), ISO yyyy-mm-dd, or a year alone; a day or a month
  written 00 is unknown (00/00/1950 is a year alone, as the population records write it);
- sex: 'M', 'F' or NULL;
- citizen_id: 12 ASCII digits or NULL; old_id: 9 ASCII digits or NULL.
The hometown columns come from population.hometowns (mapped in Python once per distinct place).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from dangvien.core.text import COMPOUND_FAMILY_NAMES, clean_name, fold

# --- tone placement ----------------------------------------------------------------------------

_TONED = {  # vowel -> its five toned forms: grave, hook, tilde, acute, dot below
    "a": "àảãáạ", "e": "èẻẽéẹ", "o": "òỏõóọ", "u": "ùủũúụ", "y": "ỳỷỹýỵ",
}
# Diphthongs whose tone is written either way: (first vowel, second vowel, what may not precede).
_DIPHTHONGS = [("o", "a", ""), ("o", "e", ""), ("u", "y", "q")]  # "quý": the u belongs to qu
# Letters that close a syllable, or a glide after the diphthong (hoài, khoảng): the tone then sits
# on the second vowel whatever the style.
_FOLLOWERS = "bcdđghklmnpqrstvxiyou"


def _tone_rules() -> list[tuple[str, str]]:
    """(RE2/Python pattern, replacement) pairs, applied in order to ' ' + lower-case NFC text + ' '."""
    # "qúy" for "quý": after q the u is part of the consonant, the tone belongs on the y.
    rules: list[tuple[str, str]] = [(f"q{u}y", f"qu{y}") for u, y in zip(_TONED["u"], _TONED["y"], strict=True)]
    for first, second, not_after in _DIPHTHONGS:
        before = f"([^{not_after}])" if not_after else "()"
        for first_toned, second_toned in zip(_TONED[first], _TONED[second], strict=True):
            # Syllable end (the next character is not a letter that follows): tone on the first vowel.
            rules.append((f"{before}{first}{second_toned}([^{_FOLLOWERS}a-z])", f"\\1{first_toned}{second}\\2"))
            # Before a consonant or a glide: tone on the second vowel.
            rules.append((f"{before}{first_toned}{second}([{_FOLLOWERS}])", f"\\1{first}{second_toned}\\2"))
    return rules


TONE_RULES = _tone_rules()
# Only text holding a toned oa/oe/uy pair needs the rules: most names skip them.
_TONE_CANDIDATE = "q[ùủũúụ]|o[àảãáạèẻẽéẹ]|u[ỳỷỹýỵ]|[òỏõóọ][ae]|[ùủũúụ]y"
_TONE_CANDIDATE_RE = re.compile(_TONE_CANDIDATE)
_TONE_RULES_RE = [(re.compile(p), r) for p, r in TONE_RULES]

# --- Python twins --------------------------------------------------------------------------------


def name_nfc(value: str | None) -> str:
    return clean_name(value)


def name_folded(value: str | None) -> str:
    return fold(clean_name(value)).replace("ð", "d")


def name_tone(value: str | None) -> str:
    text = clean_name(value).lower().replace("ð", "đ")
    if not _TONE_CANDIDATE_RE.search(text):
        return text
    padded = f" {text} "
    for pattern, replacement in _TONE_RULES_RE:
        padded = pattern.sub(replacement, padded)
    return padded[1:-1]


COMPOUND_FAMILY_FOLDED = sorted({fold(name) for name in COMPOUND_FAMILY_NAMES})


def name_parts(folded: str) -> tuple[str, str, str]:
    """(family, middle, given) of a folded name, as the SQL splits it."""
    words = folded.split(" ") if folded else []
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    family_len = 2 if len(words) > 2 and " ".join(words[:2]) in COMPOUND_FAMILY_FOLDED else 1
    return " ".join(words[:family_len]), " ".join(words[family_len:-1]), words[-1]


_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_YEAR = re.compile(r"[0-9]{4}")
MIN_BIRTH_YEAR = 1880


def birth_parts(value: str | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of a birth date as written; None for what is unknown. ValueError when it
    is not a date (the SQL's dv_birth_problem says why)."""
    text = clean_name(value)
    if not text:
        return None, None, None
    if m := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    elif _YEAR.fullmatch(text):
        return int(text), None, None
    else:
        raise ValueError("format")
    if month == 0:
        if day != 0:
            raise ValueError("no_such_day")
        return year, None, None
    if day == 0:
        if month > 12:
            raise ValueError("no_such_day")
        return year, month, None
    dt.date(year, month, day)  # ValueError for a day that does not exist
    return year, month, day


# --- SQL -------------------------------------------------------------------------------------------

_SPACES = r"[\s\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+"


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tone_sql(expr: str) -> str:
    out = f"(' ' || {expr} || ' ')"
    for pattern, replacement in TONE_RULES:
        out = f"regexp_replace({out}, {_sql_str(pattern)}, {_sql_str(replacement)}, 'g')"
    return out


def macros_sql() -> list[str]:
    """The CREATE MACRO statements (idempotent: CREATE OR REPLACE)."""
    compounds = ", ".join(_sql_str(c) for c in COMPOUND_FAMILY_FOLDED)
    return [
        # NFC, whitespace collapsed and trimmed, apostrophes straight: core.text.clean_name.
        f"CREATE OR REPLACE MACRO dv_clean(s) AS "
        f"trim(regexp_replace(nfc_normalize(coalesce(s, '')), {_sql_str(_SPACES)}, ' ', 'g'))",
        "CREATE OR REPLACE MACRO dv_name_nfc(s) AS translate(dv_clean(s), '\u2019\u2018\u02bc', '''''''')",
        "CREATE OR REPLACE MACRO dv_fold(s) AS translate(strip_accents(lower(s)), 'đð', 'dd')",
        "CREATE OR REPLACE MACRO dv_name_folded(s) AS dv_fold(dv_name_nfc(s))",
        f"CREATE OR REPLACE MACRO dv_tone_of(t) AS CASE WHEN regexp_matches(t, {_sql_str(_TONE_CANDIDATE)}) "
        f"THEN {_tone_sql('t')}[2:-2] ELSE t END",
        "CREATE OR REPLACE MACRO dv_name_tone(s) AS dv_tone_of(translate(lower(dv_name_nfc(s)), 'ð', 'đ'))",
        # Parts of a folded name: words w; the family name takes two words when they form a compound.
        f"CREATE OR REPLACE MACRO dv_family_len(w) AS CASE WHEN len(w) > 2 AND (w[1] || ' ' || w[2]) "
        f"IN ({compounds}) THEN 2 WHEN len(w) > 1 THEN 1 ELSE 0 END",
        "CREATE OR REPLACE MACRO dv_words(f) AS CASE WHEN f = '' THEN []::VARCHAR[] ELSE string_split(f, ' ') END",
        "CREATE OR REPLACE MACRO dv_family(f) AS "
        "array_to_string(dv_words(f)[1:dv_family_len(dv_words(f))], ' ')",
        "CREATE OR REPLACE MACRO dv_middle(f) AS "
        "array_to_string(dv_words(f)[dv_family_len(dv_words(f)) + 1:len(dv_words(f)) - 1], ' ')",
        "CREATE OR REPLACE MACRO dv_given(f) AS coalesce(dv_words(f)[-1], '')",
        "CREATE OR REPLACE MACRO dv_no_middle(f) AS "
        "trim(dv_family(f) || ' ' || dv_given(f))",
        # Dates: a struct of the numbers written (NULL when the shape is not a date's).
        "CREATE OR REPLACE MACRO dv_date_numbers(s) AS CASE "
        "WHEN regexp_full_match(s, '[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}') THEN "
        "{'y': regexp_extract(s, '([0-9]+)$', 1)::INT, 'm': regexp_extract(s, '^[0-9]+[/.-]([0-9]+)', 1)::INT, "
        " 'd': regexp_extract(s, '^([0-9]+)', 1)::INT} "
        "WHEN regexp_full_match(s, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') THEN "
        "{'y': regexp_extract(s, '^([0-9]+)', 1)::INT, 'm': regexp_extract(s, '^[0-9]+-([0-9]+)', 1)::INT, "
        " 'd': regexp_extract(s, '([0-9]+)$', 1)::INT} "
        "WHEN regexp_full_match(s, '[0-9]{4}') THEN {'y': s::INT, 'm': 0, 'd': 0} "
        "ELSE NULL END",
        # The full date when day and month are known (NULL for a day that does not exist).
        "CREATE OR REPLACE MACRO dv_date_of(n) AS CASE WHEN n.m > 0 AND n.d > 0 "
        "THEN try_cast(printf('%04d-%02d-%02d', n.y, n.m, n.d) AS DATE) END",
        "CREATE OR REPLACE MACRO dv_birth_date(s) AS dv_date_of(dv_date_numbers(dv_clean(s)))",
        "CREATE OR REPLACE MACRO dv_birth_year(s) AS dv_date_numbers(dv_clean(s)).y",
        "CREATE OR REPLACE MACRO dv_birth_month(s) AS nullif(dv_date_numbers(dv_clean(s)).m, 0)",
        "CREATE OR REPLACE MACRO dv_birth_day(s) AS "
        "CASE WHEN dv_date_numbers(dv_clean(s)).m > 0 THEN nullif(dv_date_numbers(dv_clean(s)).d, 0) END",
        # Why a written birth date cannot be stored ('' when it can or is empty); as_of: the extract's day.
        "CREATE OR REPLACE MACRO dv_birth_problem_of(t, n, as_of) AS CASE "
        "WHEN t = '' THEN '' WHEN n IS NULL THEN 'format' "
        "WHEN n.m > 12 OR n.d > 31 OR (n.m = 0 AND n.d > 0) THEN 'no_such_day' "
        "WHEN n.m > 0 AND n.d > 0 AND dv_date_of(n) IS NULL THEN 'no_such_day' "
        f"WHEN n.y < {MIN_BIRTH_YEAR} OR n.y > year(as_of) THEN 'year_range' "
        "WHEN dv_date_of(n) > as_of THEN 'future' ELSE '' END",
        "CREATE OR REPLACE MACRO dv_birth_problem(s, as_of) AS "
        "dv_birth_problem_of(dv_clean(s), dv_date_numbers(dv_clean(s)), as_of)",
        "CREATE OR REPLACE MACRO dv_sex(s) AS CASE dv_fold(dv_clean(s)) "
        "WHEN 'nam' THEN 'M' WHEN 'm' THEN 'M' WHEN 'male' THEN 'M' "
        "WHEN 'nu' THEN 'F' WHEN 'f' THEN 'F' WHEN 'female' THEN 'F' END",
        "CREATE OR REPLACE MACRO dv_digits(s, n) AS "
        "CASE WHEN regexp_full_match(dv_clean(s), '[0-9]{' || n || '}') THEN dv_clean(s) END",
        "CREATE OR REPLACE MACRO dv_citizen_id(s) AS dv_digits(s, 12)",
        "CREATE OR REPLACE MACRO dv_old_id(s) AS dv_digits(s, 9)",
    ]


def install_macros(con: Any) -> None:
    """Create the dv_* macros on a DuckDB connection."""
    for statement in macros_sql():
        con.execute(statement)


# The raw columns of an extract, and the normalized ones every person row has.
RAW_COLUMNS = ("so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh", "que_quan_xa", "que_quan_tinh",
               "thuong_tru")
PERSON_COLUMNS = ("name_nfc", "name_folded", "name_tone", "family_folded", "middle_folded", "given_folded",
                  "name_no_middle", "birth_date", "birth_year", "birth_month", "birth_day", "sex",
                  "hometown_commune", "hometown_province", "citizen_id", "old_id")


def person_select(relation: str, *, name: str = "ho_ten", birth: str = "ngay_sinh", sex: str = "gioi_tinh",
                  citizen_id: str = "so_dinh_danh", old_id: str = "so_cmnd") -> str:
    """SELECT of `relation`'s columns (r.*) plus the normalized person columns but the hometown
    (joined by the caller from population.hometowns). Column arguments name the relation's raw
    columns (a member view may call them full_name, date_of_birth...). The macros must be installed."""
    return f"""
        SELECT r.*,
               n.name_nfc, n.name_folded, dv_name_tone(n.name_nfc) AS name_tone,
               dv_family(n.name_folded) AS family_folded, dv_middle(n.name_folded) AS middle_folded,
               dv_given(n.name_folded) AS given_folded, dv_no_middle(n.name_folded) AS name_no_middle,
               dv_birth_date(r.{birth}) AS birth_date, dv_birth_year(r.{birth}) AS birth_year,
               dv_birth_month(r.{birth}) AS birth_month, dv_birth_day(r.{birth}) AS birth_day,
               dv_sex(r.{sex}) AS sex, dv_citizen_id(r.{citizen_id}) AS citizen_id,
               dv_old_id(r.{old_id}) AS old_id
        FROM {relation} r,
             LATERAL (SELECT dv_name_nfc(r.{name}) AS name_nfc, dv_name_folded(r.{name}) AS name_folded) n
    """


def is_nfc(value: str) -> bool:
    return unicodedata.is_normalized("NFC", value)
