"""The member side of a reconciliation as an arrow table, in the extract's raw column names, so that
population.normalize computes the same person columns for both sides (they agree by construction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

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


def _birth_texts(dates: list[Any], years: list[int | None]) -> pa.Array:
    """dd/mm/yyyy, the year alone when only the year is on record, '' when neither (in arrow: a
    Python strftime per member took seconds at province scale)."""
    days = pa.array(dates, pa.date32())
    full = pc.strftime(pc.cast(days, pa.timestamp("s")), format="%d/%m/%Y")
    year_text = pc.fill_null(pc.cast(pa.array([y or None for y in years], pa.int32()), pa.string()), "")
    return pc.if_else(pc.is_null(days), year_text, full)


def member_table(rows: Iterable[tuple]) -> pa.Table:
    """Rows of MEMBER_FIELDS -> the member table. A citizen ID field holding 9 digits is an old CMND
    number written in the wrong place: it goes to so_cmnd when that is empty. Hometowns are mapped
    to the post-2025 units as the extract's are (population.hometowns), once per distinct place."""
    rows = list(rows)
    if not rows:
        return MEMBER_SCHEMA.empty_table()
    pks, profiles, names, dates, years, sexes, hometowns, citizen_ids, old_ids = map(list, zip(*rows, strict=True))
    places = {h: split_hometown(h or "") for h in set(hometowns)}
    mapped = map_places(places.values())
    place_of = [places[h] for h in hometowns]
    new_place_of = [mapped[place] for place in place_of]
    cids = [(c or "").strip() for c in citizen_ids]
    olds = [(o or "").strip() for o in old_ids]
    olds = [c if len(c) == 9 and not o else o for c, o in zip(cids, olds, strict=True)]
    columns = {
        "member_id": pks, "profile_number": [p or "" for p in profiles], "ho_ten": names,
        "ngay_sinh": _birth_texts(dates, years), "gioi_tinh": [x or "" for x in sexes], "so_dinh_danh": cids,
        "so_cmnd": olds, "que_quan_xa": [p[0] for p in place_of], "que_quan_tinh": [p[2] for p in place_of],
        "hometown": [h or "" for h in hometowns], "record_citizen_id": [c or "" for c in citizen_ids],
        "hometown_commune": [n[0] for n in new_place_of], "hometown_province": [n[1] for n in new_place_of],
    }
    return pa.table(columns, schema=MEMBER_SCHEMA)
