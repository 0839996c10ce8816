"""CSV: the encoding, the delimiter and the records, streamed.

The file is decoded in chunks: one pass settles the encoding (and refuses NUL bytes), then the
records are read through a text stream, so a file of millions of lines is never held whole.
Values are not NFC-normalized here: every parser cleans its text (core.text.clean), and header
matching folds it.
"""

from __future__ import annotations

import codecs
import csv
import io
import pathlib
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from dangvien.core.tabular.spec import NO_FORMULAS, RawRow, TabularFileError

_CHUNK = 1024 * 1024


def csv_rows(path: pathlib.Path, *, header_rows: int, score: Callable[[list[Any]], int]) -> Iterator[RawRow]:
    """The records of a CSV file with their first line. The delimiter is the one under which a row
    among the first `header_rows` lines scores best (`score`: how many known columns it names)."""
    encoding = _encoding(path)
    delimiter = _sniff_delimiter(_head(path, encoding, header_rows), score)
    return _records(path, encoding, delimiter)


# --- encoding ----------------------------------------------------------------------------------


def _encoding(path: pathlib.Path) -> str:
    """UTF-8 with or without a BOM, UTF-16 with a BOM, or Windows-1258 when every non-ASCII
    character it gives is Vietnamese. Refuses any other encoding, and NUL characters."""
    with path.open("rb") as fh:
        start = fh.read(len(codecs.BOM_UTF8))
    if start.startswith(codecs.BOM_UTF8):
        return _declared(path, "utf-8", skip=len(codecs.BOM_UTF8), stream_encoding="utf-8-sig")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _declared(path, "utf-16", skip=0, stream_encoding="utf-16")
    for encoding in ("utf-8", "cp1258"):
        try:
            _scan(path, encoding, skip=0, vietnamese_only=encoding == "cp1258")
        except (UnicodeDecodeError, _NotVietnamese):
            continue
        return encoding
    raise TabularFileError(_("The file's text encoding is not recognized (it is not UTF-8). In Excel choose "
                             "File › Save As › \"CSV UTF-8 (Comma delimited)\" and import that file."))


def _declared(path: pathlib.Path, encoding: str, *, skip: int, stream_encoding: str) -> str:
    try:
        _scan(path, encoding, skip=skip, vietnamese_only=False)
    except _BadBytes as exc:
        line = exc.line if encoding == "utf-8" else 0
        raise TabularFileError(_("The file says it is %(encoding)s but holds invalid bytes. Save it again as "
                                 "\"CSV UTF-8\".") % {"encoding": encoding.upper()}, line=line) from exc
    return stream_encoding


class _BadBytes(UnicodeDecodeError):
    line: int


class _NotVietnamese(Exception):
    pass


def _scan(path: pathlib.Path, encoding: str, *, skip: int, vietnamese_only: bool) -> None:
    """Decode the whole file in chunks. Raises _BadBytes (with the line of the first bad byte),
    _NotVietnamese, or TabularFileError for NUL characters (once the whole file decoded)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines, nul, carry = 0, False, ""
    with path.open("rb") as fh:
        fh.seek(skip)
        while True:
            chunk = fh.read(_CHUNK)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                bad = _BadBytes(exc.encoding, exc.object, exc.start, exc.end, exc.reason)
                bad.line = newlines + (pending + chunk)[:exc.start].count(b"\n") + 1
                raise bad from exc
            nul = nul or "\x00" in text
            if vietnamese_only:
                carry = _check_vietnamese(carry + text, final=not chunk)
            if not chunk:
                break
            newlines += chunk.count(b"\n")
    if nul:
        raise TabularFileError(_("The file holds NUL characters: it is not a text (CSV) file."))


def _check_vietnamese(text: str, *, final: bool) -> str:
    """Windows-1258, the legacy Vietnamese code page (Excel's "CSV" on Vietnamese Windows), writes
    some tones as combining marks, which NFC composes. It decodes nearly any bytes, so it is
    accepted only if every non-ASCII character is Vietnamese (TCVN3/VNI font encodings and other
    code pages then come out as symbols). Checks the text up to its last line end (NFC never
    composes across one) and returns the rest, for the next chunk."""
    cut = len(text) if final else text.rfind("\n") + 1
    if any(ord(ch) > 127 and ch not in _VIETNAMESE_CHARS for ch in set(unicodedata.normalize("NFC", text[:cut]))):
        raise _NotVietnamese
    return text[cut:]


def _vietnamese_chars() -> frozenset[str]:
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones} | {"đ"}
    letters |= {ch.upper() for ch in letters}
    # Typographic punctuation a Vietnamese Windows spreadsheet may hold.
    return frozenset(letters | set("\u00a0–—‘’“”…•°·«»§©®±×÷€£¥¢¤µ¶") | {"Ð"})


_VIETNAMESE_CHARS = _vietnamese_chars()


# --- delimiter and records ---------------------------------------------------------------------


def _open_text(path: pathlib.Path, encoding: str) -> io.TextIOWrapper:
    # newline="": lines end at "\r\n", "\r" or "\n" and keep their ends, as the csv module wants.
    return open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed by the caller)


def _head(path: pathlib.Path, encoding: str, count: int) -> list[str]:
    """The first `count` lines (as str.splitlines cuts them), from as little of the file as holds
    them: a piece that holds more than count + 1 lines holds the first count lines whole."""
    size = 64 * 1024
    with _open_text(path, encoding) as fh:
        text = fh.read(size)
        while True:
            lines = text.splitlines()
            if len(lines) > count + 1:
                return lines[:count]
            more = fh.read(size * 3)
            if not more:
                return lines[:count]
            text += more
            size *= 4


def _sniff_delimiter(head: list[str], score: Callable[[list[Any]], int]) -> str:
    """Comma, semicolon (Excel on Vietnamese Windows, whose decimal separator is the comma) or tab:
    the one under which the header row names the most columns."""
    text = "\n".join(head)
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error:
            continue
        found = max((score(r) for r in rows), default=0)
        if found > best_score:
            best, best_score = delimiter, found
    return best


def _records(path: pathlib.Path, encoding: str, delimiter: str) -> Iterator[RawRow]:
    with _open_text(path, encoding) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise TabularFileError(_("Line %(line)s cannot be read as CSV: %(error)s")
                                       % {"line": reader.line_num, "error": exc}, line=reader.line_num) from exc
            yield line, cells, NO_FORMULAS
            line = reader.line_num + 1  # a quoted cell may span lines: the next record starts after them
