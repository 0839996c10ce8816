"""Test files built in the test (no binary fixtures in the repository): CSV in any encoding,
Windows-1258 as Excel on Vietnamese Windows writes it, XLSX with cells by type."""

from __future__ import annotations

import datetime as dt
import pathlib
import unicodedata
from collections.abc import Sequence
from typing import Any

import xlsxwriter

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: a precomposed letter where the code page has one (â, ơ, đ...),
    else the base letter followed by a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
            tones = "".join(c for c in decomposed if c in _TONES)
            out += (base + tones).encode("cp1258")
    return bytes(out)


def write_csv(path: pathlib.Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8-sig",
              delimiter: str = ",") -> pathlib.Path:
    lines = [delimiter.join(_csv_cell(c, delimiter) for c in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def _csv_cell(value: Any, delimiter: str) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in (delimiter, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_xlsx(path: pathlib.Path, rows: Sequence[Sequence[Any]], *, start_row: int = 0,
               start_col: int = 0) -> pathlib.Path:
    """Cells written by type: str as strings (never as formulas), numbers, dates as date cells;
    a `Formula("=...")` as a real formula."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            at = (start_row + r, start_col + c)
            if isinstance(value, Formula):
                sheet.write_formula(*at, value.text)
            elif isinstance(value, dt.date):
                sheet.write_datetime(*at, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, int | float):
                sheet.write_number(*at, value)
            elif value is not None:
                sheet.write_string(*at, value)
    workbook.close()
    return path


class Formula:
    def __init__(self, text: str):
        self.text = text
