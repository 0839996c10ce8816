"""The tabular reader as a library, with a table that is not the members': a population extract
(so_dinh_danh, so_cmnd, ho_ten, ngay_sinh, gioi_tinh, que_quan_xa, que_quan_tinh, thuong_tru)."""

from __future__ import annotations

import datetime as dt
import random
import string
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dangvien.core import tabular
from dangvien.core.tabular import CellError, Column, TableSpec, TabularFileError, YearOnly
from tests.files import write_csv, write_xlsx

D = dt.date

EXTRACT = TableSpec(columns=(
    Column("so_dinh_danh", "Số định danh", "citizen_id", ("Số CCCD",), parser=tabular.identifier(digits=12),
           required=True, blank=None),
    Column("so_cmnd", "Số CMND", "old_id_number", parser=tabular.identifier(digits=9), blank=None),
    Column("ho_ten", "Họ tên", "full_name", ("Họ và tên",), parser=tabular.cell_text, required=True),
    Column("ngay_sinh", "Ngày sinh", "date_of_birth", parser=tabular.parse_date_or_year, required=True, blank=None),
    Column("gioi_tinh", "Giới tính", "sex", parser=tabular.Choices(lambda: {"Nam": "M", "Nữ": "F"}, "Nam or Nữ")),
    Column("que_quan_xa", "Quê quán xã", "home_commune", parser=tabular.cell_text),
    Column("que_quan_tinh", "Quê quán tỉnh", "home_province", parser=tabular.cell_text),
    Column("thuong_tru", "Thường trú", "permanent_residence", parser=tabular.cell_text),
    Column("stt", "STT", "row_number"),  # recognized, not read
))

VIETNAMESE = ["STT", "Số định danh", "Họ tên", "Ngày sinh", "Giới tính", "Quê quán xã", "Quê quán tỉnh"]
ENGLISH = ["row_number", "citizen_id", "full_name", "date_of_birth", "sex", "home_commune", "home_province"]
PERSON = ["1", "064080012345", "Nguyễn Thị Thuỷ", "09/08/1975", "Nữ", "Xã Ia Grai", "Gia Lai"]
THUY = {"so_dinh_danh": "064080012345", "ho_ten": "Nguyễn Thị Thuỷ", "ngay_sinh": D(1975, 8, 9), "gioi_tinh": "F",
        "que_quan_xa": "Xã Ia Grai", "que_quan_tinh": "Gia Lai"}
LIMIT = 1024 * 1024


def read(path, spec: TableSpec = EXTRACT) -> list[tabular.Row]:
    return list(tabular.read_table(path, spec, max_bytes=LIMIT).rows)


def refusal(path, spec: TableSpec = EXTRACT, max_bytes: int = LIMIT) -> list[CellError]:
    with pytest.raises(TabularFileError) as caught:
        list(tabular.read_table(path, spec, max_bytes=max_bytes).rows)
    return caught.value.errors


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [VIETNAMESE, ENGLISH, ["stt", "so_dinh_danh", "ho_ten", "ngay_sinh", "gioi_tinh",
                                                          "que_quan_xa", "que_quan_tinh"],
                                    ["STT", "SỐ ĐỊNH DANH", "Ho ten", "NGAY SINH", "gioi tinh", "Que quan xa",
                                     "Quê Quán Tỉnh"]])
def test_the_header_in_vietnamese_english_or_any_spelling(tmp_path, header):
    rows = read(write_csv(tmp_path / "extract.csv", [header, PERSON]))
    assert [(r.line, r.values, r.errors) for r in rows] == [(2, THUY, [])]


def test_title_rows_and_blank_lines_above_the_header_are_skipped_and_lines_kept(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [["Trích xuất dữ liệu dân cư"], ["Tỉnh Gia Lai", "", ""], [],
                                                VIETNAMESE, PERSON, ["", "", ""], PERSON])
    table = tabular.read_table(path, EXTRACT, max_bytes=LIMIT)
    assert table.columns["so_dinh_danh"] == "Số định danh" and table.columns["stt"] == "STT"
    assert [r.line for r in table.rows] == [5, 7]


def test_xlsx_rows_are_excel_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "extract.xlsx", [["Trích xuất"], ENGLISH, [*PERSON[:3], D(1975, 8, 9), *PERSON[4:]]],
                      start_row=3)
    assert [(r.line, r.values) for r in read(path)] == [(6, THUY)]


def test_missing_required_columns_and_a_column_twice_are_refused_together(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [["Họ tên", "Họ và tên", "Giới tính", "Quê quán tỉnh"], ["a", "b"]])
    errors = refusal(path)
    assert [(e.line, e.column) for e in errors] == [(1, "Họ và tên"), (1, "")]
    assert errors[1].message == "Required columns are missing: Số định danh, Ngày sinh."


def test_no_header_row_names_the_required_columns(tmp_path):
    errors = refusal(write_csv(tmp_path / "extract.csv", [["a", "b"], ["1", "2"]]))
    assert errors[0].message == ('No header row found in the first 20 rows. The header row names the columns, e.g. '
                                 '"Số định danh", "Họ tên", "Ngày sinh".')


def test_a_table_whose_headers_would_be_ambiguous_is_a_programming_error():
    with pytest.raises(ValueError, match="ho_ten"):
        TableSpec(columns=(Column("ten", "Tên", aliases=("Họ tên",)), Column("ho_ten", "Họ tên")))


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16", "cp1258"])
def test_csv_encodings(tmp_path, encoding):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, PERSON], encoding=encoding)
    assert [r.values for r in read(path)] == [THUY]


def test_a_bom_is_not_part_of_the_first_header(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [ENGLISH[1:], PERSON[1:]], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcitizen_id")
    assert tabular.read_table(path, EXTRACT, max_bytes=LIMIT).columns["so_dinh_danh"] == "citizen_id"


def test_cp1258_tones_written_as_combining_marks_come_back_composed(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, PERSON], encoding="cp1258")
    assert b"Thuy\xd2" in path.read_bytes()  # y, then the hook above as a combining mark
    assert read(path)[0].values["ho_ten"] == "Nguyễn Thị Thuỷ"


def test_a_semicolon_separated_file(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, PERSON], delimiter=";")
    assert [r.values for r in read(path)] == [THUY]


# --- cells -------------------------------------------------------------------------------------


def test_a_bad_date_is_reported_with_its_line_and_column_and_the_row_is_still_read(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [["Danh sách"], VIETNAMESE, PERSON,
                                                [*PERSON[:3], "31/02/1975", *PERSON[4:]]])
    good, bad = read(path)
    assert good.errors == []
    assert bad.errors == [CellError(4, "Ngày sinh", "31/02/1975 is not a date: there is no such day.")]
    assert bad.values == {**THUY, "ngay_sinh": None}


@pytest.mark.parametrize(("cell", "expected"), [("1975-08-09", D(1975, 8, 9)), ("9.8.1975", D(1975, 8, 9)),
                                                ("27615", D(1975, 8, 9)), ("1958", YearOnly(1958))])
def test_dates_iso_excel_serials_and_years_alone(tmp_path, cell, expected):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, [*PERSON[:3], cell, *PERSON[4:]]])
    assert read(path)[0].values["ngay_sinh"] == expected


def test_formulas_are_refused_and_an_unknown_choice_is_a_cell_error(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, [*PERSON[:2], "=HYPERLINK(\"x\")", PERSON[3], "X",
                                                             *PERSON[5:]]])
    row = read(path)[0]
    assert [(e.line, e.column) for e in row.errors] == [(2, "Họ tên"), (2, "Giới tính")]
    assert row.errors[1].message == "\"X\" is not understood: Nam or Nữ."
    assert row.values["ho_ten"] == "" and row.values["gioi_tinh"] == ""


def test_rows_are_read_as_they_are_iterated(tmp_path):
    """A record the csv module cannot read refuses the file when it is reached, not before."""
    path = tmp_path / "extract.csv"
    path.write_text(",".join(VIETNAMESE) + "\n" + (",".join(PERSON) + "\n") * 30 + '"' + "x" * 200_000,
                    encoding="utf-8")
    rows = tabular.read_table(path, EXTRACT, max_bytes=LIMIT).rows
    lines = []
    with pytest.raises(TabularFileError) as caught:
        lines.extend(row.line for row in rows)
    assert lines == list(range(2, 32))
    assert caught.value.errors[0].line == 32


# --- Parquet -----------------------------------------------------------------------------------


def _parquet(path, columns: dict[str, pa.Array], **options):
    pq.write_table(pa.table(columns), path, **options)
    return path


def test_parquet_is_read_with_the_same_headers_cells_and_lines(tmp_path):
    path = _parquet(tmp_path / "extract.parquet", {
        "so_dinh_danh": pa.array([64080012345, 1080000001, None], pa.int64()),  # numbers: leading zeros lost
        "so_cmnd": pa.array(["012345678", None, None]),
        "Họ tên": pa.array(["Nguyễn Thị Thuỷ", "Lê Văn Tám", None]),
        "ngay_sinh": pa.array([D(1975, 8, 9), None, None], pa.date32()),
        "gioi_tinh": pa.array(["Nữ", "Nam", None]).dictionary_encode(),
        "ghi_chu": pa.array([[1], [2], None], pa.list_(pa.int64())),  # unknown (and not a value): not read
    })
    table = tabular.read_table(path, EXTRACT, max_bytes=LIMIT)
    assert table.columns["ho_ten"] == "Họ tên"
    rows = list(table.rows)
    assert [(r.line, r.errors) for r in rows] == [(1, []), (2, [])]  # the empty third row is skipped
    assert rows[0].values == {"so_dinh_danh": "064080012345", "so_cmnd": "012345678", "ho_ten": "Nguyễn Thị Thuỷ",
                              "ngay_sinh": D(1975, 8, 9), "gioi_tinh": "F"}
    assert rows[1].values["so_dinh_danh"] == "001080000001" and rows[1].values["ngay_sinh"] is None


def test_a_bad_date_in_parquet_is_on_the_row_index_plus_one(tmp_path):
    path = _parquet(tmp_path / "extract.parquet", {
        "citizen_id": pa.array(["064080012345"] * 3), "full_name": pa.array(["A", "B", "C"]),
        "date_of_birth": pa.array(["09/08/1975", "1958", "31/02/1975"]),
    }, row_group_size=2)
    rows = read(path)
    assert [r.values["ngay_sinh"] for r in rows] == [D(1975, 8, 9), YearOnly(1958), None]
    assert rows[2].errors == [CellError(3, "date_of_birth", "31/02/1975 is not a date: there is no such day.")]


def test_repeated_values_share_one_object(tmp_path):
    path = _parquet(tmp_path / "extract.parquet", {
        "so_dinh_danh": pa.array([f"0640800{i:05}" for i in range(3)]), "ho_ten": pa.array(["A", "B", "C"]),
        "ngay_sinh": pa.array(["1958"] * 3), "thuong_tru": pa.array(["Thôn 1, xã Ia Grai, Gia Lai"] * 3),
    })
    first, *others = (r.values["thuong_tru"] for r in read(path))
    assert all(other is first for other in others)


def test_parquet_missing_required_columns_are_on_line_0(tmp_path):
    path = _parquet(tmp_path / "extract.parquet", {"ho_ten": pa.array(["A"])})
    assert [(e.line, e.message) for e in refusal(path)] == [(0, "Required columns are missing: Số định danh, "
                                                                "Ngày sinh.")]


def test_a_parquet_column_of_lists_is_refused(tmp_path):
    path = _parquet(tmp_path / "extract.parquet", {"so_dinh_danh": pa.array(["1"]), "ho_ten": pa.array([["A"]]),
                                                   "ngay_sinh": pa.array(["1958"])})
    assert "lists or records" in refusal(path)[0].message


def test_a_parquet_compression_bomb_is_refused_from_its_metadata(tmp_path):
    path = _parquet(tmp_path / "bomb.parquet", {
        "so_dinh_danh": pa.array(["0" * 1000] * 20_000), "ho_ten": pa.array(["A"] * 20_000),
        "ngay_sinh": pa.array(["1958"] * 20_000),
    }, use_dictionary=False, compression="zstd")
    assert path.stat().st_size < 100_000  # 20 MB of text
    assert "compression bomb" in refusal(path)[0].message


def test_a_parquet_value_repeated_by_run_length_encoding_is_refused_after_one_batch(tmp_path):
    """The metadata cannot show it: 80 KB of text stored once, repeated on 2,000 rows (160 MB)."""
    value = "".join(random.Random(1).choices(string.ascii_letters, k=80_000))
    repeated = pa.DictionaryArray.from_arrays(pa.array([0] * 2000, pa.int32()), pa.array([value]))
    path = _parquet(tmp_path / "bomb.parquet", {"so_dinh_danh": repeated, "ho_ten": pa.array(["A"] * 2000),
                                                "ngay_sinh": pa.array(["1958"] * 2000)},
                    store_schema=False)  # read back as plain text, not as a dictionary
    assert path.stat().st_size < 200_000
    errors = refusal(path)
    assert errors[0].message == "The Parquet file is refused: 1024 rows take 78.1 MB once read, more than 64 MB."


@pytest.mark.parametrize("content", [b"PAR1 is not enough", b"not parquet at all"])
def test_a_damaged_parquet_file_is_refused(tmp_path, content):
    path = tmp_path / "extract.parquet"
    path.write_bytes(content)
    assert refusal(path)[0].message


# --- hostile files and formats -----------------------------------------------------------------


def test_the_size_limit_is_checked_before_reading(tmp_path):
    path = write_csv(tmp_path / "extract.csv", [VIETNAMESE, PERSON])
    errors = refusal(path, max_bytes=path.stat().st_size - 1)
    assert "at most" in errors[0].message


def test_a_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("xl/worksheets/sheet1.xml", "w") as entry:
        for _ in range(200):  # 200 MB of zeros, about 200 KB compressed
            entry.write(b"\0" * (1024 * 1024))
    assert "zip bomb" in refusal(path)[0].message


def test_only_the_formats_a_table_accepts_are_read(tmp_path):
    spec = TableSpec(columns=EXTRACT.columns, formats=("csv", "parquet"))
    path = write_xlsx(tmp_path / "extract.xlsx", [VIETNAMESE, PERSON])
    assert refusal(path, spec)[0].message == "Import a file of one of these types: .csv, .parquet (this one is .xlsx)."
