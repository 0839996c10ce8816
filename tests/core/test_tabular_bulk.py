"""The bulk reader (core.tabular.bulk) against the row reader: the same rows, lines and cells, on
files built to trip a line count (quoted cells spanning lines, blank lines, title rows, the header
repeated, CRLF, ragged records), and the exact row path taken where the byte scan cannot follow."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dangvien.core import tabular
from dangvien.core.tabular import Column, TableSpec, TabularFileError
from dangvien.core.tabular.bulk import read_batches
from dangvien.core.text import clean

SPEC = TableSpec(columns=(
    Column("so_dinh_danh", "Số định danh", parser=tabular.cell_text, required=True),
    Column("ho_ten", "Họ tên", parser=tabular.cell_text, required=True),
    Column("ngay_sinh", "Ngày sinh", parser=tabular.cell_text),
    Column("thuong_tru", "Thường trú", parser=tabular.cell_text),
), formats=("csv", "parquet"))
LIMIT = 1024 * 1024

HOSTILE = (
    "Trích xuất dân cư\r\n"  # line 1: a title
    "\r\n"  # 2
    "Số định danh,Họ tên,Ngày sinh,Thường trú\r\n"  # 3: the header
    '064080012345,Nguyễn Thị Hoà,17/05/1980,"Thôn 2\r\nXã Phù Cát"\r\n'  # 4-5: an address on two lines
    "\r\n"  # 6: blank
    '064075000001,"Đặng ""Văn"" Thuỷ",1975,\r\n'  # 7: quotes inside a quoted cell
    "   \r\n"  # 8: spaces only
    "064075000002,Lê Văn A\r\n"  # 9: two cells of four
    ",,,\r\n"  # 10: blank cells
    "Số định danh,Họ tên,Ngày sinh,Thường trú\r\n"  # 11: the header again
    '064075000003,"Trần\n\nBình",1976,x,extra\r\n'  # 12-14: five cells, a name over three lines
    "064075000004,Phạm Chi,1977,y\r\n"  # 15
)


def bulk_rows(path) -> tuple[str, list[tuple[int, dict]]]:
    table = read_batches(path, SPEC, max_bytes=LIMIT, batch_rows=2)
    rows = [row for batch in table.batches for row in batch.to_pylist()]
    return table.mode, sorted((row.pop("line"), row) for row in rows)


def cleaned(rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Cells as read_table gives them (it cleans them: NFC, spaces)."""
    return [(line, {name: clean(value) for name, value in values.items()}) for line, values in rows]


def slow_rows(path) -> list[tuple[int, dict]]:
    return [(row.line, row.values) for row in tabular.read_table(path, SPEC, max_bytes=LIMIT).rows]


def test_lines_after_cells_spanning_lines_are_the_row_readers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(HOSTILE.encode("utf-8-sig"))
    mode, rows = bulk_rows(path)
    assert mode == "arrow"
    assert [line for line, _values in rows] == [4, 7, 9, 12, 15]
    assert cleaned(rows) == slow_rows(path)
    assert rows[0][1]["thuong_tru"] == "Thôn 2\r\nXã Phù Cát" and rows[3][1]["ho_ten"] == "Trần\n\nBình"


@pytest.mark.parametrize("odd", ['064075000005,Hồ "Tèo" Văn,1978,z\n', "064075000005,Hồ Văn,1978,z\r"])
def test_a_file_the_byte_scan_cannot_follow_is_read_row_by_row(tmp_path, odd):
    # A quote inside an unquoted cell, a lone CR: pyarrow and the count could disagree.
    path = tmp_path / "x.csv"
    path.write_bytes((HOSTILE + odd + "064075000006,Vũ Em,1979,w\n").encode())
    mode, rows = bulk_rows(path)
    assert mode == "rows"
    assert cleaned(rows) == slow_rows(path)
    assert [line for line, _values in rows][-2:] == [16, 17]


def test_windows_1258_is_read_in_bulk(tmp_path):
    from tests.files import to_cp1258

    path = tmp_path / "x.csv"
    path.write_bytes(to_cp1258(HOSTILE))
    mode, rows = bulk_rows(path)
    assert mode == "arrow" and [line for line, _values in rows] == [4, 7, 9, 12, 15]
    assert cleaned(rows) == slow_rows(path)  # cells as decoded: composed by cleaning (NFC)
    assert cleaned(rows)[1][1]["ho_ten"] == 'Đặng "Văn" Thuỷ'


def test_file_checks_are_read_tables(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,age\nAn,3\n", encoding="utf-8")
    with pytest.raises(TabularFileError, match="No header row"):
        read_batches(path, SPEC, max_bytes=LIMIT)
    path.write_bytes(HOSTILE.encode())
    with pytest.raises(TabularFileError, match="at most"):
        read_batches(path, SPEC, max_bytes=100)


def test_parquet_rows_in_their_own_types(tmp_path):
    pq.write_table(pa.table({"so_dinh_danh": pa.array([64080012345, None, 52185000002], pa.int64()),
                             "ho_ten": ["Nguyễn Thị Hoà", None, "Trần Văn Bình"], "other": [1, 2, 3]}),
                   tmp_path / "x.parquet")
    table = read_batches(tmp_path / "x.parquet", SPEC, max_bytes=LIMIT)
    rows = [row for batch in table.batches for row in batch.to_pylist()]
    assert table.mode == "parquet"
    assert rows == [{"line": 1, "so_dinh_danh": 64080012345, "ho_ten": "Nguyễn Thị Hoà"},  # line 2 is blank
                    {"line": 3, "so_dinh_danh": 52185000002, "ho_ten": "Trần Văn Bình"}]
