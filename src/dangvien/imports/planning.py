"""Planning a member import: what each row of a parsed file would do (new / updated / unchanged /
rejected), without writing anything.

Speed matters (a province is 141,794 rows): units and the members the file could touch are loaded
in a few bulk queries into dicts keyed by code and identifier, and every row is then decided in
memory. The field rules are the member services' own (`validation.normalize` / `validation.check`,
with the extra status rules of `member_register` and `member_correct`), so an imported record is
held to exactly what a form or the API would accept.

What is stored but doubtful (a citizen ID disagreeing with the record, an old CMND instead of the
citizen ID: `validation.record_warnings`) is not a rejection: the row is written and carries
warnings, listed apart (docs/import-format.md, "Warnings and rejections").
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.bulk import one_parameter
from dangvien.core.scope import subtree_filter
from dangvien.imports.columns import BY_FIELD
from dangvien.members import validation
from dangvien.members.models import Member, Status
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit

if TYPE_CHECKING:
    from dangvien.imports.reading import CellError, ParsedFile, ParsedRow

IDENTIFIERS = ("citizen_id", "profile_number", "card_number")
# Statuses a record new to the registry may have: any other status is the outcome of a lifecycle
# event, which an import does not record.
NEW_STATUSES = frozenset({Status.OFFICIAL, Status.PROBATIONARY})
# IN lists of at most this many values: well under every database's parameter limit.
_LOOKUP_CHUNK = 2000
# The stored values a plan needs of each member the file may touch.
MEMBER_COLUMNS = ("id", "unit_id", "status", "version", *validation.PROFILE_FIELDS)


class Action(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Rejection:
    line: int
    column: str  # the header as written in the file ("Số CCCD"), "" for the whole row
    message: str


@dataclass(frozen=True)
class RowWarning:
    """A row written with something doubtful in it, for the officer to see (not a rejection)."""

    line: int
    column: str
    message: str


@dataclass
class PlannedRow:
    """A row that will be written: a new member, or the changes to one."""

    line: int
    action: Action
    cell_id: int
    status: str
    # NEW: every profile field as it will be stored. UPDATED: the changed fields' new values.
    record: dict[str, Any]
    member_id: int | None = None
    version: int | None = None  # the member's version when planned: a later edit makes the plan stale
    old: dict[str, Any] = field(default_factory=dict)  # UPDATED: the changed fields' stored values

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """field -> (old, new)."""
        return {name: (self.old.get(name), value) for name, value in self.record.items()}


@dataclass
class ImportPlan:
    unit_id: int
    total_rows: int = 0
    rows: list[PlannedRow] = field(default_factory=list)  # new and updated, in file order
    unchanged: list[tuple[int, int]] = field(default_factory=list)  # (line, member id)
    rejections: list[Rejection] = field(default_factory=list)  # every reason, ordered by line
    warnings: list[RowWarning] = field(default_factory=list)  # of rows written (new, updated), by line
    file_errors: list[Any] = field(default_factory=list)  # CellError: the whole file is refused

    @property
    def refused(self) -> bool:
        return bool(self.file_errors)

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({r.line for r in self.rejections})

    @property
    def warned_lines(self) -> list[int]:
        return sorted({w.line for w in self.warnings})

    @property
    def counts(self) -> dict[str, int]:
        new = sum(1 for r in self.rows if r.action == Action.NEW)
        return {"new": new, "updated": len(self.rows) - new, "unchanged": len(self.unchanged),
                "rejected": len(self.rejected_lines)}

    @property
    def to_write(self) -> int:
        return len(self.rows)


# --- columns and messages ------------------------------------------------------------------------


class _Headers:
    """The header a field was read from, for messages: as written in the file when it was there,
    else the Vietnamese header of the template."""

    def __init__(self, found: dict[str, str]):
        self.found = found

    def __call__(self, name: str) -> str:
        if name == "birth_year" and "birth_year" not in self.found and "date_of_birth" in self.found:
            name = "date_of_birth"  # a year derived from the date of birth is that column's problem
        if name in self.found:
            return self.found[name]
        column = BY_FIELD.get(name)
        return column.vietnamese if column else name


def _label(name: str) -> str:
    return {"citizen_id": _("citizen ID"), "profile_number": _("profile number"),
            "card_number": _("card number"), "old_id_number": _("old ID (CMND) number")}[name]


def _lines(lines: Iterable[int]) -> str:
    return ", ".join(str(n) for n in sorted(lines))


# --- bulk lookups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    id: int
    code: str
    name: str
    kind: str
    path: str


def _chunks(values: list[Any], size: int = _LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _units_under(unit: Unit) -> dict[str, _Cell]:
    rows = Unit.objects.filter(**subtree_filter(unit.path)).values_list("id", "code", "name", "kind", "path")
    return {code: _Cell(pk, code, name, kind, path) for pk, code, name, kind, path in rows}


def _members_by(name: str, values: set[str]) -> Iterator[dict[str, Any]]:
    """Members holding any of `values` in identifier column `name`."""
    for chunk in _chunks(sorted(values)):
        for row in Member.objects.filter(**{f"{name}__in": one_parameter(chunk)}).values_list(*MEMBER_COLUMNS):
            yield dict(zip(MEMBER_COLUMNS, row, strict=True))


def _members_by_old_id(unit: Unit, values: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Members under `unit` holding any of the old ID (CMND) `values`. An old ID is not unique in
    the registry, so it identifies a row's member only among the members it could update (those
    of the import's unit), and only when one member holds it."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    members = Member.objects.filter(**subtree_filter(unit.path, "unit__path"))
    for chunk in _chunks(sorted(values)):
        for row in members.filter(old_id_number__in=one_parameter(chunk)).values_list(*MEMBER_COLUMNS):
            member = dict(zip(MEMBER_COLUMNS, row, strict=True))
            found[member["old_id_number"]].append(member)
    return found


def _units_by_id(unit_ids: set[int], known: dict[int, _Cell]) -> dict[int, tuple[str, str]]:
    """(path, code) of each unit, from the units already loaded or in a few queries."""
    found = {pk: (cell.path, cell.code) for pk, cell in known.items() if pk in unit_ids}
    for chunk in _chunks(sorted(unit_ids - set(found))):
        found.update((pk, (path, code)) for pk, path, code in
                     Unit.objects.filter(pk__in=chunk).values_list("id", "path", "code"))
    return found


# --- the plan ------------------------------------------------------------------------------------


@dataclass
class _Row:
    """A parsed row on its way through the checks."""

    line: int
    record: dict[str, Any]  # normalized profile fields present in the file
    status: str | None
    cell_code: str
    parse_errors: list[CellError]
    moved_old_id: str | None = None  # an old ID (CMND) given as the citizen ID, moved by normalize
    reasons: list[Rejection] = field(default_factory=list)
    cell: _Cell | None = None
    match: dict[str, Any] | None = None
    matched_by: str = ""

    @property
    def old_id_identity(self) -> str | None:
        """The old ID (CMND) that identifies the row, when it has neither a citizen ID nor a profile number."""
        record = self.record
        if record.get("citizen_id") or record.get("profile_number"):
            return None
        return record.get("old_id_number") or None


class Planner:
    def __init__(self, *, actor: Any, unit: Unit, parsed: ParsedFile):
        self.actor, self.unit, self.parsed = actor, unit, parsed
        self.header = _Headers(dict(parsed.columns))
        self.manage_scope = scope_for(actor, MEMBER_MANAGE)
        self.units: dict[str, _Cell] = {}  # the units under `unit`, by code
        self.by_old_id: dict[str, list[dict[str, Any]]] = {}  # members under `unit`, by old ID

    def in_scope(self, path: str) -> bool:
        return self.manage_scope.covers_path(path)

    def reject(self, row: _Row, name: str, message: str) -> None:
        row.reasons.append(Rejection(row.line, self.header(name) if name else "", message))

    def warn(self, plan: ImportPlan, row: _Row, record: dict[str, Any]) -> None:
        """The warnings of a row to be written, `record` being the member as the import leaves it."""
        if row.moved_old_id:
            plan.warnings.append(RowWarning(row.line, self.header("citizen_id"), _(
                "%(value)s has 9 digits: an old ID (CMND) number, stored as the old ID number.")
                % {"value": row.moved_old_id}))
        plan.warnings.extend(RowWarning(row.line, self.header(w.field), w.message)
                             for w in validation.record_warnings(record))

    # -- steps --

    def plan(self) -> ImportPlan:
        plan = ImportPlan(unit_id=self.unit.pk, total_rows=len(self.parsed.rows),
                          file_errors=list(self.parsed.file_errors))
        if plan.refused:
            return plan
        rows = [self._prepare(parsed_row) for parsed_row in self.parsed.rows]
        self._find_cells(rows)
        self._find_duplicates(rows)
        owners = self._load_members(rows)
        self._match(rows, owners)
        for row in rows:
            if not row.reasons and not row.parse_errors:
                self._decide(row, owners, plan)
            if row.parse_errors or row.reasons:
                plan.rejections.extend(
                    [Rejection(e.line, e.column, e.message) for e in row.parse_errors] + row.reasons)
        plan.rejections.sort(key=lambda r: r.line)  # stable: a row's reasons keep their order
        return plan

    def _prepare(self, parsed_row: ParsedRow) -> _Row:
        values = parsed_row.values
        given = {f: values[f] for f in validation.PROFILE_FIELDS if f in values}
        record = validation.normalize(given)
        status = values.get("status") or None
        return _Row(line=parsed_row.line, record=record, status=str(status) if status else None,
                    cell_code=str(values.get("cell_code") or "").strip(), parse_errors=list(parsed_row.errors),
                    # normalize drops a citizen ID only when it moved it to the old ID field
                    moved_old_id=record["old_id_number"] if "citizen_id" in given and "citizen_id" not in record
                    else None)

    def _find_cells(self, rows: list[_Row]) -> None:
        self.units = _units_under(self.unit)
        for row in rows:
            found = self.units.get(row.cell_code)
            if not row.cell_code:
                self.reject(row, "cell_code", _("The cell code is required."))
            elif found is None or not self.in_scope(found.path):
                # The same words whether the code exists elsewhere or nowhere: no leak outside the scope.
                self.reject(row, "cell_code", _("No cell with code %(code)s that you manage in %(unit)s.")
                            % {"code": row.cell_code, "unit": self.unit.name})
            elif found.kind not in MEMBER_UNIT_KINDS:
                self.reject(row, "cell_code", _("%(code)s (%(name)s) is not a cell: members belong to a cell.")
                            % {"code": found.code, "name": found.name})
            else:
                row.cell = found

    def _find_duplicates(self, rows: list[_Row]) -> None:
        """The same identifier on several rows: every one of them is rejected, naming the others."""
        for name in IDENTIFIERS:
            lines: dict[str, list[int]] = defaultdict(list)
            for row in rows:
                if value := row.record.get(name):
                    lines[value].append(row.line)
            for row in rows:
                value = row.record.get(name)
                if value and len(lines[value]) > 1:
                    others = [n for n in lines[value] if n != row.line]
                    self.reject(row, name, _("Line %(line)s has the same %(label)s as line %(others)s.")
                                % {"line": row.line, "label": _label(name), "others": _lines(others)})
        # A row known by its old ID alone: any other row with that old ID could be the same person.
        old_lines: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            if value := row.record.get("old_id_number"):
                old_lines[value].append(row.line)
        for row in rows:
            if (value := row.old_id_identity) and len(old_lines[value]) > 1:
                others = [n for n in old_lines[value] if n != row.line]
                self.reject(row, "old_id_number", _("Line %(line)s has the same %(label)s as line %(others)s.")
                            % {"line": row.line, "label": _label("old_id_number"), "others": _lines(others)})

    def _load_members(self, rows: list[_Row]) -> dict[str, dict[str, dict[str, Any]]]:
        """Every member holding an identifier of the file, by identifier and value."""
        owners: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in IDENTIFIERS}
        for name in IDENTIFIERS:
            # Values already seen on a member loaded by another identifier are not asked again:
            # re-importing a register loads each member once.
            wanted = {v for row in rows if (v := row.record.get(name))} - owners[name].keys()
            for member in _members_by(name, wanted):
                for other in IDENTIFIERS:
                    if value := member[other]:
                        owners[other][value] = member
        if wanted_old := {v for row in rows if (v := row.old_id_identity)}:
            self.by_old_id = _members_by_old_id(self.unit, wanted_old)
        return owners

    def _match(self, rows: list[_Row], owners: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Identity: by citizen ID, else by profile number; only a member of the row's own cell,
        inside the actor's scope, is ever updated."""
        for row in rows:
            for name in ("citizen_id", "profile_number"):
                value = row.record.get(name)
                if value and value in owners[name]:
                    row.match, row.matched_by = owners[name][value], name
                    break
            else:
                if (old_id := row.old_id_identity) and (holders := self.by_old_id.get(old_id)):
                    if len(holders) == 1:
                        row.match, row.matched_by = holders[0], "old_id_number"
                    else:
                        self.reject(row, "old_id_number", _(
                            "%(count)s members in %(unit)s have this old ID (CMND) number: add the citizen ID "
                            "or the profile number to tell which one the row is.")
                            % {"count": len(holders), "unit": self.unit.name})
        units = _units_by_id({row.match["unit_id"] for row in rows if row.match},
                             {cell.id: cell for cell in self.units.values()})
        targets: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            if row.match is None:
                continue
            label = _label(row.matched_by)
            path, code = units.get(row.match["unit_id"], ("", ""))
            if not self.in_scope(path):
                # Only that the number is taken: never which record holds it, nor that two rows'
                # numbers belong to one person (docs/roles.md).
                self.reject(row, row.matched_by, _(
                    "A member outside your scope has this %(label)s: the row is not merged with that record.")
                    % {"label": label})
                continue
            targets[row.match["id"]].append(row.line)
            if row.cell is not None and row.match["unit_id"] != row.cell.id:
                self.reject(row, "cell_code", _(
                    "The member with this %(label)s is recorded in cell %(recorded)s, not %(code)s: the row is "
                    "not merged (a move between cells is recorded as a transfer).")
                    % {"label": label, "recorded": code, "code": row.cell.code})
            elif row.status and row.status != row.match["status"]:
                self.reject(row, "status", _(
                    "The status differs from the record (%(old)s → %(new)s): status changes are recorded as "
                    "lifecycle events, not imported.")
                    % {"old": Status(row.match["status"]).label, "new": _status_label(row.status)})
        for row in rows:
            if row.match and (others := [n for n in targets.get(row.match["id"], []) if n != row.line]):
                self.reject(row, row.matched_by, _("Lines %(lines)s are the same member: the file must hold "
                                                   "each member once.") % {"lines": _lines([row.line, *others])})

    def _decide(self, row: _Row, owners: dict[str, dict[str, dict[str, Any]]], plan: ImportPlan) -> None:
        assert row.cell is not None
        if row.match is None:
            self._plan_new(row, owners, plan)
        else:
            self._plan_update(row, owners, plan)

    def _plan_new(self, row: _Row, owners: dict[str, dict[str, dict[str, Any]]], plan: ImportPlan) -> None:
        assert row.cell is not None
        record = row.record
        record.setdefault("service_background", "")
        if not record.get("citizen_id") and not record.get("profile_number") and not record.get("old_id_number"):
            # Without any, a later import of the same file could only add the member again.
            self.reject(row, "citizen_id", _("A new member needs a citizen ID, an old ID (CMND) number or a "
                                             "profile number, so that the record can be recognized on a later "
                                             "import."))
            return
        # No status column (or an empty cell): the standing the dates show, as a lifecycle would leave it.
        status = row.status or (Status.OFFICIAL if record.get("official_date") else Status.PROBATIONARY)
        if status not in NEW_STATUSES:
            self.reject(row, "status", _("A member new to the registry is imported as official or probationary; "
                                         "%(status)s is recorded as a lifecycle event afterwards.")
                        % {"status": _status_label(status)})
            return
        errors = validation.registration_errors(record, status)
        for name in IDENTIFIERS:
            if (value := record.get(name)) and value in owners[name] and name not in errors:
                errors[name] = [_("Another member already has this %(label)s.") % {"label": _label(name)}]
        if self._report(row, errors):
            return
        # validation.stored_value of every field, written out (a province is four million fields), in
        # place: a province's records are held once, not twice.
        for name in validation.PROFILE_FIELDS:
            value = record.get(name)
            record[name] = "" if value is None and name not in validation.NULLABLE_FIELDS else value
        plan.rows.append(PlannedRow(line=row.line, action=Action.NEW, cell_id=row.cell.id, status=status,
                                    record=record))
        self.warn(plan, row, record)

    def _plan_update(self, row: _Row, owners: dict[str, dict[str, dict[str, Any]]], plan: ImportPlan) -> None:
        assert row.cell is not None and row.match is not None
        member = row.match
        # An empty cell leaves the stored value alone: a file without a member's phone must not erase it.
        incoming = {name: value for name, value in row.record.items() if value not in (None, "")}
        current = validation.normalize({name: member[name] for name in incoming})
        changes = {name: value for name, value in incoming.items() if current.get(name) != value}
        if not changes:
            plan.unchanged.append((row.line, member["id"]))
            return
        if row.moved_old_id and member["old_id_number"] not in ("", row.moved_old_id):
            # As member_correct: another old ID on record is not replaced by a guess.
            self.reject(row, "citizen_id", validation.old_id_conflict(row.moved_old_id))
            return
        after = {**{f: member[f] for f in validation.PROFILE_FIELDS}, **changes}
        errors = validation.correction_errors(after, member["status"], changes,
                                              was_official=bool(member["official_date"]))
        for name in IDENTIFIERS:
            value = changes.get(name)
            owner = owners[name].get(value) if value else None
            if owner is not None and owner["id"] != member["id"] and name not in errors:
                errors[name] = [_("Another member already has this %(label)s.") % {"label": _label(name)}]
        if self._report(row, errors):
            return
        plan.rows.append(PlannedRow(
            line=row.line, action=Action.UPDATED, cell_id=row.cell.id, status=member["status"],
            record={name: validation.stored_value(name, value) for name, value in changes.items()},
            member_id=member["id"], version=member["version"], old={name: member[name] for name in changes}))
        self.warn(plan, row, after)

    def _report(self, row: _Row, errors: dict[str, list[str]]) -> bool:
        for name, messages in errors.items():
            for message in messages:
                self.reject(row, name, message)
        return bool(errors)


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def build_plan(*, actor: Any, unit: Unit, parsed: ParsedFile) -> ImportPlan:
    return Planner(actor=actor, unit=unit, parsed=parsed).plan()
