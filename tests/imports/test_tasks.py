"""The import task: claims a confirmed batch once, applies it whole or not at all, reports progress."""

from __future__ import annotations

import pathlib

import pytest
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from dangvien.accounts.models import RoleAssignment
from dangvien.accounts.permissions import forget_grants
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.imports import batches, selectors
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.tasks import apply_import_batch
from dangvien.jobs import progress
from dangvien.members.models import Member
from tests.imports.conftest import HEADER, write_csv

pytestmark = pytest.mark.django_db


def _upload(world, tmp_path: pathlib.Path, count: int = 3) -> ImportBatch:
    names = ["Phạm Minh Tuấn", "Phạm Minh Tâm", "Phạm Minh Toàn", "Phạm Minh Thắng"]
    rows = [HEADER] + [
        [names[i], "Nam", "12/04/1985", make_citizen_id("064", "M", 1985, 888_000 + i),
         "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"]
        for i in range(count)
    ]
    path = write_csv(tmp_path / "members.csv", rows)
    upload = SimpleUploadedFile("members.csv", path.read_bytes())
    return batches.batch_upload(actor=world.officer_a, unit=world.commune_a, upload=upload)


def _confirmed(world, tmp_path, count: int = 3) -> ImportBatch:
    batch = _upload(world, tmp_path, count)
    assert batch.status == BatchStatus.PLANNED and batch.count_new == count
    return batches.batch_confirm(actor=world.officer_a, batch=batch)


def _queued(world, tmp_path) -> ImportBatch:
    """A batch as confirm leaves it, without enqueueing (the immediate backend would run it)."""
    batch = _upload(world, tmp_path)
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.QUEUED)
    return batch


def test_confirm_enqueues_the_task(world, tmp_path, settings):
    batch = _confirmed(world, tmp_path)
    if "immediate" in settings.TASKS["default"]["BACKEND"].lower():
        assert batch.status == BatchStatus.DONE  # the immediate backend ran it at once
        return
    assert batch.status == BatchStatus.QUEUED
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("apply_import_batch") and queued.args_kwargs["args"] == [batch.pk]


def test_task_applies_and_records_the_result(world, tmp_path):
    before = Member.objects.count()
    batch = _confirmed(world, tmp_path)
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.result_created, batch.progress_done, batch.progress_total) == (3, 3, 3)
    assert batch.started_at and batch.finished_at
    assert Member.objects.count() == before + 3


def test_the_uploaded_file_is_kept_until_the_import_ran_then_deleted(world, tmp_path):
    batch = _upload(world, tmp_path)
    stored = pathlib.Path(batch.file.path)
    assert stored.exists()  # the task reads it again after confirmation
    batch = batches.batch_confirm(actor=world.officer_a, batch=batch)
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and not batch.file and not stored.exists()


def test_a_refused_file_is_not_kept(world, tmp_path):
    upload = SimpleUploadedFile("members.csv", b"not,a,member,list\r\n1,2,3,4\r\n")
    batch = batches.batch_upload(actor=world.officer_a, unit=world.commune_a, upload=upload)
    assert batch.status == BatchStatus.REFUSED
    batch.refresh_from_db()
    assert not batch.file and not list((tmp_path / "media").rglob("*.csv"))


def test_task_ignores_a_batch_that_is_not_queued(world, tmp_path):
    batch = _upload(world, tmp_path)  # checked, never confirmed
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PLANNED
    assert not Member.objects.filter(full_name__startswith="Phạm Minh T").exists()


def test_a_role_withdrawn_before_the_run_fails_the_batch_cleanly(world, tmp_path):
    batch = _queued(world, tmp_path)
    RoleAssignment.objects.filter(user=world.officer_a).delete()
    forget_grants(world.officer_a)
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and batch.error
    assert not Member.objects.filter(full_name__startswith="Phạm Minh T").exists()


def test_a_crash_in_the_middle_leaves_nothing_half_applied(world, tmp_path, monkeypatch):
    batch = _queued(world, tmp_path)

    def crashing_reporter(model, batch_id):
        def report(done: int, total: int) -> None:
            raise RuntimeError("worker killed")

        return report, lambda: None

    monkeypatch.setattr(progress, "progress_reporter", crashing_reporter)
    monkeypatch.setattr("dangvien.imports.services.BATCH", 1)  # the crash comes after the first row is written
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "worker killed" in batch.error
    assert not Member.objects.filter(full_name__startswith="Phạm Minh T").exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_before_commit(world, tmp_path):
    batch = _upload(world, tmp_path)
    if connection.vendor != "postgresql":
        # SQLite has one writer at a time: a second connection would wait behind the apply
        # transaction, so the reporter writes to the file cache the web processes read.
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
        report, close = progress.progress_reporter(ImportBatch, batch.pk)
        with transaction.atomic():  # as inside import_apply
            report(2, 3)
            on_disk = FileBasedCache(settings.CACHES["progress"]["LOCATION"], {})  # another process's view
            assert on_disk.get(progress.progress_key(ImportBatch, batch.pk))[:2] == (2, 3)
            seen = selectors.batch_live_progress(ImportBatch.objects.get(pk=batch.pk))
            assert (seen.progress_done, seen.progress_total, seen.percent) == (2, 3, 66)
        close()
        assert selectors.batch_live_progress(ImportBatch.objects.get(pk=batch.pk)).progress_done == 0
        return
    report, close = progress.progress_reporter(ImportBatch, batch.pk)
    observer = connections.create_connection("default")
    try:
        with transaction.atomic():  # as inside import_apply
            report(2, 3)
            with observer.cursor() as cursor:
                cursor.execute(f"SELECT progress_done, progress_total FROM {ImportBatch._meta.db_table} "
                               "WHERE id = %s", [batch.pk])
                assert cursor.fetchone() == (2, 3)
    finally:
        close()
        observer.close()
