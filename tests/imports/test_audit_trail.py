"""What imports and exports leave in the audit trail beyond the members' own rows: every state
change of a batch with its status before and after, every refused or failed import and refused
undo (page, task and command line), and every export of a register or of rejected rows."""

from __future__ import annotations

import pathlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from dangvien.accounts.models import RoleAssignment
from dangvien.accounts.permissions import forget_grants
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.imports import batches
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.tasks import apply_import_batch, undo_import_batch
from dangvien.members.models import Member
from dangvien.members.services import member_correct
from tests.imports.conftest import HEADER, english_client, write_csv

pytestmark = pytest.mark.django_db

NEW_ID = make_citizen_id("064", "M", 1985, 993_001)
ROW = ["Phạm Minh Tuấn", "Nam", "12/04/1985", NEW_ID, "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"]


@pytest.fixture(autouse=True)
def _queue_only(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the test runs the tasks


def _rows(action: str, object_type: str = "import_batch") -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_type=object_type).order_by("seq"))


def _upload(world, tmp_path: pathlib.Path, rows: list[list[str]] | None = None, name: str = "members.csv",
            content: bytes | None = None) -> ImportBatch:
    if content is None:
        content = write_csv(tmp_path / name, [HEADER, *(rows or [ROW])]).read_bytes()
    return batches.batch_upload(actor=world.officer_a, unit=world.commune_a, upload=SimpleUploadedFile(name, content))


def _done(world, tmp_path) -> ImportBatch:
    batch = batches.batch_confirm(actor=world.officer_a, batch=_upload(world, tmp_path))
    apply_import_batch.call(batch.pk)
    return ImportBatch.objects.get(pk=batch.pk)


def test_each_state_change_of_a_batch_has_its_status_before_and_after(world, tmp_path):
    batch = _done(world, tmp_path)
    trail = list(AuditEntry.objects.filter(object_type="import_batch", object_id=str(batch.pk)).order_by("seq")
                 .values_list("action", "before", "after"))
    assert [(action, before, after["status"]) for action, before, after in trail] == [
        ("import.upload", None, "planned"),
        ("import.confirm", {"status": "planned"}, "queued"),
        ("import.done", {"status": "running"}, "done")]
    assert trail[0][2] == {"file": "members.csv", "status": "planned", "new": 1, "updated": 0, "unchanged": 0,
                           "rejected": 0}
    assert trail[2][2] == {"status": "done", "created": 1, "updated": 0}


def test_refused_files_are_on_the_record(world, tmp_path):
    pdf = _upload(world, tmp_path, name="notes.pdf", content=b"%PDF-1.4")
    garbage = _upload(world, tmp_path, name="members.xlsx", content=b"this is not a spreadsheet at all")
    refused = _rows("import.refused")
    assert [(entry.object_id, entry.after["status"]) for entry in refused] == [
        (str(pdf.pk), "refused"), (str(garbage.pk), "refused")]
    assert ".xlsx" in refused[0].after["error"] and refused[1].after["error"] == garbage.error
    assert refused[0].unit_path == world.commune_a.path and refused[0].actor_id == world.officer_a.pk
    assert not _rows("import.upload")


def test_a_run_that_fails_is_on_the_record(world, tmp_path):
    batch = batches.batch_confirm(actor=world.officer_a, batch=_upload(world, tmp_path))
    RoleAssignment.objects.filter(user=world.officer_a).delete()  # the officer's role is withdrawn meanwhile
    forget_grants(world.officer_a)
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    [failed] = _rows("import.failed")
    assert batch.status == BatchStatus.FAILED
    assert (failed.object_id, failed.before, failed.after) == (
        str(batch.pk), {"status": "running"}, {"status": "failed", "file": "members.csv", "error": batch.error})


def test_a_crash_is_on_the_record(world, tmp_path, monkeypatch):
    batch = batches.batch_confirm(actor=world.officer_a, batch=_upload(world, tmp_path))

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("dangvien.imports.tasks.import_apply", crash)
    apply_import_batch.call(batch.pk)
    [failed] = _rows("import.failed")
    assert "disk full" in failed.after["error"] and not Member.objects.filter(citizen_id=NEW_ID).exists()


def _changed_since(batch: ImportBatch) -> None:
    member = Member.objects.get(citizen_id=NEW_ID)
    member_correct(actor=batch.actor, member=member, expected_version=member.version,
                   changes={"phone": "0912345678"})


def test_an_undo_refused_on_the_page_is_on_the_record(client, world, tmp_path):
    batch = _done(world, tmp_path)
    _changed_since(batch)
    english_client(client, world.officer_a).post(f"/imports/{batch.pk}/undo/")
    [refused] = _rows("import.undo_refused")
    assert (refused.object_id, refused.actor_id, refused.before) == (str(batch.pk), world.officer_a.pk,
                                                                     {"status": "done"})
    assert "changed after the import" in refused.after["reason"]
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.DONE


def test_an_undo_refused_by_the_task_is_on_the_record(world, tmp_path):
    batch = batches.batch_undo_request(actor=world.officer_a, batch=_done(world, tmp_path))
    _changed_since(batch)  # between the request and the task
    undo_import_batch.call(batch.pk)
    [refused] = _rows("import.undo_refused")
    assert (refused.before, refused.after["status"], refused.actor_id) == (
        {"status": "undoing"}, "done", world.officer_a.pk)
    assert refused.after["reason"] == ImportBatch.objects.get(pk=batch.pk).undo_error


def test_an_undo_refused_at_the_command_line_is_on_the_record(world, tmp_path):
    batch = _done(world, tmp_path)
    _changed_since(batch)
    with pytest.raises(CommandError, match="cannot be undone"):
        call_command("undo-import", str(batch.pk), "--user", "xa_a", stdout=StringIO())
    [refused] = _rows("import.undo_refused")
    assert refused.actor_username == "xa_a" and "changed after the import" in refused.after["reason"]


def test_a_refused_or_failed_command_line_import_is_on_the_record(world, tmp_path, monkeypatch):
    bad = write_csv(tmp_path / "bad.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(CommandError, match="The file was refused"):
        call_command("import-members", str(bad), "--unit", "GL-A", "--user", "xa_a", stdout=StringIO(),
                     stderr=StringIO())
    [refused] = _rows("import.refused", "unit")
    assert (refused.object_id, refused.actor_username, refused.after["file"]) == (
        str(world.commune_a.pk), "xa_a", "bad.csv")
    assert refused.after["error"]

    def stale(**kwargs):
        raise ValidationError("A member changed meanwhile.")

    monkeypatch.setattr("dangvien.imports.management.commands.import_members.import_apply", stale)
    good = write_csv(tmp_path / "good.csv", [HEADER, ROW])
    with pytest.raises(CommandError, match="changed meanwhile"):
        call_command("import-members", str(good), "--unit", "GL-A", "--user", "xa_a", stdout=StringIO(),
                     stderr=StringIO())
    [failed] = _rows("import.failed", "unit")
    assert failed.after == {"file": "good.csv", "error": "A member changed meanwhile."}
    assert not ImportBatch.objects.exists()  # the batch went with the rolled-back import


def test_the_rejected_rows_download_is_on_the_record(client, world, tmp_path):
    batch = _upload(world, tmp_path, [ROW, ["Võ Thị Lan", "Nữ", "31/02/1960", make_citizen_id("064", "F", 1960, 993_002),
                                            "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"]])
    assert batch.count_rejected == 1
    assert english_client(client, world.officer_b).get(f"/imports/{batch.pk}/rejected.xlsx").status_code == 404
    assert not _rows("import.rejections_exported")
    response = english_client(client, world.province_officer).get(f"/imports/{batch.pk}/rejected.xlsx")
    assert response.status_code == 200
    [entry] = _rows("import.rejections_exported")
    assert (entry.actor_id, entry.unit_path, entry.after) == (world.province_officer.pk, world.commune_a.path,
                                                              {"file": "members.csv", "rows": 1})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_register_exported_from_the_page_is_on_the_record(client, world, fmt):
    client.force_login(world.officer_a)
    assert client.get(f"/imports/export/{world.commune_b.pk}.{fmt}").status_code == 404
    response = client.get(f"/imports/export/{world.commune_a.pk}.{fmt}")
    assert response.status_code == 200
    [entry] = _rows("members.exported", "unit")
    assert (entry.actor_id, entry.object_id, entry.unit_path, entry.after) == (
        world.officer_a.pk, str(world.commune_a.pk), world.commune_a.path, {"format": fmt, "rows": 2})


def test_a_register_exported_at_the_command_line_is_on_the_record(world, tmp_path):
    call_command("export-members", "--unit", "GL-A", "-o", str(tmp_path / "a.xlsx"), "--user", "xa_a",
                 stdout=StringIO())
    call_command("export-members", "--unit", "GL", "-o", str(tmp_path / "all.csv"), stdout=StringIO())
    trail = [(e.actor_username, e.unit_path, e.after) for e in _rows("members.exported", "unit")]
    assert trail == [("xa_a", world.commune_a.path, {"format": "xlsx", "rows": 2}),
                     ("system", world.province.path, {"format": "csv", "rows": 3})]
