"""Writes to stored imports: upload and check (a batch with its plan), confirm (queue the task), the
batch of a command-line import, undo (queue it), give up on a stalled run, expire unconfirmed
checks, the rejected rows' file, and the records of refused and failed imports. Every write checks
MEMBER_MANAGE at the batch's unit, runs in one transaction and writes an audit row with the batch's
state before and after. Reads are in selectors.py; the tasks' bodies in tasks.py; the batch is a
long job (jobs/progress.py: progress, sign of life, stall)."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.audit import audit_record, jsonable
from dangvien.core.errors import NotFound
from dangvien.imports.export import write_rejections_xlsx
from dangvien.imports.models import SAMPLE_ROWS, BatchSource, BatchStatus, ImportBatch
from dangvien.imports.planning import ImportPlan
from dangvien.imports.reading import read_member_file
from dangvien.imports.selectors import batches_visible_to
from dangvien.imports.services import import_plan, require_import_rights
from dangvien.imports.tasks import apply_import_batch, undo_import_batch
from dangvien.imports.undo import NOT_UNDOABLE, undo_refusal
from dangvien.jobs.progress import STOPPED, discard_file, stop_waiting
from dangvien.members.models import Member
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import Unit

ALLOWED_SUFFIXES = (".xlsx", ".csv")


def _summary(batch: ImportBatch) -> dict[str, Any]:
    """What an audit row records of a batch."""
    return {"file": batch.original_name, "status": batch.status, "new": batch.count_new,
            "updated": batch.count_updated, "unchanged": batch.count_unchanged, "rejected": batch.count_rejected}


def _audit(actor: Any, batch: ImportBatch, action: str, *, before: str | None = None, **after: Any) -> None:
    """An audit row of a batch: `before`, its status before the write (None when the write made it);
    after, its summary now, with `after`'s extra keys."""
    audit_record(actor=actor, action=action, object_type="import_batch", object_id=batch.pk,
                 unit_path=batch.unit.path, before=None if before is None else {"status": before},
                 after={**_summary(batch), **after})


def batch_upload(*, actor: Any, unit: Unit, upload: UploadedFile) -> ImportBatch:
    """Store the file, read and check it, and keep the plan's counts, rejections and a sample of
    the changes on the batch. Writes no member. A refused file gives a REFUSED batch ("import.refused")."""
    require_import_rights(actor, unit)
    name = pathlib.Path(upload.name or "").name[:255]
    batch = ImportBatch(actor=actor, unit=unit, original_name=name)
    if pathlib.Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        # Not stored at all: nothing to keep of a file that is not a member list.
        batch.status = BatchStatus.REFUSED
        batch.error = _("Only .xlsx and .csv files can be imported; “%(name)s” is neither.") % {"name": name}
        with transaction.atomic():
            batch.save()
            _audit(actor, batch, "import.refused", error=batch.error)
        return batch
    batch.file.save(name, upload, save=False)
    parsed = read_member_file(pathlib.Path(batch.file.path))
    plan = import_plan(actor=actor, unit=unit, parsed=parsed)
    _store_plan(batch, plan)
    refused = batch.status == BatchStatus.REFUSED
    with transaction.atomic():
        batch.save()
        if refused:
            _audit(actor, batch, "import.refused", error=batch.error)
        else:
            _audit(actor, batch, "import.upload")
    if refused:
        discard_file(batch, "file")
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
    batch.count_warned = len(plan.warned_lines)
    batch.warnings = [{"line": w.line, "column": w.column, "message": w.message} for w in plan.warnings]
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
    require_import_rights(actor, batch.unit)
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PLANNED).update(
            status=BatchStatus.QUEUED, progress_at=timezone.now())
        if not claimed or not batch.writes_something:
            raise ValidationError(_("This import cannot be confirmed (it is not waiting for confirmation, "
                                    "or it would change nothing)."))
        batch.status = BatchStatus.QUEUED
        _audit(actor, batch, "import.confirm", before=BatchStatus.PLANNED)
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
    before = batch.status
    if before in {BatchStatus.QUEUED, BatchStatus.RUNNING}:
        ended: dict[str, Any] = {"status": BatchStatus.FAILED, "error": f"{STOPPED} {_('Upload the file again.')}",
                                 "finished_at": timezone.now()}
    else:
        ended = {"status": BatchStatus.DONE, "undone_by": None, "undo_error": str(STOPPED)}
    with transaction.atomic():
        stop_waiting(batch, **ended)
        batch.refresh_from_db()
        _audit(actor, batch, "import.abandoned", before=before)
    discard_file(batch, "file")
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
            batch.status = BatchStatus.EXPIRED
            _audit(actor, batch, "import.expired", before=BatchStatus.PLANNED)
        discard_file(batch, "file")
        expired += 1
    return expired


def batch_undo_request(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Queue the undo of a finished import. Checked now, so the officer learns at once which
    members stop it (a refusal is audited); the task checks again under lock (something may change
    in between)."""
    require_import_rights(actor, batch.unit)
    if reason := undo_refusal(batch):
        batch_undo_refused_record(actor=actor, batch=batch, reason=reason)
        raise ValidationError(reason)
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.DONE, undone_at__isnull=True).update(
            status=BatchStatus.UNDO_QUEUED, undone_by=actor, undo_error="", progress_at=timezone.now())
        if not claimed:  # already queued or undone by someone else meanwhile
            raise ValidationError(str(NOT_UNDOABLE))
        batch.status = BatchStatus.UNDO_QUEUED
        _audit(actor, batch, "import.undo_requested", before=BatchStatus.DONE)
    undo_import_batch.enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def batch_rejections_export(*, actor: Any, batch: ImportBatch) -> io.BytesIO:
    """The batch's rejected rows with their reasons, as an XLSX file to download (they quote the
    uploaded file's cells, citizen IDs included: the download is audited)."""
    if not batches_visible_to(actor).filter(pk=batch.pk).exists():
        raise NotFound(_("No such import."))
    buffer = io.BytesIO()
    write_rejections_xlsx(batch.rejections, buffer)
    buffer.seek(0)
    audit_record(actor=actor, action="import.rejections_exported", object_type="import_batch", object_id=batch.pk,
                 unit_path=batch.unit.path, after={"file": batch.original_name, "rows": len(batch.rejections)})
    return buffer


# --- records of refusals and failures outside a batch's own writes ------------------------------
# They change nothing but the audit trail, and are written even when the actor may not import at
# the unit: a refused attempt is on the record too.


def batch_undo_refused_record(*, actor: Any, batch: ImportBatch, reason: str) -> None:
    """An undo asked for and refused (the batch's state, or members changed since), from the page or
    the command line."""
    with transaction.atomic():
        audit_record(actor=actor, action="import.undo_refused", object_type="import_batch", object_id=batch.pk,
                     unit_path=batch.unit.path, before={"status": batch.status},
                     after={"status": batch.status, "reason": reason})


def import_refused_record(*, actor: Any, unit: Unit, name: str, reason: str) -> None:
    """A file refused at the server shell (`dangvien import-members`): no batch is kept of it."""
    audit_record(actor=actor, action="import.refused", object_type="unit", object_id=unit.pk, unit_path=unit.path,
                 after={"file": name, "error": reason})


def import_failed_record(*, actor: Any, unit: Unit, name: str, reason: str) -> None:
    """An import at the server shell that failed while writing (a stale plan, a permission withdrawn):
    its transaction, batch included, was rolled back."""
    audit_record(actor=actor, action="import.failed", object_type="unit", object_id=unit.pk, unit_path=unit.path,
                 after={"file": name, "error": reason})
