"""Where snapshot rows live, outside the member tables: a DuckDB file on the embedded (SQLite)
setup, a PostgreSQL schema `population` when the default database is PostgreSQL.

`snapshot_store()` returns the store for the configured database. Both hold one extract table of
EXTRACT_SCHEMA's columns (the raw columns as given, NFC; the normalized person columns; the
snapshot and the line in the file) and answer:

- load(snapshot_id, batches) -> rows: the snapshot's rows, replacing any left by a crashed load;
- drop(snapshot_id); count(snapshot_id);
- fetch(snapshot_id, column, values) -> pyarrow.Table: rows whose `column` is one of `values`
  (FETCH_COLUMNS; on PostgreSQL INDEXED_COLUMNS use an index, the others scan the snapshot's
  partition; DuckDB scans, joining the values as a table);
- scan(snapshot_id, columns, ordered=True) -> record batches of those columns, in the file's line
  order, or in no particular order with ordered=False (no sort: what a reader that joins wants);
- scan_into(con, snapshot_id, columns, table): those columns as a table of the caller's DuckDB
  connection (the DuckDB store attaches its file read-only: no arrow batches in between).

PostgreSQL: `population.extract` is partitioned by snapshot. A load, in the caller's transaction
on Django's connection (a failed load leaves nothing), creates a table of its own with a CHECK
that implies the partition constraint, COPYs the rows into it (CSV, FREEZE), builds its index
(one sort: cheaper than keeping it up to date row by row), then attaches it: ATTACH
finds the constraint proven and the index built, so it only updates the catalog, under a SHARE
UPDATE EXCLUSIVE lock on the parent (readers of other snapshots are not blocked; another load or
DDL on the parent waits until this transaction commits). Nothing writes a partition afterwards.
DuckDB: the file is opened for each operation and closed after it; the load is one
DuckDB transaction. DuckDB locks the file for one writing process, or any number of reading ones
(count, fetch and scan open it read-only): while a load writes, a reader in another process (a
reconciliation) waits up to BUSY_WAIT seconds for the lock, then gets StoreBusy, a message for the
user, rather than DuckDB's lock error.
"""

from __future__ import annotations

import io
import logging
import pathlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter

from dangvien.population.normalize import RAW_COLUMNS

logger = logging.getLogger(__name__)

_TEXT = pa.string()
EXTRACT_SCHEMA = pa.schema(
    [("snapshot_id", pa.int32()), ("line", pa.int32())]
    + [(name, _TEXT) for name in RAW_COLUMNS]
    + [(name, _TEXT) for name in ("name_nfc", "name_folded", "name_tone", "family_folded", "middle_folded",
                                  "given_folded", "name_no_middle")]
    + [("birth_date", pa.date32()), ("birth_year", pa.int16()), ("birth_month", pa.int8()), ("birth_day", pa.int8()),
       ("sex", _TEXT), ("hometown_commune", _TEXT), ("hometown_province", _TEXT), ("citizen_id", _TEXT),
       ("old_id", _TEXT)]
)
COLUMNS = tuple(EXTRACT_SCHEMA.names)
FETCH_COLUMNS = ("citizen_id", "old_id", "name_folded", "name_no_middle", "given_folded", "birth_date")
# Indexed on PostgreSQL: reconciliation fetches by citizen ID (pass 1, then the candidates' full
# rows) and scans the key columns once for everything else. Nothing else fetches in bulk (a
# PopulationSource's lookup_old / candidates by another column scan the snapshot's partition, a
# second or two): an index built at every load for them would cost more than it saves.
INDEXED_COLUMNS = ("citizen_id",)
# Columns whose statistics the queries above use (the partition key, the scan's order, the lookups).
ANALYZED_COLUMNS = ("snapshot_id", "line", "citizen_id", "old_id")

_SQL_TYPES = {pa.int32(): "INTEGER", pa.int16(): "SMALLINT", pa.int8(): "SMALLINT", pa.date32(): "DATE"}
# Lookup and ID columns compare byte-wise on PostgreSQL: equality needs no linguistic collation,
# and their indexes build faster without it.
_BYTEWISE = {"citizen_id", "old_id", "name_folded", "name_no_middle", "given_folded", "family_folded",
             "so_dinh_danh", "so_cmnd", "sex"}


def _column_type(field: pa.Field, *, postgres: bool) -> str:
    if field.type in _SQL_TYPES:
        return _SQL_TYPES[field.type]
    if postgres:
        return 'TEXT COLLATE "C"' if field.name in _BYTEWISE else "TEXT"
    return "VARCHAR"


def table_columns_sql(*, postgres: bool) -> str:
    return ", ".join(f"{f.name} {_column_type(f, postgres=postgres)}" for f in EXTRACT_SCHEMA)


class SnapshotStore(Protocol):
    backend: str

    def load(self, snapshot_id: int, batches: Iterable[pa.RecordBatch]) -> int: ...
    def drop(self, snapshot_id: int) -> None: ...
    def count(self, snapshot_id: int) -> int: ...
    def fetch(self, snapshot_id: int, column: str, values: Iterable[Any]) -> pa.Table: ...
    def scan(self, snapshot_id: int, columns: Sequence[str], *, ordered: bool = True) -> Iterator[pa.RecordBatch]: ...
    def scan_into(self, con: Any, snapshot_id: int, columns: Sequence[str], table: str) -> None: ...


def snapshot_store() -> SnapshotStore:
    if connection.vendor == "postgresql":
        return PostgresStore()
    return DuckDBStore(pathlib.Path(settings.POPULATION_DUCKDB))


def _checked_columns(columns: Sequence[str]) -> str:
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"Unknown extract columns: {sorted(unknown)}")
    return ", ".join(columns)


def _checked_fetch_column(column: str) -> None:
    if column not in FETCH_COLUMNS:
        raise ValueError(f"fetch by {column!r}: only by {', '.join(FETCH_COLUMNS)}")


def _values_table(column: str, values: Iterable[Any]) -> pa.Table:
    field = EXTRACT_SCHEMA.field(column)
    return pa.table({"v": pa.array(sorted({v for v in values if v is not None}), type=field.type)})


# --- DuckDB ----------------------------------------------------------------------------------------

BUSY_WAIT = 10.0  # seconds a process waits for another one's lock on the DuckDB file


class StoreBusy(Exception):
    """Another process holds the DuckDB file (a snapshot being loaded): try again later."""

    def __init__(self) -> None:
        super().__init__(_("The population store is busy: another process is loading a snapshot into it. "
                           "Try again when that load has finished."))


class DuckDBStore:
    backend = "duckdb"

    def __init__(self, path: pathlib.Path):
        self.path = path

    def _connect(self, *, read_only: bool = False) -> Any:
        if read_only and not self.path.exists():
            self._connect().close()  # a read-only connection cannot create the file and its table
        con = self._open(read_only)
        if not read_only:
            con.execute(f"CREATE TABLE IF NOT EXISTS extract ({table_columns_sql(postgres=False)})")
        return con

    def _open(self, read_only: bool) -> Any:
        import duckdb  # imported when used: most processes never open the store

        self.path.parent.mkdir(parents=True, exist_ok=True)
        return _waiting(lambda: duckdb.connect(str(self.path), read_only=read_only))

    def scan_into(self, con: Any, snapshot_id: int, columns: Sequence[str], table: str) -> None:
        """The snapshot's `columns` as `table` of the caller's DuckDB connection `con`: the file is
        attached read-only and copied from, with no arrow batches in between (twice as fast as scan
        at province scale)."""
        selected = _checked_columns(columns)
        if not self.path.exists():
            self._connect().close()
        path = str(self.path).replace("'", "''")
        _waiting(lambda: con.execute(f"ATTACH '{path}' AS population_store (READ_ONLY)"))
        try:
            con.execute(f"CREATE TABLE {table} AS SELECT {selected} FROM population_store.extract "  # noqa: S608
                        "WHERE snapshot_id = ?", [snapshot_id])
        finally:
            con.execute("DETACH population_store")

    def load(self, snapshot_id: int, batches: Iterable[pa.RecordBatch]) -> int:
        relay = BatchRelay(batches)
        reader = pa.RecordBatchReader.from_batches(EXTRACT_SCHEMA, relay)  # noqa: F841 (read by DuckDB)
        con = self._connect()
        try:
            con.execute("BEGIN")
            con.execute("DELETE FROM extract WHERE snapshot_id = ?", [snapshot_id])
            con.execute("INSERT INTO extract BY NAME SELECT * FROM reader")
            (rows,) = con.execute("SELECT count(*) FROM extract WHERE snapshot_id = ?", [snapshot_id]).fetchone()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            if relay.error is not None:  # the batches' own error (a refused file), not DuckDB's wrapper of it
                raise relay.error from None
            raise
        finally:
            con.close()
        return int(rows)

    def drop(self, snapshot_id: int) -> None:
        con = self._connect()
        try:
            con.execute("DELETE FROM extract WHERE snapshot_id = ?", [snapshot_id])
        finally:
            con.close()

    def count(self, snapshot_id: int) -> int:
        con = self._connect(read_only=True)
        try:
            (rows,) = con.execute("SELECT count(*) FROM extract WHERE snapshot_id = ?", [snapshot_id]).fetchone()
        finally:
            con.close()
        return int(rows)

    def fetch(self, snapshot_id: int, column: str, values: Iterable[Any]) -> pa.Table:
        _checked_fetch_column(column)
        wanted = _values_table(column, values)  # noqa: F841 (read by DuckDB)
        con = self._connect(read_only=True)
        try:
            return con.sql(f"SELECT e.* FROM extract e JOIN wanted w ON e.{column} = w.v "  # noqa: S608
                           "WHERE e.snapshot_id = $1 ORDER BY e.line", params=[snapshot_id]).to_arrow_table()
        finally:
            con.close()

    def scan(self, snapshot_id: int, columns: Sequence[str], *, ordered: bool = True) -> Iterator[pa.RecordBatch]:
        selected = _checked_columns(columns)
        con = self._connect(read_only=True)
        try:
            order = " ORDER BY line" if ordered else ""
            reader = con.sql(f"SELECT {selected} FROM extract WHERE snapshot_id = $1{order}",  # noqa: S608
                             params=[snapshot_id]).to_arrow_reader(100_000)
            yield from reader
        finally:
            con.close()


def _waiting(open_file: Any) -> Any:
    """open_file(), waiting (with growing pauses) while another process holds the file's lock."""
    import duckdb

    deadline, pause = time.monotonic() + BUSY_WAIT, 0.05
    while True:
        try:
            return open_file()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise StoreBusy from exc
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


class BatchRelay:
    """The batches, for DuckDB to read, keeping the error that stopped them: DuckDB reports it as
    its own InvalidInputException, and the caller wants the original."""

    def __init__(self, batches: Iterable[pa.RecordBatch]):
        self.batches = iter(batches)
        self.error: BaseException | None = None

    def __iter__(self) -> BatchRelay:
        return self

    def __next__(self) -> pa.RecordBatch:
        try:
            return next(self.batches)
        except StopIteration:
            raise
        except BaseException as exc:
            self.error = exc
            raise


# --- PostgreSQL -----------------------------------------------------------------------------------

SCHEMA = "population"
PARENT = f"{SCHEMA}.extract"


def postgres_setup_sql() -> list[str]:
    """The schema, the partitioned table and its indexes (migration 0001 runs it on PostgreSQL)."""
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {PARENT} ({table_columns_sql(postgres=True)}) PARTITION BY LIST (snapshot_id)",
    ]
    statements += [f"CREATE INDEX IF NOT EXISTS extract_{c} ON {PARENT} ({c})" for c in INDEXED_COLUMNS]
    return statements


class PostgresStore:
    backend = "postgresql"

    @staticmethod
    def _partition(snapshot_id: int) -> str:
        return f"{SCHEMA}.extract_{int(snapshot_id)}"

    def load(self, snapshot_id: int, batches: Iterable[pa.RecordBatch]) -> int:
        """COPY into a table of the snapshot's own, index it, attach it as the snapshot's partition,
        ANALYZE it; each step's seconds go to the log (logger dangvien.population.store)."""
        table, key = self._partition(snapshot_id), int(snapshot_id)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # The CHECK (with NOT NULL: a list partition's constraint excludes NULL) implies the
            # partition constraint, so ATTACH does not scan the table to validate it.
            cursor.execute(f"CREATE TABLE {table} (LIKE {PARENT}, "
                           f"CHECK (snapshot_id IS NOT NULL AND snapshot_id = {key}))")
            rows, waited = _copy_csv(cursor.cursor, table, batches)
            _log_step(snapshot_id, "copy", started, waited=waited)
            started = time.perf_counter()
            # Built once over the whole snapshot, before ATTACH, which then adopts it as the
            # partition of the parent's index instead of building its own.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for column in INDEXED_COLUMNS:
                cursor.execute(f"CREATE INDEX ON {table} ({column})")
            _log_step(snapshot_id, "index", started)
            started = time.perf_counter()
            cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES IN ({key})")
            _log_step(snapshot_id, "attach", started)
            started = time.perf_counter()
            cursor.execute(f"ANALYZE {table} ({', '.join(ANALYZED_COLUMNS)})")
            _log_step(snapshot_id, "analyze", started)
        return rows

    def drop(self, snapshot_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self._partition(snapshot_id)}")

    def count(self, snapshot_id: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {PARENT} WHERE snapshot_id = %s", [snapshot_id])  # noqa: S608
            return int(cursor.fetchone()[0])

    def fetch(self, snapshot_id: int, column: str, values: Iterable[Any]) -> pa.Table:
        _checked_fetch_column(column)
        wanted = _values_table(column, values).column("v").to_pylist()
        cast = "date" if column == "birth_date" else "text"
        query = (f"SELECT {_csv_columns(COLUMNS)} FROM {PARENT} "  # noqa: S608
                 f"WHERE snapshot_id = %s AND {column} = ANY(%s::{cast}[]) ORDER BY line")
        with connection.cursor() as cursor:
            return pa.Table.from_batches(list(_copy_out(cursor, query, [snapshot_id, wanted], COLUMNS)),
                                         schema=_schema_of(COLUMNS))

    def scan(self, snapshot_id: int, columns: Sequence[str], *, ordered: bool = True) -> Iterator[pa.RecordBatch]:
        _checked_columns(columns)
        query = (f"SELECT {_csv_columns(columns)} FROM {PARENT} WHERE snapshot_id = %s"  # noqa: S608
                 + (" ORDER BY line" if ordered else ""))
        with connection.cursor() as cursor:
            yield from _copy_out(cursor, query, [snapshot_id], columns)

    def scan_into(self, con: Any, snapshot_id: int, columns: Sequence[str], table: str) -> None:
        """The snapshot's `columns` as `table` of the caller's DuckDB connection `con`. Batch by
        batch from this thread: DuckDB would pull a reader from threads of its own, where Django's
        connection (one a thread) is another one, outside the caller's transaction."""
        schema = _schema_of(columns)
        empty = pa.Table.from_batches([], schema=schema)  # noqa: F841 (read by DuckDB)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM empty")
        for batch in self.scan(snapshot_id, columns, ordered=False):  # noqa: B007 (read by DuckDB)
            con.execute(f"INSERT INTO {table} SELECT * FROM batch")


# Rows leave PostgreSQL by COPY ... TO STDOUT as CSV, parsed by pyarrow's CSV reader in batches: a
# server-side cursor handing Python tuples to pyarrow took most of a reconciliation's time. Dates
# are written as ISO text whatever the session's DateStyle; an unquoted empty field is NULL, a
# quoted one the empty string (COPY's CSV convention, the one load() writes too).


def _csv_columns(columns: Sequence[str]) -> str:
    return ", ".join(f"to_char({c}, 'YYYY-MM-DD') AS {c}" if EXTRACT_SCHEMA.field(c).type == pa.date32() else c
                     for c in columns)


def _schema_of(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([EXTRACT_SCHEMA.field(c) for c in columns])


def _copy_out(cursor: Any, query: str, params: Sequence[Any], columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    schema = _schema_of(columns)
    with cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
        stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
        if not stream.peek(1):
            return  # no rows: pyarrow refuses an empty file
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=list(columns), block_size=16 << 20),
            convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=False, null_values=[""]),
            parse_options=pacsv.ParseOptions(newlines_in_values=True))
        for batch in reader:
            yield batch.cast(schema) if batch.schema != schema else batch


class _CopyStream(io.RawIOBase):
    """The chunks of a COPY TO STDOUT as a readable binary file (what pyarrow's reader takes)."""

    def __init__(self, copy: Any):
        self.chunks = iter(copy)
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = memoryview(chunk)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _copy_csv(cursor: Any, table: str, batches: Iterable[pa.RecordBatch]) -> tuple[int, float]:
    """COPY the batches as CSV (written by pyarrow, in C++: no Python per row); return the rows and
    the seconds spent waiting for the batches (reading and normalizing the file).

    FREEZE: the table was created in this transaction, so its rows can be written frozen, and the
    first readers of a snapshot do not rewrite every page to set hint bits. A queued writer sends
    the data from a thread: the server parses one chunk while the next is being normalized.
    """
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    rows, waited = 0, 0.0
    # CSV: an unquoted empty field is NULL, a quoted one the empty string (all_valid quotes every
    # value that is not null).
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv, FREEZE)"
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        pending = iter(batches)
        while True:
            started = time.perf_counter()
            batch = next(pending, None)
            waited += time.perf_counter() - started
            if batch is None:
                break
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, write_options=options)
            copy.write(buffer.getvalue())
            rows += batch.num_rows
    return rows, waited


def _log_step(snapshot_id: int, step: str, started: float, *, waited: float = 0.0) -> None:
    seconds = time.perf_counter() - started
    extra = f" ({waited:.1f} s of it waiting for the file's rows)" if waited else ""
    logger.info("population snapshot %s: %s %.1f s%s", snapshot_id, step, seconds, extra,
                extra={"step": step, "seconds": seconds, "waited": waited})
