"""`dangvien import-members`, on real CSV and XLSX files; and the round trip with the export."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangvien.core.audit import audit_verify
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.imports.export import export_register
from dangvien.imports.reading import read_member_file
from dangvien.imports.services import import_plan
from dangvien.members.models import Member, MemberEvent
from tests.imports.conftest import HEADER

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import-members", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row(cell_code: str, serial: int, **over: str) -> list[str]:
    values = {"Họ và tên": "Phạm Minh Tuấn", "Giới tính": "Nam", "Ngày sinh": "12/04/1985",
              "Số CCCD": make_citizen_id("064", "M", 1985, serial), "Ngày vào Đảng": "19/05/2012",
              "Ngày chính thức": "19/05/2013", "Mã chi bộ": cell_code, "Trạng thái": "Chính thức", **over}
    return [values[h] for h in HEADER]


def counts() -> tuple[int, int, int]:
    # Audit rows of changes: a plan (dry run included) leaves one "import.plan" row, on purpose.
    return Member.objects.count(), MemberEvent.objects.count(), AuditEntry.objects.exclude(action="import.plan").count()


def test_dry_run_reports_counts_and_every_rejected_row_and_writes_nothing(world, csv_file):
    path = csv_file([HEADER, row("GL-A-01-01", 1), row("GL-A-01-02", 2, **{"Ngày sinh": "31/02/1960"}),
                     row("GL-B-01", 3), row("GL-A-01-01", 1)])
    before = counts()
    out, _ = run(str(path), "--unit", "GL-A", "--dry-run", "--user", "xa_a")
    assert "4 rows read and checked" in out
    assert "0 new, 0 updated, 0 unchanged, 4 rejected." in out
    assert "line 2, Số CCCD: Line 2 has the same citizen ID as line 5." in out
    assert "line 3, Ngày sinh:" in out and "31/02/1960" in out
    assert "line 4, Mã chi bộ: No cell with code GL-B-01 that you manage" in out
    assert "Dry run: nothing was written." in out
    assert counts() == before


def test_imports_the_valid_rows_and_reports_the_rejected_ones(world, csv_file):
    path = csv_file([HEADER, row("GL-A-01-01", 11), row("GL-A-01-02", 12), row("GL-A-01-02", 13, **{"Giới tính": "?"}),
                     row("GL-B-01", 14)])
    out, err = run(str(path), "--unit", "GL", "--user", "tinh")
    assert "3 new, 0 updated, 0 unchanged, 1 rejected." in out
    assert "line 4, Giới tính:" in out
    assert "Imported in" in out and "3 members created, 0 updated, 4 audit rows written." in out
    assert "100% 3/3" in err and err.count("\r") >= 1
    created = Member.objects.filter(citizen_id__in=[make_citizen_id("064", "M", 1985, n) for n in (11, 12, 14)])
    assert sorted(created.values_list("unit__code", flat=True)) == ["GL-A-01-01", "GL-A-01-02", "GL-B-01"]
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "import.apply" and entry.actor_username == "tinh"
    assert audit_verify()[1] is None


def test_as_the_system_administrator_by_default(world, xlsx_file):
    path = xlsx_file([["Danh sách đảng viên"], [], HEADER, row("GL-B-01", 21)])
    out, _ = run(str(path), "--unit", "GL")
    assert "1 new" in out and "1 members created" in out
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.actor_username) == ("import.apply", None, "system")


def test_strict_refuses_the_whole_file_when_a_row_is_rejected(world, csv_file):
    path = csv_file([HEADER, row("GL-A-01-01", 31), row("NO-SUCH", 32)])
    before = counts()
    with pytest.raises(CommandError, match="1 rows were rejected and --strict was given"):
        run(str(path), "--unit", "GL-A", "--strict")
    assert counts() == before


def test_a_refused_file_exits_non_zero(world, tmp_path, csv_file):
    no_header = csv_file([["a", "b"], ["1", "2"]])
    with pytest.raises(CommandError, match="The file was refused"):
        run(str(no_header), "--unit", "GL-A")
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(CommandError, match="The file was refused"):
        run(str(bomb), "--unit", "GL-A")


def test_a_unit_outside_the_users_scope_is_not_found(world, csv_file):
    path = csv_file([HEADER, row("GL-B-01", 41)])
    with pytest.raises(CommandError, match="No unit with code GL-B in your scope"):
        run(str(path), "--unit", "GL-B", "--user", "xa_a")
    with pytest.raises(CommandError, match="No active user"):
        run(str(path), "--unit", "GL-B", "--user", "nobody")
    with pytest.raises(CommandError, match="permission"):
        run(str(path), "--unit", "GL-A-01-01", "--user", "bithu_a1")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_a_commune_and_reimport_it_unchanged(world, tmp_path, fmt):
    # More members in commune A, some with every exported field filled in, one with only a birth year.
    from tests.factories import make_member

    make_member(world.cell_a1, full_name="Âu Dương Thị Thuỷ", sex="F", birth=dt.date(1958, 2, 28),
                profile_number="012345GL", card_number="88001122", phone="0912345678", occupation="Hưu trí",
                education="10/10", political_theory="Sơ cấp", professional_qualification="=1+1 kỹ sư")
    make_member(world.cell_a2, full_name="Ksor H'Bơ", sex="F", birth=dt.date(1990, 12, 1), ethnicity="Gia Rai",
                religion="Tin Lành")
    path = tmp_path / f"commune.{fmt}"
    assert export_register(actor=world.officer_a, unit=world.commune_a, path=path) == 4
    parsed = read_member_file(path)
    assert not parsed.file_errors and all(not r.errors for r in parsed.rows)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 4, "rejected": 0}, plan.rejections
    before = counts()
    out, _ = run(str(path), "--unit", "GL-A", "--user", "xa_a")
    assert "0 new, 0 updated, 4 unchanged, 0 rejected." in out and "Nothing to write." in out
    assert counts() == before


def test_a_smaller_batch_size_writes_the_same_members_in_more_rounds(world, csv_file):
    path = csv_file([HEADER, *(row("GL-A-01-01", 40 + n) for n in range(5))])
    out, err = run(str(path), "--unit", "GL", "--user", "tinh", "--batch-size", "2")
    assert "5 members created" in out
    assert "2/5" in err and "4/5" in err and "5/5" in err  # the progress after each round of two


@pytest.mark.parametrize("size", ["0", "-3", "many"])
def test_a_batch_size_that_is_not_a_whole_number_of_at_least_one_is_refused(world, csv_file, size):
    path = csv_file([HEADER, row("GL-A-01-01", 50)])
    before = counts()
    with pytest.raises(CommandError, match="not a whole number of at least 1"):
        run(str(path), "--unit", "GL", "--user", "tinh", "--batch-size", size)
    assert counts() == before
