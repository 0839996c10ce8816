"""Every write to the member registry. Each service: checks permission in the actor's scope, runs in
one transaction, refuses a stale edit, writes an audit row with old and new values and appends a
history event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import Permission, can, require, scope_for
from dangvien.core.audit import audit_record, jsonable
from dangvien.core.errors import StaleEdit
from dangvien.core.text import clean, nfc, parts_sort_key, search_key, split_name
from dangvien.members import validation
from dangvien.members.events import (
    Admitted,
    Corrected,
    Died,
    Disciplined,
    EventDetails,
    Exempted,
    ExemptionLifted,
    RecognizedOfficial,
    Removed,
    Returned,
    TemporarilyOut,
    TransferredIn,
    TransferredOut,
    allowed_from,
    event_row,
)
from dangvien.members.hooks import MemberChange, member_changed
from dangvien.members.models import (
    ON_ROLL_STATUSES,
    Classification,
    DisciplineForm,
    EventKind,
    FeePayment,
    Member,
    MemberEvaluation,
    MemberEvent,
    Status,
)
from dangvien.members.permissions import EVALUATION_RECORD, FEE_RECORD, MEMBER_EDIT_CONTACT, MEMBER_MANAGE
from dangvien.members.selectors import member_lock_for
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit

# The statuses each lifecycle event may start from are in the table of event kinds
# (members/event_kinds.py): services enforce them; pages and the API offer only the events that are
# possible now.


def earliest_official_date(member: Member) -> dt.date:
    """The first day a probationary member may be recognized as official: the probation's end."""
    start = member.admission_ceremony_date or member.admission_date
    return start + relativedelta(months=settings.DANGVIEN["PROBATION_MONTHS"])


def member_event_not_before(member: Member, kind: str) -> dt.date | None:
    """The day from which the event can be recorded, when that is still to come (pages say so
    before the form is filled): recognition as official waits for the probation's end."""
    if kind == EventKind.RECOGNIZED_OFFICIAL and member.status == Status.PROBATIONARY:
        earliest = earliest_official_date(member)
        return earliest if earliest > validation.today() else None
    return None


def member_may_record(actor: Any, member: Member, kind: str) -> bool:
    """Whether the actor may record this lifecycle event for the member now (status and permission).

    Taking a member in needs MEMBER_MANAGE where the member arrives: the cell the transfer is
    addressed to, else anywhere the actor manages. Every other event needs it at the member's cell.
    """
    return member.status in allowed_from(kind) and member_event_permitted(actor, member, kind)


def member_event_permitted(actor: Any, member: Member, kind: str) -> bool:
    """The permission half of member_may_record, whatever the member's status."""
    if kind != EventKind.TRANSFERRED_IN:
        return can(actor, MEMBER_MANAGE, member.unit)
    if member.pending_unit is not None:
        return can(actor, MEMBER_MANAGE, member.pending_unit)
    return scope_for(actor, MEMBER_MANAGE).has_units


# --- helpers ---------------------------------------------------------------------------------


# What an audit row records of a member: member_snapshot's fields.
SNAPSHOT_FIELDS = (*validation.PROFILE_FIELDS, "status", "unit_id", "status_date", "death_date", "temporary_unit",
                   "pending_unit_id")
# The columns derive_name_columns fills, in the order name_columns returns them.
NAME_COLUMNS = ("family_name", "middle_name", "given_name", "search_name", "sort_key")


def member_snapshot(member: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """The values an audit row records for a member (a Member or a record with its attributes)."""
    names = fields or SNAPSHOT_FIELDS
    return {name: jsonable(getattr(member, name)) for name in names}


def actor_id_of(actor: Any) -> int | None:
    """The actor as a history event's foreign key: None for the system (the shell, the demo)."""
    return getattr(actor, "pk", None) or None


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """The old and the new values of the keys whose value changed."""
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def derive_name_columns(member: Member) -> None:
    """Fill the name parts, search key and sort key from the names (members/bulk.py fills a row's
    with name_columns)."""
    (member.family_name, member.middle_name, member.given_name, member.search_name,
     member.sort_key) = name_columns(full_name=member.full_name, birth_name=member.birth_name, aliases=member.aliases)


def name_columns(*, full_name: str, birth_name: str, aliases: str) -> tuple[str, str, str, str, str]:
    """The values of NAME_COLUMNS for these names (the name is split once, for the parts and the
    sort key)."""
    family, middle, given = split_name(full_name)
    search_name = search_key(" ".join(filter(None, [full_name, birth_name, aliases])))
    return family, middle, given, search_name, parts_sort_key(family, middle, given)


UNIQUE_IDENTIFIERS = ("citizen_id", "profile_number", "card_number")


def identifier_taken(field: str) -> list[str]:
    """The error for an identifier another member already has."""
    labels = {"citizen_id": _("citizen ID"), "profile_number": _("profile number"), "card_number": _("card number")}
    return [_("Another member already has this %(label)s.") % {"label": labels[field]}]


def _check_unique(record: dict[str, Any], exclude_pk: int | None) -> dict[str, list[str]]:
    """Errors for the identifiers in `record` that another member already has (one query)."""
    wanted = {field: record[field] for field in UNIQUE_IDENTIFIERS if record.get(field)}
    if not wanted:
        return {}
    query = Q()
    for field, value in wanted.items():
        query |= Q(**{field: value})
    others = Member.objects.filter(query)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    errors: dict[str, list[str]] = {}
    for row in others.values_list(*wanted):
        for (field, value), found in zip(wanted.items(), row, strict=True):
            if found == value:
                errors[field] = identifier_taken(field)
    return errors


def registration_record(data: dict[str, Any], status: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The profile fields member_register stores from `data` (normalized) and what is wrong with
    them, uniqueness apart (the caller checks it, one by one or in bulk). A status off the roll is
    refused at once."""
    if status not in ON_ROLL_STATUSES:
        raise ValidationError({"status": [_("A new record must be of a member on the roll.")]})
    record = validation.normalize({f: data.get(f) for f in validation.PROFILE_FIELDS if f in data})
    record.setdefault("service_background", "")
    return record, validation.registration_errors(record, status)


def correction_changes(
    current: dict[str, Any], status: str, changes: dict[str, Any], allowed: list[str],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The changes member_correct makes (normalized) to a member whose profile fields are
    `current`, and what is wrong with them, uniqueness apart. A field that may not be changed here
    is refused at once."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    stored_old_id = "citizen_id" in changes and "old_id_number" not in changes
    if stored_old_id:
        # An old ID given as the citizen ID is moved to the old ID field only when no other old ID
        # is on record (normalize); otherwise it stays, and is refused.
        changes = {**changes, "old_id_number": current["old_id_number"]}
    changes = validation.normalize(changes)
    if stored_old_id and changes.get("old_id_number") == current["old_id_number"]:
        del changes["old_id_number"]
    if "date_of_birth" in changes and changes["date_of_birth"] is None and "birth_year" not in changes:
        changes.pop("birth_year", None)
    record = {**current, **changes}
    return changes, validation.correction_errors(record, status, changes, was_official=bool(current["official_date"]))


def _require_member_unit(unit: Unit, field: str = "unit") -> None:
    if unit.kind not in MEMBER_UNIT_KINDS:
        raise ValidationError({field: [_("Members belong to a cell; %(unit)s is not one.") % {"unit": unit.name}]})


def _locked(actor: Any, member: Member, expected_version: int, perm: Permission) -> Member:
    """Re-read the member under a row lock, check scope and permission and the edit's version."""
    fresh = member_lock_for(actor, member.pk)
    if not can(actor, perm, fresh.unit):
        raise PermissionDenied(_("You do not have permission to change this member."))
    if fresh.version != expected_version:
        raise StaleEdit(
            _("This record was changed by someone else (version %(now)s, your copy %(yours)s). "
              "Reload it and make your change again.") % {"now": fresh.version, "yours": expected_version},
            code="stale",
        )
    return fresh


def _check_date(member: Member, day: dt.date, field: str = "date", *, changes_status: bool = True) -> None:
    """An event date must not be in the future nor before admission; an event that changes the
    status must not predate the current status (returning before leaving is impossible)."""
    if day > validation.today():
        raise ValidationError({field: [_("This date is in the future.")]})
    if day < member.admission_date:
        raise ValidationError({field: [_("This date is before the member's admission (%(date)s).")
                                       % {"date": member.admission_date.strftime("%d/%m/%Y")}]})
    if changes_status and member.status_date and day < member.status_date:
        raise ValidationError({field: [_("This date is before the member's current status began (%(date)s).")
                                       % {"date": member.status_date.strftime("%d/%m/%Y")}]})


def _check_status(member: Member, kind: str, action: str) -> None:
    if member.status not in allowed_from(kind):
        raise ValidationError(
            {"status": [_("Cannot %(action)s: the member is %(status)s.")
                        % {"action": action, "status": Status(member.status).label.lower()}]},
            code="transition",
        )


def _standing(member: Member) -> str:
    return Status.OFFICIAL if member.official_date else Status.PROBATIONARY


def _commit(
    *, actor: Any, member: Member, before: dict[str, Any], event: EventDetails, day: dt.date,
    from_status: str, decision: str = "", note: str = "",
) -> Member:
    """Save a changed member, append its history event and its audit row."""
    decision, note = clean(decision), nfc(note).strip()  # API bodies bypass the NFC middleware
    member.version += 1
    member.save()
    old, new = diff(before, member_snapshot(member))
    row = event_row(event, member_id=member.pk, unit_id=member.unit_id, day=day, actor_id=actor_id_of(actor),
                    from_status=from_status, to_status=member.status, decision=decision, note=note)
    MemberEvent.objects.create(**row)
    audit_record(actor=actor, action=f"member.{event.kind}", object_type="member", object_id=member.pk,
                 before=old, after=audit_after(new, decision=decision, details=row["details"]),
                 unit_path=member.unit.path)
    member_changed(MemberChange(actor=actor, member=member, kind=event.kind, day=day,
                                unit_before=before["unit_id"], status_before=from_status))
    return member


def audit_after(changed: dict[str, Any], *, decision: str = "", details: dict[str, Any]) -> dict[str, Any]:
    """A member audit row's `after`: the new values, the decision, and the event's details (a
    reprimand changes no field, and the audit row is the tamper-evident record of it)."""
    return {**changed, **({"decision": decision} if decision else {}), **({"details": details} if details else {})}


# --- creating records ------------------------------------------------------------------------


def member_register(
    *, actor: Any, unit: Unit, data: dict[str, Any], status: str = Status.OFFICIAL,
    transferred_in: bool = False, note: str = "",
) -> Member:
    """Enter the record of an existing member (data entry, import, or a transfer in from outside
    this system). `data` holds profile fields."""
    return _register(actor=actor, unit=unit, data=data, status=status, transferred_in=transferred_in, note=note,
                     action="member.transferred_in" if transferred_in else "member.registered")


def _register(
    *, actor: Any, unit: Unit, data: dict[str, Any], status: str, transferred_in: bool, note: str, action: str,
    decision: str = "",
) -> Member:
    record, errors = registration_record(data, status)
    _require_member_unit(unit)
    with transaction.atomic():
        require(actor, MEMBER_MANAGE, unit)
        errors.update({k: v for k, v in _check_unique(record, None).items() if k not in errors})
        if errors:
            raise ValidationError(errors)
        member = Member(unit=unit, status=status, status_date=record.get("official_date") or record["admission_date"],
                        **{k: validation.stored_value(k, v) for k, v in record.items()})
        derive_name_columns(member)
        member.save()
        rows = registration_events(member_id=member.pk, unit_id=unit.pk, actor_id=actor_id_of(actor),
                                   admission_date=member.admission_date, official_date=member.official_date,
                                   note=note, decision=decision)
        if transferred_in:  # an arrival from outside adds today's event
            rows.append(event_row(TransferredIn(), member_id=member.pk, unit_id=unit.pk, day=validation.today(),
                                  actor_id=actor_id_of(actor), from_status="", to_status=status))
        MemberEvent.objects.bulk_create([MemberEvent(**row) for row in rows])
        after = {**member_snapshot(member), **({"decision": decision} if decision else {})}
        audit_record(actor=actor, action=action, object_type="member", object_id=member.pk,
                     before=None, after=after, unit_path=unit.path)
        return member


# Payloads without fields, built once: a bulk registration writes two events a member.
_ADMITTED, _RECOGNIZED = Admitted(), RecognizedOfficial()


def registration_events(
    *, member_id: int, unit_id: int, actor_id: int | None, admission_date: dt.date, official_date: dt.date | None,
    note: str = "", decision: str = "",
) -> list[dict[str, Any]]:
    """The history a registration starts: the facts the record carries (members/events.py rows)."""
    rows = [event_row(_ADMITTED, member_id=member_id, unit_id=unit_id, day=admission_date, actor_id=actor_id,
                      from_status="", to_status=Status.PROBATIONARY, note=note, decision=decision)]
    if official_date:
        rows.append(event_row(_RECOGNIZED, member_id=member_id, unit_id=unit_id, day=official_date,
                              actor_id=actor_id, from_status=Status.PROBATIONARY, to_status=Status.OFFICIAL))
    return rows


def member_admit(
    *, actor: Any, unit: Unit, data: dict[str, Any], decision: str = "", note: str = "",
) -> Member:
    """Admit a new member: probationary from the admission decision date; age limits apply."""
    record = validation.normalize(data)
    admission, birth = record.get("admission_date"), record.get("date_of_birth")
    if admission and birth and admission <= validation.today():
        age = validation.age_on(birth, admission)
        limits = settings.DANGVIEN
        if not (limits["ADMISSION_MIN_AGE"] <= age <= limits["ADMISSION_MAX_AGE"]):
            raise ValidationError({"admission_date": [
                _("At admission a member must be %(min)s to %(max)s years old; this one would be %(age)s.")
                % {"min": limits["ADMISSION_MIN_AGE"], "max": limits["ADMISSION_MAX_AGE"], "age": age}]})
    if not birth:
        raise ValidationError({"date_of_birth": [_("The full date of birth is required for an admission.")]})
    record.pop("official_date", None)
    # The decision goes into the history event and the audit row as they are written.
    return _register(actor=actor, unit=unit, data=record, status=Status.PROBATIONARY, transferred_in=False,
                     note=note, action="member.admitted", decision=decision)


# --- lifecycle events ------------------------------------------------------------------------


def member_recognize_official(
    *, actor: Any, member: Member, expected_version: int, official_date: dt.date,
    decision: str = "", note: str = "",
) -> Member:
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.RECOGNIZED_OFFICIAL, _("recognize as official"))
        _check_date(member, official_date, "official_date")
        earliest = earliest_official_date(member)
        if official_date < earliest:
            raise ValidationError({"official_date": [
                _("Probation lasts %(months)s months: the earliest official date is %(date)s.")
                % {"months": settings.DANGVIEN["PROBATION_MONTHS"], "date": earliest.strftime("%d/%m/%Y")}]})
        before, was = member_snapshot(member), member.status
        member.status, member.official_date, member.status_date = Status.OFFICIAL, official_date, official_date
        return _commit(actor=actor, member=member, before=before, event=RecognizedOfficial(),
                       day=official_date, from_status=was, decision=decision, note=note)


def member_transfer_out(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, destination: str = "",
    destination_unit: Unit | None = None, decision: str = "", note: str = "",
) -> Member:
    """Official transfer. To a unit on this system, the member waits until that side accepts
    (member_transfer_in); to anywhere else, `destination` names it."""
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.TRANSFERRED_OUT, _("transfer out"))
        _check_date(member, date)
        if destination_unit is not None:
            _require_member_unit(destination_unit, "destination_unit")
            if destination_unit.pk == member.unit_id:
                raise ValidationError({"destination_unit": [_("The member is already in this cell.")]})
        elif not clean(destination):
            raise ValidationError({"destination": [_("Say where the member is transferred to.")]})
        before, was = member_snapshot(member), member.status
        member.status, member.status_date, member.pending_unit = Status.TRANSFERRED_OUT, date, destination_unit
        event = TransferredOut(destination=destination_unit.name if destination_unit else clean(destination),
                               destination_unit_id=destination_unit.pk if destination_unit else None)
        return _commit(actor=actor, member=member, before=before, event=event, day=date, from_status=was,
                       decision=decision, note=note)


def member_transfer_in(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, unit: Unit,
    decision: str = "", note: str = "",
) -> Member:
    """The receiving committee takes in a member transferred out to it."""
    with transaction.atomic():
        fresh = member_lock_for(actor, member.pk)
        if not member_event_permitted(actor, fresh, EventKind.TRANSFERRED_IN):
            raise PermissionDenied(_("You do not have permission to take this member in."))
        if fresh.version != expected_version:
            raise StaleEdit(_("This record was changed by someone else. Reload it and try again."), code="stale")
        _check_status(fresh, EventKind.TRANSFERRED_IN, _("transfer in"))
        _require_member_unit(unit)
        require(actor, MEMBER_MANAGE, unit)
        if fresh.pending_unit and not unit.path.startswith(fresh.pending_unit.path):
            raise ValidationError({"unit": [_("This transfer is addressed to %(unit)s.") % {"unit": fresh.pending_unit}]})
        _check_date(fresh, date, changes_status=False)
        if fresh.status_date and date < fresh.status_date:
            raise ValidationError({"date": [_("The member cannot arrive before leaving.")]})
        before, came_from = member_snapshot(fresh), fresh.unit.name
        fresh.unit, fresh.pending_unit = unit, None
        fresh.status, fresh.status_date = _standing(fresh), date
        return _commit(actor=actor, member=fresh, before=before, event=TransferredIn(came_from=came_from), day=date,
                       from_status=Status.TRANSFERRED_OUT, decision=decision, note=note)


def member_transfer_temporarily(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, destination: str,
    until: dt.date | None = None, decision: str = "", note: str = "",
) -> Member:
    """Temporary transfer (3 months to under a year, study up to two): the member stays counted in
    the home cell."""
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.TEMPORARILY_OUT, _("transfer temporarily"))
        _check_date(member, date)
        if not clean(destination):
            raise ValidationError({"destination": [_("Say where the member will attend meanwhile.")]})
        if until and until <= date:
            raise ValidationError({"until": [_("The end must be after the start.")]})
        if until and until > date + relativedelta(years=2):
            raise ValidationError({"until": [_("A temporary transfer lasts at most two years.")]})
        before, was = member_snapshot(member), member.status
        member.status, member.status_date, member.temporary_unit = Status.TEMPORARILY_OUT, date, clean(destination)
        return _commit(actor=actor, member=member, before=before,
                       event=TemporarilyOut(destination=clean(destination), until=until), day=date,
                       from_status=was, decision=decision, note=note)


def member_return(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, note: str = "",
) -> Member:
    """Back from a temporary transfer."""
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.RETURNED, _("record the return"))
        _check_date(member, date)
        before, was = member_snapshot(member), member.status
        member.status, member.status_date, member.temporary_unit = _standing(member), date, ""
        return _commit(actor=actor, member=member, before=before, event=Returned(), day=date,
                       from_status=was, note=note)


def member_exempt(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, reason: str,
    decision: str = "", note: str = "",
) -> Member:
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.EXEMPTED, _("exempt"))
        _check_date(member, date)
        if not clean(reason):
            raise ValidationError({"reason": [_("Give the reason (old age, illness...).")]})
        before, was = member_snapshot(member), member.status
        member.status, member.status_date = Status.EXEMPTED, date
        return _commit(actor=actor, member=member, before=before, event=Exempted(reason=clean(reason)), day=date,
                       from_status=was, decision=decision, note=note)


def member_lift_exemption(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, decision: str = "", note: str = "",
) -> Member:
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.EXEMPTION_LIFTED, _("lift the exemption"))
        _check_date(member, date)
        before, was = member_snapshot(member), member.status
        member.status, member.status_date = _standing(member), date
        return _commit(actor=actor, member=member, before=before, event=ExemptionLifted(), day=date,
                       from_status=was, decision=decision, note=note)


def member_discipline(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, form: str,
    decision: str = "", note: str = "",
) -> Member:
    """Discipline; expulsion ends membership. Probationary members: reprimand or warning only."""
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.DISCIPLINED, _("discipline"))
        if form not in DisciplineForm.values:
            raise ValidationError({"form": [_("Choose a form of discipline.")]})
        # Probationary standing, whatever the status (an exempted or temporarily transferred
        # probationary member is still probationary).
        if _standing(member) == Status.PROBATIONARY and form not in (DisciplineForm.REPRIMAND, DisciplineForm.WARNING):
            raise ValidationError({"form": [_("A probationary member can only be reprimanded or warned.")]})
        _check_date(member, date, changes_status=form == DisciplineForm.EXPULSION)
        before, was = member_snapshot(member), member.status
        if form == DisciplineForm.EXPULSION:
            member.status, member.status_date = Status.EXPELLED, date
        return _commit(actor=actor, member=member, before=before, event=Disciplined(form=DisciplineForm(form)), day=date,
                       from_status=was, decision=decision, note=note)


def member_remove(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, reason: str,
    decision: str = "", note: str = "",
) -> Member:
    """Removal from the roll (xóa tên)."""
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.REMOVED, _("remove from the roll"))
        _check_date(member, date)
        if not clean(reason):
            raise ValidationError({"reason": [_("Give the reason for the removal.")]})
        before, was = member_snapshot(member), member.status
        member.status, member.status_date = Status.REMOVED, date
        return _commit(actor=actor, member=member, before=before, event=Removed(reason=clean(reason)), day=date,
                       from_status=was, decision=decision, note=note)


def member_record_death(
    *, actor: Any, member: Member, expected_version: int, date: dt.date, note: str = "",
) -> Member:
    with transaction.atomic():
        member = _locked(actor, member, expected_version, MEMBER_MANAGE)
        _check_status(member, EventKind.DIED, _("record the death"))
        # Not bound to the current status date: if a later event was recorded in error, the death
        # must still be recordable on its true date.
        _check_date(member, date, changes_status=False)
        if member.date_of_birth and date < member.date_of_birth:
            raise ValidationError({"date": [_("The date of death is before the date of birth.")]})
        before, was = member_snapshot(member), member.status
        member.status, member.status_date, member.death_date = Status.DECEASED, date, date
        return _commit(actor=actor, member=member, before=before, event=Died(), day=date,
                       from_status=was, note=note)


# --- corrections -----------------------------------------------------------------------------


def _apply_changes(
    *, actor: Any, member: Member, expected_version: int, changes: dict[str, Any], allowed: list[str],
    perm: Permission, note: str,
) -> Member:
    with transaction.atomic():
        # Scope (404) and permission (403) before the fields (400), as in every other service.
        member = _locked(actor, member, expected_version, perm)
        before = member_snapshot(member)
        current = {f: getattr(member, f) for f in validation.PROFILE_FIELDS}
        changes, errors = correction_changes(current, member.status, changes, allowed)
        changed_identifiers = {f: changes[f] for f in UNIQUE_IDENTIFIERS if f in changes}
        errors.update({k: v for k, v in _check_unique(changed_identifiers, member.pk).items() if k not in errors})
        if errors:
            raise ValidationError(errors)
        for field, value in changes.items():
            setattr(member, field, validation.stored_value(field, value))
        derive_name_columns(member)
        new = diff(before, member_snapshot(member))[1]
        if not new:
            return member  # nothing changed: no version bump, no event
        return _commit(actor=actor, member=member, before=before, event=Corrected(fields=tuple(sorted(new))),
                       day=validation.today(), from_status=member.status, note=note)


def member_correct(
    *, actor: Any, member: Member, expected_version: int, changes: dict[str, Any], note: str = "",
) -> Member:
    """Correct profile data (a committee's data-correction decision)."""
    return _apply_changes(actor=actor, member=member, expected_version=expected_version, changes=changes,
                          allowed=validation.PROFILE_FIELDS, perm=MEMBER_MANAGE, note=note)


def member_update_contact(
    *, actor: Any, member: Member, expected_version: int, changes: dict[str, Any], note: str = "",
) -> Member:
    """Phone, residence and smartphone flag: a cell secretary may keep these current."""
    return _apply_changes(actor=actor, member=member, expected_version=expected_version, changes=changes,
                          allowed=validation.CONTACT_FIELDS, perm=MEMBER_EDIT_CONTACT, note=note)


# --- the cell's yearly records: evaluations and party fees -------------------------------------


def classification_for(score: Decimal) -> str:
    """The classification a score out of 100 earns (QĐ 366: thresholds in settings, unconfirmed)."""
    for classification in (Classification.EXCELLENT, Classification.GOOD, Classification.COMPLETED):
        if score >= settings.DANGVIEN[f"EVALUATION_{classification.name}"]:
            return classification
    return Classification.NOT_COMPLETED


def _member_for_record(actor: Any, member: Member, perm: Permission) -> Member:
    """The member under a row lock, in scope (404) and with `perm` at their cell (403)."""
    fresh = member_lock_for(actor, member.pk)
    if not can(actor, perm, fresh.unit):
        raise PermissionDenied(_("You do not have permission to record this for the member."))
    return fresh


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": [_("Enter the score as a number from 0 to 100.")]}) from None
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": [_("The score is out of 100: enter a number from 0 to 100.")]})
    return score


def evaluation_record(*, actor: Any, member: Member, year: int, score: Any, note: str = "") -> MemberEvaluation:
    """Record (or correct) a member's year-end evaluation; the classification follows the score."""
    with transaction.atomic():
        member = _member_for_record(actor, member, EVALUATION_RECORD)
        score = _score(score)
        if year > validation.today().year:
            raise ValidationError({"year": [_("This year has not come yet.")]})
        if year < member.admission_date.year:
            raise ValidationError({"year": [_("The member was admitted in %(year)s.")
                                            % {"year": member.admission_date.year}]})
        stored = MemberEvaluation.objects.filter(member=member, year=year).first()
        before = {"score": stored.score, "classification": stored.classification} if stored else None
        evaluation = stored or MemberEvaluation(member=member, year=year)
        evaluation.score, evaluation.classification = score, classification_for(score)
        evaluation.note, evaluation.recorded_by = clean(note), actor if getattr(actor, "pk", None) else None
        evaluation.save()
        audit_record(actor=actor, action="member.evaluation_record", object_type="member", object_id=member.pk,
                     before=before, unit_path=member.unit.path,
                     after={"year": year, "score": score, "classification": evaluation.classification})
        return evaluation


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def fee_payment_record(*, actor: Any, member: Member, month: dt.date, amount: int, note: str = "") -> FeePayment:
    """Record (or correct) the party fee a member paid for a month (QĐ 342: the amount depends on
    income, so it is entered, not computed)."""
    with transaction.atomic():
        member = _member_for_record(actor, member, FEE_RECORD)
        month = first_of_month(month)
        if not 0 < amount <= settings.DANGVIEN["FEE_MAX_VND"]:
            raise ValidationError({"amount": [_("Enter an amount in VND from 1 to %(max)s.")
                                              % {"max": f"{settings.DANGVIEN['FEE_MAX_VND']:,}".replace(",", ".")}]})
        ahead = first_of_month(validation.today()) + relativedelta(months=settings.DANGVIEN["FEE_MONTHS_AHEAD"])
        if month > ahead:
            raise ValidationError({"month": [_("Fees are paid at most %(months)s months ahead.")
                                             % {"months": settings.DANGVIEN["FEE_MONTHS_AHEAD"]}]})
        if month < first_of_month(member.admission_date):
            raise ValidationError({"month": [_("The member was admitted on %(date)s.")
                                             % {"date": member.admission_date.strftime("%d/%m/%Y")}]})
        stored = FeePayment.objects.filter(member=member, month=month).first()
        before = {"month": month, "amount": stored.amount} if stored else None
        payment = stored or FeePayment(member=member, month=month)
        payment.amount, payment.note = amount, clean(note)
        payment.recorded_by = actor if getattr(actor, "pk", None) else None
        payment.save()
        audit_record(actor=actor, action="member.fee_record", object_type="member", object_id=member.pk,
                     before=before, after={"month": month, "amount": amount}, unit_path=member.unit.path)
        return payment
