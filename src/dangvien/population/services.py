"""Writes of the population app: loading an extract file as a snapshot. A loaded snapshot is
never changed (a newer extract is a new snapshot)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.audit import audit_record
from dangvien.core.tabular import CellError, TabularFileError
from dangvien.population.loading import Loading
from dangvien.population.models import Snapshot
from dangvien.population.permissions import SNAPSHOT_IMPORT
from dangvien.population.store import StoreBusy, snapshot_store


class SnapshotRefused(Exception):
    """The file is not loaded, and nothing changed: `errors` say why (a line when there is one)."""

    def __init__(self, message: str = "", *, errors: list[CellError] | None = None,
                 existing: Snapshot | None = None):
        self.errors = errors if errors is not None else [CellError(0, "", message)]
        self.existing = existing
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass
class SnapshotImported:
    snapshot: Snapshot
    rejections: list[CellError]  # every problem of every row not loaded, by line


def file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_import(
    *, actor: Any, path: pathlib.Path, name: str = "", taken_on: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SnapshotImported:
    """Load an extract file (CSV or Parquet) as a new snapshot, or refuse it (SnapshotRefused):
    the same file (same SHA-256) already loaded, the name taken, the file unreadable, or no row
    that can be loaded. Rows with problems are not loaded and come back in `rejections`.

    The snapshot's record, its rows in the store and the audit row commit together: on PostgreSQL
    in one transaction; on the DuckDB store the rows are dropped again if the record does not commit.
    """
    if not scope_for(actor, SNAPSHOT_IMPORT).everywhere:
        raise PermissionDenied(_("Only an administrator may load a population extract."))
    path = pathlib.Path(path)
    taken_on = taken_on or timezone.localdate()
    name = (name or path.stem).strip()
    try:
        sha256 = file_sha256(path)
    except OSError as exc:
        raise SnapshotRefused(_("The file cannot be opened: %(error)s") % {"error": exc.strerror}) from exc
    if existing := Snapshot.objects.filter(sha256=sha256).first():
        raise SnapshotRefused(_("This file is already loaded as snapshot %(name)s (taken on %(day)s); nothing "
                                "was changed.") % {"name": existing.name, "day": f"{existing.taken_on:%d/%m/%Y}"},
                              existing=existing)
    if Snapshot.objects.filter(name=name).exists():
        raise SnapshotRefused(_("A snapshot named %(name)s exists already: choose another name.") % {"name": name})
    store = snapshot_store()
    snapshot_id = None
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(name=name, taken_on=taken_on, file_name=path.name[:255],
                                               sha256=sha256, backend=store.backend,
                                               loaded_by=actor if getattr(actor, "pk", None) else None)
            snapshot_id = snapshot.pk
            loading = Loading(path=path, snapshot_id=snapshot.pk, taken_on=taken_on, progress=progress)
            snapshot.rows = store.load(snapshot.pk, loading.batches())
            snapshot.rejected = loading.rejected_lines
            if not snapshot.rows:
                raise SnapshotRefused(errors=loading.rejections or [CellError(0, "", _(
                    "The file has no data rows: there is a header but nobody under it."))])
            snapshot.save(update_fields=["rows", "rejected"])
            audit_record(actor=actor, action="population.snapshot_import", object_type="population.Snapshot",
                         object_id=snapshot.pk, after={
                             "name": snapshot.name, "taken_on": snapshot.taken_on, "file_name": snapshot.file_name,
                             "sha256": sha256, "rows": snapshot.rows, "rejected": snapshot.rejected,
                             "backend": snapshot.backend})
    except TabularFileError as exc:
        _forget(store, snapshot_id)
        raise SnapshotRefused(errors=exc.errors) from exc
    except StoreBusy as exc:
        _forget(store, snapshot_id)
        raise SnapshotRefused(str(exc)) from exc
    except BaseException:
        _forget(store, snapshot_id)
        raise
    return SnapshotImported(snapshot=snapshot, rejections=sorted(loading.rejections, key=lambda e: e.line))


def _forget(store: Any, snapshot_id: int | None) -> None:
    """Rows a failed load may have left in a store outside the database's transaction. A store too
    busy to open was not written either (its load could not open it)."""
    if snapshot_id is not None and store.backend == "duckdb":
        with contextlib.suppress(StoreBusy):
            store.drop(snapshot_id)
