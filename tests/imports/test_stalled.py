"""A queued or running import (or undo) that shows no sign of life: the page says so, and an
officer may stop waiting; a run that stopped wrote nothing, and a slow one that commits later wins."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.imports import batches, selectors
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.reading import read_member_file
from dangvien.imports.services import import_apply, import_plan
from dangvien.imports.tasks import apply_import_batch
from dangvien.jobs import progress
from dangvien.members.models import Member
from tests.imports.conftest import HEADER, english_client, write_csv

pytestmark = pytest.mark.django_db

NEW_ID = make_citizen_id("064", "M", 1985, 991_001)


@pytest.fixture(autouse=True)
def _queue_only(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued: no worker runs it


def _queued(world, tmp_path: pathlib.Path) -> ImportBatch:
    path = write_csv(tmp_path / "members.csv", [HEADER, ["Phạm Minh Tuấn", "Nam", "12/04/1985", NEW_ID, "19/05/2012",
                                                          "19/05/2013", "GL-A-01-01", "Chính thức"]])
    batch = batches.batch_upload(actor=world.officer_a, unit=world.commune_a,
                                 upload=SimpleUploadedFile("members.csv", path.read_bytes()))
    return batches.batch_confirm(actor=world.officer_a, batch=batch)


def _quiet_for(clock, batch: ImportBatch, minutes: int, status: str | None = None) -> None:
    """The batch (put in `status`, as a worker would have) shows no sign of life while the clock moves on."""
    if status:
        ImportBatch.objects.filter(pk=batch.pk).update(status=status)
    clock.shift(dt.timedelta(minutes=minutes))


def test_a_batch_nobody_runs_can_be_given_up_from_its_page(client, world, tmp_path, clock):
    batch = _queued(world, tmp_path)
    client = english_client(client, world.officer_a)
    assert "Stop waiting" not in client.get(f"/imports/{batch.pk}/").content.decode()  # just queued
    assert batch.status == BatchStatus.QUEUED
    response = client.post(f"/imports/{batch.pk}/abandon/", follow=True)
    assert "not stalled" in response.content.decode()
    _quiet_for(clock, batch, settings.DANGVIEN["JOB_STALLED_MINUTES"] + 1)

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "No sign of progress" in page and "Stop waiting" in page
    assert 'http-equiv="refresh"' not in page  # it no longer polls
    progress = client.get(f"/imports/{batch.pk}/progress.json").json()
    assert progress["finished"] is True

    assert english_client(client, world.officer_b).post(f"/imports/{batch.pk}/abandon/").status_code == 404
    client = english_client(client, world.officer_a)
    client.post(f"/imports/{batch.pk}/abandon/")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "nothing was changed" in batch.error
    assert AuditEntry.objects.filter(action="import.abandoned", object_id=str(batch.pk)).exists()
    apply_import_batch.call(batch.pk)  # a worker that turns up later finds nothing to run
    assert not Member.objects.filter(citizen_id=NEW_ID).exists()


def test_a_slow_run_that_commits_after_all_has_the_last_word(world, tmp_path, clock):
    batch = _queued(world, tmp_path)
    parsed = read_member_file(pathlib.Path(batch.file.path))  # the worker has read the file...
    _quiet_for(clock, batch, 60, BatchStatus.RUNNING)  # ...and then went quiet for an hour
    batches.batch_abandon(actor=world.officer_a, batch=ImportBatch.objects.get(pk=batch.pk))
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.FAILED

    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed)
    import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan, record_to=batch)  # it commits at last
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.created_count == 1
    assert Member.objects.filter(citizen_id=NEW_ID).exists()


def test_a_stalled_undo_is_given_up_and_the_import_stays(world, tmp_path, clock):
    batch = _queued(world, tmp_path)
    apply_import_batch.call(batch.pk)
    batch = batches.batch_undo_request(actor=world.officer_a, batch=ImportBatch.objects.get(pk=batch.pk))
    assert batch.status == BatchStatus.UNDO_QUEUED
    _quiet_for(clock, batch, 30, BatchStatus.UNDOING)
    batches.batch_abandon(actor=world.officer_a, batch=ImportBatch.objects.get(pk=batch.pk))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and "nothing was changed" in batch.undo_error
    assert Member.objects.filter(citizen_id=NEW_ID).exists()
    batches.batch_undo_request(actor=world.officer_a, batch=batch)  # and it may be asked again
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.UNDO_QUEUED


@pytest.mark.django_db(transaction=True)  # the PostgreSQL reporter writes through its own connection
def test_progress_reports_keep_a_running_import_alive(world, tmp_path, clock):
    batch = _queued(world, tmp_path)
    _quiet_for(clock, batch, 60, BatchStatus.RUNNING)
    report, close = progress.progress_reporter(ImportBatch, batch.pk)
    try:
        report(1, 1)  # what import_apply calls after each written round
        alive = selectors.batch_live_progress(ImportBatch.objects.get(pk=batch.pk))
        assert not alive.stalled
        with pytest.raises(ValidationError, match="not stalled"):
            batches.batch_abandon(actor=world.officer_a, batch=alive)
    finally:
        close()
    if connection.vendor != "postgresql":
        # On SQLite the sign of life is in the progress cache: gone with it, the batch is quiet again.
        assert selectors.batch_live_progress(ImportBatch.objects.get(pk=batch.pk)).stalled


# --- unconfirmed uploads --------------------------------------------------------------------------


def test_unconfirmed_checks_expire_and_their_files_are_deleted(client, world, tmp_path, clock):
    from io import StringIO

    from django.core.management import call_command

    path = write_csv(tmp_path / "members.csv", [HEADER, ["Phạm Minh Tuấn", "Nam", "12/04/1985", NEW_ID, "19/05/2012",
                                                          "19/05/2013", "GL-A-01-01", "Chính thức"]])
    old = batches.batch_upload(actor=world.officer_a, unit=world.commune_a,
                               upload=SimpleUploadedFile("old.csv", path.read_bytes()))
    clock.shift(dt.timedelta(days=8))  # checked, never confirmed, and a week and a day go by
    fresh = batches.batch_upload(actor=world.officer_a, unit=world.commune_a,
                                 upload=SimpleUploadedFile("fresh.csv", path.read_bytes()))
    old_file = pathlib.Path(old.file.path)

    with pytest.raises(PermissionDenied):
        batches.batches_purge(actor=world.officer_a, older_than=dt.timedelta(days=7))  # one commune only
    out = StringIO()
    call_command("purge-imports", stdout=out)

    assert "1 unconfirmed import(s) expired" in out.getvalue()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == BatchStatus.EXPIRED and not old.file and not old_file.exists()
    assert old.rejections == [] and old.count_new == 1  # what the check found stays on the batch
    assert fresh.status == BatchStatus.PLANNED and pathlib.Path(fresh.file.path).exists()
    assert AuditEntry.objects.filter(action="import.expired", object_id=str(old.pk)).exists()
    page = english_client(client, world.officer_a).get(f"/imports/{old.pk}/").content.decode()
    assert "not confirmed in time" in page and "Confirm the import" not in page
    with pytest.raises(ValidationError):
        batches.batch_confirm(actor=world.officer_a, batch=old)
