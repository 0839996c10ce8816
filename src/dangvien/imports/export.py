"""Export of the member register (sổ đảng viên, form 7-HSĐV) of a unit's subtree, as XLSX or CSV,
streamed: members are read in chunks and written as they come, so a province of 141,794 members
needs neither the whole list in memory nor more than a few seconds (docs/import-format.md).

Every text cell that a spreadsheet would take for a formula (starting with = + - @, a tab or a
carriage return) is written with an apostrophe in front (CSV injection); the reader takes it off
again, so an export re-imports unchanged.

Every export of a register is audited ("members.exported": who, which unit's subtree, the format and
the number of members), whether from the page or `dangvien export-members`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

import xlsxwriter
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from rustpy_xlsxwriter import FastExcel, Format

from dangvien.core.audit import audit_record
from dangvien.core.errors import NotFound
from dangvien.core.scope import subtree_filter
from dangvien.core.tabular import ESCAPED_STARTS
from dangvien.imports.columns import COLUMNS, EXPORT_COLUMNS, REQUIRED_FIELDS, Kind
from dangvien.members.models import Member, ServiceBackground, Sex, Status
from dangvien.members.selectors import members_visible_to
from dangvien.org.models import Unit
from dangvien.org.selectors import units_visible_to

CHUNK_SIZE = 2000
FORMATS = ("xlsx", "csv")
DATE_FORMAT = "%d/%m/%Y"

# Fields read from the database for each exported member (the cell code and name come from a
# map of the subtree's units, which spares a join per row).
_MEMBER_FIELDS = [c.field for c in EXPORT_COLUMNS if c.field not in {"row_number", "cell_code", "cell_name"}]


def escape_cell(text: str) -> str:
    """Defuse a text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ESCAPED_STARTS else text


def format_from_path(path: pathlib.Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "xlsx"


def _register_members(actor: Any, unit: Unit) -> QuerySet[Member]:
    return members_visible_to(actor).filter(unit_id__in=Unit.objects.filter(**subtree_filter(unit.path)).values("id"))


def register_rows(actor: Any, unit: Unit) -> Iterator[list[Any]]:
    """The register rows of the members of `unit`'s subtree whom `actor` may see, in the Vietnamese
    list order, as typed values in EXPORT_COLUMNS order (dates as dates, a year alone as "1958")."""
    units = {pk: (code, name) for pk, code, name in
             Unit.objects.filter(**subtree_filter(unit.path)).values_list("pk", "code", "name")}
    members = (_register_members(actor, unit)
               .order_by("sort_key", "id")
               .values_list("unit_id", "birth_year", *_MEMBER_FIELDS))
    with translation.override("vi"):
        labels = {**{str(v): str(label) for v, label in Status.choices},
                  **{str(v): str(label) for v, label in Sex.choices},
                  **{str(v): str(label) for v, label in ServiceBackground.choices if v}}
    # Per column: where its value sits in the database row (offset by unit_id and birth_year), and
    # whether it is shown by label. Built once; the loop below runs 141,794 times for a province.
    plan = [(col.field, _MEMBER_FIELDS.index(col.field) + 2 if col.field in _MEMBER_FIELDS else -1,
             col.kind in {Kind.SEX, Kind.STATUS, Kind.SERVICE}) for col in EXPORT_COLUMNS]
    birth_at = _MEMBER_FIELDS.index("date_of_birth") + 2
    for number, db_row in enumerate(members.iterator(chunk_size=CHUNK_SIZE), start=1):
        code, name = units[db_row[0]]
        row: list[Any] = []
        value: Any
        for field, at, labelled in plan:
            if at < 0:
                value = number if field == "row_number" else code if field == "cell_code" else name
            elif at == birth_at and db_row[at] is None:
                value = str(db_row[1]) if db_row[1] else None
            else:
                value = db_row[at]
                if labelled:
                    value = labels.get(value) if value else None
                elif value == "":
                    value = None
            row.append(value)
        yield row


def header() -> list[str]:
    return [c.vietnamese for c in EXPORT_COLUMNS]


# --- CSV ---------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, str):
        return escape_cell(value)
    return str(value)


def csv_chunks(rows: Iterator[list[Any]], *, rows_per_chunk: int = 1000) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks, BOM first (Excel then reads it as UTF-8): usable as the
    body of a StreamingHttpResponse."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(v) for v in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_csv(rows: Iterator[list[Any]], target: IO[bytes]) -> int:
    written = 0
    for chunk in csv_chunks(rows):
        target.write(chunk)
        written += len(chunk)
    return written


# --- XLSX --------------------------------------------------------------------------------------


def write_xlsx(rows: Iterator[list[Any]], target: pathlib.Path | IO[bytes]) -> int:
    """Write the register to an XLSX file, streamed from `rows` by rustpy-xlsxwriter (Rust's
    rust_xlsxwriter): a province of 141,794 rows in a few seconds, where xlsxwriter's per-cell
    Python work took 16-27 s. Every cell keeps its type: text as text (a citizen ID keeps its
    leading zero, a formula-like text gets its apostrophe), dates as date cells shown dd/mm/yyyy.
    Returns the number of member rows."""
    names = header()
    counter = _Counted(rows)

    def records() -> Iterator[dict[str, Any]]:
        for row in counter:
            yield {name: _xlsx_value(value) for name, value in zip(names, row, strict=True)}

    bold = Format().set_bold().set_text_wrap().set_align("top")
    widths = [float(_WIDTHS.get(col.kind, 16) if col.field != "full_name" else 26) for col in EXPORT_COLUMNS]
    writer = FastExcel(target if isinstance(target, pathlib.Path) else cast(BinaryIO, target), columns=names)
    (writer.format(datetime_format="dd/mm/yyyy").freeze(row=1, col=0)
     .sheet(_("Members")[:31], records(), column_widths=widths, header_format=bold)
     .save())
    return counter.count


def _xlsx_value(value: Any) -> Any:
    if value.__class__ is str:
        return "'" + value if value[:1] in ESCAPED_STARTS else value
    return value


_WIDTHS = {Kind.DATE: 12, Kind.SEX: 8, Kind.IGNORED: 8, Kind.IDENTIFIER: 15}


# --- the exports (audited) ---------------------------------------------------------------------


def _require_visible(actor: Any, unit: Unit) -> None:
    # Anyone who sees a unit may export its register: the rows are the members they may see.
    if not units_visible_to(actor).filter(pk=unit.pk).exists():
        raise NotFound(_("No such unit."))


def _exported(actor: Any, unit: Unit, fmt: str, rows: int) -> None:
    audit_record(actor=actor, action="members.exported", object_type="unit", object_id=unit.pk, unit_path=unit.path,
                 after={"format": fmt, "rows": rows})


def export_register(*, actor: Any, unit: Unit, path: pathlib.Path | IO[bytes], fmt: str | None = None) -> int:
    """Write the register of `unit`'s subtree as `actor` sees it to `path` (a file name, or an open
    binary file: then give `fmt`); returns the row count."""
    fmt = fmt or (format_from_path(path) if isinstance(path, pathlib.Path) else None)
    if fmt not in FORMATS:
        raise ValueError(_("Unknown export format %(format)s.") % {"format": fmt})
    _require_visible(actor, unit)
    rows = register_rows(actor, unit)
    if fmt == "xlsx":
        count = write_xlsx(rows, path)
    else:
        counted = _Counted(rows)
        if isinstance(path, pathlib.Path):
            with path.open("wb") as target:
                write_csv(iter(counted), target)
        else:
            write_csv(iter(counted), path)
        count = counted.count
    _exported(actor, unit, fmt, count)
    return count


def export_register_csv_stream(*, actor: Any, unit: Unit) -> Iterator[bytes]:
    """The register of `unit`'s subtree as `actor` sees it, as CSV chunks for a streamed response.
    Audited before the first byte is sent, with the number of members it holds."""
    _require_visible(actor, unit)
    _exported(actor, unit, "csv", _register_members(actor, unit).count())
    return csv_chunks(register_rows(actor, unit))


class _Counted:
    def __init__(self, rows: Iterator[list[Any]]):
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self._rows:
            self.count += 1
            yield row


# --- an import's rejected rows ------------------------------------------------------------------


def write_rejections_xlsx(rejections: list[dict[str, Any]], target: IO[bytes]) -> None:
    """An import's rejected rows (line, column, reason) as an XLSX file."""
    workbook = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("Rejected rows")[:31])
    bold = workbook.add_format({"bold": True})
    for col, title in enumerate([_("Line"), _("Column"), _("Reason")]):
        sheet.write_string(0, col, title, bold)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 20)
    sheet.set_column(2, 2, 90)
    for row, item in enumerate(rejections, start=1):
        sheet.write_number(row, 0, item["line"])
        # The header and the message may quote the file's own cells: defuse formulas.
        sheet.write_string(row, 1, escape_cell(str(item["column"])))
        sheet.write_string(row, 2, escape_cell(str(item["message"])))
    sheet.freeze_panes(1, 0)
    workbook.close()


# --- template ----------------------------------------------------------------------------------

_EXAMPLE: dict[str, Any] = {
    "full_name": "Nguyễn Thị Hoà", "birth_name": "", "aliases": "", "sex": "Nữ", "date_of_birth": "09/08/1975",
    "birth_year": "", "place_of_birth": "Xã Ia Grai, tỉnh Gia Lai", "hometown": "Xã Ia Grai, tỉnh Gia Lai",
    "permanent_residence": "Thôn 1, xã Ia Grai, tỉnh Gia Lai", "temporary_residence": "",
    "ethnicity": "Kinh", "religion": "Không", "citizen_id": "064175012345", "old_id_number": "",
    "phone": "0912345678", "has_smartphone": "Có", "education": "12/12", "professional_qualification": "Đại học",
    "political_theory": "Trung cấp", "foreign_language": "Tiếng Anh B", "occupation_at_admission": "Giáo viên",
    "occupation": "Giáo viên", "service_background": "", "admission_date": "02/03/2010",
    "admission_ceremony_date": "19/05/2010", "official_date": "19/05/2011", "profile_number": "123456GL",
    "card_number": "12345678", "badge_number": "", "cell_code": "GL-A-01-01", "status": "Chính thức",
}

_FORMAT_NOTES: dict[Kind, str] = {
    Kind.TEXT: "Chữ (text)",
    Kind.IDENTIFIER: "Chữ số, nhập dạng văn bản để giữ số 0 ở đầu (digits as text, keep leading zeros)",
    Kind.DATE: "dd/mm/yyyy, yyyy-mm-dd hoặc ô ngày của Excel (a date)",
    Kind.YEAR: "yyyy",
    Kind.SEX: "Nam / Nữ (M / F)",
    Kind.STATUS: "Dự bị, Chính thức, Miễn công tác và sinh hoạt, Chuyển sinh hoạt tạm thời, Đã chuyển sinh hoạt, "
                 "Đã xóa tên, Đã khai trừ, Đã từ trần",
    Kind.BOOLEAN: "Có / Không",
    Kind.SERVICE: "Quân đội / Công an / Nghỉ hưu / để trống",
}


def write_template(path: pathlib.Path | IO[bytes]) -> None:
    """An XLSX to fill in: the Vietnamese headers of every importable column with one example row,
    and a second sheet explaining each column (accepted headers, required or not, format)."""
    workbook = xlsxwriter.Workbook(path if not isinstance(path, pathlib.Path) else str(path),
                                   {"strings_to_formulas": False, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    columns = [c for c in COLUMNS if c.kind != Kind.IGNORED and c.field != "birth_year"]
    sheet = workbook.add_worksheet("Đảng viên")
    for index, col in enumerate(columns):
        # Text format on every column, so Excel keeps the leading zeros of IDs and phone numbers.
        sheet.set_column(index, index, 26 if col.field == "full_name" else 16, text)
        sheet.write_string(0, index, col.vietnamese, bold)
        sheet.write_string(1, index, _EXAMPLE.get(col.field, ""))
    sheet.freeze_panes(1, 0)
    guide = workbook.add_worksheet("Hướng dẫn")
    guide.set_column(0, 1, 28, wrap)
    guide.set_column(2, 2, 10, wrap)
    guide.set_column(3, 4, 50, wrap)
    guide.write_row(0, 0, ["Cột (tiếng Việt)", "Column (English)", "Bắt buộc", "Định dạng", "Tên cột khác được chấp nhận"],
                    bold)
    for row, col in enumerate((c for c in COLUMNS if c.kind != Kind.IGNORED), start=1):
        required = "Có" if col.field in REQUIRED_FIELDS else ("Có*" if col.field == "birth_year" else "")
        guide.write_row(row, 0, [col.vietnamese, col.english, required, _FORMAT_NOTES[col.kind],
                                 ", ".join(col.aliases)])
    last = len(COLUMNS) + 2
    guide.write_string(last, 0, "* Ngày sinh hoặc năm sinh: nếu chỉ biết năm, ghi năm (vd. 1958) vào cột Ngày sinh.", wrap)
    guide.write_string(last + 1, 0, "Không dùng công thức (=...): ô có công thức bị từ chối.", wrap)
    workbook.close()

