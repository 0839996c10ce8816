"""What a caller tells the reader (the columns it knows, the file rules) and what it gets back
(rows, cell errors, file errors)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Message = str | _StrPromise  # a message, translated now or when shown (gettext_lazy)
else:
    Message = str

from dangvien.core.text import fold

# A cell parser: called with a non-empty cell (str, int, float, bool, date or datetime as the file
# gives it); returns the value or raises CellProblem. Empty cells never reach it (see Column.blank).
Parser = Callable[[Any], Any]

FORMATS = ("xlsx", "csv", "parquet")

# A row as a file source gives it: (line, cells, indexes of the cells that held a formula).
RawRow = tuple[int, Any, frozenset[int]]
NO_FORMULAS: frozenset[int] = frozenset()


def header_key(header: str) -> str:
    """The form headers are compared in: folded (case, diacritics, tone placement, normalization),
    letters and digits only, so "Họ và tên", "HO VA TEN", "họ_và_tên" and "Ho-va-ten" are equal."""
    return re.sub(r"[^0-9a-z]", "", fold(header))


@dataclass(frozen=True)
class Column:
    """A column the reader knows. Its headers (Vietnamese, English, aliases) are matched by
    `header_key`. A column without a parser is recognized (not unknown, not read twice) but not
    read: an export's row number, say. `blank` is the value of an empty cell, and of a cell in
    error (its problem is in the row's errors)."""

    name: str
    vietnamese: str
    english: str = ""  # defaults to the name
    aliases: tuple[str, ...] = ()
    parser: Parser | None = None
    required: bool = False
    blank: Any = ""

    def __post_init__(self) -> None:
        if not self.english:
            object.__setattr__(self, "english", self.name)

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.vietnamese, self.english, *self.aliases)


@dataclass(frozen=True)
class TableSpec:
    """A kind of file: its columns and the rules of reading it.

    `alternatives` maps a required column to one that may stand in for it (a year of birth for the
    date of birth). `formats` are the accepted file types, of FORMATS. The header row is looked for
    in the first `header_rows` rows and must name at least `min_header_matches` columns that are
    read (a title row naming one column is not a header). The two messages may be replaced by
    ones that speak of the caller's template; they take %(n)s and %(examples)s, and %(formats)s
    and %(suffix)s."""

    columns: tuple[Column, ...]
    alternatives: Mapping[str, str] = field(default_factory=dict)
    formats: tuple[str, ...] = FORMATS
    header_rows: int = 20
    min_header_matches: int = 3
    no_header_message: Message = gettext_lazy(
        "No header row found in the first %(n)s rows. The header row names the columns, e.g. %(examples)s.")
    wrong_type_message: Message = gettext_lazy("Import a file of one of these types: %(formats)s (this one is %(suffix)s).")

    def __post_init__(self) -> None:
        keys: dict[str, str] = {}
        for column in self.columns:
            for header in column.headers:
                other = keys.setdefault(header_key(header), column.name)
                if other != column.name:
                    raise ValueError(f"The header {header!r} would name both {other} and {column.name}.")
        if unknown := set(self.formats) - set(FORMATS):
            raise ValueError(f"Unknown formats: {sorted(unknown)}")

    @functools.cached_property
    def by_header_key(self) -> dict[str, Column]:
        return {header_key(h): c for c in self.columns for h in c.headers}

    @functools.cached_property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def match(self, header: str) -> Column | None:
        return self.by_header_key.get(header_key(header)) if header else None

    def header_score(self, cells: list[Any]) -> int:
        """How many distinct read columns a row names: the row naming the most is the header."""
        return len({col.name for cell in cells if isinstance(cell, str) and (col := self.match(cell))
                    and col.parser is not None})


@dataclass(frozen=True)
class CellError:
    line: int  # 1-based line/row as the user sees it (Excel's row, the CSV line); 0 for the whole file
    column: str  # the header as written in the file, or "" for whole-row/file problems
    message: str

    def __str__(self) -> str:
        where = f"{self.line}" if self.line else ""
        if self.column:
            where = f"{where} [{self.column}]" if where else self.column
        return f"{where}: {self.message}" if where else self.message


@dataclass(slots=True)
class Row:
    """One data row: where it is, the value of every read column found in the file (by column
    name), and the problems of its cells (a cell in error holds its column's blank)."""

    line: int
    values: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)


@dataclass
class Table:
    """An opened file: the header text found for each column (by column name) and its rows, read
    as they are iterated. Iterating may raise TabularFileError (a CSV record or a Parquet page that
    cannot be read): the file is then refused as a whole."""

    columns: dict[str, str]
    rows: Iterator[Row]


class TabularFileError(Exception):
    """The whole file is refused: too big, wrong type, undecodable, a zip bomb, damaged, no header
    row, required columns missing...): `errors` says why (with a line when there is one);
    `columns` holds the columns found when the header row was found but refused (as Table.columns)."""

    def __init__(self, message: str = "", *, line: int = 0, column: str = "",
                 errors: list[CellError] | None = None, columns: dict[str, str] | None = None):
        self.errors = errors if errors is not None else [CellError(line=line, column=column, message=message)]
        self.columns = columns or {}
        super().__init__("; ".join(str(e) for e in self.errors))


class CellProblem(ValueError):
    """Raised by a parser: the cell cannot be read; the message says why, for the user."""
