"""XLSX: the first sheet's rows through python-calamine, after the zip has been checked.

A workbook is a zip: its directory is checked before anything is decompressed (entry count,
declared sizes, compression ratio), then every entry is decompressed in bounded chunks with its
CRC checked (a directory that lies about sizes is caught), and the first sheet's formula cells are
found on the way: python-calamine gives a formula's cached value only, and formulas are refused,
never evaluated.
"""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator

from django.utils.translation import gettext as _

from dangvien.core.tabular.spec import RawRow, TabularFileError

# Limits on a workbook's zip: the total declared uncompressed size, and the compression ratio of
# any entry over 1 MiB. Real workbooks compress 5-20 times (a 141,794-member register: see
# docs/import-format.md); zip bombs compress hundreds to millions of times.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 1000
_CHUNK = 1024 * 1024


def mb(size: int) -> str:
    """A size in MB as messages show it: 64, 1.5."""
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# A formula element <f> (any namespace prefix). Inside the XML "<" only starts markup (text holds
# "&lt;"), so a byte search is exact and costs little next to decompressing.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def xlsx_rows(path: pathlib.Path) -> Iterator[RawRow]:
    try:
        with zipfile.ZipFile(path) as zf:
            _check_zip_directory(zf)
            sheet_name = _first_sheet_entry(zf)
            formulas = _verify_entries(zf, sheet_name)
    except TabularFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ET.ParseError, KeyError,
            NotImplementedError, ValueError, RuntimeError) as exc:
        raise TabularFileError(_("The workbook is damaged and cannot be read (%(error)s). Open it in Excel and "
                                 "save it again.") % {"error": exc}) from exc
    return _calamine_rows(path, formulas)


def _check_zip_directory(zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from its directory alone, before anything is decompressed."""
    entries = zf.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise TabularFileError(_("The workbook holds %(n)s parts; a real one holds a few dozen. It is refused.")
                               % {"n": len(entries)})
    total = 0
    for info in entries:
        total += info.file_size
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise TabularFileError(
                _("The workbook is refused: its part %(name)s expands %(ratio)s times (a zip bomb?). Real "
                  "workbooks expand less than %(max)s times.")
                % {"name": info.filename, "ratio": info.file_size // max(info.compress_size, 1),
                   "max": MAX_COMPRESSION_RATIO})
    if total > MAX_UNCOMPRESSED_BYTES:
        raise TabularFileError(_("The workbook is refused: it expands to %(size)s MB, more than %(max)s MB.")
                               % {"size": mb(total), "max": mb(MAX_UNCOMPRESSED_BYTES)})


def _first_sheet_entry(zf: zipfile.ZipFile) -> str:
    """The zip entry of the workbook's first sheet (the one python-calamine reads as index 0)."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        raise TabularFileError(_("This zip file is not an Excel workbook (it has no xl/workbook.xml)."))
    workbook = ET.fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find(f"{{{_MAIN_NS}}}sheets/{{{_MAIN_NS}}}sheet")
    if sheet is None:
        raise TabularFileError(_("The workbook has no sheet."))
    rel_id = sheet.get(f"{{{_REL_NS}}}id")
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            entry = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            entry = re.sub(r"[^/]+/\.\./", "", entry)
            if entry in names:
                return entry
    raise TabularFileError(_("The workbook's first sheet is missing."))


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


def _calamine_rows(path: pathlib.Path, formulas: dict[int, set[int]]) -> Iterator[RawRow]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        first_column = sheet.start[1] if sheet.start else 0
        rows = sheet.iter_rows()
    except Exception as exc:  # the reader's own error types vary by version; any failure is a damaged file
        raise TabularFileError(_("The workbook cannot be read (%(error)s). Open it in Excel and save it again.")
                               % {"error": exc}) from exc
    # iter_rows starts at the sheet's first row (line 1) and at its first used column.
    empty: frozenset[int] = frozenset()
    for index, cells in enumerate(rows):
        line = index + 1
        marked = formulas.get(line)
        yield line, cells, frozenset(c - first_column for c in marked) if marked else empty
