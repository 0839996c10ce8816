"""Undoing a whole import, while no later change touched the members it wrote.

An import is undone whole or not at all, and only while every member it wrote is as the import
left it: the member's `version` unchanged (every service write raises it), and no user account
linked to a member it created. Undoing

- deletes the members it created, with their history (they were not in the registry before), each
  deleted record kept in an audit row ("member.import_undone", before = the record);
- puts back the values it replaced on the members it updated, with a `corrected` history event and
  an audit row ("member.import_undone", before/after), raising their version as any write does;
- marks the batch undone, with an "import.undo" audit row.

The members are deleted and restored by the bulk member writer (members/bulk.py), which checks the
actor's permission over each one.

One transaction: an undo that is refused or fails midway changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvien.accounts.models import User
from dangvien.accounts.permissions import forget_grants
from dangvien.core.audit import audit_record
from dangvien.imports.models import BatchStatus, ImportBatch, ImportedUpdate
from dangvien.imports.services import require_import_rights
from dangvien.members.bulk import Correction, members_delete_imported, members_restore
from dangvien.members.models import Member

# A batch in one of these states may be undone (queued / undoing: the task is on its way).
UNDOABLE = frozenset({BatchStatus.DONE, BatchStatus.UNDO_QUEUED, BatchStatus.UNDOING})
BLOCKERS_SHOWN = 20
NOT_UNDOABLE = gettext_lazy("Only a finished import that has not been undone can be undone.")
_CHUNK = 2000  # ids per IN list
_SPAN = 5000  # created members deleted per round (the import's own batch size)


@dataclass(frozen=True)
class UndoBlocker:
    member_id: int
    full_name: str
    reason: str


@dataclass
class UndoResult:
    deleted: int = 0
    restored: int = 0
    audit_rows: int = 0


# --- reads --------------------------------------------------------------------------------------


def undo_blockers(batch: ImportBatch, *, limit: int | None = BLOCKERS_SHOWN) -> tuple[int, list[UndoBlocker]]:
    """How many members the import wrote have changed since (each one stops the undo), and the
    first `limit` of them. Counted with a few range queries: cheap enough for the batch's page."""
    total, shown = 0, list[UndoBlocker]()

    def add(count: int, found: list[UndoBlocker]) -> None:
        nonlocal total
        total += count
        shown.extend(found[: None if limit is None else max(limit - len(shown), 0)])

    changed_reason = _("changed after the import")
    for first, last in batch.created_ranges:
        in_run = Member.objects.filter(pk__range=(first, last))
        changed = in_run.exclude(version=1)
        add(changed.count(), [UndoBlocker(pk, name, changed_reason)
                              for pk, name in changed.order_by("pk").values_list("id", "full_name")[:limit]])
        missing = (last - first + 1) - in_run.count()
        if missing:
            add(missing, [UndoBlocker(0, "", _("%(n)s members the import added are no longer in the registry")
                                      % {"n": missing})])
        accounts = User.objects.filter(member_id__gte=first, member_id__lte=last).order_by("member_id")
        add(accounts.count(), [UndoBlocker(pk, name, _("has activated a user account"))
                               for pk, name in accounts.values_list("member_id", "member__full_name")[:limit]])
    updated = (ImportedUpdate.objects.filter(batch=batch).exclude(member__version=F("version"))
               .order_by("member_id"))
    add(updated.count(), [UndoBlocker(pk, name, changed_reason)
                          for pk, name in updated.values_list("member_id", "member__full_name")[:limit]])
    return total, shown


def undo_refusal(batch: ImportBatch) -> str | None:
    """Why `batch` cannot be undone now (its state, or the members that changed since), or None."""
    if batch.status not in UNDOABLE or batch.undone_at is not None:
        return str(NOT_UNDOABLE)
    total, shown = undo_blockers(batch)
    return blocked_message(total, shown) if total else None


def blocked_message(total: int, shown: list[UndoBlocker]) -> str:
    names = "; ".join(f"{b.full_name} (#{b.member_id}): {b.reason}" if b.member_id else b.reason for b in shown)
    more = _(" and %(n)s more") % {"n": total - len(shown)} if total > len(shown) else ""
    return _("The import cannot be undone: %(n)s of the members it wrote were changed after it (undo "
             "those changes first, or correct the records one by one): %(names)s%(more)s.") % {
        "n": total, "names": names, "more": more}


# --- the undo -----------------------------------------------------------------------------------


def import_undo(*, actor: Any, batch: ImportBatch) -> UndoResult:
    """Undo `batch` whole (see the module docstring); refuse with the members that changed since."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("unit").get(pk=batch.pk)
        forget_grants(actor)  # roles as they are now
        require_import_rights(actor, batch.unit)
        _lock_members(batch)  # PostgreSQL; SQLite's write transaction already holds the database
        if reason := undo_refusal(batch):
            raise ValidationError(reason)
        result = UndoResult()
        _delete_created(actor, batch, result)
        _restore_updated(actor, batch, result)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.UNDONE, undone_at=timezone.now(), undone_by=getattr(actor, "pk", None),
            undo_error="")
        audit_record(actor=actor, action="import.undo", object_type="import_batch", object_id=batch.pk,
                     unit_path=batch.unit.path, after={"deleted": result.deleted, "restored": result.restored})
        result.audit_rows += 1
    return result


def _lock_members(batch: ImportBatch) -> None:
    """Hold every member the import wrote until the undo commits, so none changes in between."""
    for first, last in batch.created_ranges:
        list(Member.objects.select_for_update().filter(pk__range=(first, last)).values_list("id"))
    ids = list(ImportedUpdate.objects.filter(batch=batch).values_list("member_id", flat=True))
    for start in range(0, len(ids), _CHUNK):
        list(Member.objects.select_for_update().filter(pk__in=ids[start:start + _CHUNK]).values_list("id"))


def _spans(runs: list[list[int]]) -> Iterator[tuple[int, int]]:
    """The id runs cut into spans of at most _SPAN ids: a province is one run of 139,406 ids, and
    its records are loaded a span at a time, so memory stays flat."""
    size = _SPAN
    for first, last in runs:
        for start in range(first, last + 1, size):
            yield start, min(start + size - 1, last)


def _delete_created(actor: Any, batch: ImportBatch, result: UndoResult) -> None:
    for first, last in _spans(batch.created_ranges):
        written = members_delete_imported(actor=actor, first=first, last=last)
        result.deleted += written.deleted
        result.audit_rows += written.audit_rows


def _restore_updated(actor: Any, batch: ImportBatch, result: UndoResult) -> None:
    updates = ImportedUpdate.objects.filter(batch=batch).order_by("member_id").values_list("member_id", "version",
                                                                                            "before")
    fields = {f.attname: f for f in Member._meta.concrete_fields}
    # The values as stored: `before` holds them as an audit row does (a date as its ISO text).
    written = members_restore(actor=actor, import_id=batch.pk, restorations=[
        Correction(member_id, version, {name: fields[name].to_python(value) for name, value in before.items()},
                   key=member_id)
        for member_id, version, before in updates])
    result.restored += len(written.updated_ids)
    result.audit_rows += written.audit_rows
