"""Reading a member import file (XLSX or CSV) into typed rows, with every problem located by line
and column. The member columns (columns.py) are read by the tabular reader (core/tabular), which
does the hostile-file checks (size, zip bombs, encodings, formulas) and the cell parsing; what is
the members' own is here: the parser and blank value of each column, the choice spellings of sex,
status and service, and the year of birth settled from the date of birth. Nothing here touches
the database: planning and applying are in services.py.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from dangvien.core import tabular
from dangvien.core.tabular import CellError, TabularFileError, YearOnly
from dangvien.imports.columns import ALTERNATIVES, COLUMNS, REQUIRED_FIELDS, Column, Kind
from dangvien.members.models import ServiceBackground, Sex, Status

__all__ = ["CellError", "ParsedFile", "ParsedRow", "read_member_file"]

# A data row: its line, its values by member field, the problems of its cells.
ParsedRow = tabular.Row


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    file_errors: list[CellError]
    columns: dict[str, str]  # field name -> header text found

    @property
    def ok(self) -> bool:
        return not self.file_errors


def read_member_file(path: pathlib.Path, *, max_bytes: int | None = None) -> ParsedFile:
    """Read an XLSX (first sheet) or CSV member file.

    Never raises on a bad file: a refused file comes back with `file_errors` set and no rows
    (encoding, size, zip bomb, corrupt workbook, no header row, required columns missing). Problems
    in single cells are in each row's `errors`; the row's other values are still parsed.
    """
    limit = max_bytes if max_bytes is not None else settings.DANGVIEN["IMPORT_MAX_BYTES"]
    try:
        table = tabular.read_table(pathlib.Path(path), MEMBER_FILE, max_bytes=limit)
        rows = list(table.rows)
    except TabularFileError as exc:
        return ParsedFile(rows=[], file_errors=exc.errors, columns=exc.columns)
    if not rows:  # a header and nothing under it (a template sent back empty)
        return ParsedFile(rows=[], file_errors=[CellError(0, "", str(gettext_lazy(
            "The file has no data rows: there is a header but no member under it.")))], columns=table.columns)
    for row in rows:
        _settle_birth(row.values)
    return ParsedFile(rows=rows, file_errors=[], columns=table.columns)


def _settle_birth(values: dict[str, Any]) -> None:
    """A year alone in the date-of-birth column gives the year of birth only (it is sometimes all
    that is known); a full date gives its year unless a year column says otherwise."""
    if "date_of_birth" not in values:
        return
    birth = values["date_of_birth"]
    if isinstance(birth, YearOnly):
        values["date_of_birth"] = None
        if values.get("birth_year") is None:
            values["birth_year"] = birth.year
    elif birth is not None and values.get("birth_year") is None:
        values["birth_year"] = birth.year
    else:
        values.setdefault("birth_year", None)


# --- the member columns as the reader reads them -------------------------------------------------


def _parse_phone(raw: Any) -> str:
    """A 9-10 digit phone number typed as a number lost its leading 0 in Excel: it gets it back."""
    if tabular.is_number(raw):
        digits = tabular.number_digits(raw)
        return "0" + digits if len(digits) in (9, 10) else digits
    return tabular.cell_text(raw)


def _parse_citizen_id(raw: Any) -> str:
    """A citizen ID typed as a number lost its leading zeros: it gets them back (12 digits). A number
    of at most 9 digits is an old ID (CMND) that lost its own (9 digits): a citizen ID starts with
    a province code of 001 or more, so as a number it keeps at least 10 digits. The planner then
    stores it as the old ID number, with a warning."""
    if tabular.is_number(raw):
        digits = tabular.number_digits(raw)
        return digits.zfill(9) if len(digits) <= 9 else digits.zfill(12)
    return tabular.cell_text(raw)


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

_PARSERS: dict[Kind, tabular.Parser | None] = {
    Kind.TEXT: tabular.cell_text,
    Kind.IDENTIFIER: tabular.identifier(),
    Kind.DATE: tabular.parse_date,
    Kind.YEAR: tabular.parse_year,
    Kind.SEX: tabular.Choices(lambda: tabular.choice_labels(Sex, _SEX_EXTRA), gettext_lazy("write Nam or Nữ")),
    Kind.STATUS: tabular.Choices(lambda: tabular.choice_labels(Status, _STATUS_EXTRA), gettext_lazy(
        "write e.g. Chính thức, Dự bị, Miễn công tác và sinh hoạt, Đã từ trần")),
    Kind.SERVICE: tabular.Choices(lambda: tabular.choice_labels(ServiceBackground, _SERVICE_EXTRA),
                                  gettext_lazy("write Quân đội, Công an, Nghỉ hưu or leave it empty")),
    Kind.BOOLEAN: tabular.parse_boolean,
    Kind.IGNORED: None,
}
# Numbers typed into an identifier column lose their leading zeros in Excel (a citizen ID starts
# with 0; a phone number too): they get them back. A year alone is a date of birth, not an error.
_FIELD_PARSERS: dict[str, tabular.Parser] = {
    "citizen_id": _parse_citizen_id, "old_id_number": tabular.identifier(digits=9),
    "phone": _parse_phone, "date_of_birth": tabular.parse_date_or_year,
}
# Blank cells are "" but for these kinds and the unique numbers, which are None ("not given").
_NONE_WHEN_BLANK = frozenset({Kind.DATE, Kind.YEAR, Kind.STATUS, Kind.BOOLEAN})
_NULLABLE_TEXT = frozenset({"citizen_id", "profile_number", "card_number"})


def _table_column(col: Column) -> tabular.Column:
    return tabular.Column(
        col.field, col.vietnamese, col.english, col.aliases,
        parser=_FIELD_PARSERS.get(col.field, _PARSERS[col.kind]), required=col.field in REQUIRED_FIELDS,
        blank=None if col.kind in _NONE_WHEN_BLANK or col.field in _NULLABLE_TEXT else "")


MEMBER_FILE = tabular.TableSpec(
    columns=tuple(_table_column(col) for col in COLUMNS), alternatives=ALTERNATIVES, formats=("xlsx", "csv"),
    no_header_message=gettext_lazy(
        "No header row found in the first %(n)s rows. The header row names the columns, e.g. "
        "\"Họ và tên\", \"Giới tính\", \"Ngày sinh\", \"Ngày vào Đảng\", \"Mã chi bộ\" (see the template file)."),
    wrong_type_message=gettext_lazy("Import an .xlsx or .csv file (this one is %(suffix)s)."),
)
