"""Field-by-field differences between a member record and the extract row it is linked to, each
with its kind (what an officer accepts in bulk is one kind of one field) and the population value
as the suggested correction. SQL over the normalized columns of both sides (matching.py's tables
m, persons and linked), so the kinds follow the same normalization as the matching.

The one classification: a run calls `find` on its own tables; a link an officer makes by hand
(`between`) puts the member and the person in one-row tables of the same shape and calls `find`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from dangvien.population.hometowns import map_place
from dangvien.population.normalize import RAW_COLUMNS, install_macros, person_select
from dangvien.reconcile.models import Field, Kind

_SWAPPED = "(m.birth_day = p.birth_month AND m.birth_month = p.birth_day AND m.birth_year = p.birth_year)"
_BIRTH_TEXT = ("CASE WHEN {t}.birth_date IS NOT NULL THEN strftime({t}.birth_date, '%d/%m/%Y') "
               "ELSE coalesce({t}.birth_year::VARCHAR, '') END")

_FIELDS = {
    Field.FULL_NAME: ("m.ho_ten", "p.ho_ten", f"""CASE
        WHEN m.ho_ten = p.ho_ten THEN NULL
        WHEN nfc_normalize(m.ho_ten) = p.ho_ten THEN '{Kind.UNICODE_FORM}'
        WHEN lower(m.name_nfc) = lower(p.name_nfc) THEN '{Kind.CASE_OR_SPACING}'
        WHEN m.name_tone = p.name_tone THEN '{Kind.TONE_PLACEMENT}'
        WHEN m.name_folded = p.name_folded THEN '{Kind.DIACRITICS_ONLY}'
        WHEN m.name_no_middle = p.name_no_middle THEN '{Kind.MIDDLE_NAME}'
        WHEN damerau_levenshtein(m.name_folded, p.name_folded) <= 2 THEN '{Kind.TYPO}'
        ELSE '{Kind.OTHER}' END"""),
    Field.DATE_OF_BIRTH: (_BIRTH_TEXT.format(t="m"), _BIRTH_TEXT.format(t="p"), f"""CASE
        WHEN p.birth_year IS NULL THEN NULL
        WHEN m.birth_date = p.birth_date THEN NULL
        WHEN p.birth_date IS NULL AND m.birth_year = p.birth_year THEN NULL
        WHEN m.birth_year IS NULL THEN '{Kind.MISSING}'
        WHEN m.birth_date IS NULL AND m.birth_year = p.birth_year THEN '{Kind.YEAR_ONLY}'
        WHEN {_SWAPPED} THEN '{Kind.DAY_MONTH_SWAP}'
        WHEN m.birth_year = p.birth_year AND (m.birth_day = p.birth_day OR m.birth_month = p.birth_month)
          THEN '{Kind.TYPO}'
        WHEN m.birth_day = p.birth_day AND m.birth_month = p.birth_month
             AND hamming(m.birth_year::VARCHAR, p.birth_year::VARCHAR) = 1 THEN '{Kind.TYPO}'
        ELSE '{Kind.OTHER}' END"""),
    Field.SEX: ("coalesce(m.sex, '')", "coalesce(p.sex, '')", f"""CASE
        WHEN p.sex IS NULL OR m.sex = p.sex THEN NULL
        WHEN m.sex IS NULL THEN '{Kind.MISSING}' ELSE '{Kind.OTHER}' END"""),
    Field.HOMETOWN: ("m.hometown", "concat_ws(', ', nullif(p.que_quan_xa, ''), nullif(p.que_quan_tinh, ''))",
                     f"""CASE
        WHEN p.hometown_province = '' THEN NULL
        WHEN m.hometown_province = '' THEN (CASE WHEN m.hometown = '' THEN '{Kind.MISSING}' ELSE '{Kind.OTHER}' END)
        WHEN m.hometown_commune = p.hometown_commune AND m.hometown_province = p.hometown_province THEN
          -- the same places; written with the units abolished in 2025 when the words differ
          (CASE WHEN dv_fold(dv_clean(m.que_quan_xa)) = m.hometown_commune
                     AND dv_fold(dv_clean(m.que_quan_tinh)) LIKE '%' || m.hometown_province THEN NULL
                ELSE '{Kind.MERGER_HOMETOWN}' END)
        ELSE '{Kind.OTHER}' END"""),
    Field.CITIZEN_ID: ("m.record_citizen_id", "p.so_dinh_danh", f"""CASE
        WHEN m.citizen_id = p.citizen_id THEN NULL
        WHEN m.record_citizen_id = '' AND m.old_id IS NOT NULL AND m.old_id = p.old_id THEN '{Kind.OLD_ID}'
        WHEN m.record_citizen_id = '' THEN '{Kind.MISSING}'
        WHEN length(m.record_citizen_id) = 9 THEN '{Kind.OLD_ID}'
        WHEN m.citizen_id IS NOT NULL AND damerau_levenshtein(m.citizen_id, p.citizen_id) = 1 THEN '{Kind.TYPO}'
        ELSE '{Kind.OTHER}' END"""),
    Field.OLD_ID: ("coalesce(m.old_id, '')", "coalesce(p.old_id, '')", f"""CASE
        WHEN m.old_id IS NULL OR p.old_id IS NULL OR m.old_id = p.old_id THEN NULL
        WHEN length(m.record_citizen_id) = 9 THEN NULL
        WHEN damerau_levenshtein(m.old_id, p.old_id) = 1 THEN '{Kind.TYPO}'
        ELSE '{Kind.OTHER}' END"""),
}


def find(con: Any) -> list[dict[str, Any]]:
    """Discrepancies of every linked member (table linked: member_id, pid), as dicts with
    member_id, field, kind, record_value, population_value."""
    selects = [
        f"SELECT m.member_id, '{name}' AS field, {kind} AS kind, {record} AS record_value, "
        f"{population} AS population_value FROM linked l JOIN m ON m.member_id = l.member_id "
        f"JOIN persons p ON p.citizen_id = l.pid"
        for name, (record, population, kind) in _FIELDS.items()]
    rows = con.execute(f"SELECT * FROM ({' UNION ALL '.join(selects)}) WHERE kind IS NOT NULL "
                       "ORDER BY member_id, field").fetchall()
    columns = ("member_id", "field", "kind", "record_value", "population_value")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def between(member: pa.Table, person: Mapping[str, Any], so_dinh_danh: str) -> list[dict[str, Any]]:
    """Discrepancies of one member (a one-row sides.member_table) with one extract row (its raw
    columns, as a candidate's `person` holds them), found by the same SQL as a run's: the person
    is normalized as an extract load does (population.normalize, hometown by hometowns.map_place)."""
    raw = {column: str(person.get(column) or "") for column in RAW_COLUMNS}
    raw["so_dinh_danh"] = so_dinh_danh
    commune, province = map_place(raw["que_quan_xa"], "", raw["que_quan_tinh"])
    persons = pa.table({**{k: [v] for k, v in raw.items()}, "hometown_commune": [commune],
                        "hometown_province": [province]})
    con = duckdb.connect()
    try:
        install_macros(con)
        for table, relation in (("m", member), ("persons", persons)):
            con.register("input", relation)
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM ({person_select('input')})")
            con.unregister("input")
        con.execute("CREATE TABLE linked AS SELECT m.member_id, p.citizen_id AS pid FROM m, persons p")
        return find(con)
    finally:
        con.close()
