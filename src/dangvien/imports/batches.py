"""Stored two-phase imports: upload and check (a batch with its plan), confirm (queue the task),
run (the task's body); the batch of a command-line import; undo (queue it, run it). Every write
checks MEMBER_MANAGE at the batch's unit and writes an audit row; reads go through
`batches_visible_to` (the uploader, and officers whose scope covers the unit).

Progress while the engine writes: `import_apply` runs in one transaction, so a progress row updated
on the same connection stays invisible to the page until commit. On PostgreSQL the callback writes
through a second, autocommit connection (the apply transaction touches the batch row only after
the last progress report, when it marks the batch done, so the two never wait on each other).
SQLite allows one writer at a time, so a second connection would block behind the apply
transaction; there the callback writes to the "progress" cache (files under var/, shared by the
worker and the web processes on the one machine an SQLite installation runs on), and
`batch_live_progress` reads it. Each report is also the worker's sign of life (`progress_at`).
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.audit import audit_record, jsonable
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.imports.models import SAMPLE_ROWS, BatchSource, BatchStatus, ImportBatch
from dangvien.imports.planning import ImportPlan
from dangvien.imports.reading import read_member_file
from dangvien.imports.services import import_apply, import_plan, require_import_rights
from dangvien.imports.undo import NOT_UNDOABLE, import_undo, undo_refusal
from dangvien.members.models import Member
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import Unit
from dangvien.org.selectors import units_visible_to

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".xlsx", ".csv")


# --- reads --------------------------------------------------------------------------------------


def batches_visible_to(actor: Any) -> QuerySet[ImportBatch]:
    if not getattr(actor, "is_authenticated", False):
        return ImportBatch.objects.none()
    own = Q(actor_id=actor.pk) if getattr(actor, "pk", None) else Q(pk__in=[])  # the system operator has no id
    return ImportBatch.objects.filter(own | scope_for(actor, MEMBER_MANAGE).q("unit__path"))


def batch_get_for(actor: Any, batch_id: int) -> ImportBatch:
    batch = batches_visible_to(actor).select_related("unit", "actor").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such import."))
    return batch


def batch_live_progress(batch: ImportBatch) -> ImportBatch:
    """`batch` with the progress of its running import (SQLite: from the progress cache), and
    `batch.stalled`: queued or running with no sign of life for IMPORT_STALLED_MINUTES (no worker
    running, or one that was stopped: either way nothing was written, see `batch_abandon`)."""
    if batch.status == BatchStatus.RUNNING and connection.vendor != "postgresql":
        found = caches["progress"].get(_progress_key(batch.pk))
        if found is not None:
            batch.progress_done, batch.progress_total, batch.progress_at = found
    quiet_for = timezone.now() - (batch.progress_at or batch.created_at)
    batch.stalled = batch.in_progress and quiet_for > dt.timedelta(
        minutes=settings.DANGVIEN["IMPORT_STALLED_MINUTES"])
    return batch


def _progress_key(batch_id: int) -> str:
    # The database's name too: test runs in parallel each number their batches from 1.
    return f"import-progress:{connection.settings_dict['NAME']}:{batch_id}"


def units_managed_by(actor: Any) -> QuerySet[Unit]:
    return units_visible_to(actor).filter(scope_for(actor, MEMBER_MANAGE).q())


# --- writes -------------------------------------------------------------------------------------


def batch_upload(*, actor: Any, unit: Unit, upload: UploadedFile) -> ImportBatch:
    """Store the file, read and check it, and keep the plan's counts, rejections and a sample of
    the changes on the batch. Writes no member. A refused file gives a REFUSED batch."""
    require_import_rights(actor, unit)
    name = pathlib.Path(upload.name or "").name[:255]
    batch = ImportBatch(actor=actor, unit=unit, original_name=name)
    if pathlib.Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        # Not stored at all: nothing to keep of a file that is not a member list.
        batch.status = BatchStatus.REFUSED
        batch.error = _("Only .xlsx and .csv files can be imported; “%(name)s” is neither.") % {"name": name}
        with transaction.atomic():
            batch.save()
            _audit(actor, batch, "import.refused")
        return batch
    batch.file.save(name, upload, save=False)
    parsed = read_member_file(pathlib.Path(batch.file.path))
    plan = import_plan(actor=actor, unit=unit, parsed=parsed)
    _store_plan(batch, plan)
    with transaction.atomic():
        batch.save()
        _audit(actor, batch, "import.upload")
    if batch.status == BatchStatus.REFUSED:
        _discard_file(batch)
    return batch


def _store_plan(batch: ImportBatch, plan: ImportPlan) -> None:
    batch.planned_at = timezone.now()
    if plan.refused:
        batch.status = BatchStatus.REFUSED
        batch.error = " ".join(e.message for e in plan.file_errors)
        batch.rejections = [{"line": e.line, "column": e.column, "message": e.message} for e in plan.file_errors]
        return
    counts = plan.counts
    batch.status = BatchStatus.PLANNED
    batch.count_new, batch.count_updated = counts["new"], counts["updated"]
    batch.count_unchanged, batch.count_rejected = counts["unchanged"], counts["rejected"]
    batch.rejections = [{"line": r.line, "column": r.column, "message": r.message} for r in plan.rejections]
    sample = plan.rows[:SAMPLE_ROWS]
    # An update's record holds the changed fields only: the name comes from the member (in the
    # actor's scope, as every update is).
    names = dict(Member.objects.filter(pk__in=[row.member_id for row in sample if row.member_id])
                 .values_list("id", "full_name"))
    batch.changes_sample = [
        {"line": row.line, "action": str(row.action),
         "name": row.record.get("full_name") or names.get(row.member_id or 0, ""),
         "fields": [[name, jsonable(old), jsonable(new)] for name, (old, new) in row.changes.items()]
         if row.action == "updated" else []}
        for row in sample
    ]
    batch.progress_total = plan.to_write


def batch_confirm(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Queue the import of a checked batch. The task re-reads and re-checks the stored file, so a
    change made since the preview is caught there (the engine refuses a stale plan whole)."""
    from dangvien.imports.tasks import apply_import_batch

    require_import_rights(actor, batch.unit)
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PLANNED).update(
            status=BatchStatus.QUEUED, progress_at=timezone.now())
        if not claimed or not batch.writes_something:
            raise ValidationError(_("This import cannot be confirmed (it is not waiting for confirmation, "
                                    "or it would change nothing)."))
        _audit(actor, batch, "import.confirm")
    # After commit: the database backend's worker must find the batch queued.
    apply_import_batch.enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def batch_start_command(*, actor: Any, unit: Unit, name: str, plan: ImportPlan) -> ImportBatch:
    """The batch of an import run at the server shell (`dangvien import-members`), created running
    with its plan in the import's own transaction; `import_apply(record_to=...)` finishes it, so it
    can be undone like any other. The file is not copied: it stays where the operator keeps it."""
    require_import_rights(actor, unit)
    batch = ImportBatch(actor_id=getattr(actor, "pk", None), unit=unit, original_name=name[:255],
                        source=BatchSource.COMMAND)
    _store_plan(batch, plan)
    batch.status, batch.started_at = BatchStatus.RUNNING, timezone.now()
    with transaction.atomic():
        batch.save()
        _audit(actor, batch, "import.start")
    return batch


def batch_abandon(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Give up waiting for a stalled import or undo. Its work runs in one transaction that marks
    the batch done when it commits, so a run that stopped wrote nothing: the import is marked failed
    (upload the file again), the undo refused (the import stays, and may be undone again). If the
    worker was only slow after all and commits later, its outcome replaces this one: the batch
    then says what the registry holds."""
    require_import_rights(actor, batch.unit)
    batch = batch_live_progress(batch)
    if not batch.stalled:
        raise ValidationError(_("This import is not stalled: wait for it to finish."))
    message = _("The work stopped without finishing (no worker ran it, or the worker was stopped); "
                "nothing was changed.")
    with transaction.atomic():
        if batch.status in {BatchStatus.QUEUED, BatchStatus.RUNNING}:
            ended = ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
                status=BatchStatus.FAILED, error=message + " " + _("Upload the file again."),
                finished_at=timezone.now())
        else:
            ended = ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
                status=BatchStatus.DONE, undone_by=None, undo_error=message)
        if not ended:
            raise ValidationError(_("This import changed meanwhile: see its state below."))
        _audit(actor, batch, "import.abandoned")
    _discard_file(batch)
    batch.refresh_from_db()
    return batch


def batches_purge(*, actor: Any, older_than: dt.timedelta) -> int:
    """Expire the checked batches nobody confirmed within `older_than`, deleting their files (the
    counts and rejected rows stay on the batch). It spans every unit, so only for whoever manages
    members everywhere (the system operator, who runs it daily). Returns how many batches expired."""
    if not scope_for(actor, MEMBER_MANAGE).everywhere:
        raise PermissionDenied(_("Only someone who manages members everywhere may purge imports."))
    stale = ImportBatch.objects.filter(status=BatchStatus.PLANNED, planned_at__lt=timezone.now() - older_than)
    expired = 0
    for batch in stale.select_related("unit").iterator():
        with transaction.atomic():
            if not ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PLANNED).update(
                    status=BatchStatus.EXPIRED, finished_at=timezone.now()):
                continue  # confirmed meanwhile
            _audit(actor, batch, "import.expired")
        _discard_file(batch)
        expired += 1
    return expired


def batch_undo_request(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Queue the undo of a finished import. Checked now, so the officer learns at once which
    members stop it; the task checks again under lock (something may change in between)."""
    from dangvien.imports.tasks import undo_import_batch

    require_import_rights(actor, batch.unit)
    if reason := undo_refusal(batch):
        raise ValidationError(reason)
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.DONE, undone_at__isnull=True).update(
            status=BatchStatus.UNDO_QUEUED, undone_by=actor, undo_error="", progress_at=timezone.now())
        if not claimed:  # already queued or undone by someone else meanwhile
            raise ValidationError(str(NOT_UNDOABLE))
        _audit(actor, batch, "import.undo_requested")
    undo_import_batch.enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def batch_undo_run(batch_id: int) -> None:
    """The undo task's body: undo as the officer who asked; a refusal puts the batch back to done
    with the reason."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.UNDO_QUEUED).update(
        status=BatchStatus.UNDOING, progress_at=timezone.now())
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("unit", "undone_by").get(pk=batch_id)
    try:
        import_undo(actor=batch.undone_by, batch=batch)
    except _EXPECTED as exc:
        _undo_refused(batch_id, _message(exc))
    except Exception as exc:
        logger.exception("Undo of import batch %s failed", batch_id)
        _undo_refused(batch_id, _("The undo stopped on an unexpected error: %(error)s. Nothing was changed.")
                      % {"error": exc})


def _undo_refused(batch_id: int, message: str) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(status=BatchStatus.DONE, undone_by=None, undo_error=message)


def _audit(actor: Any, batch: ImportBatch, action: str) -> None:
    audit_record(actor=actor, action=action, object_type="import_batch", object_id=batch.pk,
                 unit_path=batch.unit.path,
                 after={"file": batch.original_name, "status": batch.status, "new": batch.count_new,
                        "updated": batch.count_updated, "unchanged": batch.count_unchanged,
                        "rejected": batch.count_rejected})


# --- the task's body ----------------------------------------------------------------------------

_EXPECTED = (ValidationError, StaleEdit, NotFound, PermissionDenied)


def batch_run(batch_id: int) -> None:
    """Read, check and apply a queued batch. Only one run claims it. A failure marks it FAILED
    with the reason; the engine's single transaction means nothing was written."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING, started_at=timezone.now(), progress_done=0, progress_at=timezone.now())
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("unit", "actor").get(pk=batch_id)
    try:
        _run(batch)
    finally:
        _discard_file(batch)


def _run(batch: ImportBatch) -> None:
    batch_id = batch.pk
    try:
        parsed = read_member_file(pathlib.Path(batch.file.path))
        plan = import_plan(actor=batch.actor, unit=batch.unit, parsed=parsed)
        _set_progress(batch_id, 0, plan.to_write)
        report, close = _progress_reporter(batch_id)
        try:
            result = import_apply(actor=batch.actor, unit=batch.unit, plan=plan, progress=report, record_to=batch)
        finally:
            close()
    except _EXPECTED as exc:
        _finish_failed(batch_id, _message(exc))
        return
    except Exception as exc:  # a crash: record it for the officer, keep the trace in the log
        logger.exception("Import batch %s failed", batch_id)
        _finish_failed(batch_id, _("The import stopped on an unexpected error: %(error)s. Nothing was imported.")
                       % {"error": exc})
        return
    audit_record(actor=batch.actor, action="import.done", object_type="import_batch", object_id=batch_id,
                 unit_path=batch.unit.path,
                 after={"created": len(result.created_ids), "updated": len(result.updated_ids)})


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _discard_file(batch: ImportBatch) -> None:
    """The uploaded file, once its batch ran or was refused: a member list with citizen IDs is not
    kept on disk longer than needed. What the pages show (counts, rejected rows) is on the batch;
    a failed import is uploaded anew (its plan would be stale anyway)."""
    if batch.file:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")


def _finish_failed(batch_id: int, message: str) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(status=BatchStatus.FAILED, error=message,
                                                   finished_at=timezone.now())


def _set_progress(batch_id: int, done: int, total: int) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(progress_done=done, progress_total=total,
                                                   progress_at=timezone.now())


def _progress_reporter(batch_id: int) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress callback whose writes other connections see before the apply commits (see the
    module docstring), and the function that releases it."""
    if connection.vendor != "postgresql":
        cache, key = caches["progress"], _progress_key(batch_id)

        def forget() -> None:
            cache.delete(key)

        return (lambda done, total: cache.set(key, (done, total, timezone.now()))), forget
    side = connections.create_connection(DEFAULT_DB_ALIAS)  # autocommit: each update is visible at once
    table = ImportBatch._meta.db_table

    def report(done: int, total: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress_done = %s, progress_total = %s, progress_at = %s "  # noqa: S608
                           "WHERE id = %s", [done, total, timezone.now(), batch_id])

    return report, side.close
