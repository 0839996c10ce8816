"""The member side of a reconciliation as an arrow table, in the extract's raw column names, so that
population.normalize computes the same person columns for both sides (they agree by construction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from dangvien.population.hometowns import map_places, split_hometown

# What the member record contributes, in the order of the ORM's values_list.
MEMBER_FIELDS = ("id", "profile_number", "full_name", "date_of_birth", "birth_year", "sex", "hometown",
                 "citizen_id", "old_id_number")

MEMBER_SCHEMA = pa.schema([
    ("member_id", pa.int64()), ("profile_number", pa.string()),
    ("ho_ten", pa.string()), ("ngay_sinh", pa.string()), ("gioi_tinh", pa.string()),
    ("so_dinh_danh", pa.string()), ("so_cmnd", pa.string()), ("que_quan_xa", pa.string()),
    ("que_quan_tinh", pa.string()), ("hometown", pa.string()), ("record_citizen_id", pa.string()),
    ("hometown_commune", pa.string()), ("hometown_province", pa.string()),
])


def _birth_text(date_of_birth: Any, birth_year: int | None) -> str:
    if date_of_birth is not None:
        return date_of_birth.strftime("%d/%m/%Y")
    return str(birth_year) if birth_year else ""


def member_table(rows: Iterable[tuple]) -> pa.Table:
    """Rows of MEMBER_FIELDS -> the member table. A citizen ID field holding 9 digits is an old CMND
    number written in the wrong place: it goes to so_cmnd when that is empty. Hometowns are mapped
    to the post-2025 units as the extract's are (population.hometowns), once per distinct place."""
    rows = list(rows)
    places = {h: split_hometown(h or "") for h in {row[6] for row in rows}}
    mapped = map_places(places.values())
    columns: dict[str, list[Any]] = {name: [] for name in MEMBER_SCHEMA.names}
    for pk, profile, name, dob, year, sex, hometown, citizen_id, old_id in rows:
        commune, _district, province = place = places[hometown]
        new_commune, new_province = mapped[place]
        cid = (citizen_id or "").strip()
        old = (old_id or "").strip()
        if len(cid) == 9 and not old:
            old = cid
        columns["member_id"].append(pk)
        columns["profile_number"].append(profile or "")
        columns["ho_ten"].append(name)
        columns["ngay_sinh"].append(_birth_text(dob, year))
        columns["gioi_tinh"].append(sex or "")
        columns["so_dinh_danh"].append(cid)
        columns["so_cmnd"].append(old)
        columns["que_quan_xa"].append(commune)
        columns["que_quan_tinh"].append(province)
        columns["hometown"].append(hometown or "")
        columns["record_citizen_id"].append(citizen_id or "")
        columns["hometown_commune"].append(new_commune)
        columns["hometown_province"].append(new_province)
    return pa.table(columns, schema=MEMBER_SCHEMA)
