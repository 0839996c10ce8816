"""Every write in the card exchange campaign. Each service checks the actor's permission where it
acts, runs in one transaction, and writes an audit row ("campaign.*") with what changed.

Creating a campaign takes its eligibility snapshot at once: every member on the roll in the unit, a
participant row each, eligible or excluded with the reason (one INSERT a batch, so a province is a
few seconds). Steps are recorded in pipeline order, dated, with who recorded them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.accounts.permissions import can, require, scope_for
from dangvien.campaign.blocking import comparison_blockers
from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
from dangvien.campaign.formatting import format_percent
from dangvien.campaign.models import STEPS, Campaign, Participant, Step, StepRecord, step_number
from dangvien.campaign.permissions import CAMPAIGN_MANAGE, CAMPAIGN_RECORD
from dangvien.campaign.reports import is_behind, planned_share, unit_figures
from dangvien.campaign.selectors import participant_lock_for
from dangvien.core.audit import audit_record
from dangvien.core.errors import StaleEdit
from dangvien.core.scope import ancestor_paths, subtree_filter
from dangvien.core.text import clean, nfc
from dangvien.members.models import Member
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
    return participant


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
    """The users (but the actor) holding an officer's role at `unit`, else at its nearest ancestor
    that has some below the actor's own grant over it (at or above it, they are the actor's peers
    or superiors, not the unit's officers)."""
    scope = scope_for(actor, CAMPAIGN_MANAGE)
    own_top = "" if scope.everywhere else max((p for p in scope.paths if unit.path.startswith(p)), key=len, default="")
    candidates = [p for p in ancestor_paths(unit.path)[:-1] if len(p) > len(own_top)] + [unit.path]
    holders = RoleAssignment.objects.filter(role__in=URGED_ROLES, unit__path__in=candidates, user__is_active=True)
    if getattr(actor, "pk", None) is not None:
        holders = holders.exclude(user_id=actor.pk)
    by_path: dict[str, list[Any]] = {}
    units: dict[str, Unit] = {}
    for grant in holders.select_related("user", "unit"):
        if grant.unit is not None:
            by_path.setdefault(grant.unit.path, []).append(grant.user)
            units[grant.unit.path] = grant.unit
    for path in reversed(candidates):
        if path in by_path:
            return by_path[path], units[path]
    return [], unit
