"""read_table: a file's type and size checked, its header row found and matched against the
columns of a TableSpec, then its rows parsed one by one as they are iterated."""

from __future__ import annotations

import itertools
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from dangvien.core.tabular.csv_source import csv_rows
from dangvien.core.tabular.parquet_source import ParquetSource
from dangvien.core.tabular.spec import (
    CellError,
    CellProblem,
    Column,
    Parser,
    RawRow,
    Row,
    Table,
    TableSpec,
    TabularFileError,
)
from dangvien.core.tabular.xlsx_source import mb, xlsx_rows
from dangvien.core.text import clean

_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "csv": (".csv", ".txt", ".tsv"), "parquet": (".parquet", ".pq")}
_ZIP_MAGIC, _OLE_MAGIC, _PARQUET_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1"

# A header cell matched to a column: (index in the row, column, header as written).
_Mapped = tuple[int, Column, str]
# A column to read: (index in the row, column name, header as written, parser, blank, texts seen).
_Reading = tuple[int, str, str, Parser, Any, dict[str, Any]]


def read_table(path: pathlib.Path, spec: TableSpec, *, max_bytes: int) -> Table:
    """Open an XLSX (first sheet), CSV or Parquet file of the kinds `spec.formats` allows.

    A refused file raises TabularFileError, here (size, type, encoding, zip bomb, damaged, no
    header row, a column given twice, required columns missing) or while its rows are iterated (a
    CSV record that cannot be read, a damaged Parquet page). Each row holds every read column
    found in the file; a cell's problem is in the row's `errors` and the rest of the row is still
    read. Blank rows, and in XLSX and CSV the rows above the header and the header repeated
    further down (a sheet printed in pages), are skipped.

    Lines: XLSX the row number Excel shows; CSV the line where the record starts (as a text
    editor counts); Parquet the row's index + 1 (header problems are on line 0).
    """
    path = pathlib.Path(path)
    kind = _file_kind(path, spec, max_bytes)
    if kind == "parquet":
        return _parquet_table(ParquetSource(path), spec)
    if kind == "xlsx":
        raw = xlsx_rows(path)
    else:
        raw = csv_rows(path, header_rows=spec.header_rows, score=spec.header_score)
    header_line, header, rest = _find_header(raw, spec)
    mapping = _map_columns(spec, header_line, header)
    repeated = [(index, text) for index, _col, text in mapping]
    return Table(columns=_found(mapping), rows=_rows(rest, _readings(mapping), repeated))


def _parquet_table(source: ParquetSource, spec: TableSpec) -> Table:
    """The header is the schema; only the read columns are read, so cells are in their order."""
    mapping = _map_columns(spec, 0, source.names)
    read = [(index, col, text) for index, col, text in mapping if col.parser]
    rows = source.rows([source.names[index] for index, _col, _text in read])
    in_order = [(position, col, text) for position, (_index, col, text) in enumerate(read)]
    return Table(columns=_found(mapping), rows=_rows(rows, _readings(in_order), None))


# --- the file ------------------------------------------------------------------------------------


def _file_kind(path: pathlib.Path, spec: TableSpec, limit: int) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TabularFileError(_("The file cannot be opened: %(error)s") % {"error": exc.strerror}) from exc
    if size > limit:
        raise TabularFileError(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once. Split it into "
              "several files.") % {"size": mb(size), "limit": mb(limit)})
    if size == 0:
        raise TabularFileError(_("The file is empty."))
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(8)
    return _kind_of(suffix, magic, spec)


def _kind_of(suffix: str, magic: bytes, spec: TableSpec) -> str:
    if "xlsx" in spec.formats and suffix in _SUFFIXES["xlsx"]:
        if not magic.startswith(_ZIP_MAGIC):
            raise TabularFileError(_("This file is not an Excel workbook (.xlsx), although it is named like one. "
                                     "Open it in Excel and save it as .xlsx or as CSV UTF-8."))
        return "xlsx"
    if suffix == ".xls" or magic.startswith(_OLE_MAGIC):
        raise TabularFileError(_("Old Excel files (.xls) are not accepted: save the file as .xlsx or as CSV UTF-8."))
    if "parquet" in spec.formats and suffix in _SUFFIXES["parquet"]:
        if not magic.startswith(_PARQUET_MAGIC):
            raise TabularFileError(_("This file is not a Parquet file, although it is named like one."))
        return "parquet"
    if "csv" in spec.formats and suffix in _SUFFIXES["csv"]:
        if magic.startswith(_ZIP_MAGIC):
            raise TabularFileError(_("This file is a zip archive or workbook, not a CSV file."))
        return "csv"
    formats = ", ".join(_SUFFIXES[f][0] for f in spec.formats)
    raise TabularFileError(spec.wrong_type_message
                           % {"suffix": suffix or _("without an extension"), "formats": formats})


# --- the header ----------------------------------------------------------------------------------


def _find_header(rows: Iterator[RawRow], spec: TableSpec) -> tuple[int, list[Any], Iterator[RawRow]]:
    """The row among the first `spec.header_rows` that names the most known columns, and the rows
    after it; the rows before it (title, unit name, blank lines) are dropped."""
    best: tuple[int, int, list[Any]] | None = None
    seen: list[RawRow] = []
    for row in rows:
        seen.append(row)
        score = spec.header_score(row[1])
        if score >= spec.min_header_matches and (best is None or score > best[0]):
            best = (score, row[0], row[1])
        if len(seen) >= spec.header_rows:
            break
    if best is None:
        examples = ", ".join(f"\"{c.vietnamese}\"" for c in spec.columns if c.required)
        raise TabularFileError(spec.no_header_message % {"n": spec.header_rows, "examples": examples})
    _score, header_line, header = best
    return header_line, header, itertools.chain((r for r in seen if r[0] > header_line), rows)


def _map_columns(spec: TableSpec, header_line: int, header: Iterable[Any]) -> list[_Mapped]:
    mapping: list[_Mapped] = []
    errors: list[CellError] = []
    found: dict[str, str] = {}
    for index, cell in enumerate(header):
        text = clean(str(cell)) if cell not in (None, "") else ""
        col = spec.match(text)
        if col is None:
            continue
        if col.name in found:
            errors.append(CellError(header_line, text, _("The columns \"%(first)s\" and \"%(second)s\" both mean "
                                                         "%(field)s; keep one.")
                                    % {"first": found[col.name], "second": text, "field": col.vietnamese}))
            continue
        found[col.name] = text
        mapping.append((index, col, text))
    missing = [c.vietnamese for c in spec.columns
               if c.required and c.name not in found and spec.alternatives.get(c.name, "") not in found]
    if missing:
        errors.append(CellError(header_line, "", _("Required columns are missing: %(columns)s.")
                                % {"columns": ", ".join(missing)}))
    if errors:
        raise TabularFileError(errors=errors, columns=_found(mapping))
    return mapping


def _found(mapping: list[_Mapped]) -> dict[str, str]:
    """Column name -> the header as written in the file."""
    return {col.name: text for _index, col, text in mapping}


# --- the rows ------------------------------------------------------------------------------------


def _readings(mapping: list[_Mapped]) -> list[_Reading]:
    return [(index, col.name, text, col.parser, col.blank, {}) for index, col, text in mapping if col.parser]


def _rows(rows: Iterator[RawRow], readings: list[_Reading], header: list[tuple[int, str]] | None) -> Iterator[Row]:
    for line, cells, formula_cells in rows:
        if _is_blank(cells):
            continue
        if header is not None and _repeats_header(cells, header):
            continue  # the header repeated (a sheet printed in pages)
        yield _parse_row(line, cells, formula_cells, readings)


def _repeats_header(cells: list[Any], header: list[tuple[int, str]]) -> bool:
    # Stops at the first cell that differs: on a data row, the first one.
    return all(_cell_text(cells, index) == text for index, text in header)


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _cell_text(cells: list[Any], index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return clean(value) if isinstance(value, str) else ""


# Distinct texts remembered at most per column (see _parse_row).
_REMEMBERED = 20_000
_UNSEEN = object()


def _parse_row(line: int, cells: list[Any], formula_cells: frozenset[int], readings: list[_Reading]) -> Row:
    """The row's values and problems. Each column remembers (`seen`) what the texts it met parsed
    to: many columns repeat a few values (sex, places, dates, codes), so each is parsed once and
    the rows share one object per value instead of holding a copy each. Only text is remembered
    (True == 1 as a key) and only values, not problems (their message is made anew); a column
    whose texts do not repeat (names, IDs) stops adding at _REMEMBERED."""
    values: dict[str, Any] = {}
    errors: list[CellError] = []
    width = len(cells)
    for index, name, header, parser, blank, seen in readings:
        raw = cells[index] if index < width else None
        if index in formula_cells:
            errors.append(CellError(line, header, _("Formulas are not accepted: type the value itself.")))
            values[name] = blank
            continue
        if type(raw) is str and (value := seen.get(raw, _UNSEEN)) is not _UNSEEN:
            values[name] = value
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            value = blank
        else:
            try:
                value = parser(raw)
            except CellProblem as problem:
                errors.append(CellError(line, header, str(problem)))
                values[name] = blank
                continue
        values[name] = value
        if type(raw) is str and len(seen) < _REMEMBERED:
            seen[raw] = value
    return Row(line=line, values=values, errors=errors)
