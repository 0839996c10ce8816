"""Small population snapshots for the reconcile tests, loaded through the population store (a
DuckDB file in a temporary folder, or the PostgreSQL schema when the suite runs on PostgreSQL),
normalized with population.normalize as an extract import does."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pyarrow as pa
import pytest

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.names import person_name
from dangvien.population.hometowns import map_places
from dangvien.population.models import Snapshot
from dangvien.population.normalize import install_macros, person_select
from dangvien.population.store import EXTRACT_SCHEMA, snapshot_store

RAW = ("so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh", "que_quan_xa", "que_quan_tinh", "thuong_tru")


@pytest.fixture(autouse=True)
def _duckdb_store(settings, tmp_path):
    settings.POPULATION_DUCKDB = tmp_path / "population.duckdb"


def person(so_dinh_danh: str, ho_ten: str, ngay_sinh: str, gioi_tinh: str, *, so_cmnd: str = "",
           xa: str = "Xã Ia Grai", tinh: str = "Gia Lai") -> dict:
    return {"so_dinh_danh": so_dinh_danh, "so_cmnd": so_cmnd, "ho_ten": ho_ten, "ngay_sinh": ngay_sinh,
            "gioi_tinh": gioi_tinh, "que_quan_xa": xa, "que_quan_tinh": tinh, "thuong_tru": ""}


def crowd(count: int, seed: int = 9) -> list[dict]:
    """Other citizens of the province: random Kinh names, birth dates and serial numbers (from
    900000 up, apart from the test's own people)."""
    rng = random.Random(seed)
    people = []
    for i in range(count):
        sex = rng.choice("MF")
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(65 * 365))
        people.append(person(make_citizen_id("064", sex, born.year, 900_000 + i), person_name(rng, "Kinh", sex),
                             born.strftime("%d/%m/%Y"), "Nam" if sex == "M" else "Nữ",
                             xa=rng.choice(["Xã Ia Grai", "Phường Pleiku", "Xã Chư Păh"])))
    return people


def load_snapshot(people: list[dict], name: str = "test") -> Snapshot:
    snapshot = Snapshot.objects.create(name=name, taken_on=dt.date(2026, 11, 1), file_name=f"{name}.csv",
                                       sha256=name.ljust(64, "0"), rows=len(people), backend="test")
    con = duckdb.connect()
    install_macros(con)
    raw = pa.Table.from_pylist(people, schema=pa.schema([(c, pa.string()) for c in RAW]))  # noqa: F841
    con.execute(f"CREATE TABLE n AS {person_select('raw')}")
    rows = con.execute("SELECT * FROM n").fetchall()
    columns = [d[0] for d in con.description]
    places = map_places({(p["que_quan_xa"], "", p["que_quan_tinh"]) for p in people})
    records = []
    for line, values in enumerate(rows, start=2):
        record = dict(zip(columns, values, strict=True))
        record["hometown_commune"], record["hometown_province"] = places[
            (record["que_quan_xa"], "", record["que_quan_tinh"])]
        records.append({**record, "snapshot_id": snapshot.pk, "line": line})
    snapshot_store().load(snapshot.pk, pa.Table.from_pylist(records, schema=EXTRACT_SCHEMA).to_batches())
    return snapshot
