"""Background tasks of the import app (Django's Tasks API; `dangvien db_worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from dangvien.imports.batches import batch_run, batch_undo_run


@task()
def apply_import_batch(batch_id: int) -> None:
    """Apply a confirmed import batch (see imports/batches.py)."""
    batch_run(batch_id)


@task()
def undo_import_batch(batch_id: int) -> None:
    """Undo a finished import batch whose undo was requested (see imports/undo.py)."""
    batch_undo_run(batch_id)
