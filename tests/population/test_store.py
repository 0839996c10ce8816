"""The snapshot store on the configured database: DuckDB file on SQLite, schema on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from django.db import connection, transaction

from dangvien.population.store import COLUMNS, EXTRACT_SCHEMA, snapshot_store


def person(line: int, citizen_id: str, name_folded: str, **extra) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(snapshot_id=0, line=line, so_dinh_danh=citizen_id, citizen_id=citizen_id, name_folded=name_folded,
               given_folded=name_folded.split(" ")[-1], hometown_commune="", hometown_province="", middle_folded="")
    row.update(extra)
    return row


def batches(snapshot_id: int, rows: list[dict], size: int = 2) -> list[pa.RecordBatch]:
    table = pa.Table.from_pylist([{**r, "snapshot_id": snapshot_id} for r in rows], schema=EXTRACT_SCHEMA)
    return table.to_batches(max_chunksize=size)


ROWS = [
    person(2, "064080012345", "nguyen van hung", birth_date=dt.date(1980, 5, 17), birth_year=1980, sex="M"),
    person(3, "064080012346", "nguyen van hung", birth_year=1980, sex="M", old_id="230123456"),
    person(4, "052185000001", "tran thi hoa", birth_date=dt.date(1985, 1, 2), birth_year=1985, sex="F"),
]


@pytest.mark.django_db
def test_load_count_fetch_scan_drop():
    store = snapshot_store()
    assert store.backend == ("postgresql" if connection.vendor == "postgresql" else "duckdb")
    assert store.load(1, batches(1, ROWS)) == 3
    assert store.load(2, batches(2, ROWS[:1])) == 1
    assert (store.count(1), store.count(2), store.count(3)) == (3, 1, 0)

    found = store.fetch(1, "name_folded", ["nguyen van hung", "nobody"])
    assert found.column("line").to_pylist() == [2, 3]
    assert found.column("middle_folded").to_pylist() == ["", ""]  # '' stays '', not NULL
    assert found.column("birth_date").to_pylist() == [dt.date(1980, 5, 17), None]
    assert store.fetch(1, "old_id", ["230123456"]).column("citizen_id").to_pylist() == ["064080012346"]
    assert store.fetch(1, "birth_date", [dt.date(1985, 1, 2)]).column("line").to_pylist() == [4]
    assert store.fetch(2, "citizen_id", ["052185000001"]).num_rows == 0  # another snapshot's row

    scanned = pa.Table.from_batches(list(store.scan(1, ["line", "citizen_id"])))
    assert scanned.column_names == ["line", "citizen_id"]
    assert scanned.column("citizen_id").to_pylist() == ["064080012345", "064080012346", "052185000001"]
    unordered = pa.Table.from_batches(list(store.scan(1, ["birth_date", "middle_folded", "old_id"], ordered=False)))
    assert sorted(unordered.to_pylist(), key=str) == sorted([  # the same rows, types and NULLs, in any order
        {"birth_date": dt.date(1980, 5, 17), "middle_folded": "", "old_id": None},
        {"birth_date": None, "middle_folded": "", "old_id": "230123456"},
        {"birth_date": dt.date(1985, 1, 2), "middle_folded": "", "old_id": None}], key=str)

    con = duckdb.connect()  # scan_into: the columns as a table of the caller's DuckDB connection
    store.scan_into(con, 1, ["line", "citizen_id", "birth_date"], "k")
    assert sorted(con.execute("SELECT line, citizen_id, birth_date FROM k").fetchall()) == [
        (2, "064080012345", dt.date(1980, 5, 17)), (3, "064080012346", None), (4, "052185000001", dt.date(1985, 1, 2))]
    con.close()

    store.drop(1)
    assert (store.count(1), store.count(2)) == (0, 1)


@pytest.mark.django_db
def test_a_load_replaces_what_a_crashed_load_left():
    store = snapshot_store()
    store.load(5, batches(5, ROWS))
    assert store.load(5, batches(5, ROWS[2:])) == 1
    assert store.count(5) == 1


@pytest.mark.django_db
def test_a_failing_load_leaves_nothing():
    store = snapshot_store()

    def broken():
        yield from batches(6, ROWS[:2])
        raise RuntimeError("the file broke halfway")

    with pytest.raises(RuntimeError):
        if connection.vendor == "postgresql":
            with transaction.atomic():
                store.load(6, broken())
        else:
            store.load(6, broken())
    assert store.count(6) == 0


@pytest.mark.django_db
def test_only_known_columns():
    store = snapshot_store()
    with pytest.raises(ValueError):
        store.fetch(1, "ho_ten; DROP TABLE x", ["a"])
    with pytest.raises(ValueError):
        list(store.scan(1, ["line", "nope"]))


@pytest.mark.django_db
def test_a_load_is_kept_apart_and_on_postgresql_an_indexed_partition_of_its_own():
    store = snapshot_store()
    store.load(7, batches(7, ROWS))
    assert (store.count(7), store.count(8)) == (3, 0)
    if connection.vendor != "postgresql":
        return  # the DuckDB store has no partitions (CI may skip nothing: the check is PostgreSQL's only)
    with connection.cursor() as cursor:
        # The partition's own indexes, built before ATTACH, became the parent's indexes' partitions.
        cursor.execute("""
            SELECT parent.relname FROM pg_inherits i
            JOIN pg_class child ON child.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent
            JOIN pg_index x ON x.indexrelid = child.oid
            WHERE x.indrelid = 'population.extract_7'::regclass ORDER BY 1""")
        assert [r[0] for r in cursor.fetchall()] == ["extract_citizen_id"]
        cursor.execute("SELECT count(*) FROM population.extract WHERE snapshot_id = 7")
        assert cursor.fetchone()[0] == 3
        with pytest.raises(Exception, match="violates"), transaction.atomic():  # noqa: PT011 (psycopg's CheckViolation via Django)
            cursor.execute("INSERT INTO population.extract_7 (snapshot_id, line) VALUES (8, 1)")
