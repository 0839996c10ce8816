"""Reads of stored imports, scoped to the acting user: the uploader sees their own batches, and
officers see those of the units where they manage members."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.imports.models import ImportBatch
from dangvien.jobs.progress import live_progress
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import Unit
from dangvien.org.selectors import units_visible_to


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
    """`batch` with the progress of its running import, and `batch.stalled` (jobs/progress.py):
    queued or running, the import or its undo, with no sign of life for a while."""
    return live_progress(batch)


def units_managed_by(actor: Any) -> QuerySet[Unit]:
    return units_visible_to(actor).filter(scope_for(actor, MEMBER_MANAGE).q())
