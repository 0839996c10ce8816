"""Background tasks of the import app (Django's Tasks API; `dangvien db_worker` runs them), queued by
batches.py: apply a confirmed batch, undo a finished one. Each claims its batch once and reports
through the generic job machinery (jobs/progress.py); a failure or a refusal is kept on the batch
and audited."""

from __future__ import annotations

import logging
import pathlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangvien.core.audit import audit_record
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.reading import read_member_file
from dangvien.imports.services import import_apply, import_plan
from dangvien.imports.undo import import_undo
from dangvien.jobs import progress as job_progress
from dangvien.jobs.progress import EXPECTED_FAILURES, claim, discard_file, failure_message

logger = logging.getLogger(__name__)


@task()
def apply_import_batch(batch_id: int) -> None:
    """Read, check and apply a queued batch. Only one run claims it. A failure marks it FAILED
    with the reason; the engine's single transaction means nothing was written."""
    if not claim(ImportBatch, batch_id, waiting=BatchStatus.QUEUED, running=BatchStatus.RUNNING,
                 started_at=timezone.now(), progress_done=0):
        return
    batch = ImportBatch.objects.select_related("unit", "actor").get(pk=batch_id)
    try:
        _apply(batch)
    finally:
        # Read once: a failed import is uploaded anew (its plan would be stale anyway).
        discard_file(batch, "file")


def _apply(batch: ImportBatch) -> None:
    try:
        parsed = read_member_file(pathlib.Path(batch.file.path))
        plan = import_plan(actor=batch.actor, unit=batch.unit, parsed=parsed)
        job_progress.set_progress(ImportBatch, batch.pk, 0, plan.to_write)
        report, close = job_progress.progress_reporter(ImportBatch, batch.pk)
        try:
            result = import_apply(actor=batch.actor, unit=batch.unit, plan=plan, progress=report, record_to=batch)
        finally:
            close()
    except EXPECTED_FAILURES as exc:
        _failed(batch, failure_message(exc))
        return
    except Exception as exc:  # a crash: record it for the officer, keep the trace in the log
        logger.exception("Import batch %s failed", batch.pk)
        _failed(batch, _("The import stopped on an unexpected error: %(error)s. Nothing was imported.")
                % {"error": exc})
        return
    audit_record(actor=batch.actor, action="import.done", object_type="import_batch", object_id=batch.pk,
                 unit_path=batch.unit.path, before={"status": BatchStatus.RUNNING},
                 after={"status": BatchStatus.DONE, "created": len(result.created_ids),
                        "updated": len(result.updated_ids)})


def _failed(batch: ImportBatch, message: str) -> None:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=message,
                                                       finished_at=timezone.now())
        audit_record(actor=batch.actor, action="import.failed", object_type="import_batch", object_id=batch.pk,
                     unit_path=batch.unit.path, before={"status": BatchStatus.RUNNING},
                     after={"status": BatchStatus.FAILED, "file": batch.original_name, "error": message})


@task()
def undo_import_batch(batch_id: int) -> None:
    """Undo a finished import whose undo was requested, as the officer who asked (imports/undo.py);
    a refusal puts the batch back to done with the reason."""
    if not claim(ImportBatch, batch_id, waiting=BatchStatus.UNDO_QUEUED, running=BatchStatus.UNDOING):
        return
    batch = ImportBatch.objects.select_related("unit", "undone_by").get(pk=batch_id)
    try:
        import_undo(actor=batch.undone_by, batch=batch)
    except EXPECTED_FAILURES as exc:
        _undo_refused(batch, failure_message(exc))
    except Exception as exc:
        logger.exception("Undo of import batch %s failed", batch_id)
        _undo_refused(batch, _("The undo stopped on an unexpected error: %(error)s. Nothing was changed.")
                      % {"error": exc})


def _undo_refused(batch: ImportBatch, message: str) -> None:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE, undone_by=None, undo_error=message)
        audit_record(actor=batch.undone_by, action="import.undo_refused", object_type="import_batch",
                     object_id=batch.pk, unit_path=batch.unit.path, before={"status": BatchStatus.UNDOING},
                     after={"status": BatchStatus.DONE, "reason": message})
