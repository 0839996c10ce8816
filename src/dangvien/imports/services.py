"""Bulk member import: plan (read-only: what each row would do), then apply (one transaction).

Applying writes what the member services write, member by member: the record, its history events
(`admitted` and `recognized_official` for a new member, `corrected` with the changed fields for an
update) and one audit row with old and new values, plus one `import.apply` summary row. It does so
in batches of bulk inserts instead of a service call a row, so that a province (141,794 members)
goes in within a minute; the rules are the services' own (see planning.py).

All or nothing: everything runs in one transaction, so a failure anywhere (a crash, a killed
worker, a stale plan) leaves the database as it was, audit chain included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import forget_grants, require, scope_for
from dangvien.core.audit import audit_record, audit_record_many, jsonable
from dangvien.core.bulk import RowRecord, bulk_insert, bulk_update, id_runs, one_parameter, reserve_ids
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.scope import subtree_filter
from dangvien.imports.models import BatchStatus, ImportBatch, ImportedUpdate
from dangvien.imports.planning import (
    IDENTIFIERS,
    MEMBER_COLUMNS,
    Action,
    ImportPlan,
    PlannedRow,
    Rejection,
    build_plan,
)
from dangvien.members import validation
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.members.services import NAME_COLUMNS, derive_name_columns, event_row, name_columns, row_snapshot
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit
from dangvien.org.selectors import units_visible_to

if TYPE_CHECKING:
    from dangvien.imports.reading import ParsedFile

__all__ = ["ImportPlan", "ImportResult", "PlannedRow", "Rejection", "import_apply", "import_plan"]

BATCH = 5000  # rows written per round: memory stays flat, and progress moves at least every few seconds
_LOCK_CHUNK = 2000

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
                 record_to: ImportBatch | None = None) -> ImportResult:
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
        cell_paths = _cells_still_managed(actor, unit, plan)
        current = _lock_updated_members(plan)
        _identifiers_still_free(plan)
        writer = _Writer(actor=actor, cell_paths=cell_paths, current=current, result=result)
        done, total = 0, plan.to_write
        for batch in _batches(plan.rows, BATCH):
            writer.write(batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        audit_record(actor=actor, action="import.apply", object_type="unit", object_id=unit.pk,
                     unit_path=unit.path, after={**plan.counts, "rows": plan.total_rows,
                                                 "audit_rows": result.audit_rows})
        result.audit_rows += 1
        if record_to is not None:
            # Last: on PostgreSQL the progress reports above update the batch row from another
            # connection, which would wait forever on a row this transaction had already updated.
            _finish_batch(record_to, plan, result)
    return result


def _finish_batch(batch: ImportBatch, plan: ImportPlan, result: ImportResult) -> None:
    """Done, with the created members' ids and each updated member's replaced values and new version."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, finished_at=timezone.now(), progress_done=plan.to_write,
        progress_total=plan.to_write, result_created=len(result.created_ids),
        result_updated=len(result.updated_ids), created_ranges=id_runs(result.created_ids))
    bulk_insert(ImportedUpdate, [
        {"batch_id": batch.pk, "member_id": row.member_id, "version": (row.version or 0) + 1,
         "before": {name: jsonable(value) for name, value in row.old.items()}}
        for row in plan.rows if row.action == Action.UPDATED])


# --- checks -------------------------------------------------------------------------------------


def require_import_rights(actor: Any, unit: Unit) -> None:
    """May `actor` import into `unit`? Scope (404) before permission (403), as in every service."""
    if not units_visible_to(actor).filter(pk=unit.pk).exists():
        raise NotFound(_("No such unit."))
    require(actor, MEMBER_MANAGE, unit)


def _stale(message: str) -> StaleEdit:
    return StaleEdit(message + " " + _("Nothing was imported; check the file again and import it anew."),
                     code="stale")


def _cells_still_managed(actor: Any, unit: Unit, plan: ImportPlan) -> dict[int, str]:
    """The path of every cell the plan writes to, if each is still a cell under `unit` that the
    actor manages (a unit moved or a role withdrawn since planning stops the import)."""
    wanted = {row.cell_id for row in plan.rows}
    found = dict(Unit.objects.filter(**subtree_filter(unit.path), kind__in=MEMBER_UNIT_KINDS)
                 .filter(pk__in=wanted).values_list("id", "path")) if wanted else {}
    scope = scope_for(actor, MEMBER_MANAGE)
    lost = {pk for pk in wanted if pk not in found or not scope.covers_path(found[pk])}
    if lost:
        lines = sorted(row.line for row in plan.rows if row.cell_id in lost)
        raise _stale(_("The cells of lines %(lines)s changed since the check.") % {"lines": _short(lines)})
    return found


def _lock_updated_members(plan: ImportPlan) -> dict[int, dict[str, Any]]:
    """Lock the members the plan updates and check that none changed since the plan was made
    (every write bumps `version`). Returns their stored values."""
    planned = {row.member_id: row for row in plan.rows if row.action == Action.UPDATED}
    current: dict[int, dict[str, Any]] = {}
    ids = sorted(pk for pk in planned if pk is not None)
    for start in range(0, len(ids), _LOCK_CHUNK):
        chunk = ids[start:start + _LOCK_CHUNK]
        rows = Member.objects.select_for_update().filter(pk__in=chunk).values_list(*MEMBER_COLUMNS)
        current.update((values[0], dict(zip(MEMBER_COLUMNS, values, strict=True))) for values in rows)
    stale = sorted(row.line for pk, row in planned.items()
                   if pk not in current or current[pk]["version"] != row.version
                   or current[pk]["unit_id"] != row.cell_id)
    if stale:
        raise _stale(_("The members of lines %(lines)s were changed by someone else since the check.")
                     % {"lines": _short(stale)})
    return current


def _identifiers_still_free(plan: ImportPlan) -> None:
    """A citizen ID, profile or card number the plan writes may have been given to another member
    since the plan was made; the unique index would stop the import, this says which line."""
    clashes: list[int] = []
    for name in IDENTIFIERS:
        wanted = {row.record[name]: row for row in plan.rows if row.record.get(name)}
        values = sorted(wanted)
        for start in range(0, len(values), _LOCK_CHUNK):
            owners = Member.objects.filter(**{f"{name}__in": one_parameter(values[start:start + _LOCK_CHUNK])})
            for value, owner in owners.values_list(name, "id"):
                if wanted[value].member_id != owner:
                    clashes.append(wanted[value].line)
    if clashes:
        raise _stale(_("Since the check, another member was given the citizen ID, profile or card number of "
                       "lines %(lines)s.") % {"lines": _short(sorted(set(clashes)))})


def _short(lines: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (_(" and %(n)s more") % {"n": len(lines) - limit} if len(lines) > limit else "")


# --- writing ------------------------------------------------------------------------------------


def _batches(rows: list[PlannedRow], size: int) -> Iterator[list[PlannedRow]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """One bulk insert (COPY on PostgreSQL, executemany elsewhere); a seam for the tests that make
    an import fail midway."""
    bulk_insert(model, rows)


class _Writer:
    def __init__(self, *, actor: Any, cell_paths: dict[int, str], current: dict[int, dict[str, Any]],
                 result: ImportResult):
        self.actor, self.cell_paths, self.current, self.result = actor, cell_paths, current, result
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.today = validation.today()

    def write(self, batch: list[PlannedRow]) -> None:
        audit: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        news = [row for row in batch if row.action == Action.NEW]
        updates = [row for row in batch if row.action == Action.UPDATED]
        if news:
            members = self._new_members(news, events, audit)
            _insert(Member, members)
        if updates:
            self._update_members(updates, events, audit)
        _insert(MemberEvent, events)  # nothing refers to an event: the database numbers them
        self.result.audit_rows += audit_record_many(actor=self.actor, entries=audit, json_safe=True)

    def _event(self, member_id: int, unit_id: int, kind: str, day: Any, from_status: str, to_status: str,
               details: dict | None = None) -> dict[str, Any]:
        return event_row(member_id=member_id, unit_id=unit_id, kind=kind, day=day, actor_id=self.actor_id,
                         from_status=from_status, to_status=to_status, details=details)

    def _new_members(self, rows: list[PlannedRow], events: list[dict], audit: list[dict]) -> list[dict]:
        members = []
        for row, pk in zip(rows, reserve_ids(Member, len(rows)), strict=True):
            record = row.record
            values = {"id": pk, "unit_id": row.cell_id, "status": row.status, **record,
                      "status_date": record.get("official_date") or record["admission_date"],
                      "death_date": None, "temporary_unit": "", "pending_unit_id": None, "version": 1}
            # derive_name_columns and member_snapshot, on the row dict itself.
            names = name_columns(full_name=values["full_name"], birth_name=values["birth_name"],
                                 aliases=values["aliases"])
            values.update(zip(NAME_COLUMNS, names, strict=True))
            members.append(values)
            # The history member_register starts: the facts the record carries.
            events.append(self._event(pk, row.cell_id, EventKind.ADMITTED, record["admission_date"], "",
                                      Status.PROBATIONARY))
            if record.get("official_date"):
                events.append(self._event(pk, row.cell_id, EventKind.RECOGNIZED_OFFICIAL, record["official_date"],
                                          Status.PROBATIONARY, Status.OFFICIAL))
            audit.append({"action": "member.registered", "object_type": "member", "object_id": pk,
                          "before": None, "after": row_snapshot(values), "unit_path": self.cell_paths[row.cell_id]})
            self.result.created_ids.append(pk)
        return members

    def _update_members(self, rows: list[PlannedRow], events: list[dict], audit: list[dict]) -> None:
        updated = []
        for row in rows:
            assert row.member_id is not None
            stored = self.current[row.member_id]
            values = {**stored, **row.record}
            derive_name_columns(RowRecord(values))
            updated.append(values)
            before = {name: jsonable(stored[name]) for name in row.record}
            after = {name: jsonable(value) for name, value in row.record.items()}
            events.append(self._event(row.member_id, row.cell_id, EventKind.CORRECTED, self.today, stored["status"],
                                      stored["status"], {"fields": sorted(row.record)}))
            audit.append({"action": "member.corrected", "object_type": "member", "object_id": row.member_id,
                          "before": before, "after": after, "unit_path": self.cell_paths[row.cell_id]})
            self.result.updated_ids.append(row.member_id)
        bulk_update(Member, updated, [*validation.PROFILE_FIELDS, *NAME_COLUMNS], increment="version")
