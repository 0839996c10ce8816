"""Undoing a whole import: the engine (imports/undo.py), the queued undo of a web batch, the page
and the `undo-import` command."""

from __future__ import annotations

import pathlib
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from dangvien.accounts.models import User
from dangvien.core.audit import audit_verify
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.imports import batches, undo
from dangvien.imports.models import BatchStatus, ImportBatch, ImportedUpdate
from dangvien.imports.tasks import apply_import_batch, undo_import_batch
from dangvien.imports.undo import import_undo, undo_blockers
from dangvien.members import bulk
from dangvien.members.models import EventKind, Member, MemberEvent
from dangvien.members.services import member_correct
from tests.imports.conftest import HEADER, english_client, write_csv

pytestmark = pytest.mark.django_db

NAMES = ["Phạm Minh Tuấn", "Phạm Minh Tâm", "Phạm Minh Toàn"]


def new_row(i: int, cell_code: str = "GL-A-01-01") -> list[str]:
    return [NAMES[i], "Nam", "12/04/1985", make_citizen_id("064", "M", 1985, 880_000 + i), "19/05/2012",
            "19/05/2013", cell_code, "Chính thức"]


def update_row(member: Member, **over: str) -> list[str]:
    """`member` as the register lists it, with some cells changed."""
    values = {"Họ và tên": member.full_name, "Giới tính": "Nữ" if member.sex == "F" else "Nam",
              "Ngày sinh": member.date_of_birth.strftime("%d/%m/%Y"), "Số CCCD": member.citizen_id,
              "Ngày vào Đảng": member.admission_date.strftime("%d/%m/%Y"),
              "Ngày chính thức": member.official_date.strftime("%d/%m/%Y") if member.official_date else "",
              "Mã chi bộ": member.unit.code, "Trạng thái": member.get_status_display(), **over}
    return [values[h] for h in HEADER]


def state() -> dict[str, Any]:
    """Everything an undo must put back: every member column but the bookkeeping ones, every event."""
    skip = {"version", "updated_at"}
    members = {m["id"]: {k: v for k, v in m.items() if k not in skip} for m in Member.objects.values()}
    events = sorted(MemberEvent.objects.values_list("id", "member_id", "kind", "details"))
    return {"members": members, "events": events}


def imported(world, tmp_path: pathlib.Path, rows: list[list[str]], actor: Any = None) -> ImportBatch:
    """A web batch uploaded, confirmed and run to the end."""
    path = write_csv(tmp_path / "members.csv", [HEADER, *rows])
    batch = batches.batch_upload(actor=actor or world.officer_a, unit=world.commune_a,
                                 upload=SimpleUploadedFile("members.csv", path.read_bytes()))
    assert batch.status == BatchStatus.PLANNED, batch.rejections
    batches.batch_confirm(actor=actor or world.officer_a, batch=batch)
    apply_import_batch.call(batch.pk)  # a no-op if the immediate backend already ran it
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    return batch


def test_undo_puts_back_the_registry_as_it_was_before_the_import(world, tmp_path):
    before = state()
    batch = imported(world, tmp_path, [new_row(0), new_row(1), update_row(world.member_a1, **{"Họ và tên": "Nguyễn Thị Hạ"})])
    assert (batch.result_created, batch.result_updated, batch.created_count) == (2, 1, 2)
    assert ImportedUpdate.objects.get(batch=batch).before == {"full_name": "Nguyễn Thị Hà"}
    world.member_a1.refresh_from_db()
    assert world.member_a1.full_name == "Nguyễn Thị Hạ"
    version_after_import = world.member_a1.version

    result = import_undo(actor=world.officer_a, batch=batch)

    assert (result.deleted, result.restored) == (2, 1)
    after = state()
    assert after["members"] == before["members"]  # the new members gone, the name and its keys restored
    world.member_a1.refresh_from_db()
    assert world.member_a1.version == version_after_import + 1  # an undo is a write like any other
    # The updated member's history keeps the import's correction and records the undo.
    new_events = [e for e in after["events"] if e not in before["events"]]
    assert [(e[1], e[2]) for e in new_events] == [(world.member_a1.pk, EventKind.CORRECTED)] * 2
    assert new_events[-1][3] == {"fields": ["full_name"], "import_undone": batch.pk}
    undone = AuditEntry.objects.filter(action="member.import_undone")
    assert undone.count() == 3
    deleted = undone.filter(after__isnull=True).values_list("before", flat=True)
    assert sorted(b["full_name"] for b in deleted) == NAMES[:2]  # each deleted record kept in the audit log
    assert undone.get(object_id=str(world.member_a1.pk)).after == {
        "full_name": "Nguyễn Thị Hà", "details": {"fields": ["full_name"], "import_undone": batch.pk}}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE and batch.undone_at and batch.undone_by == world.officer_a
    assert AuditEntry.objects.filter(action="import.undo", object_id=str(batch.pk)).exists()
    assert audit_verify()[1] is None  # (rows checked, first problem)


def test_created_members_are_undone_a_span_at_a_time(world, tmp_path, monkeypatch):
    monkeypatch.setattr(undo, "_SPAN", 2)
    assert list(undo._spans([[1, 5], [9, 9]])) == [(1, 2), (3, 4), (5, 5), (9, 9)]
    before = state()
    batch = imported(world, tmp_path, [new_row(0), new_row(1), new_row(2)])
    assert import_undo(actor=world.officer_a, batch=batch).deleted == 3
    assert state() == before


def test_a_later_change_to_a_new_member_stops_the_undo_and_nothing_changes(world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0), new_row(1)])
    later = Member.objects.get(full_name=NAMES[1])
    member_correct(actor=world.officer_a, member=later, expected_version=later.version, changes={"phone": "0912345678"})
    total, shown = undo_blockers(batch)
    assert total == 1 and [(b.member_id, b.full_name) for b in shown] == [(later.pk, NAMES[1])]
    before, audit_rows = state(), AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        import_undo(actor=world.officer_a, batch=batch)

    assert NAMES[1] in refused.value.messages[0] and "changed after the import" in refused.value.messages[0]
    assert state() == before and AuditEntry.objects.count() == audit_rows
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.undone_at is None


def test_a_later_change_to_an_updated_member_stops_the_undo(world, tmp_path):
    batch = imported(world, tmp_path, [update_row(world.member_a1, **{"Họ và tên": "Nguyễn Thị Hạ"})])
    member = Member.objects.get(pk=world.member_a1.pk)
    member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                   changes={"phone": "0912345678"})
    before = state()
    with pytest.raises(ValidationError, match="Nguyễn Thị Hạ"):
        import_undo(actor=world.officer_a, batch=batch)
    assert state() == before


def test_an_activated_account_stops_the_undo(world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    User.objects.create_user("dv_new", password="x", member=Member.objects.get(full_name=NAMES[0]))
    total, shown = undo_blockers(batch)
    assert total == 1 and "account" in shown[0].reason
    with pytest.raises(ValidationError):
        import_undo(actor=world.officer_a, batch=batch)
    assert Member.objects.filter(full_name=NAMES[0]).exists()


def test_an_import_is_undone_once(world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    import_undo(actor=world.officer_a, batch=batch)
    with pytest.raises(ValidationError, match="not been undone"):
        import_undo(actor=world.officer_a, batch=batch)


def test_only_officers_managing_the_unit_may_undo(world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    with pytest.raises(NotFound):
        import_undo(actor=world.officer_b, batch=batch)  # another commune: the unit is not even visible
    with pytest.raises(PermissionDenied):
        import_undo(actor=world.card_officer_a, batch=batch)  # sees the commune, may not manage members
    assert Member.objects.filter(full_name=NAMES[0]).exists()
    import_undo(actor=world.province_officer, batch=batch)  # the province covers the commune
    assert not Member.objects.filter(full_name=NAMES[0]).exists()


def test_a_crash_in_the_middle_of_an_undo_changes_nothing(world, tmp_path, monkeypatch):
    batch = imported(world, tmp_path, [new_row(0), new_row(1), update_row(world.member_a1, **{"Họ và tên": "Nguyễn Thị Hạ"})])
    before, audit_rows = state(), AuditEntry.objects.count()

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    # After the new members are deleted, while the updated one is being restored.
    monkeypatch.setattr(bulk, "bulk_update", crash)
    with pytest.raises(RuntimeError):
        import_undo(actor=world.officer_a, batch=batch)
    assert state() == before and AuditEntry.objects.count() == audit_rows
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert audit_verify()[1] is None  # (rows checked, first problem)


def test_a_change_between_the_request_and_the_task_is_reported_on_the_batch(world, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, not run at once
    batch = imported(world, tmp_path, [new_row(0)])
    batches.batch_undo_request(actor=world.officer_a, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDO_QUEUED and batch.undone_by == world.officer_a
    member = Member.objects.get(full_name=NAMES[0])
    member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                   changes={"phone": "0912345678"})

    undo_import_batch.call(batch.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.undone_by is None
    assert NAMES[0] in batch.undo_error
    assert Member.objects.filter(pk=member.pk).exists()


# --- the page -------------------------------------------------------------------------------------


def test_the_page_offers_the_undo_and_runs_it(client, world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    client = english_client(client, world.officer_a)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Undo this import" in page
    response = client.post(f"/imports/{batch.pk}/undo/")
    assert response.status_code == 302
    undo_import_batch.call(batch.pk)  # what the worker runs; a no-op if the immediate backend ran it
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert not Member.objects.filter(full_name=NAMES[0]).exists()
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "This import was undone" in page and "Undo this import" not in page
    assert list(AuditEntry.objects.filter(object_type="import_batch", object_id=str(batch.pk))
                .values_list("action", flat=True).order_by("seq"))[-2:] == ["import.undo_requested", "import.undo"]


def test_the_page_names_the_members_that_stop_the_undo(client, world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    member = Member.objects.get(full_name=NAMES[0])
    member_correct(actor=world.officer_a, member=member, expected_version=member.version, changes={"phone": "0912345678"})
    client = english_client(client, world.officer_a)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "can no longer be undone" in page and f"/members/{member.pk}/" in page
    assert "Undo this import" not in page
    client.post(f"/imports/{batch.pk}/undo/")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and Member.objects.filter(pk=member.pk).exists()


def test_undo_outside_scope_is_404_and_without_permission_403(client, world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    assert english_client(client, world.officer_b).post(f"/imports/{batch.pk}/undo/").status_code == 404
    # The batch is not listed for a user who manages no member here.
    assert english_client(client, world.card_officer_a).post(f"/imports/{batch.pk}/undo/").status_code == 404
    assert english_client(client, world.secretary_a1).post(f"/imports/{batch.pk}/undo/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and Member.objects.filter(full_name=NAMES[0]).exists()


def test_a_viewer_of_the_unit_without_the_right_to_manage_gets_403(client, world, tmp_path):
    batch = imported(world, tmp_path, [new_row(0)])
    # The uploader always sees their batch; take away their right to manage the commune's members.
    from dangvien.accounts.models import Role, RoleAssignment
    from dangvien.accounts.permissions import forget_grants

    RoleAssignment.objects.filter(user=world.officer_a).update(role=Role.CARD_OFFICER)
    forget_grants(world.officer_a)
    response = english_client(client, world.officer_a).post(f"/imports/{batch.pk}/undo/")
    assert response.status_code == 403
    assert Member.objects.filter(full_name=NAMES[0]).exists()


# --- the commands ---------------------------------------------------------------------------------


def test_command_import_then_undo(world, tmp_path):
    before = state()
    path = write_csv(tmp_path / "members.csv", [HEADER, new_row(0), new_row(1),
                                                 update_row(world.member_a1, **{"Họ và tên": "Nguyễn Thị Hạ"})])
    out = StringIO()
    call_command("import-members", str(path), "--unit", "GL-A", "--user", "xa_a", stdout=out, stderr=StringIO())
    batch = ImportBatch.objects.get()
    assert f"dangvien undo-import {batch.pk}" in out.getvalue()
    assert (batch.source, batch.status, batch.actor, batch.created_count, batch.result_updated) == (
        "command", BatchStatus.DONE, world.officer_a, 2, 1)

    with pytest.raises(CommandError, match="No import"):
        call_command("undo-import", str(batch.pk), "--user", "xa_b", stdout=StringIO())
    out = StringIO()
    call_command("undo-import", str(batch.pk), "--dry-run", stdout=out)
    assert "can be undone" in out.getvalue() and state() != before
    out = StringIO()
    call_command("undo-import", str(batch.pk), stdout=out)
    assert "2 members deleted, 1 restored" in out.getvalue()
    assert state()["members"] == before["members"]
    with pytest.raises(CommandError, match="Undone"):
        call_command("undo-import", str(batch.pk), stdout=StringIO())


def test_command_refuses_when_a_member_changed(world, tmp_path):
    path = write_csv(tmp_path / "members.csv", [HEADER, new_row(0)])
    call_command("import-members", str(path), "--unit", "GL-A", stdout=StringIO(), stderr=StringIO())
    batch = ImportBatch.objects.get()
    assert batch.actor is None and batch.source == "command"  # the system operator
    member = Member.objects.get(full_name=NAMES[0])
    member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                   changes={"phone": "0912345678"})
    with pytest.raises(CommandError, match="cannot be undone"):
        call_command("undo-import", str(batch.pk), stdout=StringIO())
    assert Member.objects.filter(pk=member.pk).exists()


def test_a_dry_run_or_a_file_that_writes_nothing_leaves_no_batch(world, tmp_path):
    path = write_csv(tmp_path / "members.csv", [HEADER, new_row(0)])
    call_command("import-members", str(path), "--unit", "GL-A", "--dry-run", stdout=StringIO(), stderr=StringIO())
    assert not ImportBatch.objects.exists()
    unchanged = write_csv(tmp_path / "same.csv", [HEADER, update_row(world.member_a1)])
    out = StringIO()
    call_command("import-members", str(unchanged), "--unit", "GL-A", stdout=out, stderr=StringIO())
    assert "Nothing to write" in out.getvalue() and not ImportBatch.objects.exists()


def test_a_failed_command_import_leaves_no_batch(world, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "_insert", crash)
    path = write_csv(tmp_path / "members.csv", [HEADER, new_row(0)])
    with pytest.raises(RuntimeError):
        call_command("import-members", str(path), "--unit", "GL-A", stdout=StringIO(), stderr=StringIO())
    assert not ImportBatch.objects.exists()  # it commits with the members, or not at all
    assert not Member.objects.filter(full_name=NAMES[0]).exists()
