"""Reading member files: encodings, header detection, value formats and hostile files. Every bad
input must come back as a located error, never as an exception."""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile

import pytest

from dangvien.imports.columns import COLUMNS, header_key, match_header
from dangvien.imports.reading import CellError, ParsedFile, read_member_file
from tests.imports.conftest import HEADER, ROW, Formula

D = dt.date


def only_row(parsed: ParsedFile):
    assert parsed.file_errors == []
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def file_error(parsed: ParsedFile) -> CellError:
    assert parsed.rows == []
    assert len(parsed.file_errors) == 1, parsed.file_errors
    return parsed.file_errors[0]


# --- columns -----------------------------------------------------------------------------------


def test_every_header_spelling_is_unambiguous():
    keys = [header_key(h) for col in COLUMNS for h in col.headers]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("header", ["Họ và tên", "HỌ VÀ TÊN", "ho va ten", "full_name", "Full Name", "Họ tên",
                                    unicodedata.normalize("NFD", "Họ và tên"), " Họ  và tên "])
def test_headers_match_ignoring_case_accents_spaces_and_normalization(header):
    column = match_header(header)
    assert column is not None and column.field == "full_name"


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16", "cp1258"])
def test_csv_encodings_decode_vietnamese_correctly(csv_file, encoding):
    row = ["Nguyễn Thị Thuỷ", "Nữ", "09/08/1975", "", "02/03/2010", "", "GL-Á-01", "Dự bị"]
    parsed = read_member_file(csv_file([HEADER, row], encoding=encoding))
    values = only_row(parsed).values
    assert values["full_name"] == "Nguyễn Thị Thuỷ"
    assert values["cell_code"] == "GL-Á-01"
    assert values["status"] == "probationary"
    assert parsed.columns["full_name"] == "Họ và tên"


def test_a_bom_is_not_part_of_the_first_header(csv_file):
    parsed = read_member_file(csv_file([["full_name", "sex", "date_of_birth", "admission_date", "cell_code"],
                                        ["Lê Văn Tám", "M", "1980-01-02", "2005-06-07", "C1"]]))
    assert only_row(parsed).values["full_name"] == "Lê Văn Tám"


def test_unrecognized_legacy_encoding_is_refused_with_advice(tmp_path):
    # TCVN3 ("ABC") font-encoded text: bytes that are not UTF-8 and decode to symbols in cp1258.
    path = tmp_path / "tcvn3.csv"
    path.write_bytes("Hä vµ tªn,Giíi tÝnh\n".encode("latin-1") + b"Nguy\xd6n V\xa8n An,Nam\n")
    error = file_error(read_member_file(path))
    assert "UTF-8" in error.message and error.line == 0


def test_utf8_bom_with_invalid_bytes_names_the_line(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(HEADER).encode() + b"\nNguy\xff,Nam\n")
    error = file_error(read_member_file(path))
    assert error.line == 2 and "UTF-8" in error.message


def test_nfd_names_are_stored_nfc(csv_file):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    parsed = read_member_file(csv_file([HEADER, [nfd, *ROW[1:]]]))
    name = only_row(parsed).values["full_name"]
    assert name == unicodedata.normalize("NFC", "Nguyễn Thị Hoà") and unicodedata.is_normalized("NFC", name)


def test_semicolon_delimited_csv(csv_file):
    parsed = read_member_file(csv_file([HEADER, ROW], delimiter=";"))
    assert only_row(parsed).values["citizen_id"] == "064080012345"


# --- layout ------------------------------------------------------------------------------------


def test_title_rows_and_blank_lines_above_the_header_are_skipped(csv_file):
    rows = [["DANH SÁCH ĐẢNG VIÊN"], ["Chi bộ Giáo viên 1", "", "Ngày sinh"], [], HEADER, ROW, [], ["", " "], ROW]
    parsed = read_member_file(csv_file(rows))
    assert parsed.file_errors == []
    assert [r.line for r in parsed.rows] == [5, 8]


def test_xlsx_lines_are_excel_row_numbers_even_with_an_offset_table(xlsx_file):
    path = xlsx_file([["Danh sách đảng viên"], [], HEADER, ROW, [], ROW], start_row=2, start_col=1)
    parsed = read_member_file(path)
    assert parsed.file_errors == []
    assert [r.line for r in parsed.rows] == [6, 8]
    assert parsed.rows[0].values["full_name"] == "Nguyễn Văn An"


def test_no_header_row(csv_file):
    error = file_error(read_member_file(csv_file([["a", "b"], ["1", "2"]])))
    assert "No header row" in error.message


def test_missing_required_columns_are_listed(csv_file):
    parsed = read_member_file(csv_file([["Họ và tên", "Ngày sinh", "Số CCCD"], ["Lê Văn A", "01/01/1980", ""]]))
    error = file_error(parsed)
    assert error.line == 1
    assert "Giới tính" in error.message and "Ngày vào Đảng" in error.message and "Mã chi bộ" in error.message
    assert "Ngày sinh" not in error.message


def test_year_column_stands_in_for_the_date_of_birth(csv_file):
    header = ["Họ và tên", "Giới tính", "Năm sinh", "Ngày vào Đảng", "Mã chi bộ"]
    values = only_row(read_member_file(csv_file([header, ["Lê Văn A", "Nam", "1958", "01/02/1980", "C1"]]))).values
    assert values["birth_year"] == 1958 and "date_of_birth" not in values


def test_a_column_given_twice_is_a_file_error(csv_file):
    error = file_error(read_member_file(csv_file([[*HEADER, "full_name"], [*ROW, "x"]])))
    assert error.line == 1 and error.column == "full_name" and "Họ và tên" in error.message


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("17/05/1980", D(1980, 5, 17)), ("7/5/1980", D(1980, 5, 7)), ("1980-05-17", D(1980, 5, 17)),
    ("17.05.1980", D(1980, 5, 17)), ("29405", D(1980, 7, 3)), ("1980-05-17 00:00:00", D(1980, 5, 17)),
])
def test_csv_date_formats(csv_file, text, expected):
    row = [*ROW[:2], text, *ROW[3:]]
    assert only_row(read_member_file(csv_file([HEADER, row]))).values["date_of_birth"] == expected


def test_xlsx_date_cells_and_serial_numbers(xlsx_file):
    row = [*ROW[:2], D(1980, 5, 17), ROW[3], 40239, "2011-03-02", *ROW[6:]]
    values = only_row(read_member_file(xlsx_file([HEADER, row]))).values
    assert values["date_of_birth"] == D(1980, 5, 17)
    assert values["birth_year"] == 1980
    assert values["admission_date"] == D(2010, 3, 2)  # serial 40239
    assert values["official_date"] == D(2011, 3, 2)


@pytest.mark.parametrize("writer", ["csv", "xlsx"])
def test_impossible_date_names_line_and_column(csv_file, xlsx_file, writer):
    row = [*ROW[:2], "31/02/1960", *ROW[3:]]
    make = csv_file if writer == "csv" else xlsx_file
    parsed = read_member_file(make([["Sổ đảng viên"], HEADER, ROW, row]))
    assert parsed.rows[0].errors == []
    bad = parsed.rows[1]
    assert bad.errors == [CellError(4, "Ngày sinh", "31/02/1960 is not a date: there is no such day.")]
    assert bad.values["date_of_birth"] is None
    assert bad.values["full_name"] == "Nguyễn Văn An"  # the rest of the row is still read


@pytest.mark.parametrize("value", ["1958", 1958])
def test_year_only_date_of_birth_gives_the_birth_year(xlsx_file, value):
    row = [*ROW[:2], value, *ROW[3:]]
    values = only_row(read_member_file(xlsx_file([HEADER, row]))).values
    assert values["date_of_birth"] is None and values["birth_year"] == 1958


def test_year_only_admission_date_is_an_error(csv_file):
    row = [*ROW[:4], "1990", *ROW[5:]]
    errors = only_row(read_member_file(csv_file([HEADER, row]))).errors
    assert [(e.line, e.column) for e in errors] == [(2, "Ngày vào Đảng")]


@pytest.mark.parametrize("text", ["17/05/80", "tháng 5", "32/01/1980", "17/13/1980"])
def test_unreadable_dates(csv_file, text):
    errors = only_row(read_member_file(csv_file([HEADER, [*ROW[:2], text, *ROW[3:]]]))).errors
    assert [(e.line, e.column) for e in errors] == [(2, "Ngày sinh")]


@pytest.mark.parametrize(("text", "expected"), [("Nam", "M"), ("nữ", "F"), ("NU", "F"), ("M", "M"), ("f", "F"),
                                                ("male", "M"), ("Female", "F")])
def test_sex(csv_file, text, expected):
    values = only_row(read_member_file(csv_file([HEADER, [ROW[0], text, *ROW[2:]]]))).values
    assert values["sex"] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Chính thức", "official"), ("chinh thuc", "official"), ("Official", "official"), ("official", "official"),
    ("Dự bị", "probationary"), ("temporarily_out", "temporarily_out"), ("Miễn công tác và sinh hoạt", "exempted"),
    ("Đã từ trần", "deceased"), ("Removed from the roll", "removed"), ("", None),
])
def test_status(csv_file, text, expected):
    values = only_row(read_member_file(csv_file([HEADER, [*ROW[:7], text]]))).values
    assert values["status"] == expected


def test_unknown_sex_and_status_are_cell_errors(csv_file):
    errors = only_row(read_member_file(csv_file([HEADER, [ROW[0], "X", *ROW[2:7], "Đang công tác"]]))).errors
    assert [(e.line, e.column) for e in errors] == [(2, "Giới tính"), (2, "Trạng thái")]


def test_numbers_in_identifier_columns_keep_their_leading_zeros(xlsx_file):
    header = [*HEADER, "Điện thoại", "Số CMND"]
    values = only_row(read_member_file(xlsx_file([header, [*ROW[:3], 64080012345, *ROW[4:], 912345678, 12345678]]))).values
    assert values["citizen_id"] == "064080012345"
    assert values["phone"] == "0912345678"
    assert values["old_id_number"] == "012345678"


def test_blank_cells(csv_file):
    header = [*HEADER, "Số thẻ đảng", "Quê quán", "Có điện thoại thông minh"]
    values = only_row(read_member_file(csv_file([header, [*ROW[:3], "", *ROW[4:5], "", *ROW[6:], "", "", ""]]))).values
    assert values["citizen_id"] is None and values["card_number"] is None and values["official_date"] is None
    assert values["hometown"] == "" and values["has_smartphone"] is None


# --- formulas ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "@SUM(A1)", "+cmd|' /C calc'!A0", "-x+1", "=HYPERLINK(\"http://x\")"])
def test_formula_text_in_csv_is_refused(csv_file, text):
    errors = only_row(read_member_file(csv_file([HEADER, [text, *ROW[1:]]]))).errors
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (2, "Họ và tên")
    assert "Formulas are not accepted" in errors[0].message


def test_signs_before_digits_are_values_not_formulas(csv_file):
    header = [*HEADER, "Điện thoại"]
    parsed = read_member_file(csv_file([header, [*ROW, "+84912345678"]]))
    assert only_row(parsed).errors == [] and parsed.rows[0].values["phone"] == "+84912345678"


def test_xlsx_formula_cells_are_refused_never_evaluated(xlsx_file):
    rows = [HEADER, ROW, [Formula('="Nguyễn"&" An"'), *ROW[1:3], Formula("=A1"), *ROW[4:]]]
    parsed = read_member_file(xlsx_file(rows, start_col=2))
    assert parsed.rows[0].errors == []
    errors = parsed.rows[1].errors
    assert [(e.line, e.column) for e in errors] == [(3, "Họ và tên"), (3, "Số CCCD")]
    assert all("Formulas are not accepted" in e.message for e in errors)
    assert parsed.rows[1].values["full_name"] == ""


def test_xlsx_formula_cells_without_references_are_found(tmp_path):
    """Some writers omit the r="A1" of cells; the slow path follows positions instead."""
    path = tmp_path / "noref.xlsx"
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
    row = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in ROW[:5])
    row += '<c><f>1+1</f><v>2</v></c>' + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in ROW[6:])
    sheet = (f'<worksheet xmlns="{_MAIN}"><sheetData><row>{cells}</row><row>{row}</row></sheetData></worksheet>')
    _write_workbook(path, sheet)
    parsed = read_member_file(path)
    assert [(e.line, e.column) for e in parsed.rows[0].errors] == [(2, "Ngày chính thức")]


def test_an_exported_apostrophe_escape_is_taken_off(csv_file):
    values = only_row(read_member_file(csv_file([[*HEADER, "Quê quán"], [*ROW, "'=Không rõ"]]))).values
    assert values["hometown"] == "=Không rõ"


# --- hostile files -----------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_before_reading(csv_file, settings):
    path = csv_file([HEADER, ROW, ROW])
    error = file_error(read_member_file(path, max_bytes=path.stat().st_size - 1))
    assert "at most" in error.message
    settings.DANGVIEN = {**settings.DANGVIEN, "IMPORT_MAX_BYTES": 100}
    assert "at most" in file_error(read_member_file(path)).message


def test_a_50_mb_file_is_refused_by_the_default_limit(tmp_path, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "IMPORT_MAX_BYTES": 64 * 1024 * 1024}
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:  # sparse: 80 MB of size, no 80 MB written
        fh.write(",".join(HEADER).encode())
        fh.truncate(80 * 1024 * 1024)
    assert "at most 64 MB" in file_error(read_member_file(path)).message


def test_a_50_mb_csv_under_a_raised_limit_is_read(tmp_path):
    """50 MB of CSV, padded with a long ignored column, reads within the limit given."""
    path = tmp_path / "padded.csv"
    pad = "x" * 5000
    line = ",".join([*ROW, pad]) + "\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join([*HEADER, "Ghi chú"]) + "\n")
        fh.write(line * (50 * 1024 * 1024 // len(line) + 1))
    parsed = read_member_file(path, max_bytes=64 * 1024 * 1024)
    assert parsed.file_errors == [] and len(parsed.rows) > 10_000
    assert parsed.rows[-1].values["full_name"] == "Nguyễn Văn An"


def test_a_zip_bomb_named_xlsx_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(200):  # 200 MB of zeros, about 200 KB compressed
                entry.write(block)
    assert path.stat().st_size < 1024 * 1024
    error = file_error(read_member_file(path))
    assert "zip bomb" in error.message


def test_a_zip_whose_directory_understates_sizes_is_refused(tmp_path):
    """The directory says 100 bytes; the data inflates to 5 MB. zipfile stops at the declared
    size and the CRC check fails: a damaged file, never a 5 MB (or 5 GB) read."""
    path = tmp_path / "liar.xlsx"
    _write_workbook(path, f'<worksheet xmlns="{_MAIN}"><sheetData>' + " " * 5_000_000 + "</sheetData></worksheet>")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    _patch_sizes(data, info, 100)
    path.write_bytes(bytes(data))
    error = file_error(read_member_file(path))
    assert "damaged" in error.message


@pytest.mark.parametrize("content", [b"not a zip at all, just text", b"PK\x03\x04garbage" + b"\0" * 100])
def test_a_non_workbook_named_xlsx_is_refused(tmp_path, content):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    error = file_error(read_member_file(path))
    assert "Excel" in error.message or "damaged" in error.message


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert "not an Excel workbook" in file_error(read_member_file(path)).message


def test_a_truncated_workbook_is_refused(xlsx_file, tmp_path):
    data = xlsx_file([HEADER, ROW]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert file_error(read_member_file(path)).message


@pytest.mark.parametrize(("name", "content"), [("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
                                               ("x.pdf", b"%PDF-1.4"), ("x.csv", b""),
                                               ("x.csv", b"a,b\n\0\0\0\n"), ("x.csv", b'"' + b"x" * 200_000)])
def test_other_bad_files_are_refused_clearly(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert file_error(read_member_file(path)).message


def test_a_missing_file(tmp_path):
    assert "cannot be opened" in file_error(read_member_file(tmp_path / "nope.csv")).message


# --- helpers -----------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _write_workbook(path, sheet_xml: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml",
                    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sheet.main+xml"/>'
                    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.worksheet+xml"/></Types>')
        zf.writestr("_rels/.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                                       '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                    '</Relationships>')
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)


def _patch_sizes(data: bytearray, info: zipfile.ZipInfo, size: int) -> None:
    """Overwrite the uncompressed size of one entry in its local header and central directory."""
    local = info.header_offset
    data[local + 22: local + 26] = size.to_bytes(4, "little")
    start = 0
    while (central := data.find(b"PK\x01\x02", start)) >= 0:
        name_len = int.from_bytes(data[central + 28: central + 30], "little")
        if data[central + 46: central + 46 + name_len].decode() == info.filename:
            data[central + 24: central + 28] = size.to_bytes(4, "little")
        start = central + 4


def test_an_old_cmnd_typed_as_a_number_in_the_citizen_id_column_keeps_nine_digits(xlsx_file):
    # A citizen ID as a number keeps at least 10 digits (its province code is 001 or more): 9 digits
    # or fewer is an old CMND, padded to 9, which the planner then stores as the old ID number.
    rows = [HEADER, [*ROW[:3], 212345678, *ROW[4:]], [*ROW[:3], 12345678, *ROW[4:]], [*ROW[:3], 1080012345, *ROW[4:]]]
    parsed = read_member_file(xlsx_file(rows))
    assert [row.values["citizen_id"] for row in parsed.rows] == ["212345678", "012345678", "001080012345"]
