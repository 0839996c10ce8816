"""Writing many members at once, with the rules, history events and audit rows of the one-member
services (members/services.py: member_register, member_correct).

The member import and its undo, the population reconciliation and the demo generator write
thousands of members in one transaction; a service call a member would take an hour for a
province. This module does what those services do, member for member -- the same checks, the same
stored values (name, search and sort columns; version), the same history event (members/events.py)
and the same audit row (tests/members/test_bulk.py compares them on twin registries) -- a chunk at
a time: one query checks or locks a chunk of members, rows go in with COPY on PostgreSQL
(core.bulk) and no member is saved through the ORM.

Each writer (members_load apart: a data load from the shell) checks every item before it writes
anything and refuses the whole call with Refused, naming each refused item by the caller's `key`
(an import's line number), if any item breaks a rule. It runs in the caller's transaction: the
caller's work is all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.audit import audit_record_many, jsonable
from dangvien.core.bulk import bulk_insert, bulk_update, one_parameter, reserve_ids
from dangvien.members import validation
from dangvien.members.events import Corrected, EventDetails, event_row
from dangvien.members.models import Member, MemberEvent, Status
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.members.selectors import members_visible_to
from dangvien.members.services import (
    NAME_COLUMNS,
    SNAPSHOT_FIELDS,
    UNIQUE_IDENTIFIERS,
    actor_id_of,
    audit_after,
    correction_changes,
    diff,
    identifier_taken,
    name_columns,
    registration_events,
    registration_record,
)
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit

BATCH = 5000  # members written per round: memory stays flat
_CHUNK = 2000  # ids or values per IN list: well under every database's parameter limit
# What a writer reads of a member it changes: the audit snapshot, the version and the cell's path.
_COLUMNS = ("id", "version", *SNAPSHOT_FIELDS, *NAME_COLUMNS, "unit__path")
_NAME_FIELDS = frozenset({"full_name", "birth_name", "aliases"})

Progress = Callable[[int, int], None]


@dataclass(slots=True)  # not frozen: an import builds one a row, and a frozen one costs three times more
class Registration:
    """A member entered into the registry, as member_register enters one."""

    cell_id: int
    record: dict[str, Any]  # profile fields (validation.PROFILE_FIELDS)
    status: str = Status.OFFICIAL
    key: Any = None  # the caller's name for it, in Refused


@dataclass(slots=True)
class Correction:
    """New values for some profile fields of a member, as member_correct sets them, refused if the
    member's version is no longer `expected_version`."""

    member_id: int
    expected_version: int
    changes: dict[str, Any]
    key: Any = None


# Why an item was refused (Problem.reason).
CELL = "cell"  # the cell is not one, or the actor may not manage members there
MEMBER = "member"  # no such member in the actor's scope, or changed since `expected_version`
TAKEN = "taken"  # another member has one of its identifiers
INVALID = "invalid"  # the fields break a rule


@dataclass(frozen=True)
class Problem:
    key: Any
    reason: str
    errors: dict[str, list[str]]


class Refused(ValidationError):
    """Some items broke a rule: nothing was written. `problems` names them (by the caller's key)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(f"{p.key}: {' '.join(m for ms in p.errors.values() for m in ms)}" for p in problems[:5])
        super().__init__(shown + (" …" if len(problems) > 5 else ""), code="refused")


@dataclass
class Written:
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)  # corrected members (not those left as they were)
    deleted: int = 0
    audit_rows: int = 0


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """One bulk insert (COPY on PostgreSQL, executemany elsewhere); a seam for the tests that make
    a write fail midway."""
    bulk_insert(model, rows)


# --- registrations and corrections ---------------------------------------------------------------


def members_write(
    *, actor: Any, registrations: Sequence[Registration] = (), corrections: Sequence[Correction] = (),
    note: str = "", fields_checked: bool = False, batch_size: int = BATCH, progress: Progress | None = None,
) -> Written:
    """Register new members and correct existing ones, or refuse the whole call (Refused).

    As member_register and member_correct: MEMBER_MANAGE at each target cell, the field rules,
    free identifiers, the expected version; then for each member its row, its history events and
    one audit row. A correction that changes nothing writes nothing. `note` goes on each event.

    `fields_checked`: the caller has just put these very records through the field rules
    (services.registration_record and correction_changes, or the validation checks they call, as
    the import's plan does) and gives every profile field of a registration, and each changed
    value, as stored; they are not checked twice. Cells, versions and identifiers are checked
    whatever it says: they depend on the database, which may have changed since.
    """
    with transaction.atomic():
        check = _Check(actor, fields_checked)
        news = check.registrations(registrations)
        changes = check.corrections(corrections)
        check.identifiers_free(news, changes)
        check.raise_problems()
        writer = _Writer(actor, note)
        rounds: list[tuple[Callable[[list[Any]], None], list[Any]]] = [
            *((writer.register, batch) for batch in _chunks(news, batch_size)),
            *((writer.correct, batch) for batch in _chunks(changes, batch_size))]
        done, total = 0, len(news) + len(changes)
        for write, batch in rounds:
            write(batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    return writer.written


def members_restore(
    *, actor: Any, restorations: Sequence[Correction], import_id: int, batch_size: int = BATCH,
) -> Written:
    """Put back the values an import replaced (imports/undo.py), as member_correct would set them,
    each event marked with the import (`Corrected.import_undone`) and each audit row
    "member.import_undone". The values are the registry's own from before the import, so the
    field rules are not applied again (a legacy value the import fixed comes back as it was); the
    rest is checked as for a correction."""
    with transaction.atomic():
        check = _Check(actor, fields_checked=True)
        changes = check.corrections(restorations)
        check.identifiers_free([], changes)
        check.raise_problems()
        writer = _Writer(actor, "")
        for batch in _chunks(changes, batch_size):
            writer.correct(batch, import_undone=import_id)
    return writer.written


def members_delete_imported(*, actor: Any, first: int, last: int) -> Written:
    """Delete the members with ids first..last, created by an import being undone (imports/undo.py),
    with their history: they were not in the registry before it. Each deleted record is kept in an
    audit row "member.import_undone" (before = the record). MEMBER_MANAGE at each one's cell; the
    caller makes sure nothing else points at them (the undo refuses when an account does)."""
    with transaction.atomic():
        rows = [dict(zip(_COLUMNS, values, strict=True))
                for values in Member.objects.filter(pk__range=(first, last)).values_list(*_COLUMNS)]
        check = _Check(actor, fields_checked=True)
        for row in rows:
            if not check.scope.covers_path(row["unit__path"]):
                check.refuse(row["id"], CELL, {"member": [_("You do not have permission to change this member.")]})
        check.raise_problems()
        entries = [{"action": "member.import_undone", "object_type": "member", "object_id": row["id"],
                    "before": row_snapshot(row), "after": None, "unit_path": row["unit__path"]} for row in rows]
        # Plain DELETEs: the ORM's collector would load every row to look for references.
        MemberEvent.objects.filter(member_id__gte=first, member_id__lte=last)._raw_delete(MemberEvent.objects.db)
        written = Written(deleted=Member.objects.filter(pk__range=(first, last))._raw_delete(Member.objects.db))
        written.audit_rows = audit_record_many(actor=actor, entries=entries, json_safe=True)
    return written


@dataclass(slots=True)
class PastEvent:
    """A history event of a member written by members_load."""

    details: EventDetails
    day: dt.date
    from_status: str
    to_status: str


@dataclass(slots=True)
class LoadedMember:
    """A member as a data load writes it: where the member stands now and the history that led
    there (any status, past events), every profile field as stored."""

    pk: int
    cell_id: int
    status: str
    record: dict[str, Any]
    history: Sequence[PastEvent]
    status_date: dt.date | None
    death_date: dt.date | None = None
    temporary_unit: str = ""


def members_load(members: Sequence[LoadedMember]) -> int:
    """Insert members and their histories as given, and return the number of events: a data load
    from the server shell (the synthetic province, demo/generator.py), whose single audit row the
    caller writes. The rows are built as the writers above build them (name, search and sort
    columns; events from members/events.py), with the caller's ids; no permission is asked and no
    rule is checked, so only a load of records known to be valid belongs here."""
    rows, events = [], []
    for member in members:
        rows.append(new_member_row(member.pk, member.cell_id, member.status, member.record,
                                   status_date=member.status_date, death_date=member.death_date,
                                   temporary_unit=member.temporary_unit))
        events += [event_row(e.details, member_id=member.pk, unit_id=member.cell_id, day=e.day, actor_id=None,
                             from_status=e.from_status, to_status=e.to_status) for e in member.history]
    _insert(Member, rows)
    _insert(MemberEvent, events)
    return len(events)


@dataclass(slots=True)
class _New:
    """A registration that passed the checks, its record as stored."""

    item: Registration
    record: dict[str, Any]
    cell_path: str


@dataclass(slots=True)
class _Change:
    """A correction that passed the checks: the member as stored and the new values as stored."""

    item: Correction
    stored: dict[str, Any]
    changes: dict[str, Any]


class _Check:
    """The checks of one call: every problem is collected before anything is written."""

    def __init__(self, actor: Any, fields_checked: bool):
        self.actor, self.fields_checked = actor, fields_checked
        self.scope = scope_for(actor, MEMBER_MANAGE)
        self.problems: list[Problem] = []

    def refuse(self, key: Any, reason: str, errors: dict[str, list[str]]) -> None:
        self.problems.append(Problem(key, reason, errors))

    def raise_problems(self) -> None:
        if self.problems:
            raise Refused(self.problems)

    # -- registrations --

    def registrations(self, items: Sequence[Registration]) -> list[_New]:
        cells = {pk: self._cell_refusal(cell) for pk, cell in _units({item.cell_id for item in items}).items()}
        news = []
        for item in items:
            path, refusal = cells.get(item.cell_id) or self._cell_refusal(None)
            if refusal:
                self.refuse(item.key, CELL, refusal)
            record = item.record if self.fields_checked else self._record(item)
            if path is not None and not refusal and record is not None:
                news.append(_New(item, record, path))
        return news

    def _cell_refusal(self, cell: tuple[str, str, str] | None) -> tuple[str | None, dict[str, list[str]]]:
        """The cell's path, and why members may not be registered there, if they may not
        (services._require_member_unit, require)."""
        if cell is None or not self.scope.covers_path(cell[0]):
            return None, {"unit": [_("You do not have permission to do this here.")]}
        path, kind, name = cell
        if kind not in MEMBER_UNIT_KINDS:
            return path, {"unit": [_("Members belong to a cell; %(unit)s is not one.") % {"unit": name}]}
        return path, {}

    def _record(self, item: Registration) -> dict[str, Any] | None:
        try:
            record, errors = registration_record(item.record, item.status)
        except ValidationError as error:
            errors = error.message_dict
        if errors:
            self.refuse(item.key, INVALID, errors)
            return None
        return {name: validation.stored_value(name, record.get(name)) for name in validation.PROFILE_FIELDS}

    # -- corrections --

    def corrections(self, items: Sequence[Correction]) -> list[_Change]:
        current = self._lock(sorted({item.member_id for item in items}))
        changes = []
        for item in items:
            stored = current.get(item.member_id)
            if self._may_change(item, stored):
                assert stored is not None
                new = item.changes if self.fields_checked else self._changes(item, stored)
                if new is not None:
                    changes.append(_Change(item, stored, new))
        return changes

    def _lock(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The members, if the actor may see them, locked until the transaction ends
        (selectors.member_lock_for, a chunk at a time)."""
        current: dict[int, dict[str, Any]] = {}
        visible = members_visible_to(self.actor).select_for_update(of=("self",))
        for chunk in _chunks(ids, _CHUNK):
            for values in visible.filter(pk__in=chunk).values_list(*_COLUMNS):
                current[values[0]] = dict(zip(_COLUMNS, values, strict=True))
        return current

    def _may_change(self, item: Correction, stored: dict[str, Any] | None) -> bool:
        """Scope, permission and version, as services._locked checks them."""
        if stored is None:
            self.refuse(item.key, MEMBER, {"member": [_("No such member.")]})
        elif not self.scope.covers_path(stored["unit__path"]):
            self.refuse(item.key, CELL, {"member": [_("You do not have permission to change this member.")]})
        elif stored["version"] != item.expected_version:
            self.refuse(item.key, MEMBER, {"version": [
                _("This record was changed by someone else (version %(now)s, your copy %(yours)s). "
                  "Reload it and make your change again.") % {"now": stored["version"], "yours": item.expected_version}]})
        else:
            return True
        return False

    def _changes(self, item: Correction, stored: dict[str, Any]) -> dict[str, Any] | None:
        profile = {name: stored[name] for name in validation.PROFILE_FIELDS}
        try:
            changes, errors = correction_changes(profile, stored["status"], item.changes, validation.PROFILE_FIELDS)
        except ValidationError as error:
            errors = error.message_dict
        if errors:
            self.refuse(item.key, INVALID, errors)
            return None
        return {name: validation.stored_value(name, value) for name, value in changes.items()}

    # -- both --

    def identifiers_free(self, news: list[_New], changes: list[_Change]) -> None:
        """No two members may share a citizen ID, profile or card number: neither with a member in
        the database nor with another item of the call (the first one keeps it)."""
        claimed: dict[str, dict[str, tuple[Any, int | None]]] = {name: {} for name in UNIQUE_IDENTIFIERS}
        claims: list[tuple[Any, int | None, dict[str, Any]]] = [(new.item.key, None, new.record) for new in news]
        claims += [(change.item.key, change.item.member_id, change.changes) for change in changes]
        for key, member_id, values in claims:
            for name in UNIQUE_IDENTIFIERS:
                value = values.get(name)
                if value and value in claimed[name]:
                    self.refuse(key, TAKEN, {name: identifier_taken(name)})
                elif value:
                    claimed[name][value] = (key, member_id)
        for name, wanted in claimed.items():
            for chunk in _chunks(sorted(wanted), _CHUNK):
                for value, owner in Member.objects.filter(**{f"{name}__in": one_parameter(chunk)}).values_list(name, "id"):
                    key, member_id = wanted[value]
                    if owner != member_id:
                        self.refuse(key, TAKEN, {name: identifier_taken(name)})


def _units(ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """(path, kind, name) of each unit."""
    found: dict[int, tuple[str, str, str]] = {}
    for chunk in _chunks(sorted(ids), _CHUNK):
        found.update((pk, (path, kind, name)) for pk, path, kind, name in
                     Unit.objects.filter(pk__in=chunk).values_list("id", "path", "kind", "name"))
    return found


class _Writer:
    """The rows of checked items, a batch at a time: members, their events, their audit rows."""

    def __init__(self, actor: Any, note: str):
        self.actor, self.note, self.written = actor, note, Written()
        self.actor_id = actor_id_of(actor)
        self.today = validation.today()

    def register(self, batch: list[_New]) -> None:
        members, events, audit = [], [], []
        for new, pk in zip(batch, reserve_ids(Member, len(batch)), strict=True):
            record = new.record
            values = new_member_row(pk, new.item.cell_id, new.item.status, record,
                                    status_date=record.get("official_date") or record["admission_date"])
            members.append(values)
            events += registration_events(member_id=pk, unit_id=new.item.cell_id, actor_id=self.actor_id,
                                          admission_date=record["admission_date"],
                                          official_date=record.get("official_date"), note=self.note)
            audit.append({"action": "member.registered", "object_type": "member", "object_id": pk,
                          "before": None, "after": row_snapshot(values), "unit_path": new.cell_path})
            self.written.created_ids.append(pk)
        self._insert(members, events, audit)

    def correct(self, batch: list[_Change], import_undone: int | None = None) -> None:
        rows, events, audit, fields = [], [], [], set[str]()
        for change in batch:
            values = {**change.stored, **change.changes}
            if _NAME_FIELDS.intersection(change.changes):
                values.update(zip(NAME_COLUMNS, name_columns(
                    full_name=values["full_name"], birth_name=values["birth_name"], aliases=values["aliases"]),
                    strict=True))
            old, new = diff(row_snapshot(change.stored), row_snapshot(values))
            if not new:
                continue  # nothing changed: no version bump, no event (member_correct)
            fields.update(new)
            rows.append(values)
            marked = {"import_undone": import_undone} if import_undone else {}
            event = event_row(Corrected(fields=tuple(sorted(new)), **marked), member_id=values["id"],
                              unit_id=values["unit_id"], day=self.today, actor_id=self.actor_id,
                              from_status=values["status"], to_status=values["status"], note=self.note)
            events.append(event)
            audit.append({"action": "member.import_undone" if import_undone else "member.corrected",
                          "object_type": "member", "object_id": values["id"], "before": old,
                          "after": audit_after(new, details=event["details"]), "unit_path": values["unit__path"]})
            self.written.updated_ids.append(values["id"])
        names = list(NAME_COLUMNS) if _NAME_FIELDS & fields else []
        bulk_update(Member, rows, [*sorted(fields), *names], increment="version")
        self._insert([], events, audit)

    def _insert(self, members: list[dict[str, Any]], events: list[dict[str, Any]], audit: list[dict[str, Any]]) -> None:
        if members:
            _insert(Member, members)
        _insert(MemberEvent, events)  # nothing refers to an event: the database numbers them
        self.written.audit_rows += audit_record_many(actor=self.actor, entries=audit, json_safe=True)


def new_member_row(pk: int, cell_id: int, status: str, record: dict[str, Any], *, status_date: dt.date | None,
                   death_date: dt.date | None = None, temporary_unit: str = "") -> dict[str, Any]:
    """A new member's row for bulk_insert: every profile field of `record` as stored, where the
    member stands, and the name, search and sort columns (services.derive_name_columns)."""
    values = {"id": pk, "unit_id": cell_id, "status": status, **record, "status_date": status_date,
              "death_date": death_date, "temporary_unit": temporary_unit, "pending_unit_id": None, "version": 1}
    values.update(zip(NAME_COLUMNS, name_columns(
        full_name=values["full_name"], birth_name=values["birth_name"], aliases=values["aliases"]), strict=True))
    return values


def row_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """services.member_snapshot of a member given as a row."""
    return {name: jsonable(values[name]) for name in SNAPSHOT_FIELDS}


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
