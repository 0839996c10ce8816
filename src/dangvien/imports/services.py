"""Bulk member import: plan (read-only: what each row would do), then apply (one transaction).

Applying hands the plan's new and updated members to the bulk member writer (members/bulk.py),
which writes what the member services write, member by member: the record, its history events
(`admitted` and `recognized_official` for a new member, `corrected` with the changed fields for an
update) and one audit row with old and new values, in batches of bulk inserts, so that a province
(141,794 members) goes in within a minute; this module adds one `import.apply` summary row. The
field rules are the services' own (see planning.py).

All or nothing: everything runs in one transaction, so a failure anywhere (a crash, a killed
worker, a stale plan) leaves the database as it was, audit chain included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import forget_grants, require
from dangvien.core.audit import audit_record, jsonable
from dangvien.core.bulk import bulk_insert, id_runs
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.scope import subtree_filter
from dangvien.imports.models import BatchStatus, ImportBatch, ImportedUpdate
from dangvien.imports.planning import Action, ImportPlan, PlannedRow, Rejection, build_plan
from dangvien.members.bulk import CELL, MEMBER, TAKEN, Correction, Refused, Registration, members_write
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit
from dangvien.org.selectors import units_visible_to

if TYPE_CHECKING:
    from dangvien.imports.reading import ParsedFile

__all__ = ["ImportPlan", "ImportResult", "PlannedRow", "Rejection", "import_apply", "import_plan"]

BATCH = 5000  # rows written per round: memory stays flat, and progress moves at least every few seconds

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    unchanged: int = 0
    rejected: int = 0
    audit_rows: int = 0


def import_plan(*, actor: Any, unit: Unit, parsed: ParsedFile) -> ImportPlan:
    """What importing `parsed` under `unit` would do. It changes no member, but it is audited: a
    plan (a dry run too) tells whether identifiers in the file belong to members elsewhere, so
    probing that is on the record."""
    require_import_rights(actor, unit)
    plan = build_plan(actor=actor, unit=unit, parsed=parsed)
    audit_record(actor=actor, action="import.plan", object_type="unit", object_id=unit.pk, unit_path=unit.path,
                 after={**plan.counts, "rows": plan.total_rows})
    return plan


def import_apply(*, actor: Any, unit: Unit, plan: ImportPlan, progress: Progress | None = None,
                 record_to: ImportBatch | None = None, batch_size: int | None = None) -> ImportResult:
    """Write the plan's new and updated members in one transaction; refuse a stale plan whole.
    With `record_to`, the batch is marked done in the same transaction, with what undoing the import
    needs: a worker killed before the commit leaves neither the members nor a "done" batch."""
    if plan.refused:
        raise ValidationError(_("This file was refused: there is nothing to import."))
    if plan.unit_id != unit.pk:
        raise ValueError("The plan was made for another unit.")
    result = ImportResult(unchanged=len(plan.unchanged), rejected=len(plan.rejected_lines))
    with transaction.atomic():
        forget_grants(actor)  # roles as they are now, not as when the plan was made
        unit = Unit.objects.get(pk=unit.pk)  # its path as it is now
        require_import_rights(actor, unit)
        _cells_still_under(unit, plan)
        try:
            # The plan put each record through the services' field rules moments ago (planning.py).
            written = members_write(
                actor=actor, fields_checked=True, batch_size=batch_size or BATCH, progress=progress,
                registrations=[Registration(row.cell_id, row.record, row.status, key=row.line)
                               for row in plan.rows if row.action == Action.NEW],
                corrections=[_correction(row) for row in plan.rows if row.action == Action.UPDATED])
        except Refused as refused:
            raise _stale_plan(refused) from None
        result.created_ids, result.updated_ids = written.created_ids, written.updated_ids
        result.audit_rows = written.audit_rows
        audit_record(actor=actor, action="import.apply", object_type="unit", object_id=unit.pk,
                     unit_path=unit.path, after={**plan.counts, "rows": plan.total_rows,
                                                 "audit_rows": result.audit_rows})
        result.audit_rows += 1
        if record_to is not None:
            # Last: on PostgreSQL the progress reports above update the batch row from another
            # connection, which would wait forever on a row this transaction had already updated.
            _finish_batch(record_to, plan, result)
    return result


def _correction(row: PlannedRow) -> Correction:
    assert row.member_id is not None and row.version is not None  # an update's plan row names both
    return Correction(row.member_id, row.version, row.record, key=row.line)


def _finish_batch(batch: ImportBatch, plan: ImportPlan, result: ImportResult) -> None:
    """Done, with the created members' ids and each updated member's replaced values and new version."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, finished_at=timezone.now(), progress_done=plan.to_write,
        progress_total=plan.to_write, result_created=len(result.created_ids),
        result_updated=len(result.updated_ids), created_ranges=id_runs(result.created_ids))
    updated = set(result.updated_ids)  # a planned update that changed nothing raised no version
    bulk_insert(ImportedUpdate, [
        {"batch_id": batch.pk, "member_id": row.member_id, "version": (row.version or 0) + 1,
         "before": {name: jsonable(value) for name, value in row.old.items()}}
        for row in plan.rows if row.action == Action.UPDATED and row.member_id in updated])


# --- checks -------------------------------------------------------------------------------------


def require_import_rights(actor: Any, unit: Unit) -> None:
    """May `actor` import into `unit`? Scope (404) before permission (403), as in every service."""
    if not units_visible_to(actor).filter(pk=unit.pk).exists():
        raise NotFound(_("No such unit."))
    require(actor, MEMBER_MANAGE, unit)


def _stale(message: str) -> StaleEdit:
    return StaleEdit(message + " " + _("Nothing was imported; check the file again and import it anew."),
                     code="stale")


def _cells_still_under(unit: Unit, plan: ImportPlan) -> None:
    """Every cell the plan writes to must still be a cell under `unit` (a unit moved since planning
    stops the import); the member writer checks that the actor manages each."""
    wanted = {row.cell_id for row in plan.rows}
    found = set(Unit.objects.filter(**subtree_filter(unit.path), kind__in=MEMBER_UNIT_KINDS)
                .filter(pk__in=wanted).values_list("id", flat=True)) if wanted else set()
    if lost := wanted - found:
        raise _stale_cells(sorted(row.line for row in plan.rows if row.cell_id in lost))


def _stale_cells(lines: list[int]) -> StaleEdit:
    return _stale(_("The cells of lines %(lines)s changed since the check.") % {"lines": _short(lines)})


def _stale_plan(refused: Refused) -> ValidationError:
    """The member writer's refusal in the import's words: the lines whose cell, member or
    identifiers changed since the plan was made."""
    lines = {reason: sorted({p.key for p in refused.problems if p.reason == reason}) for reason in (CELL, MEMBER, TAKEN)}
    if lines[CELL]:
        return _stale_cells(lines[CELL])
    if lines[MEMBER]:
        return _stale(_("The members of lines %(lines)s were changed by someone else since the check.")
                      % {"lines": _short(lines[MEMBER])})
    if lines[TAKEN]:
        return _stale(_("Since the check, another member was given the citizen ID, profile or card number of "
                        "lines %(lines)s.") % {"lines": _short(lines[TAKEN])})
    return refused


def _short(lines: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (_(" and %(n)s more") % {"n": len(lines) - limit} if len(lines) > limit else "")
