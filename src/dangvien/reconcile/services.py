"""Every write an officer makes on reconciliation results: deciding a review item (match_accept,
match_reject) and a discrepancy (discrepancy_accept, discrepancy_reject, discrepancies_accept_bulk).

Each: RECONCILE_RESOLVE at the member's cell (accepting a correction changes the record, so
MEMBER_MANAGE too), one transaction, the result locked and refused once decided, an audit row
("reconcile.*", object "match" or "discrepancy"). An accepted correction goes through the member
services (members.services.member_correct, or members.bulk.members_write for many): audited, in the
member's history, refused on the member's own rules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import can
from dangvien.core.audit import audit_record, audit_record_many
from dangvien.core.text import clean, nfc
from dangvien.members.bulk import MEMBER as STALE_MEMBER
from dangvien.members.bulk import Correction, Problem, Refused, members_write
from dangvien.members.models import Member
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.members.selectors import member_lock_for, members_visible_to
from dangvien.members.services import member_correct
from dangvien.org.models import Unit
from dangvien.reconcile.fields import changes_for, discrepancies_with, record_value, same_value
from dangvien.reconcile.models import Band, Decision, Discrepancy, Field, Kind, Match, State
from dangvien.reconcile.permissions import RECONCILE_RESOLVE
from dangvien.reconcile.selectors import (
    DiscrepancyFilter,
    discrepancy_list,
    discrepancy_lock_for,
    match_lock_for,
)

_CHUNK = 2000  # ids per IN list


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None) or None


def _require_resolve(actor: Any, unit: Unit) -> None:
    if not can(actor, RECONCILE_RESOLVE, unit):
        raise PermissionDenied(_("You do not have permission to decide reconciliation results here."))


def _require_correct(actor: Any, unit: Unit) -> None:
    if not can(actor, MEMBER_MANAGE, unit):
        raise PermissionDenied(_("Accepting a correction changes the member record, which you may not change here."))


def _reason(reason: str) -> str:
    text = nfc(reason or "").strip()  # API bodies bypass the NFC middleware
    if not text:
        raise ValidationError({"reason": [_("Give the reason.")]})
    return text


def _field_label(name: str) -> str:
    return str(Field(name).label) if name in Field.values else name


# --- discrepancies ------------------------------------------------------------------------------


def _discrepancy_state(d: Discrepancy) -> dict[str, Any]:
    return {"state": d.state, "reason": d.reason, "decided_by": d.decided_by_id,
            "decided_at": d.decided_at.isoformat() if d.decided_at else None}


def _audit_entry(d: Discrepancy, action: str, before: dict[str, Any], path: str) -> dict[str, Any]:
    after = {**_discrepancy_state(d), "member": d.member_id, "field": d.field, "kind": d.kind,
             "record_value": d.record_value, "population_value": d.population_value}
    return {"action": action, "object_type": "discrepancy", "object_id": d.pk, "before": before, "after": after,
            "unit_path": path}


def _check_open(d: Discrepancy) -> None:
    if d.state != State.OPEN:
        raise ValidationError(_("This discrepancy was already decided (%(state)s).")
                              % {"state": State(d.state).label.lower()}, code="decided")
    if not d.match.current:
        raise ValidationError(_("A newer reconciliation replaced this result: see the member's current one."),
                              code="superseded")
    if d.match.decision == Decision.REJECTED:
        raise ValidationError(_("The link to the population database was rejected: its differences do not apply."),
                              code="rejected")


def stale_message(d: Discrepancy, now: str) -> str:
    return (_("The record's %(field)s changed after the reconciliation compared it (it said “%(then)s”, it now "
              "says “%(now)s”): nothing was changed. Reject this suggestion or run the reconciliation again.")
            % {"field": _field_label(d.field), "then": d.record_value or "—", "now": now or "—"})


def _check_unchanged(d: Discrepancy, member: Any) -> None:
    """Refuse a correction the record moved away from since the run compared it."""
    now = record_value(member, d.field)
    if not same_value(d.field, now, d.record_value):
        raise ValidationError({"record_value": [stale_message(d, now)]}, code="stale")


def discrepancy_accept(*, actor: Any, discrepancy: Discrepancy, note: str = "") -> Discrepancy:
    """Correct the member's record to the population value (members.services.member_correct)."""
    with transaction.atomic():
        d = discrepancy_lock_for(actor, discrepancy.pk)
        _require_resolve(actor, d.member.unit)
        _require_correct(actor, d.member.unit)
        _check_open(d)
        member = member_lock_for(actor, d.member_id)
        _check_unchanged(d, member)
        before = _discrepancy_state(d)
        member_correct(actor=actor, member=member, expected_version=member.version,
                       changes=changes_for(d.field, d.population_value), note=note)
        d.state, d.decided_by_id, d.decided_at = State.ACCEPTED, _actor_id(actor), timezone.now()
        d.save(update_fields=["state", "decided_by", "decided_at"])
        audit_record(actor=actor, **_audit_entry(d, "reconcile.discrepancy_accepted", before, member.unit.path))
        return d


def discrepancy_reject(*, actor: Any, discrepancy: Discrepancy, reason: str) -> Discrepancy:
    """Keep the record as it is; the reason says why the population value is wrong for this member."""
    reason = _reason(reason)
    with transaction.atomic():
        d = discrepancy_lock_for(actor, discrepancy.pk)
        _require_resolve(actor, d.member.unit)
        _check_open(d)
        before = _discrepancy_state(d)
        d.state, d.reason, d.decided_by_id, d.decided_at = State.REJECTED, reason, _actor_id(actor), timezone.now()
        d.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit_record(actor=actor, **_audit_entry(d, "reconcile.discrepancy_rejected", before, d.member.unit.path))
        return d


def discrepancies_accept_bulk(
    *, actor: Any, unit: Unit, field: str, kind: str, expected_count: int | None = None, note: str = "",
) -> int:
    """Accept every open discrepancy of one field and kind (all diacritics-only name fixes of a
    commune) in `unit`'s subtree, in one members.bulk.members_write call: the same rules, history
    events and audit rows as discrepancy_accept one by one. All or nothing: a record changed since
    the run, or a correction the member rules refuse, refuses the whole call (Refused names each).
    `expected_count`: how many the officer was shown; more or fewer now is refused too."""
    if field not in Field.values or kind not in Kind.values:
        raise ValidationError(_("Choose one field and one kind of difference."))
    _require_resolve(actor, unit)
    _require_correct(actor, unit)
    with transaction.atomic():
        rows = list(discrepancy_list(actor, DiscrepancyFilter(unit=unit, field=field, kind=kind))
                    .select_for_update(of=("self",)).select_related("match"))
        if expected_count is not None and expected_count != len(rows):
            raise ValidationError(_("%(now)s such differences are open now, not %(shown)s: look at the list again.")
                                  % {"now": len(rows), "shown": expected_count}, code="moved")
        if not rows:
            return 0
        members = _members_locked(actor, [d.member_id for d in rows])
        problems, corrections = [], []
        for d in rows:
            member = members.get(d.member_id)
            if member is None or not can(actor, RECONCILE_RESOLVE, member.unit) or not can(actor, MEMBER_MANAGE,
                                                                                          member.unit):
                problems.append(Problem(d.pk, STALE_MEMBER, {"member": [_("You may not change this member.")]}))
                continue
            now = record_value(member, d.field)
            if not same_value(d.field, now, d.record_value):
                problems.append(Problem(_key(member), STALE_MEMBER, {"record_value": [stale_message(d, now)]}))
                continue
            corrections.append(Correction(member_id=member.pk, expected_version=member.version,
                                          changes=changes_for(d.field, d.population_value), key=_key(member)))
        if problems:
            raise Refused(problems)
        members_write(actor=actor, corrections=corrections, note=note)
        decided_at, entries = timezone.now(), []
        for d in rows:
            before = _discrepancy_state(d)
            d.state, d.decided_by_id, d.decided_at = State.ACCEPTED, _actor_id(actor), decided_at
            entries.append(_audit_entry(d, "reconcile.discrepancy_accepted", before, members[d.member_id].unit.path))
        for start in range(0, len(rows), _CHUNK):
            Discrepancy.objects.filter(pk__in=[d.pk for d in rows[start:start + _CHUNK]]).update(
                state=State.ACCEPTED, decided_by_id=_actor_id(actor), decided_at=decided_at)
        audit_record_many(actor=actor, entries=entries)
        return len(rows)


def _key(member: Member) -> str:
    """How a refused item is named to the officer."""
    return f"{member.full_name} ({member.unit.code})"


def _members_locked(actor: Any, ids: list[int]) -> dict[int, Member]:
    found: dict[int, Member] = {}
    visible = members_visible_to(actor).select_for_update(of=("self",)).select_related("unit")
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        found.update((m.pk, m) for m in visible.filter(pk__in=unique[start:start + _CHUNK]))
    return found


# --- review items --------------------------------------------------------------------------------


def _match_state(match: Match) -> dict[str, Any]:
    return {"decision": match.decision, "so_dinh_danh": match.so_dinh_danh, "probability": match.probability,
            "reason": match.reason}


def _check_undecided(match: Match) -> None:
    if not match.current:
        raise ValidationError(_("A newer reconciliation replaced this result: see the member's current one."),
                              code="superseded")
    if match.decision:
        raise ValidationError(_("This item was already decided (%(decision)s).")
                              % {"decision": Decision(match.decision).label.lower()}, code="decided")
    if match.band != Band.REVIEW:
        raise ValidationError(_("Only a result that needs review is decided here."), code="band")


def _linked_elsewhere(match: Match, so_dinh_danh: str) -> str | None:
    """The name of another member already holding this citizen, if one does."""
    linked = Q(decision=Decision.ACCEPTED) | Q(band__in=[Band.EXACT, Band.AUTO], decision=Decision.UNDECIDED)
    other = (Match.objects.filter(linked, current=True, so_dinh_danh=so_dinh_danh).exclude(member_id=match.member_id)
             .select_related("member").first())
    if other is not None:
        return other.member.full_name
    holder = Member.objects.filter(citizen_id=so_dinh_danh).exclude(pk=match.member_id).first()
    return holder.full_name if holder is not None else None


def match_accept(*, actor: Any, match: Match, so_dinh_danh: str, note: str = "") -> Match:
    """Link the member to one of the candidates: the match is accepted and the fields on which the
    record and that person disagree become discrepancies to decide (a citizen ID missing on record
    among them)."""
    with transaction.atomic():
        match = match_lock_for(actor, match.pk)
        _require_resolve(actor, match.member.unit)
        _check_undecided(match)
        candidate = next((c for c in match.candidates if str(c.get("so_dinh_danh")) == so_dinh_danh), None)
        if candidate is None:
            raise ValidationError({"so_dinh_danh": [_("This person is not among the candidates.")]})
        if (other := _linked_elsewhere(match, so_dinh_danh)) is not None:
            raise ValidationError({"so_dinh_danh": [
                _("This citizen is already linked to another member, %(name)s: settle that record first.")
                % {"name": other}]})
        before = _match_state(match)
        match.decision, match.so_dinh_danh = Decision.ACCEPTED, so_dinh_danh
        match.probability = candidate.get("probability", match.probability)
        match.decided_by_id, match.decided_at, match.reason = _actor_id(actor), timezone.now(), clean(note)
        match.save(update_fields=["decision", "so_dinh_danh", "probability", "decided_by", "decided_at", "reason"])
        found = discrepancies_with(match.member, candidate.get("person") or {}, so_dinh_danh)
        Discrepancy.objects.bulk_create([
            Discrepancy(match=match, member_id=match.member_id, field=field, kind=kind, record_value=record[:255],
                        population_value=population[:255]) for field, kind, record, population in found])
        audit_record(actor=actor, action="reconcile.match_accepted", object_type="match", object_id=match.pk,
                     before=before, after={**_match_state(match), "member": match.member_id,
                                           "discrepancies": [field for field, *_rest in found]},
                     unit_path=match.member.unit.path)
        return match


def match_reject(*, actor: Any, match: Match, reason: str) -> Match:
    """None of the candidates is this member: the member counts as not found."""
    reason = _reason(reason)
    with transaction.atomic():
        match = match_lock_for(actor, match.pk)
        _require_resolve(actor, match.member.unit)
        _check_undecided(match)
        before = _match_state(match)
        match.decision, match.reason = Decision.REJECTED, reason
        match.decided_by_id, match.decided_at = _actor_id(actor), timezone.now()
        match.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
        audit_record(actor=actor, action="reconcile.match_rejected", object_type="match", object_id=match.pk,
                     before=before, after={**_match_state(match), "member": match.member_id},
                     unit_path=match.member.unit.path)
        return match

