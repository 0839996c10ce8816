"""An extract file read and normalized in bulk, for the snapshot store.

core.tabular.bulk reads the file (size, type, encoding and header checks as for every import; then
pyarrow, lines as a text editor counts them) into an in-memory DuckDB table of raw cells. The
checks and the normalization run there as set-based SQL (population.normalize): names, dates,
sexes, addresses and hometowns are normalized once per DISTINCT value and joined back (a province
of 2.6 M people writes a few ten thousand names and dates), IDs row by row with a fast path for
the cells that are digits already. The joined rows stream to the store; a row with a problem is
kept out and reported with its line and every one of its reasons. The DuckDB table may spill to
a temporary folder: a file bigger than memory still loads.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils import translation
from django.utils.translation import gettext as _

from dangvien.core import tabular
from dangvien.core.tabular import CellError
from dangvien.core.tabular.bulk import read_batches
from dangvien.population import hometowns
from dangvien.population.normalize import RAW_COLUMNS, birth_select, install_macros, name_select
from dangvien.population.store import COLUMNS, EXTRACT_SCHEMA, BatchRelay

MAX_EXTRACT_BYTES = 16 * 1024**3
OUT_BATCH_ROWS = 100_000
# Leading zeros a number lost in a Parquet file (an ID stored as an integer).
_DIGITS = {"so_dinh_danh": 12, "so_cmnd": 9}


# The bulk reader calls no parser (the SQL below checks the cells); a parser marks a column as read.
EXTRACT = tabular.TableSpec(
    columns=(
        tabular.Column("so_dinh_danh", "Số định danh", "citizen_id", aliases=("Số định danh cá nhân", "Số CCCD"),
                       parser=tabular.cell_text, required=True),
        tabular.Column("so_cmnd", "Số CMND", "old_id", parser=tabular.cell_text),
        tabular.Column("ho_ten", "Họ tên", "full_name", aliases=("Họ và tên",), parser=tabular.cell_text, required=True),
        tabular.Column("ngay_sinh", "Ngày sinh", "date_of_birth", parser=tabular.cell_text, required=True),
        tabular.Column("gioi_tinh", "Giới tính", "sex", parser=tabular.cell_text, required=True),
        tabular.Column("que_quan_xa", "Quê quán xã", "hometown_commune", parser=tabular.cell_text),
        tabular.Column("que_quan_tinh", "Quê quán tỉnh", "hometown_province", parser=tabular.cell_text),
        tabular.Column("thuong_tru", "Thường trú", "permanent_residence", parser=tabular.cell_text),
    ),
    formats=("csv", "parquet"),
)


# Reasons a row is not loaded: code -> (column, SQL condition over the joined row `j`).
_CHECKS = {
    "so_dinh_danh_missing": ("so_dinh_danh", "j.so_dinh_danh = ''"),
    "so_dinh_danh_format": ("so_dinh_danh", "j.so_dinh_danh <> '' AND j.citizen_id IS NULL"),
    "so_dinh_danh_repeated": ("so_dinh_danh", "j.first_line < j.line"),
    "so_cmnd_format": ("so_cmnd", "j.so_cmnd <> '' AND j.old_id IS NULL AND NOT regexp_full_match(j.so_cmnd, '[0-9]{12}')"),
    "ho_ten_formula": ("ho_ten", "j.ho_ten_formula"),
    "ho_ten_missing": ("ho_ten", "j.name_nfc = ''"),
    "ngay_sinh_formula": ("ngay_sinh", "j.ngay_sinh_formula"),
    "ngay_sinh_missing": ("ngay_sinh", "j.ngay_sinh = ''"),
    "ngay_sinh_problem": ("ngay_sinh", "NOT j.ngay_sinh_formula AND j.birth_problem <> ''"),
    "gioi_tinh_formula": ("gioi_tinh", "j.gioi_tinh_formula"),
    "gioi_tinh_unknown": ("gioi_tinh", "NOT j.gioi_tinh_formula AND j.gioi_tinh <> '' AND j.sex IS NULL"),
    "que_quan_xa_formula": ("que_quan_xa", "j.que_quan_xa_formula"),
    "que_quan_tinh_formula": ("que_quan_tinh", "j.que_quan_tinh_formula"),
    "thuong_tru_formula": ("thuong_tru", "j.thuong_tru_formula"),
}


def _message(code: str, row: dict[str, Any]) -> str:
    value = (row.get(_CHECKS[code][0]) or "")[:40]
    if code.endswith("_formula"):
        return _("Formulas are not accepted: type the value itself (\"%(value)s\").") % {"value": value}
    if code == "so_dinh_danh_missing":
        return _("The citizen ID (so_dinh_danh) is missing.")
    if code == "so_dinh_danh_format":
        return _("\"%(value)s\" is not a citizen ID: it has exactly 12 digits.") % {"value": value}
    if code == "so_dinh_danh_repeated":
        return _("The citizen ID %(value)s is on an earlier line too.") % {"value": value}
    if code == "so_cmnd_format":
        return _("\"%(value)s\" is not an old ID number (CMND): it has 9 digits.") % {"value": value}
    if code == "ho_ten_missing":
        return _("The name (ho_ten) is missing.")
    if code == "ngay_sinh_missing":
        return _("The date of birth (ngay_sinh) is missing.")
    if code == "ngay_sinh_problem":
        return {
            "format": _("\"%(value)s\" is not a date: dd/mm/yyyy, yyyy-mm-dd or a year alone."),
            "no_such_day": _("%(value)s is not a date: there is no such day."),
            "year_range": _("%(value)s is not a possible date of birth (before 1880 or after the extract)."),
            "future": _("%(value)s is after the day the extract was taken."),
        }[row["birth_problem"]] % {"value": value}
    return _("\"%(value)s\" is not a sex: Nam or Nữ.") % {"value": value}


@dataclass
class Loading:
    """What a load found: rejected rows (line, column, message) and counts. Filled as the batches
    are read."""

    path: pathlib.Path
    snapshot_id: int
    taken_on: dt.date
    # (done, total): each row counts twice, once read and once normalized and handed to the store.
    progress: Callable[[int, int], None] | None = None
    rejections: list[CellError] = field(default_factory=list)
    rejected_lines: int = 0
    read_rows: int = 0  # rows read from the file, rejected ones included
    total_estimate: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The normalized batches (raises TabularFileError for a refused file). The store may
        consume them from a thread of its own (DuckDB does): each step runs in the caller's language,
        so that messages are in it. (Not a generator itself: the language is read here, in the
        caller's thread.)"""
        return self._in_language(translation.get_language(), self._batches())

    @staticmethod
    def _in_language(language: str, steps: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        while True:
            with translation.override(language):
                batch = next(steps, None)
            if batch is None:
                return
            yield batch

    def _batches(self) -> Iterator[pa.RecordBatch]:
        table = read_batches(self.path, EXTRACT, max_bytes=MAX_EXTRACT_BYTES)
        self.total_estimate = _estimate_rows(self.path)
        with tempfile.TemporaryDirectory(prefix="dangvien-extract-") as spill:
            normalizer = _Normalizer(self.snapshot_id, self.taken_on, pathlib.Path(spill))
            try:
                normalizer.add(self._counted(table.batches))
                normalizer.prepare()
                handed = 0
                for good, rejected in normalizer.rows():
                    self._reject(rejected)
                    handed += good.num_rows + len(rejected)
                    self._progress(self.read_rows + handed)
                    if good.num_rows:
                        yield good
            finally:
                normalizer.close()

    def _counted(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield _as_text(batch)
            self.read_rows += batch.num_rows
            self._progress(self.read_rows)

    def _progress(self, done: int) -> None:
        if self.progress:
            total = 2 * max(self.total_estimate, self.read_rows)
            self.progress(min(done, total), total)

    def _reject(self, rejected: list[dict[str, Any]]) -> None:
        for row in rejected:
            self.rejected_lines += 1
            for code in row["problems"]:
                self.rejections.append(CellError(row["line"], _CHECKS[code][0], _message(code, row)))


def _estimate_rows(path: pathlib.Path) -> int:
    """The rows to expect, for the progress bar: a Parquet file says; a CSV file's lines are counted
    (a quoted cell may span lines: then the estimate is a little high)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


# --- cells as text ---------------------------------------------------------------------------------


def _as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """line + every raw column as text ('' for a missing column or cell). CSV cells are text
    already; Parquet numbers become their digits (IDs get back the leading zeros an integer lost),
    dates ISO, booleans yes/no."""
    arrays = [batch.column("line")]
    for name in RAW_COLUMNS:
        index = batch.schema.get_field_index(name)
        if index < 0:
            arrays.append(pa.nulls(batch.num_rows, pa.string()).fill_null(""))
        else:
            arrays.append(_text_array(batch.column(index), _DIGITS.get(name)))
    return pa.record_batch(arrays, names=["line", *RAW_COLUMNS])


def _text_array(array: pa.Array, digits: int | None) -> pa.Array:
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _text_array(array.dictionary_decode(), digits)
    if pa.types.is_integer(kind):
        text = pc.cast(array, pa.string())
        text = pc.utf8_lpad(text, digits, "0") if digits else text
    elif pa.types.is_floating(kind):
        whole = pc.equal(pc.floor(array), array)
        as_int = pc.cast(pc.if_else(whole, array, 0), pa.int64(), safe=False)
        text = pc.if_else(whole, _text_array(as_int, digits), pc.cast(array, pa.string()))
    elif pa.types.is_boolean(kind):
        text = pc.if_else(array, "yes", "no")
    elif pa.types.is_timestamp(kind):
        text = pc.cast(pc.cast(array, pa.date32()), pa.string())
    else:  # text, dates (ISO), binary (ArrowInvalid for bytes that are not UTF-8)
        text = pc.cast(array, pa.string())
    return pc.fill_null(text, "")


# --- the SQL ---------------------------------------------------------------------------------------

# A cell's text as core.tabular.cell_text makes it: cleaned (NFC, spaces), the apostrophe that
# marks an escaped formula start taken off; and whether the cell is a formula (refused).
_CELL_MACROS = [
    "CREATE OR REPLACE MACRO dv_escaped(c) AS substr(c, 1, 1) = '''' AND substr(c, 2, 1) IN ('=', '+', '-', '@')",
    "CREATE OR REPLACE MACRO dv_cell(c) AS CASE WHEN dv_escaped(c) THEN substr(c, 2) ELSE c END",
    "CREATE OR REPLACE MACRO dv_formula(c) AS NOT dv_escaped(c) AND (substr(c, 1, 1) IN ('=', '@') OR "
    "(substr(c, 1, 1) IN ('+', '-') AND length(c) > 1 AND NOT regexp_matches(substr(c, 2, 1), '[0-9]')))",
    # An ID cell: its digits as given (most cells: nothing to clean), else the cell's text.
    "CREATE OR REPLACE MACRO dv_id_text(s) AS CASE WHEN regexp_full_match(s, '[0-9]+') THEN s "
    "ELSE dv_cell(dv_clean(s)) END",
]


def _distinct(column: str) -> str:
    """Each distinct raw value of a text column: `raw`, its `text` and whether it is a formula."""
    return (f"SELECT raw, dv_cell(c) AS text, dv_formula(c) AS formula FROM "  # noqa: S608
            f"(SELECT raw, dv_clean(raw) AS c FROM (SELECT DISTINCT {column} AS raw FROM raw))")


# The joined row: raw columns as cleaned, normalized columns, and what the checks look at.
_JOINED = """
    SELECT i.line, i.so_dinh_danh, i.so_cmnd, n.text AS ho_ten, d.text AS ngay_sinh, s.text AS gioi_tinh,
           c.text AS que_quan_xa, p.text AS que_quan_tinh, a.text AS thuong_tru,
           n.name_nfc, n.name_folded, n.name_tone, n.family_folded, n.middle_folded, n.given_folded,
           n.name_no_middle, d.birth_date, d.birth_year, d.birth_month, d.birth_day, s.sex,
           coalesce(h.hometown_commune, '') AS hometown_commune, coalesce(h.hometown_province, '') AS hometown_province,
           CASE WHEN regexp_full_match(i.so_dinh_danh, '[0-9]{12}') THEN i.so_dinh_danh END AS citizen_id,
           CASE WHEN regexp_full_match(i.so_cmnd, '[0-9]{9}') THEN i.so_cmnd END AS old_id,
           coalesce(r.first_line, i.line) AS first_line, d.problem AS birth_problem,
           n.formula AS ho_ten_formula, d.formula AS ngay_sinh_formula, s.formula AS gioi_tinh_formula,
           c.formula AS que_quan_xa_formula, p.formula AS que_quan_tinh_formula, a.formula AS thuong_tru_formula
    FROM (SELECT line, dv_id_text(so_dinh_danh) AS so_dinh_danh, dv_id_text(so_cmnd) AS so_cmnd, ho_ten, ngay_sinh,
                 gioi_tinh, que_quan_xa, que_quan_tinh, thuong_tru FROM raw) i
    JOIN names n ON n.raw = i.ho_ten
    JOIN dates d ON d.raw = i.ngay_sinh
    JOIN sexes s ON s.raw = i.gioi_tinh
    JOIN addresses a ON a.raw = i.thuong_tru
    JOIN communes c ON c.raw = i.que_quan_xa
    JOIN provinces p ON p.raw = i.que_quan_tinh
    LEFT JOIN places h ON h.xa = c.text AND h.tinh = p.text
    LEFT JOIN repeated r ON r.citizen_id = i.so_dinh_danh
"""


class _Normalizer:
    """One in-memory DuckDB connection for the whole load: the raw rows, then a table of each
    column's distinct values normalized, then the rows joined with them, streamed."""

    def __init__(self, snapshot_id: int, taken_on: dt.date, spill: pathlib.Path):
        import duckdb

        self.snapshot_id, self.taken_on = snapshot_id, taken_on
        self.con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False,
                                          "memory_limit": "3GB", "temp_directory": str(spill)})
        install_macros(self.con)
        for statement in _CELL_MACROS:
            self.con.execute(statement)
        columns = ", ".join(f"{name} VARCHAR" for name in RAW_COLUMNS)
        self.con.execute(f"CREATE TABLE raw (line INTEGER, {columns})")

    def add(self, batches: Iterator[pa.RecordBatch]) -> None:
        """Every raw row, in one INSERT (DuckDB pulls the batches: one INSERT a batch is many
        times slower)."""
        schema = pa.schema([("line", pa.int32())] + [(name, pa.string()) for name in RAW_COLUMNS])
        relay = BatchRelay(batches)
        incoming = pa.RecordBatchReader.from_batches(schema, relay)  # noqa: F841 (read by DuckDB)
        try:
            self.con.execute("INSERT INTO raw SELECT * FROM incoming")
        except Exception:
            if relay.error is not None:  # the reader's own error (a refused file), not DuckDB's wrapper of it
                raise relay.error from None
            raise

    def prepare(self) -> None:
        con = self.con
        names, dates = f"({_distinct('ho_ten')})", f"({_distinct('ngay_sinh')})"
        con.execute(f"CREATE TABLE names AS {name_select(names, 'text')}")
        con.execute(f"CREATE TABLE dates AS SELECT *, dv_birth_problem_of(birth_text, birth_nums, $as_of) AS problem "
                    f"FROM ({birth_select(dates, 'text')})", {"as_of": self.taken_on})
        con.execute(f"CREATE TABLE sexes AS SELECT *, dv_sex(text) AS sex FROM ({_distinct('gioi_tinh')})")
        con.execute(f"CREATE TABLE addresses AS {_distinct('thuong_tru')}")
        con.execute(f"CREATE TABLE communes AS {_distinct('que_quan_xa')}")
        con.execute(f"CREATE TABLE provinces AS {_distinct('que_quan_tinh')}")
        self._map_places()
        # A citizen ID on several rows: every row after the first is refused.
        con.execute("CREATE TABLE repeated AS SELECT citizen_id, min(line) AS first_line FROM "
                    "(SELECT line, dv_id_text(so_dinh_danh) AS citizen_id FROM raw) "
                    "WHERE regexp_full_match(citizen_id, '[0-9]{12}') GROUP BY citizen_id HAVING count(*) > 1")

    def _map_places(self) -> None:
        """Hometowns mapped to the post-2025 units once per distinct (commune, province), in Python."""
        pairs = self.con.execute(
            "SELECT DISTINCT c.text, p.text FROM (SELECT DISTINCT que_quan_xa, que_quan_tinh FROM raw) r "
            "JOIN communes c ON c.raw = r.que_quan_xa JOIN provinces p ON p.raw = r.que_quan_tinh").fetchall()
        mapped = [(xa, tinh, *hometowns.map_place(xa, "", tinh)) for xa, tinh in pairs]
        self.con.execute("CREATE TABLE places (xa VARCHAR, tinh VARCHAR, hometown_commune VARCHAR, "
                         "hometown_province VARCHAR)")
        if mapped:
            self.con.executemany("INSERT INTO places VALUES (?, ?, ?, ?)", mapped)

    def rows(self) -> Iterator[tuple[pa.RecordBatch, list[dict[str, Any]]]]:
        """(rows to load, rows refused as dicts of `line`, `problems` and the raw columns), batch by
        batch as the join produces them."""
        checks = ", ".join(f"CASE WHEN {sql} THEN '{code}' END" for code, (_column, sql) in _CHECKS.items())
        query = (f"SELECT $snapshot_id::INTEGER AS snapshot_id, j.*, "  # noqa: S608
                 f"list_filter([{checks}], lambda x: x IS NOT NULL) AS problems FROM ({_JOINED}) j")
        reader = self.con.sql(query, params={"snapshot_id": self.snapshot_id}).to_arrow_reader(OUT_BATCH_ROWS)
        for batch in reader:
            bad = pc.greater(pc.list_value_length(batch.column("problems")), 0)
            rejected = batch.filter(bad).select(["line", "problems", "birth_problem", *RAW_COLUMNS]).to_pylist()
            good = batch.filter(pc.invert(bad)).select(list(COLUMNS)).cast(EXTRACT_SCHEMA)
            yield good, rejected

    def close(self) -> None:
        self.con.close()
