"""Tabular files (XLSX, CSV, Parquet) read against a table of known columns, with every problem
located by line and column. Hostile input is expected: see docs/import-format.md for the limits
(size, zip and compression bombs, encodings, formulas).

Use::

    from dangvien.core import tabular

    EXTRACT = tabular.TableSpec(columns=(
        tabular.Column("so_dinh_danh", "Số định danh", "citizen_id",
                       parser=tabular.identifier(digits=12), required=True, blank=None),
        tabular.Column("ho_ten", "Họ tên", "full_name", parser=tabular.cell_text, required=True),
        tabular.Column("ngay_sinh", "Ngày sinh", "date_of_birth", parser=tabular.parse_date_or_year, blank=None),
    ), formats=("csv", "parquet"))

    try:
        table = tabular.read_table(path, EXTRACT, max_bytes=2 * 1024**3)
        for row in table.rows:  # read as iterated: a file of millions of rows is never held whole
            ...  # row.line, row.values["so_dinh_danh"], row.errors (CellError: line, column, message)
    except tabular.TabularFileError as exc:
        ...  # exc.errors: why the whole file is refused

- `Column(name, vietnamese, english, aliases, parser, required, blank)`: headers are matched by
  `header_key` (case, diacritics, tone placement, normalization, spaces and punctuation ignored),
  so "Số định danh", "so_dinh_danh" and "SO DINH DANH" are one column. A column without a parser
  is recognized but not read. Unknown columns are ignored.
- Parsers take a non-empty cell (str, int, float, bool, date, datetime) and return its value or
  raise CellProblem; here: cell_text, identifier(digits=), parse_date, parse_date_or_year
  (YearOnly for a year alone), parse_year, parse_boolean, Choices(build, hint) with choice_labels.
- Lines are the ones the user sees: Excel's row numbers, the CSV line where the record starts;
  for Parquet, the row's index + 1.
"""

from dangvien.core.tabular.cells import (
    ESCAPED_STARTS,
    Choices,
    YearOnly,
    cell_text,
    choice_labels,
    identifier,
    is_number,
    number_digits,
    parse_boolean,
    parse_date,
    parse_date_or_year,
    parse_year,
)
from dangvien.core.tabular.reader import read_table
from dangvien.core.tabular.spec import (
    FORMATS,
    CellError,
    CellProblem,
    Column,
    Parser,
    Row,
    Table,
    TableSpec,
    TabularFileError,
    header_key,
)

__all__ = [
    "ESCAPED_STARTS", "FORMATS", "CellError", "CellProblem", "Choices", "Column", "Parser", "Row", "Table",
    "TableSpec", "TabularFileError", "YearOnly", "cell_text", "choice_labels", "header_key", "identifier",
    "is_number", "number_digits", "parse_boolean", "parse_date", "parse_date_or_year", "parse_year", "read_table",
]
