"""Every write in the card exchange campaign. Each service checks the actor's permission where it
acts, runs in one transaction, and writes an audit row ("campaign.*") with what changed.

Creating a campaign takes its eligibility snapshot at once: every member on the roll in the unit, a
participant row each, eligible or excluded with the reason (one INSERT a batch, so a province is a
few seconds). Steps are recorded in pipeline order, dated, with who recorded them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.accounts.permissions import can, require, scope_for
from dangvien.campaign.blocking import comparison_blockers
from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
from dangvien.campaign.events import CardHandedOver, HandOverWithdrawn
from dangvien.campaign.formatting import format_percent
from dangvien.campaign.models import (
    STEPS,
    Campaign,
    Care,
    Departure,
    HoldReason,
    Participant,
    Step,
    StepRecord,
    step_number,
)
from dangvien.campaign.permissions import CAMPAIGN_MANAGE, CAMPAIGN_RECORD
from dangvien.campaign.reports import is_behind, planned_share, unit_figures
from dangvien.campaign.selectors import participant_lock_for, participants_visible_to
from dangvien.core.audit import audit_record, audit_record_many
from dangvien.core.bulk import bulk_insert
from dangvien.core.errors import StaleEdit
from dangvien.core.scope import ancestor_paths, subtree_filter
from dangvien.core.text import clean, nfc
from dangvien.members.events import event_row
from dangvien.members.models import Member, MemberEvent, Status
from dangvien.members.services import actor_id_of
from dangvien.members.validation import today
from dangvien.notifications.models import Notification
from dangvien.notifications.services import notification_send
from dangvien.org.models import Unit

SNAPSHOT_BATCH = 5000


def campaign_create(
    *, actor: Any, unit: Unit, name: str, start: dt.date, deadline: dt.date, rule: Rule | None = None,
    headline_step: str = Step.CONFIRMED, precision: int = 2,
) -> Campaign:
    """A campaign over `unit`'s subtree, with its eligibility snapshot taken today."""
    require(actor, CAMPAIGN_MANAGE, unit)
    name = clean(name)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the campaign a name.")]
    if deadline < start:
        errors["deadline"] = [_("The deadline is before the start.")]
    if headline_step not in STEPS:
        errors["headline_step"] = [_("Unknown step.")]
    if not 0 <= precision <= 3:
        errors["precision"] = [_("Percentages take 0 to 3 decimals.")]
    rule = rule or Rule()
    if unknown := set(rule.statuses) - set(SNAPSHOT_STATUSES):
        errors["rule"] = [_("Not a status on the roll: %(statuses)s.") % {"statuses": ", ".join(sorted(unknown))}]
    if errors:
        raise ValidationError(errors)
    snapshot_date = today()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name, unit=unit, start=start, deadline=deadline, rule=rule.to_json(), headline_step=headline_step,
            precision=precision, snapshot_date=snapshot_date, created_by=actor if getattr(actor, "pk", None) else None)
        counts = _take_snapshot(campaign, rule, snapshot_date)
        audit_record(actor=actor, action="campaign.created", object_type="campaign", object_id=campaign.pk,
                     before={}, after={"name": name, "unit": unit.code, "start": start.isoformat(),
                                       "deadline": deadline.isoformat(), "rule": rule.to_json(),
                                       "headline_step": headline_step, "precision": precision,
                                       "snapshot_date": snapshot_date.isoformat(), **counts},
                     unit_path=unit.path)
    return campaign


def _take_snapshot(campaign: Campaign, rule: Rule, day: dt.date) -> dict[str, int]:
    """A participant row for every member on the roll in the campaign's unit, in batches."""
    members = (Member.objects.filter(status__in=SNAPSHOT_STATUSES, **subtree_filter(campaign.unit.path, "unit__path"))
               .annotate(why_not=rule.exclusion_sql()).order_by("pk").values_list("pk", "unit_id", "why_not"))
    eligible = excluded = 0
    batch: list[Participant] = []
    for member_id, unit_id, why_not in members.iterator(chunk_size=SNAPSHOT_BATCH):
        batch.append(Participant(campaign=campaign, member_id=member_id, unit_id=unit_id, eligible=not why_not,
                                 exclusion=why_not, joined_on=day))
        eligible, excluded = eligible + (not why_not), excluded + bool(why_not)
        if len(batch) == SNAPSHOT_BATCH:
            Participant.objects.bulk_create(batch)
            batch = []
    Participant.objects.bulk_create(batch)
    return {"eligible": eligible, "excluded": excluded}


def _locked(actor: Any, participant: Participant, expected_version: int) -> Participant:
    """Re-read the participant under a row lock; check permission, that it counts, and the version."""
    fresh = participant_lock_for(actor, participant.pk)
    if not can(actor, CAMPAIGN_RECORD, fresh.unit):
        raise PermissionDenied(_("You do not have permission to record campaign steps here."))
    if fresh.version != expected_version:
        raise StaleEdit(_("This member's campaign record was changed by someone else (version %(now)s, your copy "
                          "%(yours)s). Reload it and try again.") % {"now": fresh.version, "yours": expected_version},
                        code="stale")
    if fresh.campaign.closed_on is not None:
        raise ValidationError(_("The campaign is closed."), code="closed")
    if not fresh.counted:
        raise ValidationError(_("This member is not in the campaign's figures (not eligible, or left it)."),
                              code="not_counted")
    return fresh


def step_problem(participant: Participant, step: str, day: dt.date, previous_day: dt.date | None) -> str:
    """Why `step` cannot be recorded for the participant on `day` ("" when it can). The bulk path
    asks the same question for every row of a file."""
    number = step_number(step)
    if participant.stage >= number:
        return _("“%(step)s” is already recorded.") % {"step": Step(step).label}
    if participant.stage < number - 1:
        return _("“%(step)s” comes first.") % {"step": Step(STEPS[participant.stage]).label}
    if day > today():
        return _("This date is in the future.")
    if day < participant.campaign.start:
        return _("This date is before the campaign started (%(date)s).") % {
            "date": participant.campaign.start.strftime("%d/%m/%Y")}
    if previous_day is not None and day < previous_day:
        return _("This date is before the previous step (%(date)s).") % {"date": previous_day.strftime("%d/%m/%Y")}
    return ""


def participant_step(
    *, actor: Any, participant: Participant, expected_version: int, step: str, day: dt.date, note: str = "",
) -> Participant:
    """Record one pipeline step for one member."""
    if step not in STEPS:
        raise ValidationError({"step": [_("Unknown step.")]})
    with transaction.atomic():
        participant = _locked(actor, participant, expected_version)
        if problem := step_problem(participant, step, day, participant.stage_on):
            raise ValidationError({"step": [problem]})
        if step == Step.COMPARED and (blocker := comparison_blockers([participant.member_id])):
            raise ValidationError({"step": [blocker[participant.member_id]]}, code="blocked")
        note = nfc(note).strip()
        StepRecord.objects.create(participant=participant, step=step, day=day, note=note,
                                  recorded_by=actor if getattr(actor, "pk", None) else None)
        before = {"stage": participant.stage, "stage_on": participant.stage_on}
        participant.stage, participant.stage_on = step_number(step), day
        participant.version += 1
        participant.save(update_fields=["stage", "stage_on", "version"])
        audit_record(actor=actor, action="campaign.step", object_type="participant", object_id=participant.pk,
                     before=before, after={"stage": participant.stage, "step": step, "day": day.isoformat(),
                                           "member": participant.member_id, **({"note": note} if note else {})},
                     unit_path=participant.unit.path)
        if step == Step.HANDED_OVER:
            _handover_events(actor, participant.campaign, [(participant.member_id, day)])
    return participant


# --- the pipeline: a step for many members at once --------------------------------------------------

# Participants read, checked and written per statement (SQLite holds a statement to 32,766 parameters).
STEP_BATCH = 5000


@dataclass(frozen=True)
class StepRefusal:
    """Why the step cannot be recorded for one participant (`key`: the caller's name for the row: a
    file's line, else the participant id)."""

    participant_id: int
    reason: str
    key: int | str = ""


@dataclass
class StepsResult:
    """What steps_record did: `recorded` participants, or, when any was refused, nothing and every
    refusal (in the order asked)."""

    recorded: int = 0
    refusals: list[StepRefusal] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.refusals

    def error(self) -> ValidationError:
        """The refusals as one ValidationError, a message list per participant (the API's 422)."""
        errors: dict[str, list[str]] = {}
        for refusal in self.refusals:
            errors.setdefault(str(refusal.key or refusal.participant_id), []).append(refusal.reason)
        return ValidationError(errors, code="refused")


def steps_record(
    *, actor: Any, campaign: Campaign, step: str, day: dt.date, participant_ids: list[int], note: str = "",
    days: Mapping[int, dt.date] | None = None, notes: Mapping[int, str] | None = None,
    keys: Mapping[int, int | str] | None = None, dry_run: bool = False,
) -> StepsResult:
    """Record `step` for every listed participant, all or nothing: the rules of participant_step
    (step_problem, comparison_blockers, CAMPAIGN_RECORD at each participant's cell) for each one,
    and when any is refused nothing is written and every refusal is returned.

    `days` and `notes` give a participant its own date and note (a step file's rows); `keys` names
    each participant in the refusals (the file's line). `dry_run`: check only."""
    if step not in STEPS:
        raise ValidationError({"step": [_("Unknown step.")]})
    days, notes, keys = days or {}, notes or {}, keys or {}
    with transaction.atomic():
        rows, refusals = _steps_check(actor, campaign, step, day, participant_ids, days, keys)
        if refusals or dry_run:
            return StepsResult(recorded=0 if refusals else len(rows), refusals=refusals, dry_run=dry_run)
        _steps_write(actor, campaign, step, rows, note, notes)
    return StepsResult(recorded=len(rows))


@dataclass
class _Row:
    """A participant to record, as the bulk path reads it (a few columns, no model instance)."""

    pk: int
    member_id: int
    stage: int
    stage_on: dt.date | None
    unit_path: str
    day: dt.date


def _steps_check(
    actor: Any, campaign: Campaign, step: str, day: dt.date, participant_ids: list[int],
    days: Mapping[int, dt.date], keys: Mapping[int, int | str],
) -> tuple[list[_Row], list[StepRefusal]]:
    """The participants to record, locked, and the refusals."""
    refusals: list[StepRefusal] = []

    def refuse(pk: int, reason: str) -> None:
        refusals.append(StepRefusal(participant_id=pk, reason=reason, key=keys.get(pk, pk)))

    if campaign.closed_on is not None:
        raise ValidationError(_("The campaign is closed."), code="closed")
    found = _steps_rows(actor, campaign, participant_ids)
    record_scope = scope_for(actor, CAMPAIGN_RECORD)
    probe = Participant(campaign=campaign)  # step_problem reads the stage and the campaign's start
    rows: list[_Row] = []
    seen: set[int] = set()
    for pk in participant_ids:
        if pk in seen:
            refuse(pk, _("Listed twice."))
            continue
        seen.add(pk)
        values = found.get(pk)
        if values is None:
            refuse(pk, _("Not in this campaign, or outside your scope."))
            continue
        member_id, unit_path, stage, stage_on, eligible, left_on = values
        if not record_scope.covers_path(unit_path):
            refuse(pk, _("You do not have permission to record campaign steps here."))
        elif not eligible or left_on is not None:
            refuse(pk, _("This member is not in the campaign's figures (not eligible, or left it)."))
        else:
            probe.stage = stage
            when = days.get(pk, day)
            if problem := step_problem(probe, step, when, stage_on):
                refuse(pk, problem)
            else:
                rows.append(_Row(pk, member_id, stage, stage_on, unit_path, when))
    if step == Step.COMPARED and rows:
        blockers = comparison_blockers([row.member_id for row in rows])
        for row in rows:
            if row.member_id in blockers:
                refuse(row.pk, blockers[row.member_id])
    if refusals:
        order = {pk: index for index, pk in enumerate(participant_ids)}
        refusals.sort(key=lambda refusal: order[refusal.participant_id])
    return rows, refusals


def _steps_rows(actor: Any, campaign: Campaign, participant_ids: list[int]) -> dict[int, tuple]:
    """participant id -> (member, unit path, stage, stage_on, eligible, left_on), locked, for the
    listed participants of the campaign the actor sees."""
    visible = participants_visible_to(actor, campaign).select_for_update(of=("self",))
    found: dict[int, tuple] = {}
    wanted = sorted(set(participant_ids))
    for start in range(0, len(wanted), STEP_BATCH):
        chunk = wanted[start:start + STEP_BATCH]
        for pk, *values in visible.filter(pk__in=chunk).values_list(
                "pk", "member_id", "unit__path", "stage", "stage_on", "eligible", "left_on"):
            found[pk] = tuple(values)
    return found


def _steps_write(actor: Any, campaign: Campaign, step: str, rows: list[_Row], note: str,
                 notes: Mapping[int, str]) -> None:
    number = step_number(step)
    recorded_by = actor if getattr(actor, "pk", None) else None
    note = nfc(note).strip()
    row_notes = {row.pk: nfc(notes[row.pk]).strip() if row.pk in notes else note for row in rows}
    StepRecord.objects.bulk_create(
        [StepRecord(participant_id=row.pk, step=step, day=row.day, note=row_notes[row.pk], recorded_by=recorded_by)
         for row in rows], batch_size=STEP_BATCH // 5)
    by_day: dict[dt.date, list[int]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row.pk)
    for when, pks in by_day.items():
        for start in range(0, len(pks), STEP_BATCH):
            Participant.objects.filter(pk__in=pks[start:start + STEP_BATCH]).update(
                stage=number, stage_on=when, version=F("version") + 1)
    audit_record_many(actor=actor, entries=[
        {"action": "campaign.step", "object_type": "participant", "object_id": row.pk,
         "before": {"stage": row.stage, "stage_on": row.stage_on},
         "after": {"stage": number, "step": step, "day": row.day.isoformat(), "member": row.member_id,
                   **({"note": row_notes[row.pk]} if row_notes[row.pk] else {})},
         "unit_path": row.unit_path} for row in rows])
    if step == Step.HANDED_OVER:
        _handover_events(actor, campaign, [(row.member_id, row.day) for row in rows])


def _handover_events(actor: Any, campaign: Campaign, handed: list[tuple[int, dt.date]]) -> None:
    """The hand-over in each member's timeline (one insert for the lot)."""
    members = {}
    for start in range(0, len(handed), STEP_BATCH):
        chunk = [member_id for member_id, _day in handed[start:start + STEP_BATCH]]
        members.update({pk: (unit_id, status) for pk, unit_id, status in
                        Member.objects.filter(pk__in=chunk).values_list("pk", "unit_id", "status")})
    details = CardHandedOver(campaign=campaign.pk, campaign_name=campaign.name)
    bulk_insert(MemberEvent, [
        event_row(details, member_id=member_id, unit_id=members[member_id][0], day=day,
                  actor_id=actor_id_of(actor), from_status=members[member_id][1], to_status=members[member_id][1])
        for member_id, day in handed])


# --- the pipeline: one member ------------------------------------------------------------------------


def _commit_participant(actor: Any, participant: Participant, action: str, before: dict[str, Any],
                        after: dict[str, Any], fields: list[str]) -> Participant:
    """Save a changed participant (its version moved on) with its audit row."""
    participant.version += 1
    participant.save(update_fields=[*fields, "version"])
    audit_record(actor=actor, action=action, object_type="participant", object_id=participant.pk,
                 before=before, after={**after, "member": participant.member_id}, unit_path=participant.unit.path)
    return participant


def participant_hold(
    *, actor: Any, participant: Participant, expected_version: int, reason: str, note: str = "",
) -> Participant:
    """Mark that the member cannot complete now (abroad, in hospital...): still counted as remaining,
    reported apart."""
    if reason not in HoldReason.values:
        raise ValidationError({"reason": [_("Choose a reason from the list.")]})
    note = clean(note)
    if reason == HoldReason.OTHER and not note:
        raise ValidationError({"note": [_("Say what keeps the member from completing now.")]})
    with transaction.atomic():
        participant = _locked(actor, participant, expected_version)
        if participant.stage == len(STEPS):
            raise ValidationError({"reason": [_("The card is already handed over.")]})
        before = {"hold": participant.hold, "hold_note": participant.hold_note, "hold_since": participant.hold_since}
        participant.hold, participant.hold_note, participant.hold_since = reason, note, today()
        return _commit_participant(actor, participant, "campaign.hold", before,
                                   {"hold": reason, "hold_note": note, "hold_since": participant.hold_since},
                                   ["hold", "hold_note", "hold_since"])


def participant_release(*, actor: Any, participant: Participant, expected_version: int) -> Participant:
    """The member can complete again: the hold is lifted."""
    with transaction.atomic():
        participant = _locked(actor, participant, expected_version)
        if not participant.hold:
            raise ValidationError({"hold": [_("This member is not on hold.")]})
        before = {"hold": participant.hold, "hold_note": participant.hold_note, "hold_since": participant.hold_since}
        participant.hold, participant.hold_note, participant.hold_since = "", "", None
        return _commit_participant(actor, participant, "campaign.release", before,
                                   {"hold": "", "hold_note": "", "hold_since": None},
                                   ["hold", "hold_note", "hold_since"])


def participant_set_care(*, actor: Any, participant: Participant, expected_version: int, care: str) -> Participant:
    """Mark the member sick or disabled (they go on the home-visit worklist), or clear the mark."""
    if care not in Care.values:
        raise ValidationError({"care": [_("Choose sick, disabled or none.")]})
    with transaction.atomic():
        participant = _locked(actor, participant, expected_version)
        if participant.care == care:
            raise ValidationError({"care": [_("Nothing to change.")]})
        before = {"care": participant.care}
        participant.care = care
        return _commit_participant(actor, participant, "campaign.care", before, {"care": care}, ["care"])


def participant_step_undo(*, actor: Any, participant: Participant, expected_version: int, reason: str) -> Participant:
    """Remove the latest step recorded (a mistake), with the reason. Only the latest: the steps
    before it stay, so the pipeline stays in order."""
    reason = clean(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the step is undone.")]})
    with transaction.atomic():
        participant = _locked(actor, participant, expected_version)
        if participant.stage == 0:
            raise ValidationError({"reason": [_("No step is recorded yet.")]})
        step = STEPS[participant.stage - 1]
        latest = StepRecord.objects.get(participant=participant, step=step)
        previous = (StepRecord.objects.filter(participant=participant, step=STEPS[participant.stage - 2])
                    .values_list("day", flat=True).first() if participant.stage > 1 else None)
        before = {"stage": participant.stage, "stage_on": participant.stage_on, "step": step,
                  "day": latest.day, "recorded_by": latest.recorded_by_id, "note": latest.note}
        latest.delete()
        participant.stage, participant.stage_on = participant.stage - 1, previous
        _commit_participant(actor, participant, "campaign.step_undone", before,
                            {"stage": participant.stage, "stage_on": previous, "reason": reason},
                            ["stage", "stage_on"])
        if step == Step.HANDED_OVER:
            member = Member.objects.only("unit_id", "status").get(pk=participant.member_id)
            MemberEvent.objects.create(**event_row(
                HandOverWithdrawn(campaign=participant.campaign_id, reason=reason), member_id=member.pk,
                unit_id=member.unit_id, day=today(), actor_id=actor_id_of(actor), from_status=member.status,
                to_status=member.status))
    return participant


# --- the campaign as a whole -----------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    joined: int
    left: int
    moved: int
    returned: int


def campaign_refresh(*, actor: Any, campaign: Campaign) -> RefreshResult:
    """Bring the participants in line with the roll today, for what the member hooks did not see
    (members registered or imported after the snapshot, records changed outside the services):
    on-roll members in the unit without a participant join today, eligible or not by the rule;
    participants whose member is off the roll or outside the unit leave today; the others follow
    their member's cell (and one who left by a transfer and is back inside counts again)."""
    require(actor, CAMPAIGN_MANAGE, campaign.unit)
    if campaign.closed_on is not None:
        raise ValidationError(_("The campaign is closed."), code="closed")
    day = today()
    entries: list[dict[str, Any]] = []
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # one refresh at a time
        joined = _refresh_join(campaign, day, entries)
        left, moved, returned = _refresh_align(campaign, day, entries)
        audit_record_many(actor=actor, entries=entries)
        counts = {"joined": joined, "left": left, "moved": moved, "returned": returned}
        audit_record(actor=actor, action="campaign.refreshed", object_type="campaign", object_id=campaign.pk,
                     before={}, after={"day": day.isoformat(), **counts}, unit_path=campaign.unit.path)
    return RefreshResult(**counts)


def _refresh_join(campaign: Campaign, day: dt.date, entries: list[dict[str, Any]]) -> int:
    rule = Rule.from_json(campaign.rule)
    missing = (Member.objects.filter(status__in=SNAPSHOT_STATUSES, **subtree_filter(campaign.unit.path, "unit__path"))
               .exclude(pk__in=Participant.objects.filter(campaign=campaign).values("member_id"))
               .annotate(why_not=rule.exclusion_sql()).order_by("pk").values_list("pk", "unit_id", "unit__path",
                                                                                  "why_not"))
    rows = list(missing)
    created = Participant.objects.bulk_create(
        [Participant(campaign=campaign, member_id=member_id, unit_id=unit_id, eligible=not why_not, exclusion=why_not,
                     joined_on=day) for member_id, unit_id, _path, why_not in rows], batch_size=SNAPSHOT_BATCH // 5)
    pk_of = {participant.member_id: participant.pk for participant in created}
    for member_id, _unit_id, path, why_not in rows:
        entries.append({"action": "campaign.participant_joined", "object_type": "participant",
                        "object_id": pk_of[member_id], "before": {},
                        "after": {"campaign": campaign.pk, "member": member_id, "eligible": not why_not,
                                  "exclusion": why_not, "joined_on": day.isoformat(), "event": "refresh"},
                        "unit_path": path})
    return len(rows)


def _refresh_align(campaign: Campaign, day: dt.date, entries: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Participants whose member left the roll or the unit leave; the others follow their cell."""
    top = campaign.unit.path
    rows = (Participant.objects.filter(campaign=campaign)
            .filter(Q(left_on__isnull=True) | Q(departure=Departure.TRANSFERRED_OUT))
            .values_list("pk", "unit_id", "left_on", "member_id", "member__unit_id", "member__unit__path",
                         "member__status", "member__pending_unit__path"))
    left = moved = returned = 0
    for pk, unit_id, left_on, member_id, member_unit, path, status, pending_path in rows.iterator(chunk_size=2000):
        departure = _departure(status, path, pending_path, top)
        change: dict[str, Any] = {}
        if departure and left_on is None:
            change = {"left_on": day, "departure": departure}
            action, left = "campaign.participant_left", left + 1
        elif not departure and left_on is not None and status != Status.TRANSFERRED_OUT:
            change = {"left_on": None, "departure": "", "unit_id": member_unit}
            action, returned = "campaign.participant_moved", returned + 1
        elif not departure and unit_id != member_unit and status != Status.TRANSFERRED_OUT:
            change = {"unit_id": member_unit}
            action, moved = "campaign.participant_moved", moved + 1
        if not change:
            continue
        Participant.objects.filter(pk=pk).update(**change, version=F("version") + 1)
        entries.append({"action": action, "object_type": "participant", "object_id": pk, "before": {},
                        "after": {"member": member_id, **change, "event": "refresh"}, "unit_path": path})
    return left, moved, returned


_OFF_THE_ROLL: dict[str, str] = {Status.REMOVED: Departure.REMOVED, Status.EXPELLED: Departure.EXPELLED,
                                 Status.DECEASED: Departure.DECEASED}


def _departure(status: str, path: str, pending_path: str | None, top: str) -> str:
    """Why a participant is no longer in the campaign ("" when it still is): as follow_member decides."""
    if status in _OFF_THE_ROLL:
        return _OFF_THE_ROLL[status]
    if status == Status.TRANSFERRED_OUT:
        return "" if pending_path is not None and pending_path.startswith(top) else Departure.TRANSFERRED_OUT
    return "" if path.startswith(top) else Departure.TRANSFERRED_OUT


def campaign_close(*, actor: Any, campaign: Campaign) -> Campaign:
    """Close the campaign today: its figures are final and no step may be recorded any more."""
    require(actor, CAMPAIGN_MANAGE, campaign.unit)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("unit").get(pk=campaign.pk)
        if campaign.closed_on is not None:
            raise ValidationError(_("The campaign is already closed."), code="closed")
        campaign.closed_on = today()
        campaign.save(update_fields=["closed_on"])
        audit_record(actor=actor, action="campaign.closed", object_type="campaign", object_id=campaign.pk,
                     before={"closed_on": None}, after={"closed_on": campaign.closed_on},
                     unit_path=campaign.unit.path)
    return campaign


# --- urging lagging units ------------------------------------------------------------------------

# Who is told about a unit: its committee's officers (a cell's: its secretary).
URGED_ROLES = (Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY)


def campaign_urge(*, actor: Any, campaign: Campaign, unit: Unit, message: str = "") -> list[Notification]:
    """Tell the officers of a unit behind the campaign's pace to speed up: in-app and by email. The
    unit's own officers, else those of its nearest ancestor below the actor's own level."""
    require(actor, CAMPAIGN_MANAGE, unit)
    if not unit.path.startswith(campaign.unit.path):
        raise ValidationError({"unit": [_("This unit is not in the campaign.")]})
    if campaign.closed_on is not None:
        raise ValidationError(_("The campaign is closed."), code="closed")
    day = today()
    figures = unit_figures(actor, campaign, unit)
    if not is_behind(figures, campaign, day):
        raise ValidationError({"unit": ValidationError(_("%(unit)s is not behind the pace (%(share)s).") % {
            "unit": unit.name, "share": figures.share()}, code="not_behind")})
    recipients, at = _officers_to_urge(actor, unit)
    if not recipients:
        raise ValidationError({"unit": ValidationError(_("Nobody below you holds an officer's role over %(unit)s.") % {
            "unit": unit.name}, code="nobody")})
    message = nfc(message).strip()
    title = _("%(campaign)s: %(unit)s is behind the pace") % {"campaign": campaign.name, "unit": unit.name}
    body = _("%(unit)s has completed %(share)s; the plan asks for %(planned)s by today, the deadline is "
             "%(deadline)s.") % {"unit": unit.name, "share": figures.share(),
                                 "planned": format_percent(planned_share(campaign, day)),
                                 "deadline": campaign.deadline.strftime("%d/%m/%Y")}
    if message:
        body = f"{message}\n\n{body}"
    link = f"{reverse('campaign:report', args=[campaign.pk])}?unit={unit.code}"
    with transaction.atomic():
        notices = notification_send(actor=actor, recipients=recipients, topic="campaign.urge", title=title,
                                    body=body, link=link, unit=unit)
        audit_record(actor=actor, action="campaign.urged", object_type="campaign", object_id=campaign.pk,
                     before={}, after={"unit": unit.code, "officers_of": at.code, "completed": figures.completed,
                                       "eligible": figures.eligible, "recipients": [u.pk for u in recipients],
                                       **({"message": message} if message else {})},
                     unit_path=unit.path)
    return notices


def _officers_to_urge(actor: Any, unit: Unit) -> tuple[list[Any], Unit]:
    """The users holding an officer's role at `unit`, else at its nearest ancestor that has some,
    never at or above the actor's own grant over it (they would be urging themselves)."""
    scope = scope_for(actor, CAMPAIGN_MANAGE)
    own_top = "" if scope.everywhere else max((p for p in scope.paths if unit.path.startswith(p)), key=len, default="")
    candidates = [p for p in ancestor_paths(unit.path) if len(p) > len(own_top)]
    holders = (RoleAssignment.objects.filter(role__in=URGED_ROLES, unit__path__in=candidates, user__is_active=True)
               .exclude(user_id=getattr(actor, "pk", None)).select_related("user", "unit"))
    by_path: dict[str, list[RoleAssignment]] = {}
    for grant in holders:
        by_path.setdefault(grant.unit.path, []).append(grant)
    for path in reversed(candidates):
        if path in by_path:
            grants = by_path[path]
            return [grant.user for grant in grants], grants[0].unit
    return [], unit
