"""read_batches: a CSV or Parquet file of millions of rows as arrow record batches of raw cells,
for callers that check and convert their cells in bulk (SQL, arrow compute) instead of one by one.

The file goes through the same checks as read_table (size, type, encoding, NUL bytes, header row
and columns, Parquet compression bombs); only the rows are read differently:
- CSV: pyarrow's reader, every cell as text as written (not cleaned, not NFC). Lines stay the
  ones a text editor shows, also after a quoted cell that spans lines: one pass over the bytes
  finds where each record starts (a line end outside quotes, counting quote characters), before
  pyarrow reads anything. A file whose quoting that pass cannot follow (a quote inside an unquoted
  cell, lone CR line ends) or that is not UTF-8 or Windows-1258 is read row by row by the exact
  reader of read_table instead (slower, same result).
  A record with another number of cells than the header is read by Python's csv module, as
  read_table reads it (missing cells empty, extra ones ignored).
- Parquet: the mapped columns in their own arrow types (the caller turns numbers and dates into
  text as it needs); a line is the row's index + 1.
Blank rows and, in CSV, the header repeated further down are skipped, as by read_table. Cells are
not parsed: a column's parser is not called, and formulas are the caller's to refuse (a cell
starting with =, @, or + or - before a non-digit: see cells.cell_text).

Each batch has an int32 column `line` and one column per read column found in the file (named by
Column.name). Rows come in file order, except records with a wrong number of cells, which come
in a batch of their own after the others.
"""

from __future__ import annotations

import csv
import pathlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dangvien.core.tabular.csv_source import _encoding, _head, _records, _sniff_delimiter
from dangvien.core.tabular.parquet_source import MAX_BATCH_BYTES, ParquetSource, _check_batch, _damaged
from dangvien.core.tabular.reader import _file_kind, _find_header, _found, _map_columns
from dangvien.core.tabular.spec import CellError, TableSpec, TabularFileError

BATCH_ROWS = 65_536
# A Parquet batch of BATCH_ROWS rows may take at most this once decoded (4 KiB a row on average;
# read_table allows 64 KiB a row over 1,024 rows: a bulk batch holds more rows at once).
MAX_BULK_BATCH_BYTES = 4 * MAX_BATCH_BYTES
_SCAN_CHUNK = 64 * 1024 * 1024
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")


@dataclass
class BulkTable:
    """`columns`: the header text found for each read column (as Table.columns); `batches`: the
    rows, read as iterated (may raise TabularFileError); `mode`: which path reads them."""

    columns: dict[str, str]
    batches: Iterator[Any]
    mode: str  # "arrow" (bulk), "rows" (read_table's row reader) or "parquet"


def read_batches(path: pathlib.Path, spec: TableSpec, *, max_bytes: int, batch_rows: int = BATCH_ROWS) -> BulkTable:
    """Open a CSV or Parquet file as read_table does and return its rows as record batches."""
    path = pathlib.Path(path)
    kind = _file_kind(path, spec, max_bytes)
    if kind == "parquet":
        return _parquet_table(path, spec, batch_rows)
    if kind != "csv":
        raise TabularFileError(spec.wrong_type_message % {"suffix": path.suffix, "formats": ".csv, .parquet"})
    return _csv_table(path, spec, batch_rows)


def _parquet_table(path: pathlib.Path, spec: TableSpec, batch_rows: int) -> BulkTable:
    source = ParquetSource(path)
    mapping = _map_columns(spec, 0, source.names)
    read = [(source.names[index], col.name) for index, col, _text in mapping if col.parser]
    source.rows([file_name for file_name, _name in read])  # refuses nested columns
    return BulkTable(_found(mapping), _parquet_batches(path, read, batch_rows), "parquet")


def _csv_table(path: pathlib.Path, spec: TableSpec, batch_rows: int) -> BulkTable:
    encoding = _encoding(path)
    delimiter = _sniff_delimiter(_head(path, encoding, spec.header_rows), spec.header_score)
    header_line, header, _rest = _find_header(_records(path, encoding, delimiter), spec)
    mapping = _map_columns(spec, header_line, header)
    read = [(index, col.name, text) for index, col, text in mapping if col.parser]
    records = None
    if encoding in ("utf-8", "utf-8-sig", "cp1258"):  # ASCII bytes are ASCII: the byte scan holds
        records = _record_starts(path, delimiter, skip=3 if encoding == "utf-8-sig" else 0)
    if records is None:
        rows = _records(path, encoding, delimiter)
        return BulkTable(_found(mapping), _row_batches(rows, header_line, read, batch_rows), "rows")
    offsets, lines = records
    after_header = int(np.searchsorted(lines, header_line, side="right"))
    batches = _arrow_batches(path, encoding, delimiter, len(header), offsets[after_header:], lines[after_header:],
                             read, batch_rows)
    return BulkTable(_found(mapping), batches, "arrow")


# --- where each CSV record starts ------------------------------------------------------------------


def _record_starts(path: pathlib.Path, delimiter: str, *, skip: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(byte offset, line) of every non-empty record, or None when the quoting is not the plain
    kind this pass follows. A line end is a record end when an even number of quote characters
    precede it; that holds if every quoted cell starts at a cell's start and ends at a cell's end
    ("" inside being a quote): checked for every quote, else None."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    separators = np.zeros(256, dtype=bool)  # the bytes that may stand next to a quote
    separators[[ord(delimiter), _LF, _CR, _QUOTE]] = True
    size = len(data)
    quotes_before, newlines_before = 0, 0
    ends: list[np.ndarray] = []  # positions of the line ends that end a record
    end_lines: list[np.ndarray] = []  # 1-based line of each such line end
    for lo in range(skip, size, _SCAN_CHUNK):
        chunk = data[lo:lo + _SCAN_CHUNK]
        quotes = np.flatnonzero(chunk == _QUOTE) + lo
        newlines = np.flatnonzero(chunk == _LF) + lo
        carriage = np.flatnonzero(chunk == _CR) + lo
        if len(carriage) and not np.all((carriage + 1 < size) & (data[np.minimum(carriage + 1, size - 1)] == _LF)):
            return None  # a lone CR ends a line for pyarrow and csv, not for this count
        if len(quotes) and not _plain_quotes(data, quotes, quotes_before, skip, separators):
            return None
        outside = (quotes_before + np.searchsorted(quotes, newlines)) % 2 == 0
        ends.append(newlines[outside])
        end_lines.append(newlines_before + 1 + np.flatnonzero(outside))
        quotes_before += len(quotes)
        newlines_before += len(newlines)
    if quotes_before % 2:
        return None  # a quote never closed
    record_ends = np.concatenate([*ends, np.array([size], dtype=np.int64)])
    starts = np.concatenate([np.array([skip], dtype=np.int64), record_ends[:-1] + 1])
    start_lines = np.concatenate([np.array([1], dtype=np.int64), np.concatenate(end_lines) + 1 if end_lines else []])
    length = record_ends - starts
    last_cr = (length == 1) & (data[np.minimum(starts, size - 1)] == _CR)
    keep = (length > 0) & ~last_cr & (starts < size)
    return starts[keep], start_lines[keep].astype(np.int64)


def _plain_quotes(data: np.ndarray, quotes: np.ndarray, before: int, skip: int, separators: np.ndarray) -> bool:
    """Every opening quote (an even count before it) follows a separator, the file's start or a
    quote (the second half of ""); every other quote precedes a separator, the end, or a quote."""
    size, first = len(data), before % 2  # the first quote of `quotes` opens when `before` is even
    opening, closing = quotes[first::2], quotes[1 - first::2]
    previous = data[np.maximum(opening - 1, 0)]
    following = data[np.minimum(closing + 1, size - 1)]
    opens_ok = separators[previous] | (opening == skip)
    closes_ok = separators[following] | (closing + 1 >= size)
    return bool(opens_ok.all() and closes_ok.all())


# --- reading ---------------------------------------------------------------------------------------


def _arrow_batches(path: pathlib.Path, encoding: str, delimiter: str, width: int, offsets: np.ndarray,
                   lines: np.ndarray, read: list[tuple[int, str, str]], batch_rows: int) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not len(offsets):
        return
    ragged: list[tuple[int, str]] = []  # (record number from 1, its text): read by the csv module at the end
    skipped: set[int] = set()  # the numbers of the records pyarrow does not return

    def invalid(row: Any) -> str:
        skipped.add(row.number)
        if row.text.strip():  # a line of spaces is a blank row: skipped, as read_table skips it
            ragged.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    options = (pacsv.ReadOptions(column_names=names, block_size=16 << 20, use_threads=False,
                                 encoding="utf8" if encoding.startswith("utf-8") else encoding),
               pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid),
               pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                    quoted_strings_can_be_null=False))
    numbers = _Numbers()
    with path.open("rb") as fh:
        fh.seek(int(offsets[0]))
        try:
            reader = pacsv.open_csv(fh, read_options=options[0], parse_options=options[1], convert_options=options[2])
            for batch in reader:
                at = numbers.take(batch.num_rows, skipped)
                yield from _kept(batch, lines[at - 1], width, read, batch_rows)
        except pa.ArrowInvalid as exc:
            raise TabularFileError(str(exc)) from exc
    if ragged:
        rows = [(int(lines[n - 1]), next(csv.reader([text], delimiter=delimiter), [])) for n, text in ragged]
        yield from _row_batches(iter((line, cells, frozenset()) for line, cells in rows), 0, read, batch_rows)


class _Numbers:
    """The record numbers (from 1) of the rows pyarrow returns: every record but the ragged ones,
    which its handler reports as it parses them, before the batch holding the rows after them."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, count: int, skipped: set[int]) -> np.ndarray:
        span = np.arange(self.next, self.next + count + len(skipped), dtype=np.int64)
        if skipped:
            span = span[~np.isin(span, np.fromiter(skipped, dtype=np.int64))]
        taken = span[:count]
        self.next = int(taken[-1]) + 1 if count else self.next
        return taken


def _kept(batch: Any, lines: np.ndarray, width: int, read: list[tuple[int, str, str]], batch_rows: int) -> Iterator[Any]:
    """The batch's read columns and lines, without its blank rows and repeated headers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    blank = None
    for i in range(width):
        empty = pc.equal(pc.utf8_trim_whitespace(batch.column(i)), "")
        blank = empty if blank is None else pc.and_(blank, empty)
    header_again = np.zeros(batch.num_rows, dtype=bool)
    header_again[_repeated_header(batch, read)] = True
    keep = pc.invert(pc.or_(blank, header_again))
    arrays = [pa.array(lines, pa.int32())] + [batch.column(index) for index, _name, _header in read]
    kept = pa.record_batch(arrays, names=["line", *(name for _index, name, _header in read)]).filter(keep)
    for start in range(0, kept.num_rows, batch_rows):
        yield kept.slice(start, batch_rows)


def _repeated_header(batch: Any, read: list[tuple[int, str, str]]) -> np.ndarray:
    """Indexes of the rows that repeat the header (a file printed in pages), compared as read_table
    does (cleaned: NFC). The rows are narrowed column by column, and normalized only where a cell
    starts with the header's first letter: millions of cells are never normalized."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = pa.array(np.arange(batch.num_rows))
    for index, _name, header in read:
        cells = pc.utf8_trim_whitespace(pc.take(batch.column(index), rows))
        rows = pc.filter(rows, pc.starts_with(cells, unicodedata.normalize("NFD", header)[:1]))
        if not len(rows):
            break
        cells = pc.utf8_normalize(pc.utf8_trim_whitespace(pc.take(batch.column(index), rows)), "NFC")
        rows = pc.filter(rows, pc.equal(cells, header))
    return rows.to_numpy(zero_copy_only=False)


def _row_batches(rows: Iterator[Any], header_line: int, read: list[tuple[int, str, str]],
                 batch_rows: int) -> Iterator[Any]:
    """Records from the row reader (line, cells, formulas) as batches of text, blank rows and
    repeated headers skipped: the exact path, for what the byte scan cannot follow."""
    import pyarrow as pa

    names = ["line", *(name for _index, name, _header in read)]
    columns: list[list[Any]] = [[] for _name in names]
    for line, cells, _formulas in rows:
        if line <= header_line:
            continue
        texts = [cells[index] if index < len(cells) else "" for index, _name, _header in read]
        if all(not c.strip() for c in cells) or all(t.strip() == h for t, (_i, _n, h) in zip(texts, read, strict=True)):
            continue
        columns[0].append(line)
        for values, text in zip(columns[1:], texts, strict=True):
            values.append(text)
        if len(columns[0]) >= batch_rows:
            yield pa.record_batch([pa.array(columns[0], pa.int32())] + [pa.array(c, pa.string()) for c in columns[1:]],
                                  names=names)
            columns = [[] for _name in names]
    if columns[0]:
        yield pa.record_batch([pa.array(columns[0], pa.int32())] + [pa.array(c, pa.string()) for c in columns[1:]],
                              names=names)


def _parquet_batches(path: pathlib.Path, read: list[tuple[str, str]], batch_rows: int) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    line = 1
    try:
        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=[f for f, _n in read], use_threads=False):
                _check_batch(batch, MAX_BULK_BATCH_BYTES)
                lines = pa.array(np.arange(line, line + batch.num_rows), pa.int32())
                line += batch.num_rows
                columns = [batch.column(f) for f, _n in read]
                blank = None
                for column in columns:
                    empty = pc.is_null(column)
                    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                        empty = pc.or_(empty, pc.equal(pc.utf8_trim_whitespace(column), ""))
                    blank = empty if blank is None else pc.and_(blank, empty)
                out = pa.record_batch([lines, *columns], names=["line", *(n for _f, n in read)])
                yield out.filter(pc.invert(blank)) if blank is not None else out
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(exc, line=line) from exc


__all__ = ["BATCH_ROWS", "BulkTable", "CellError", "read_batches"]
