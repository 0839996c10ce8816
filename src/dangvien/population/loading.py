"""An extract file read and normalized in batches, for the snapshot store.

The file is read by core.tabular (encodings, limits, header matching, line numbers), which hands
each cell over as NFC text. Rows are gathered into arrow batches of BATCH_ROWS; each batch is
checked and normalized by DuckDB SQL (population.normalize), its distinct hometowns not seen yet
in this load are mapped (population.hometowns) and joined. A row with a problem is kept out of the
batch and reported with its line and the reasons (every one of them, not the first).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils import translation
from django.utils.translation import gettext as _

from dangvien.core import tabular
from dangvien.core.tabular import CellError, CellProblem
from dangvien.population import hometowns
from dangvien.population.normalize import RAW_COLUMNS, install_macros, person_select
from dangvien.population.store import COLUMNS, EXTRACT_SCHEMA

BATCH_ROWS = 100_000
MAX_EXTRACT_BYTES = 16 * 1024**3


def _text(raw: Any) -> str:
    """Any cell as text: dates from a Parquet date column as ISO, numbers as their digits."""
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return tabular.cell_text(raw)


def _identifier(digits: int) -> tabular.Parser:
    parse = tabular.identifier(digits=digits)

    def parse_id(raw: Any) -> str:
        try:
            return parse(raw)
        except CellProblem:
            return str(raw)  # a number with a fraction: reported as not digits below, with the others

    return parse_id


EXTRACT = tabular.TableSpec(
    columns=(
        tabular.Column("so_dinh_danh", "Số định danh", "citizen_id", aliases=("Số định danh cá nhân", "Số CCCD"),
                       parser=_identifier(12), required=True),
        tabular.Column("so_cmnd", "Số CMND", "old_id", parser=_identifier(9)),
        tabular.Column("ho_ten", "Họ tên", "full_name", aliases=("Họ và tên",), parser=_text, required=True),
        tabular.Column("ngay_sinh", "Ngày sinh", "date_of_birth", parser=_text, required=True),
        tabular.Column("gioi_tinh", "Giới tính", "sex", parser=_text, required=True),
        tabular.Column("que_quan_xa", "Quê quán xã", "hometown_commune", parser=_text),
        tabular.Column("que_quan_tinh", "Quê quán tỉnh", "hometown_province", parser=_text),
        tabular.Column("thuong_tru", "Thường trú", "permanent_residence", parser=_text),
    ),
    formats=("csv", "parquet"),
)

# Reasons found by the SQL (a code per check) and their messages.
_CHECKS = {
    "so_dinh_danh_missing": ("so_dinh_danh", "p.so_dinh_danh = ''"),
    "so_dinh_danh_format": ("so_dinh_danh", "p.so_dinh_danh <> '' AND p.citizen_id IS NULL"),
    "so_dinh_danh_repeated": ("so_dinh_danh", "p.citizen_id IS NOT NULL AND (p.repeat_in_batch OR s.citizen_id IS NOT NULL)"),
    "so_cmnd_format": ("so_cmnd", "p.so_cmnd <> '' AND p.old_id IS NULL AND NOT regexp_full_match(p.so_cmnd, '[0-9]{12}')"),
    "ho_ten_missing": ("ho_ten", "p.name_nfc = ''"),
    "ngay_sinh_missing": ("ngay_sinh", "p.ngay_sinh = ''"),
    "ngay_sinh_problem": ("ngay_sinh", "dv_birth_problem(p.ngay_sinh, $as_of) <> ''"),
    "gioi_tinh_unknown": ("gioi_tinh", "p.gioi_tinh <> '' AND p.sex IS NULL"),
}


def _message(code: str, row: dict[str, Any], as_of: dt.date) -> str:
    value = row.get(_CHECKS[code][0]) or ""
    if code == "so_dinh_danh_missing":
        return _("The citizen ID (so_dinh_danh) is missing.")
    if code == "so_dinh_danh_format":
        return _("\"%(value)s\" is not a citizen ID: it has exactly 12 digits.") % {"value": value[:40]}
    if code == "so_dinh_danh_repeated":
        return _("The citizen ID %(value)s is on an earlier line too.") % {"value": value}
    if code == "so_cmnd_format":
        return _("\"%(value)s\" is not an old ID number (CMND): it has 9 digits.") % {"value": value[:40]}
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
        }[row["birth_problem"]] % {"value": value[:40]}
    return _("\"%(value)s\" is not a sex: Nam or Nữ.") % {"value": value[:40]}


@dataclass
class Loading:
    """What a load found: rejected rows (line, column, message) and counts. Filled as the batches
    are read."""

    path: pathlib.Path
    snapshot_id: int
    taken_on: dt.date
    progress: Callable[[int, int], None] | None = None
    rejections: list[CellError] = field(default_factory=list)
    rejected_lines: int = 0
    read_rows: int = 0  # rows read from the file, rejected ones included
    total_estimate: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The normalized batches (raises TabularFileError for a refused file). The store may
        consume them from a thread of its own (DuckDB does): each step runs in the caller's language,
        so that messages are in it."""
        language = translation.get_language()
        steps = self._batches()
        while True:
            with translation.override(language):
                batch = next(steps, None)
            if batch is None:
                return
            yield batch

    def _batches(self) -> Iterator[pa.RecordBatch]:
        table = tabular.read_table(self.path, EXTRACT, max_bytes=MAX_EXTRACT_BYTES)
        self.total_estimate = _estimate_rows(self.path)
        normalizer = _Normalizer(self.snapshot_id, self.taken_on)
        try:
            for raw in self._raw_batches(table.rows):
                good, rejected = normalizer.run(raw)
                self._reject(rejected)
                if self.progress:
                    self.progress(self.read_rows, max(self.total_estimate, self.read_rows))
                if good.num_rows:
                    yield good
        finally:
            normalizer.close()

    def _raw_batches(self, rows: Iterator[tabular.Row]) -> Iterator[pa.RecordBatch]:
        columns: dict[str, list[Any]] = {name: [] for name in ("line", *RAW_COLUMNS)}
        lines, raw = columns["line"], [(name, columns[name]) for name in RAW_COLUMNS]
        for row in rows:
            if row.errors:  # a cell the reader refused (a formula): the row is not loaded
                self.rejections.extend(row.errors)
                self.rejected_lines += 1
                self.read_rows += 1
                continue
            values = row.values
            self.read_rows += 1
            lines.append(row.line)
            for name, out in raw:
                out.append(values.get(name) or "")
            if len(lines) >= BATCH_ROWS:
                yield _raw_batch(columns)
                for values_list in columns.values():
                    values_list.clear()
        if lines:
            yield _raw_batch(columns)

    def _reject(self, rejected: list[dict[str, Any]]) -> None:
        for row in rejected:
            self.rejected_lines += 1
            for code in row["problems"]:
                self.rejections.append(CellError(row["line"], _CHECKS[code][0], _message(code, row, self.taken_on)))


def _raw_batch(columns: dict[str, list[Any]]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(columns["line"], pa.int32())]
                           + [pa.array(columns[name], pa.string()) for name in RAW_COLUMNS],
                           names=["line", *RAW_COLUMNS])


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


class _Normalizer:
    """One in-memory DuckDB connection for the whole load: the macros, the hometowns mapped so far,
    and the citizen IDs loaded so far (a repeated ID is refused on its later line)."""

    def __init__(self, snapshot_id: int, taken_on: dt.date):
        import duckdb

        self.snapshot_id, self.taken_on = snapshot_id, taken_on
        self.con = duckdb.connect(config={"threads": 2})
        install_macros(self.con)
        self.con.execute("CREATE TABLE places (xa VARCHAR, tinh VARCHAR, hometown_commune VARCHAR, "
                         "hometown_province VARCHAR)")
        self.con.execute("CREATE TABLE seen (citizen_id VARCHAR)")
        checks = ", ".join(f"CASE WHEN {sql} THEN '{code}' END" for code, (_col, sql) in _CHECKS.items())
        self.query = f"""
            WITH p AS (
                SELECT *, count(*) OVER (PARTITION BY citizen_id ORDER BY line
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 1 AS repeat_in_batch
                FROM ({person_select('raw')})
            )
            SELECT p.*, list_filter([{checks}], lambda x: x IS NOT NULL) AS problems,
                   dv_birth_problem(p.ngay_sinh, $as_of) AS birth_problem,
                   coalesce(h.hometown_commune, '') AS hometown_commune,
                   coalesce(h.hometown_province, '') AS hometown_province
            FROM p
            LEFT JOIN seen s ON s.citizen_id = p.citizen_id
            LEFT JOIN places h ON h.xa = dv_clean(p.que_quan_xa) AND h.tinh = dv_clean(p.que_quan_tinh)
            ORDER BY p.line
        """

    def run(self, raw: pa.RecordBatch) -> tuple[pa.RecordBatch, list[dict[str, Any]]]:
        self.con.register("raw", raw)
        self._map_new_places()
        out = self.con.sql(self.query, params={"as_of": self.taken_on}).to_arrow_table()
        self.con.unregister("raw")
        bad = pc.list_value_length(out.column("problems")).to_numpy(zero_copy_only=False) > 0
        rejected = out.filter(pa.array(bad)).select(["line", "problems", "birth_problem", *RAW_COLUMNS]).to_pylist()
        good = out.filter(pa.array(~bad))
        self.con.register("good_ids", good.select(["citizen_id"]))
        self.con.execute("INSERT INTO seen SELECT citizen_id FROM good_ids")
        self.con.unregister("good_ids")
        good = good.append_column("snapshot_id", pa.array([self.snapshot_id] * good.num_rows, pa.int32()))
        batch = good.select(list(COLUMNS)).cast(EXTRACT_SCHEMA).combine_chunks().to_batches()
        return (batch[0] if batch else pa.RecordBatch.from_pylist([], schema=EXTRACT_SCHEMA)), rejected

    def _map_new_places(self) -> None:
        new = self.con.sql("SELECT DISTINCT dv_clean(que_quan_xa) AS xa, dv_clean(que_quan_tinh) AS tinh FROM raw "
                           "EXCEPT SELECT xa, tinh FROM places").fetchall()
        if not new:
            return
        mapped = [(xa, tinh, *hometowns.map_place(xa, "", tinh)) for xa, tinh in new]
        self.con.executemany("INSERT INTO places VALUES (?, ?, ?, ?)", mapped)

    def close(self) -> None:
        self.con.close()
