"""Reading a member import file (XLSX or CSV) into typed rows, with every problem located by line
and column. Nothing here touches the database: planning and applying are in services.py.

Hostile input is expected (docs/import-format.md): the size is checked before reading, a workbook's
zip directory before it is opened (declared sizes, compression ratio), every zip entry is
decompressed with its CRC checked (so a directory that lies about sizes is caught), formulas are
never evaluated and are refused, and any failure of the underlying readers becomes a clear
file-level error instead of an exception.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import pathlib
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from dangvien.core.text import clean
from dangvien.imports.columns import (
    ALTERNATIVES,
    BY_FIELD,
    REQUIRED_FIELDS,
    Column,
    Kind,
    header_key,
    match_header,
)
from dangvien.members.models import ServiceBackground, Sex, Status

# How far down the header row may be (title rows, blank lines and notes above it).
HEADER_SEARCH_ROWS = 20
# A header row must name at least this many known columns: one matching word in a title row is
# not a header.
MIN_HEADER_MATCHES = 3
# Limits on a workbook's zip: the total declared uncompressed size, and the compression ratio of
# any entry over 1 MiB. Real workbooks compress 5-20 times (a 141,794-member register: see
# docs/import-format.md); zip bombs compress hundreds to millions of times.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 1000
_CHUNK = 1024 * 1024

# Characters that make a spreadsheet treat a cell as a formula (CSV injection). "+" and "-" are
# refused only before a non-digit, so "+84912345678" and "-5" stay values.
FORMULA_STARTS = ("=", "@")
SIGN_STARTS = ("+", "-")
# What the export prefixes with an apostrophe (export.py); the reader takes the apostrophe off again.
ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 in the 1900 date system (Excel's bug included)
MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31


@dataclass(frozen=True)
class CellError:
    line: int  # 1-based line/row as the user sees it in Excel; 0 for the whole file
    column: str  # the header as written in the file, or "" for whole-row/file problems
    message: str

    def __str__(self) -> str:
        where = f"{self.line}" if self.line else ""
        if self.column:
            where = f"{where} [{self.column}]" if where else self.column
        return f"{where}: {self.message}" if where else self.message


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    file_errors: list[CellError]
    columns: dict[str, str]  # field name -> header text found

    @property
    def ok(self) -> bool:
        return not self.file_errors


class ImportFileError(Exception):
    """The whole file is refused. `read_member_file` turns it into `ParsedFile.file_errors`."""

    def __init__(self, message: str, *, line: int = 0, column: str = ""):
        super().__init__(message)
        self.error = CellError(line=line, column=column, message=message)


# --- entry point -------------------------------------------------------------------------------


def read_member_file(path: pathlib.Path, *, max_bytes: int | None = None) -> ParsedFile:
    """Read an XLSX (first sheet) or CSV member file.

    Never raises on a bad file: a refused file comes back with `file_errors` set and no rows
    (encoding, size, zip bomb, corrupt workbook, no header row, required columns missing). Problems
    in single cells are in each row's `errors`; the row's other values are still parsed.
    """
    path = pathlib.Path(path)
    limit = max_bytes if max_bytes is not None else settings.DANGVIEN["IMPORT_MAX_BYTES"]
    try:
        table = _load(path, limit)
        return _parse(table)
    except ImportFileError as exc:
        return ParsedFile(rows=[], file_errors=[exc.error], columns={})


# A raw row: (line, cells, indexes of the cells that held a formula).
_RawRow = tuple[int, list[Any], frozenset[int]]


@dataclass
class _Table:
    rows: Iterator[_RawRow]


def _load(path: pathlib.Path, limit: int) -> _Table:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(_("The file cannot be opened: %(error)s") % {"error": exc.strerror}) from exc
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once. Split it into "
              "several files.") % {"size": _mb(size), "limit": _mb(limit)})
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(8)
    if suffix in {".xlsx", ".xlsm"}:
        if not magic.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("This file is not an Excel workbook (.xlsx), although it is named like one. "
                                    "Open it in Excel and save it as .xlsx or as CSV UTF-8."))
        return _load_xlsx(path)
    if suffix == ".xls" or magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) are not accepted: save the file as .xlsx or as CSV UTF-8."))
    if suffix in {".csv", ".txt", ".tsv"}:
        if magic.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("This file is a zip archive or workbook, not a CSV file."))
        return _load_csv(path)
    raise ImportFileError(_("Import an .xlsx or .csv file (this one is %(suffix)s).")
                          % {"suffix": suffix or _("without an extension")})


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


# --- XLSX --------------------------------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# A formula element <f> (any namespace prefix). Inside the XML "<" only starts markup (text holds
# "&lt;"), so a byte search is exact and costs little next to decompressing.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _load_xlsx(path: pathlib.Path) -> _Table:
    try:
        with zipfile.ZipFile(path) as zf:
            _check_zip_directory(zf)
            sheet_name = _first_sheet_entry(zf)
            formulas = _verify_entries(zf, sheet_name)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ET.ParseError, KeyError,
            NotImplementedError, ValueError, RuntimeError) as exc:
        raise ImportFileError(_("The workbook is damaged and cannot be read (%(error)s). Open it in Excel and "
                                "save it again.") % {"error": exc}) from exc
    return _Table(rows=_calamine_rows(path, formulas))


def _check_zip_directory(zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from its directory alone, before anything is decompressed."""
    entries = zf.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportFileError(_("The workbook holds %(n)s parts; a real one holds a few dozen. It is refused.")
                              % {"n": len(entries)})
    total = 0
    for info in entries:
        total += info.file_size
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise ImportFileError(
                _("The workbook is refused: its part %(name)s expands %(ratio)s times (a zip bomb?). Real "
                  "workbooks expand less than %(max)s times.")
                % {"name": info.filename, "ratio": info.file_size // max(info.compress_size, 1),
                   "max": MAX_COMPRESSION_RATIO})
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(_("The workbook is refused: it expands to %(size)s MB, more than %(max)s MB.")
                              % {"size": _mb(total), "max": _mb(MAX_UNCOMPRESSED_BYTES)})


def _first_sheet_entry(zf: zipfile.ZipFile) -> str:
    """The zip entry of the workbook's first sheet (the one python-calamine reads as index 0)."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("This zip file is not an Excel workbook (it has no xl/workbook.xml)."))
    workbook = ET.fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find(f"{{{_MAIN_NS}}}sheets/{{{_MAIN_NS}}}sheet")
    if sheet is None:
        raise ImportFileError(_("The workbook has no sheet."))
    rel_id = sheet.get(f"{{{_REL_NS}}}id")
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            entry = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            entry = re.sub(r"[^/]+/\.\./", "", entry)
            if entry in names:
                return entry
    raise ImportFileError(_("The workbook's first sheet is missing."))


def _verify_entries(zf: zipfile.ZipFile, sheet_entry: str) -> dict[int, set[int]]:
    """Decompress every entry in bounded chunks (zipfile stops at the declared size and checks the
    CRC, so a directory that understates a size fails here, before python-calamine sees the file),
    and find the first sheet's formula cells on the way: {row (1-based): {column index (0-based)}}.

    python-calamine gives a formula cell's cached value only, so the sheet's XML is the one place
    that tells a typed value from a formula."""
    formulas: dict[int, set[int]] = {}
    exact = True
    for info in zf.infolist():
        if info.is_dir():
            continue
        with zf.open(info) as stream:
            carry = b""
            while chunk := stream.read(_CHUNK):
                if info.filename != sheet_entry or not exact:
                    continue
                data = carry + chunk
                # Cut at the last closing tag: a cell's start tag and its <f> are never split by one.
                cut = data.rfind(b"</")
                cut = len(data) if cut < 0 else cut
                exact = _scan_formulas(data[:cut], formulas)
                carry = data[cut:]
            if info.filename == sheet_entry and exact and carry:
                exact = _scan_formulas(carry, formulas)
    if not exact:
        return _formula_cells(zf, sheet_entry)
    return formulas


_CELL_REF_ATTR = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')


def _scan_formulas(data: bytes, formulas: dict[int, set[int]]) -> bool:
    """Add the formula cells in this piece of sheet XML; False if a formula cell's reference cannot
    be read from its own start tag (a writer that omits r="A1"), so the slow parse must decide."""
    for match in _FORMULA_TAG.finditer(data):
        start = max(0, match.start() - 512)
        open_at = max(data.rfind(b"<c ", start, match.start()), data.rfind(b":c ", start, match.start()))
        if open_at < 0 or b"</" in data[open_at:match.start()]:
            return False
        ref = _CELL_REF_ATTR.search(data, open_at, match.start())
        if ref is None:
            return False
        formulas.setdefault(int(ref.group(2)), set()).add(_column_index(ref.group(1).decode()))
    return True


def _formula_cells(zf: zipfile.ZipFile, sheet_entry: str) -> dict[int, set[int]]:
    """The formula cells by a full XML parse, which follows cells without a reference too."""
    cells: dict[int, set[int]] = {}
    row_number = 0
    col_number = -1
    cell_tag, row_tag, formula_tag = f"{{{_MAIN_NS}}}c", f"{{{_MAIN_NS}}}row", f"{{{_MAIN_NS}}}f"
    with zf.open(sheet_entry) as stream:
        for event, element in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                if element.tag == row_tag:
                    row_number = int(element.get("r") or row_number + 1)
                    col_number = -1
                elif element.tag == cell_tag:
                    ref = _CELL_REF.fullmatch(element.get("r") or "")
                    col_number = _column_index(ref.group(1)) if ref else col_number + 1
                elif element.tag == formula_tag:
                    cells.setdefault(row_number, set()).add(col_number)
            elif element.tag == row_tag:
                element.clear()
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _calamine_rows(path: pathlib.Path, formulas: dict[int, set[int]]) -> Iterator[_RawRow]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        first_column = sheet.start[1] if sheet.start else 0
        rows = sheet.iter_rows()
    except Exception as exc:  # the reader's own error types vary by version; any failure is a damaged file
        raise ImportFileError(_("The workbook cannot be read (%(error)s). Open it in Excel and save it again.")
                              % {"error": exc}) from exc
    # iter_rows starts at the sheet's first row (line 1) and at its first used column.
    empty: frozenset[int] = frozenset()
    for index, cells in enumerate(rows):
        line = index + 1
        marked = formulas.get(line)
        yield line, cells, frozenset(c - first_column for c in marked) if marked else empty


# --- CSV ---------------------------------------------------------------------------------------


def _load_csv(path: pathlib.Path) -> _Table:
    text = _decode(path.read_bytes())
    if "\x00" in text:
        raise ImportFileError(_("The file holds NUL characters: it is not a text (CSV) file."))
    delimiter = _sniff_delimiter(text)
    return _Table(rows=_csv_rows(text, delimiter))


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _decode_with(data[len(codecs.BOM_UTF8):], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_with(data, "utf-16")
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Windows-1258, the legacy Vietnamese code page (Excel's "CSV" on Vietnamese Windows): it writes
    # some tones as combining marks, which NFC composes. It decodes nearly any bytes, so the result
    # is accepted only if every non-ASCII character is Vietnamese (TCVN3/VNI font encodings and
    # other code pages then come out as symbols and are refused).
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        text = ""
    if text and all(ch in _VIETNAMESE_CHARS for ch in set(text) if ord(ch) > 127):
        return text
    raise ImportFileError(_("The file's text encoding is not recognized (it is not UTF-8). In Excel choose "
                            "File › Save As › \"CSV UTF-8 (Comma delimited)\" and import that file."))


def _decode_with(data: bytes, encoding: str) -> str:
    try:
        return unicodedata.normalize("NFC", data.decode(encoding))
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1 if encoding == "utf-8" else 0
        raise ImportFileError(_("The file says it is %(encoding)s but holds invalid bytes. Save it again as "
                                "\"CSV UTF-8\".") % {"encoding": encoding.upper()}, line=line) from exc


def _vietnamese_chars() -> frozenset[str]:
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones} | {"đ"}
    letters |= {ch.upper() for ch in letters}
    # Typographic punctuation a Vietnamese Windows spreadsheet may hold.
    return frozenset(letters | set("\u00a0–—‘’“”…•°·«»§©®±×÷€£¥¢¤µ¶") | {"Ð"})


_VIETNAMESE_CHARS = _vietnamese_chars()


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel on Vietnamese Windows, whose decimal separator is the comma) or tab:
    the one under which the header row names the most columns."""
    head = "\n".join(_first_lines(text, HEADER_SEARCH_ROWS))
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(head), delimiter=delimiter))
        except csv.Error:
            continue
        score = max((_header_score(r) for r in rows), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _first_lines(text: str, count: int) -> list[str]:
    """text.splitlines()[:count], without splitting a whole province's file to look at its head.
    A piece that holds more than count + 1 lines holds the first count lines whole."""
    size = 64 * 1024
    while True:
        lines = text[:size].splitlines()
        if len(lines) > count + 1 or size >= len(text):
            return lines[:count]
        size *= 4


# A line as io.StringIO(text, newline="") yields it: up to and including "\r\n", "\r" or "\n".
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    # Not io.StringIO: it copies the text to 4 bytes a character before the first read (a province's
    # file would take 140 MB more).
    return (match.group() for match in _LINE.finditer(text))


def _csv_rows(text: str, delimiter: str) -> Iterator[_RawRow]:
    reader = csv.reader(_lines(text), delimiter=delimiter)
    empty: frozenset[int] = frozenset()
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(_("Line %(line)s cannot be read as CSV: %(error)s")
                                  % {"line": reader.line_num, "error": exc}, line=reader.line_num) from exc
        yield line, cells, empty
        line = reader.line_num + 1  # a quoted cell may span lines: the next record starts after them


# --- parsing -----------------------------------------------------------------------------------


def _header_score(cells: list[Any]) -> int:
    return len({col.field for cell in cells if isinstance(cell, str) and (col := match_header(cell))
                and col.kind != Kind.IGNORED})


def _parse(table: _Table) -> ParsedFile:
    header_line, header, rows = _find_header(iter(table.rows))
    mapping, file_errors = _map_columns(header_line, header)
    columns = {col.field: text for _, col, text in mapping}
    if file_errors:
        return ParsedFile(rows=[], file_errors=file_errors, columns=columns)
    parsers: list[tuple[int, Column, str, _Parser, dict[str, Any]]] = [
        (index, col, text, _PARSERS[col.kind], {}) for index, col, text in mapping if col.kind != Kind.IGNORED]
    parsed: list[ParsedRow] = []
    for line, cells, formula_cells in rows:
        if _is_blank(cells):
            continue
        if _repeats_header(cells, mapping):
            continue  # the header repeated (a sheet printed in pages)
        parsed.append(_parse_row(line, cells, formula_cells, parsers))
    return ParsedFile(rows=parsed, file_errors=[], columns=columns)


def _repeats_header(cells: list[Any], mapping: list[tuple[int, Column, str]]) -> bool:
    # Stops at the first cell that differs: on a data row, the first one.
    return all(_cell_text(cells, index) == text for index, _, text in mapping)


def _find_header(rows: Iterator[_RawRow]) -> tuple[int, list[Any], Iterator[_RawRow]]:
    """The row among the first HEADER_SEARCH_ROWS that names the most known columns, and the rows
    after it; the rows before it (title, unit name, blank lines) are dropped."""
    best: tuple[int, int, list[Any]] | None = None
    seen: list[_RawRow] = []
    for row in rows:
        seen.append(row)
        score = _header_score(row[1])
        if score >= MIN_HEADER_MATCHES and (best is None or score > best[0]):
            best = (score, row[0], row[1])
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ImportFileError(
            _("No header row found in the first %(n)s rows. The header row names the columns, e.g. "
              "\"Họ và tên\", \"Giới tính\", \"Ngày sinh\", \"Ngày vào Đảng\", \"Mã chi bộ\" (see the template file).")
            % {"n": HEADER_SEARCH_ROWS})
    _score, header_line, header = best
    return header_line, header, itertools.chain((r for r in seen if r[0] > header_line), rows)


def _map_columns(header_line: int, header: list[Any]) -> tuple[list[tuple[int, Column, str]], list[CellError]]:
    mapping: list[tuple[int, Column, str]] = []
    errors: list[CellError] = []
    found: dict[str, str] = {}
    for index, cell in enumerate(header):
        text = clean(str(cell)) if cell not in (None, "") else ""
        col = match_header(text)
        if col is None:
            continue
        if col.field in found:
            errors.append(CellError(header_line, text, _("The columns \"%(first)s\" and \"%(second)s\" both mean "
                                                         "%(field)s; keep one.")
                                    % {"first": found[col.field], "second": text, "field": col.vietnamese}))
            continue
        found[col.field] = text
        mapping.append((index, col, text))
    missing = [BY_FIELD[f].vietnamese for f in REQUIRED_FIELDS
               if f not in found and ALTERNATIVES.get(f, "") not in found]
    if missing:
        errors.append(CellError(header_line, "", _("Required columns are missing: %(columns)s.")
                                % {"columns": ", ".join(missing)}))
    return mapping, errors


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _cell_text(cells: list[Any], index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return clean(value) if isinstance(value, str) else ""


# Distinct texts remembered at most per column (see _parse_row).
_REMEMBERED = 20_000
_UNSEEN = object()


def _parse_row(line: int, cells: list[Any], formula_cells: frozenset[int],
               parsers: list[tuple[int, Column, str, _Parser, dict[str, Any]]]) -> ParsedRow:
    """The row's values and problems. Each column remembers (`seen`) what the texts it met parsed
    to: most columns repeat a few values (sex, ethnicity, status, cell code, the dates), so each is
    parsed once and a province's rows share one object per value instead of holding a copy each.
    Only text is remembered (True == 1 as a key) and only values, not problems (their message is
    made anew); a column whose texts do not repeat (names, IDs) stops adding at _REMEMBERED."""
    values: dict[str, Any] = {}
    errors: list[CellError] = []
    width = len(cells)
    for index, col, text, parser, seen in parsers:
        raw = cells[index] if index < width else None
        if index in formula_cells:
            errors.append(CellError(line, text, _("Formulas are not accepted: type the value itself.")))
            values[col.field] = _blank(col)
            continue
        if type(raw) is str and (value := seen.get(raw, _UNSEEN)) is not _UNSEEN:
            values[col.field] = value
            continue
        try:
            value = parser(raw, col)
        except _CellProblem as problem:
            errors.append(CellError(line, text, str(problem)))
            values[col.field] = _blank(col)
            continue
        values[col.field] = value
        if type(raw) is str and len(seen) < _REMEMBERED:
            seen[raw] = value
    _settle_birth(values)
    return ParsedRow(line=line, values=values, errors=errors)


def _settle_birth(values: dict[str, Any]) -> None:
    """A year alone in the date-of-birth column gives the year of birth only (it is sometimes all
    that is known); a full date gives its year unless a year column says otherwise."""
    if "date_of_birth" not in values:
        return
    birth = values["date_of_birth"]
    if isinstance(birth, _YearOnly):
        values["date_of_birth"] = None
        if values.get("birth_year") is None:
            values["birth_year"] = birth.year
    elif birth is not None and values.get("birth_year") is None:
        values["birth_year"] = birth.year
    else:
        values.setdefault("birth_year", None)


# --- cell values -------------------------------------------------------------------------------


class _CellProblem(ValueError):
    pass


@dataclass(frozen=True)
class _YearOnly:
    year: int


_Parser = Callable[[Any, Column], Any]
_NULLABLE_TEXT = frozenset({"citizen_id", "profile_number", "card_number"})


def _blank(col: Column) -> Any:
    if col.kind in {Kind.DATE, Kind.YEAR, Kind.STATUS, Kind.BOOLEAN} or col.field in _NULLABLE_TEXT:
        return None
    return ""


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _text_of(raw: Any) -> str:
    """A cell's text, NFC-cleaned; formulas (a CSV cell, or a text cell, starting like one) refused.
    An apostrophe the export put in front of such a start is taken off again."""
    if isinstance(raw, str):
        text = clean(raw)
    elif isinstance(raw, bool):
        text = _("yes") if raw else _("no")
    elif isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime | dt.date):
        text = raw.strftime("%d/%m/%Y")
    else:
        text = clean(str(raw))
    if text[:1] == "'" and text[1:2] in ESCAPED_STARTS:
        return text[1:]
    if text[:1] in FORMULA_STARTS or (text[:1] in SIGN_STARTS and len(text) > 1 and not text[1].isdigit()):
        raise _CellProblem(_("Formulas are not accepted: type the value itself (\"%(value)s\").")
                           % {"value": text[:40]})
    return text


def _parse_text(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return _blank(col)
    return _text_of(raw)


# Numbers typed into an identifier column lose their leading zeros in Excel (a citizen ID starts
# with 0; a phone number too). Put them back to the field's length.
_ZERO_PADDED = {"citizen_id": 12, "old_id_number": 9}


def _parse_identifier(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return _blank(col)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if not float(raw).is_integer():
            raise _CellProblem(_("%(value)s is not a valid number here.") % {"value": raw})
        digits = str(int(raw))
        if col.field in _ZERO_PADDED:
            return digits.zfill(_ZERO_PADDED[col.field])
        if col.field == "phone" and len(digits) in (9, 10):
            return "0" + digits
        return digits
    return _text_of(raw)


_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


def _parse_date(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise _CellProblem(_("%(value)s is not a date.") % {"value": raw})
    if isinstance(raw, int | float):
        return _number_date(raw, col)
    text = _text_of(raw)
    if match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif re.fullmatch(r"[0-9]{4,5}", text):
        return _number_date(int(text), col)
    else:
        raise _CellProblem(_("\"%(value)s\" is not a date: write it as dd/mm/yyyy, e.g. 17/05/1980.")
                           % {"value": text[:40]})
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _CellProblem(_("%(value)s is not a date: there is no such day.") % {"value": text}) from None


def _number_date(number: float, col: Column) -> Any:
    """A number in a date column: a year (1900-2100) or an Excel serial date. The two ranges cannot
    be confused for the dates of living members (serials 1900-2100 are days of 1905)."""
    if float(number).is_integer() and 1900 <= number <= 2100:
        if col.field == "date_of_birth":
            return _YearOnly(int(number))
        raise _CellProblem(_("Only the year %(year)s is given: write the full date as dd/mm/yyyy.")
                           % {"year": int(number)})
    if not 1 <= number <= MAX_EXCEL_SERIAL:
        raise _CellProblem(_("%(value)s is not a date.") % {"value": number})
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def _parse_year(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return None
    text = str(int(raw)) if isinstance(raw, int | float) and float(raw).is_integer() else _text_of(raw)
    if not re.fullmatch(r"[0-9]{4}", text):
        raise _CellProblem(_("\"%(value)s\" is not a year.") % {"value": text[:40]})
    return int(text)


def _labels(choices: type, extra: dict[str, str]) -> dict[str, str]:
    """Header-keyed value, English label and Vietnamese label of each choice, plus common spellings."""
    table: dict[str, str] = {}
    for value, label in choices.choices:  # type: ignore[attr-defined]
        if value == "":
            continue
        table[header_key(value)] = str(value)
        for language in ("en", "vi"):
            with translation.override(language):
                table[header_key(str(label))] = str(value)
    table.update({header_key(k): str(v) for k, v in extra.items()})
    return table


_SEX_EXTRA: dict[str, str] = {"Nam": Sex.MALE, "Nữ": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE, "m": Sex.MALE,
              "f": Sex.FEMALE, "Trai": Sex.MALE, "Gái": Sex.FEMALE}
_STATUS_EXTRA: dict[str, str] = {
    "Đảng viên dự bị": Status.PROBATIONARY, "ĐV dự bị": Status.PROBATIONARY,
    "Đảng viên chính thức": Status.OFFICIAL, "ĐV chính thức": Status.OFFICIAL,
    "Miễn sinh hoạt": Status.EXEMPTED, "Miễn công tác, sinh hoạt": Status.EXEMPTED,
    "Miễn công tác và sinh hoạt đảng": Status.EXEMPTED,
    "Chuyển sinh hoạt tạm thời": Status.TEMPORARILY_OUT, "Sinh hoạt tạm thời nơi khác": Status.TEMPORARILY_OUT,
    "Chuyển sinh hoạt chính thức": Status.TRANSFERRED_OUT, "Đã chuyển đi": Status.TRANSFERRED_OUT,
    "Xóa tên": Status.REMOVED, "Xoá tên": Status.REMOVED, "Khai trừ": Status.EXPELLED,
    "Từ trần": Status.DECEASED, "Đã mất": Status.DECEASED, "Qua đời": Status.DECEASED,
}
_SERVICE_EXTRA: dict[str, str] = {"QĐ": ServiceBackground.ARMY, "Quân nhân": ServiceBackground.ARMY, "CA": ServiceBackground.POLICE,
                  "Hưu trí": ServiceBackground.RETIRED, "Hưu": ServiceBackground.RETIRED,
                  "Không": ServiceBackground.NONE}
_BOOLEANS = {header_key(k): v for k, v in {
    "Có": True, "x": True, "yes": True, "true": True, "1": True, "y": True, "c": True,
    "Không": False, "no": False, "false": False, "0": False, "n": False, "k": False,
}.items()}
_CHOICE_TABLES: dict[Kind, dict[str, str]] = {}


def _choice_table(kind: Kind) -> dict[str, str]:
    # Built on first use: the labels are translated, so the translation machinery must be ready.
    if kind not in _CHOICE_TABLES:
        choices, extra = {Kind.SEX: (Sex, _SEX_EXTRA), Kind.STATUS: (Status, _STATUS_EXTRA),
                          Kind.SERVICE: (ServiceBackground, _SERVICE_EXTRA)}[kind]
        _CHOICE_TABLES[kind] = _labels(choices, extra)
    return _CHOICE_TABLES[kind]


def _parse_choice(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return _blank(col)
    text = _text_of(raw)
    value = _choice_table(col.kind).get(header_key(text))
    if value is None:
        hints = {Kind.SEX: _("write Nam or Nữ"),
                 Kind.STATUS: _("write e.g. Chính thức, Dự bị, Miễn công tác và sinh hoạt, Đã từ trần"),
                 Kind.SERVICE: _("write Quân đội, Công an, Nghỉ hưu or leave it empty")}[col.kind]
        raise _CellProblem(_("\"%(value)s\" is not understood: %(hint)s.") % {"value": text[:40], "hint": hints})
    return value


def _parse_boolean(raw: Any, col: Column) -> Any:
    if _is_empty(raw):
        return None
    if isinstance(raw, bool):
        return raw
    text = _text_of(raw)
    if (value := _BOOLEANS.get(header_key(text))) is None:
        raise _CellProblem(_("\"%(value)s\" is not understood: write Có or Không.") % {"value": text[:40]})
    return value


_PARSERS: dict[Kind, _Parser] = {
    Kind.TEXT: _parse_text,
    Kind.IDENTIFIER: _parse_identifier,
    Kind.DATE: _parse_date,
    Kind.YEAR: _parse_year,
    Kind.SEX: _parse_choice,
    Kind.STATUS: _parse_choice,
    Kind.SERVICE: _parse_choice,
    Kind.BOOLEAN: _parse_boolean,
}
