"""Export of the member register: scope, order, CSV injection, streaming, and the round trip
through the reader (an export reads back to the database's values)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.demo.generator import PROVINCE_CODE, generate
from dangvien.imports.columns import EXPORT_COLUMNS, Kind
from dangvien.imports.export import csv_chunks, export_register, register_rows, write_template
from dangvien.imports.reading import read_member_file
from dangvien.members.models import Member
from dangvien.members.selectors import members_visible_to
from dangvien.org.models import Unit
from tests.factories import make_member, system_admin

ROUND_TRIP_FIELDS = [c.field for c in EXPORT_COLUMNS if c.kind != Kind.IGNORED]


def db_values(member: Member) -> dict:
    values = {f: getattr(member, f) for f in ROUND_TRIP_FIELDS if f not in {"cell_code"}}
    values["cell_code"] = member.unit.code
    values["birth_year"] = member.birth_year
    for field in ("citizen_id", "profile_number", "card_number"):
        values[field] = values[field] or None
    return values


def read_back(path) -> dict[str, dict]:
    parsed = read_member_file(path)
    assert parsed.file_errors == []
    assert [e for r in parsed.rows for e in r.errors] == []
    return {r.values["full_name"]: r.values for r in parsed.rows}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_reads_back_to_the_database_values(world, tmp_path, fmt):
    odd = make_member(world.cell_a2, full_name="Ksor H'Bơ", sex="F", birth=dt.date(1958, 1, 1),
                      date_of_birth=None, birth_year=1958, phone="+84912345678", hometown="=Xã Ia Pa",
                      profile_number="123456GL", card_number="01234567", occupation="-Nông dân",
                      education="12/12", political_theory="Cao cấp", professional_qualification="@Kỹ sư")
    path = tmp_path / f"commune.{fmt}"
    count = export_register(actor=world.admin, unit=world.commune_a, path=path)
    members = {m.full_name: m for m in Member.objects.filter(unit__path__startswith=world.commune_a.path)
               .select_related("unit")}
    assert count == len(members) == 3
    exported = read_back(path)
    assert set(exported) == set(members)
    for name, values in exported.items():
        assert values == db_values(members[name]), name
    assert exported[odd.full_name]["date_of_birth"] is None and exported[odd.full_name]["birth_year"] == 1958


def test_export_follows_the_actor_scope(world):
    rows = list(register_rows(world.officer_a, world.province))
    names = {row[1] for row in rows}
    assert names == {world.member_a1.full_name, world.member_a2.full_name}  # commune B's member is out of scope
    assert list(register_rows(world.officer_b, world.commune_a)) == []


def test_rows_are_in_vietnamese_order_and_numbered(world):
    for name in ["Đỗ Văn Bình", "Nguyễn Văn Anh", "Nguyễn Thị Ánh", "Lê Ân"]:
        make_member(world.cell_a1, full_name=name)
    rows = list(register_rows(world.admin, world.commune_a))
    expected = list(Member.objects.filter(unit__path__startswith=world.commune_a.path)
                    .order_by("sort_key", "id").values_list("full_name", flat=True))
    assert [r[1] for r in rows] == expected
    assert expected.index("Nguyễn Văn Anh") < expected.index("Nguyễn Thị Ánh") < expected.index("Lê Ân")
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))


def test_csv_injection_prefixes_in_both_formats(world, tmp_path):
    make_member(world.cell_b1, full_name="Lê Văn Tám", hometown="=HYPERLINK(\"http://x\")", phone="+84912345678",
                occupation="-2+3", religion="@SUM(1)")
    csv_path, xlsx_path = tmp_path / "b.csv", tmp_path / "b.xlsx"
    export_register(actor=world.admin, unit=world.commune_b, path=csv_path)
    export_register(actor=world.admin, unit=world.commune_b, path=xlsx_path)
    text = csv_path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffSTT,Họ và tên,")
    assert "'=HYPERLINK" in text and ",'+84912345678," in text and ",'-2+3" in text and ",'@SUM(1)," in text
    sheet = openpyxl.load_workbook(xlsx_path, read_only=True).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'+84912345678" in cells and "'@SUM(1)" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_xlsx_dates_are_date_cells(world, tmp_path):
    path = tmp_path / "a.xlsx"
    export_register(actor=world.admin, unit=world.cell_a1, path=path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    header, first = list(sheet.iter_rows(max_row=2, values_only=True))
    assert header[3] == "Ngày sinh" and first[3] == dt.datetime(1975, 8, 9)


def test_streamed_csv_of_a_demo_province(db):
    generate(members=300, seed=1)
    province = Unit.objects.get(code=PROVINCE_CODE)
    admin = system_admin()
    chunks = list(csv_chunks(register_rows(admin, province), rows_per_chunk=50))
    assert len(chunks) > 5  # written as it is read, not built whole
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    lines = b"".join(chunks).decode("utf-8-sig").splitlines()
    in_subtree = members_visible_to(admin).filter(
        unit_id__in=Unit.objects.filter(**subtree_filter(province.path)).values("id"))
    assert len(lines) == 1 + in_subtree.count() == 301


def test_round_trip_of_a_demo_commune(db, tmp_path):
    generate(members=300, seed=1)
    some_cell = Member.objects.order_by("id").first().unit
    commune = Unit.objects.get(path=some_cell.path[:2 * SEGMENT])
    path = tmp_path / "commune.xlsx"
    count = export_register(actor=system_admin(), unit=commune, path=path)
    parsed = read_member_file(path)
    assert parsed.file_errors == [] and len(parsed.rows) == count > 0
    members = {m.citizen_id: m for m in Member.objects.filter(unit__path__startswith=commune.path).select_related("unit")}
    for row in parsed.rows:
        assert row.errors == []
        assert row.values == db_values(members[row.values["citizen_id"]])


def test_command_exports_and_respects_the_user_scope(world, tmp_path):
    out = io.StringIO()
    call_command("export-members", "--unit", "GL-A", "-o", str(tmp_path / "a.csv"), stdout=out)
    assert "Exported 2 members of GL-A" in out.getvalue()
    call_command("export_members", "--unit", "GL-A", "-o", str(tmp_path / "a.data"), "--format", "csv",
                 "--user", "xa_a", stdout=out)
    assert (tmp_path / "a.data").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(CommandError, match="No unit GL-A visible to xa_b"):
        call_command("export-members", "--unit", "GL-A", "-o", str(tmp_path / "b.csv"), "--user", "xa_b")


def test_template_reads_as_a_valid_file(tmp_path):
    path = tmp_path / "mau.xlsx"
    call_command("export-members", "--template", "-o", str(path), stdout=io.StringIO())
    parsed = read_member_file(path)
    assert parsed.file_errors == []
    [row] = parsed.rows
    assert row.errors == []
    assert row.values["full_name"] == "Nguyễn Thị Hoà" and row.values["status"] == "official"
    assert row.values["date_of_birth"] == dt.date(1975, 8, 9) and row.values["has_smartphone"] is True
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Đảng viên", "Hướng dẫn"]
    guide = [r[0] for r in book["Hướng dẫn"].iter_rows(values_only=True)]
    assert "Họ và tên" in guide and "Mã chi bộ" in guide


def test_write_template_to_a_stream():
    buffer = io.BytesIO()
    write_template(buffer)
    assert buffer.getvalue().startswith(b"PK")
