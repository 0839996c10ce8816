"""Loading an extract file as a snapshot: normalized rows, malformed rows reported by line and not
loaded, the same file twice refused with nothing changed; on the configured database's store."""

from __future__ import annotations

import csv
import datetime as dt
import pathlib
import unicodedata
from io import StringIO

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from dangvien.accounts.models import Role
from dangvien.core.models import AuditEntry
from dangvien.population.models import Snapshot
from dangvien.population.services import SnapshotRefused, snapshot_import
from dangvien.population.store import snapshot_store
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HEADER = ["so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh", "que_quan_xa", "que_quan_tinh", "thuong_tru"]
GOOD = [
    ["064080012345", "230123456", "Nguyễn Thị Hoà", "17/05/1980", "Nữ", "Xã Cát Tân", "Bình Định", "Thôn 2, Xã Phù Cát, Gia Lai"],
    ["064075000001", "", unicodedata.normalize("NFD", "Đặng Văn Thuỷ"), "1975", "Nam", "Xã Ia Băng", "Gia Lai", ""],
    ["052185000002", "", "Ksor H’Bơ", "1985-01-02", "Nữ", "", "", ""],
]


def write(path: pathlib.Path, rows: list[list[str]]) -> pathlib.Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


@pytest.fixture
def admin(db):
    return make_user("admin", Role.ADMIN, None)


def stored(snapshot: Snapshot) -> list[dict]:
    table = pa.Table.from_batches(list(snapshot_store().scan(snapshot.pk, ["line", "citizen_id", "old_id", "name_nfc",
        "name_folded", "name_tone", "family_folded", "middle_folded", "given_folded", "name_no_middle", "birth_date",
        "birth_year", "birth_month", "birth_day", "sex", "hometown_commune", "hometown_province", "ho_ten"])))
    return table.to_pylist()


def test_rows_are_normalized_at_load(tmp_path, admin):
    result = snapshot_import(actor=admin, path=write(tmp_path / "gl.csv", GOOD), taken_on=dt.date(2026, 10, 1))
    snapshot = result.snapshot
    assert (snapshot.name, snapshot.rows, snapshot.rejected, result.rejections) == ("gl", 3, 0, [])
    first, second, third = stored(snapshot)
    assert first == {
        "line": 2, "citizen_id": "064080012345", "old_id": "230123456", "name_nfc": "Nguyễn Thị Hoà",
        "name_folded": "nguyen thi hoa", "name_tone": "nguyễn thị hòa", "family_folded": "nguyen",
        "middle_folded": "thi", "given_folded": "hoa", "name_no_middle": "nguyen hoa",
        "birth_date": dt.date(1980, 5, 17), "birth_year": 1980, "birth_month": 5, "birth_day": 17, "sex": "F",
        # Cát Tân (Phù Cát, Bình Định) is Xã Phù Cát of Gia Lai since the 2025 mergers.
        "hometown_commune": "xa phu cat", "hometown_province": "gia lai", "ho_ten": "Nguyễn Thị Hoà"}
    assert (second["ho_ten"], second["name_tone"], second["birth_date"], second["birth_year"], second["sex"]) == (
        "Đặng Văn Thuỷ", "đặng văn thủy", None, 1975, "M")  # the raw column too is stored NFC
    assert (third["name_nfc"], third["name_folded"], third["hometown_province"]) == ("Ksor H'Bơ", "ksor h'bo", "")
    entry = AuditEntry.objects.get(action="population.snapshot_import")
    assert entry.after["rows"] == 3 and entry.object_id == str(snapshot.pk)


def test_malformed_rows_are_reported_by_line_and_not_loaded(tmp_path, admin):
    rows = [
        GOOD[0],
        ["06408001234", "", "Lê Văn A", "01/01/1980", "Nam", "", "", ""],  # line 3: 11 digits
        ["06408001234X", "", "Lê Văn B", "01/01/1980", "Nam", "", "", ""],  # line 4: not digits
        ["064080000003", "", "", "01/01/1980", "Nam", "", "", ""],  # line 5: no name
        ["064080000004", "", "Lê Văn C", "31/02/1980", "Nam", "", "", ""],  # line 6: no such day
        ["064080000005", "", "Lê Văn D", "Tết 1980", "Nam", "", "", ""],  # line 7: not a date
        ["064080000006", "", "Lê Văn E", "01/01/1980", "Không rõ", "", "", ""],  # line 8: unknown sex
        ["064080012345", "", "Lê Văn F", "01/01/1980", "Nam", "", "", ""],  # line 9: ID of line 2
        ["", "12345", "", "1850", "X", "", "", ""],  # line 10: five problems
        ["064080000007", "", "=HYPERLINK(\"x\")", "01/01/1980", "Nam", "", "", ""],  # line 11: a formula
        GOOD[1],
    ]
    result = snapshot_import(actor=admin, path=write(tmp_path / "bad.csv", rows), taken_on=dt.date(2026, 10, 1))
    assert (result.snapshot.rows, result.snapshot.rejected) == (2, 9)
    by_line: dict[int, list[str]] = {}
    for error in result.rejections:
        by_line.setdefault(error.line, []).append(error.column)
    assert by_line == {3: ["so_dinh_danh"], 4: ["so_dinh_danh"], 5: ["ho_ten"], 6: ["ngay_sinh"], 7: ["ngay_sinh"],
                       8: ["gioi_tinh"], 9: ["so_dinh_danh"], 10: ["so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh",
                                                                    "gioi_tinh"], 11: ["ho_ten"]}
    messages = {e.line: e.message for e in result.rejections}
    assert "12 digits" in messages[3] and "no such day" in messages[6] and "earlier line" in messages[9]
    assert [r["line"] for r in stored(result.snapshot)] == [2, 12]


def test_the_same_file_again_changes_nothing(tmp_path, admin):
    path = write(tmp_path / "gl.csv", GOOD)
    first = snapshot_import(actor=admin, path=path).snapshot
    audit_rows = AuditEntry.objects.count()
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(SnapshotRefused, match=f"already loaded as snapshot {first.name}") as refused:
        snapshot_import(actor=admin, path=copy, name="another")
    assert refused.value.existing == first
    assert Snapshot.objects.count() == 1 and AuditEntry.objects.count() == audit_rows
    assert snapshot_store().count(first.pk) == 3


def test_a_refused_file_leaves_nothing(tmp_path, admin):
    (tmp_path / "x.csv").write_text("name,age\nAn,3\n", encoding="utf-8")
    with pytest.raises(SnapshotRefused, match="No header row"):
        snapshot_import(actor=admin, path=tmp_path / "x.csv")
    only_bad = write(tmp_path / "only-bad.csv", [["1", "", "", "", "", "", "", ""]])
    with pytest.raises(SnapshotRefused):
        snapshot_import(actor=admin, path=only_bad)
    assert not Snapshot.objects.exists()
    assert not AuditEntry.objects.filter(action="population.snapshot_import").exists()


def test_parquet_with_numbers_and_dates(tmp_path, admin):
    table = pa.table({"so_dinh_danh": pa.array([64080012345, 52185000002], pa.int64()),  # leading zero lost
                      "ho_ten": ["Nguyễn Thị Hoà", "Trần Văn Bình"],
                      "ngay_sinh": pa.array([dt.date(1980, 5, 17), dt.date(1985, 1, 2)]),
                      "gioi_tinh": ["Nữ", "Nam"]})
    pq.write_table(table, tmp_path / "gl.parquet")
    snapshot = snapshot_import(actor=admin, path=tmp_path / "gl.parquet").snapshot
    rows = stored(snapshot)
    assert [(r["line"], r["citizen_id"], r["birth_date"]) for r in rows] == [
        (1, "064080012345", dt.date(1980, 5, 17)), (2, "052185000002", dt.date(1985, 1, 2))]


def test_only_an_administrator(tmp_path, world):
    officer = world.province_officer  # the whole province, but not an administrator
    with pytest.raises(PermissionDenied):
        snapshot_import(actor=officer, path=write(tmp_path / "gl.csv", GOOD))
    assert not Snapshot.objects.exists()


def test_command(tmp_path, admin):
    path = write(tmp_path / "gl.csv", [*GOOD, ["123", "", "Lê Văn A", "01/01/1980", "Nam", "", "", ""]])
    out = StringIO()
    call_command("population", "import", str(path), "--snapshot", "GL 2026-10", "--taken-on", "01/10/2026",
                 "--no-progress", stdout=out)
    assert "Snapshot GL 2026-10" in out.getvalue() and "3 rows loaded, 1 rejected" in out.getvalue()
    assert "line 5, so_dinh_danh" in out.getvalue()
    assert Snapshot.objects.get().taken_on == dt.date(2026, 10, 1)
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("population", "import", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert "already loaded as snapshot GL 2026-10" in err.getvalue()
