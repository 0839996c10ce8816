"""Every write in a campaign's field work. Each service checks the actor's permission where it acts,
runs in one transaction, and writes an audit row ("fieldwork.*") with what changed. A home visit
records the pipeline steps done at the member's home through campaign.services.participant_step, in
the visit's transaction: the visit, its steps and the member's care mark stand or fall together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.accounts.permissions import can, require
from dangvien.campaign.models import STEPS, Campaign, Care, Participant, Step, step_number
from dangvien.campaign.permissions import CAMPAIGN_MANAGE
from dangvien.campaign.selectors import participant_lock_for
from dangvien.campaign.services import participant_step
from dangvien.core.audit import audit_record
from dangvien.core.errors import StaleEdit
from dangvien.core.text import clean, nfc
from dangvien.fieldwork import selectors
from dangvien.fieldwork.models import (
    Difficulty,
    DifficultyStatus,
    GroupKind,
    GroupPerson,
    GroupRole,
    GroupUnit,
    HomeVisit,
    Outcome,
    Task,
    TaskStatus,
    VisitPolicy,
    WorkingGroup,
)
from dangvien.fieldwork.permissions import FIELDWORK_MANAGE, FIELDWORK_RAISE
from dangvien.members.validation import today
from dangvien.notifications.services import notification_send
from dangvien.org.models import Unit, UnitKind

GROUP_KINDS: dict[str, str] = {UnitKind.PROVINCE: GroupKind.PROVINCE, UnitKind.COMMUNE: GroupKind.COMMUNE}
# The steps a working group does at a member's home: the declaration, then the photo.
STEPS_AT_VISIT = (Step.DECLARED, Step.PHOTOGRAPHED)
# An outcome that says a step was done needs that step recorded (at this visit or before).
OUTCOME_NEEDS_STEP = {Outcome.DATA_COLLECTED: Step.DECLARED, Outcome.PHOTO_TAKEN: Step.PHOTOGRAPHED}
ELDERLY_AGE_RANGE = (60, 100)


def _inside(unit: Unit, top: Unit) -> bool:
    return unit.path.startswith(top.path)


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _require_open(campaign: Campaign) -> None:
    if campaign.closed_on is not None:
        raise ValidationError(_("The campaign is closed."), code="closed")


# --- working groups ------------------------------------------------------------------------------


def group_form(*, actor: Any, campaign: Campaign, unit: Unit, name: str) -> WorkingGroup:
    """A working group of the campaign, formed at a province or a commune inside its unit."""
    require(actor, FIELDWORK_MANAGE, unit)
    _require_open(campaign)
    name = clean(name)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the group a name.")]
    if not _inside(unit, campaign.unit):
        errors["unit"] = [_("%(unit)s is outside the campaign's unit.") % {"unit": unit.name}]
    elif unit.kind not in GROUP_KINDS:
        errors["unit"] = [_("Working groups are formed at a province or a commune; %(unit)s is neither.")
                          % {"unit": unit.name}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        group = WorkingGroup.objects.create(campaign=campaign, unit=unit, kind=GROUP_KINDS[unit.kind], name=name,
                                            created_by=_actor_or_none(actor))
        audit_record(actor=actor, action="fieldwork.group_formed", object_type="working_group", object_id=group.pk,
                     after={"campaign": campaign.pk, "unit": unit.code, "kind": group.kind, "name": name},
                     unit_path=unit.path)
    return group


def _require_manage(actor: Any, group: WorkingGroup) -> None:
    if not selectors.group_may_manage(actor, group):
        raise PermissionDenied(_("You do not have permission to change this working group."))


def group_person_add(*, actor: Any, group: WorkingGroup, user: User, role: str = GroupRole.MEMBER) -> GroupPerson:
    """Put a user in the group, as its leader or a member."""
    _require_manage(actor, group)
    _require_open(group.campaign)
    if role not in GroupRole.values:
        raise ValidationError({"role": [_("Unknown role in the group.")]})
    if not selectors.people_who_fit(group).filter(pk=user.pk).exists():
        raise ValidationError({"user": [_("%(user)s holds no role that sees this campaign's data at %(unit)s.")
                                        % {"user": user.username, "unit": group.unit.name}]})
    if GroupPerson.objects.filter(group=group, user=user).exists():
        raise ValidationError({"user": [_("%(user)s is already in the group.") % {"user": user.username}]})
    with transaction.atomic():
        person = GroupPerson.objects.create(group=group, user=user, role=role)
        audit_record(actor=actor, action="fieldwork.person_added", object_type="working_group", object_id=group.pk,
                     after={"user": user.pk, "username": user.username, "role": role}, unit_path=group.unit.path)
    return person


def group_unit_assign(*, actor: Any, group: WorkingGroup, unit: Unit) -> GroupUnit:
    """Assign a unit's subtree to the group: its people record home visits there."""
    _require_manage(actor, group)
    _require_open(group.campaign)
    if not _inside(unit, group.unit):
        raise ValidationError({"unit": [_("%(unit)s is outside %(group)s's unit.")
                                        % {"unit": unit.name, "group": group.name}]})
    covering = group_units_covering(group, unit)
    if covering is not None:
        raise ValidationError({"unit": [_("%(unit)s is already assigned to the group (through %(top)s).")
                                        % {"unit": unit.name, "top": covering.name}]})
    with transaction.atomic():
        assignment = GroupUnit.objects.create(group=group, unit=unit)
        audit_record(actor=actor, action="fieldwork.unit_assigned", object_type="working_group", object_id=group.pk,
                     after={"unit": unit.code}, unit_path=unit.path)
    return assignment


def group_units_covering(group: WorkingGroup, unit: Unit) -> Unit | None:
    """The unit assigned to the group that holds `unit` (itself or above it), if any."""
    for assignment in selectors.group_units(group):
        if _inside(unit, assignment.unit):
            return assignment.unit
    return None


# --- tasks ---------------------------------------------------------------------------------------


def task_create(*, actor: Any, group: WorkingGroup, title: str, owner: User, due_on: dt.date, unit: Unit) -> Task:
    """A task of the group, owned by one of its people, due on a day, about a unit of the group's."""
    _require_manage(actor, group)
    _require_open(group.campaign)
    title = clean(title)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Say what the task is.")]
    if not GroupPerson.objects.filter(group=group, user=owner).exists():
        errors["owner"] = [_("The owner must be one of the group's people.")]
    if due_on < today():
        errors["due_on"] = [_("This date is in the past.")]
    if not _inside(unit, group.unit):
        errors["unit"] = [_("%(unit)s is outside %(group)s's unit.") % {"unit": unit.name, "group": group.name}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        task = Task.objects.create(group=group, title=title, owner=owner, due_on=due_on, unit=unit,
                                   created_by=_actor_or_none(actor))
        audit_record(actor=actor, action="fieldwork.task_created", object_type="task", object_id=task.pk,
                     after={"group": group.pk, "title": title, "owner": owner.pk, "due_on": due_on.isoformat(),
                            "unit": unit.code}, unit_path=unit.path)
    return task


def task_set_status(*, actor: Any, task: Task, done: bool) -> Task:
    """Mark the task done today, or open again."""
    if not selectors.task_may_update(actor, task):
        raise PermissionDenied(_("You do not have permission to update this task."))
    status = TaskStatus.DONE if done else TaskStatus.OPEN
    with transaction.atomic():
        fresh = Task.objects.select_for_update().select_related("unit").get(pk=task.pk)
        if fresh.status == status:
            return fresh
        before = {"status": fresh.status, "done_on": fresh.done_on}
        fresh.status, fresh.done_on = status, today() if done else None
        fresh.save(update_fields=["status", "done_on"])
        audit_record(actor=actor, action="fieldwork.task_status", object_type="task", object_id=fresh.pk,
                     before=before, after={"status": fresh.status, "done_on": fresh.done_on},
                     unit_path=fresh.unit.path)
    return fresh


# --- home visits ---------------------------------------------------------------------------------


def visit_policy_set(*, actor: Any, campaign: Campaign, elderly_age: int) -> VisitPolicy:
    """From which age the campaign's members need a home visit."""
    require(actor, CAMPAIGN_MANAGE, campaign.unit)
    low, high = ELDERLY_AGE_RANGE
    if not low <= elderly_age <= high:
        raise ValidationError({"elderly_age": [_("Give an age from %(low)s to %(high)s.") % {"low": low, "high": high}]})
    with transaction.atomic():
        before = selectors.elderly_age(campaign)
        policy, _created = VisitPolicy.objects.update_or_create(campaign=campaign,
                                                                defaults={"elderly_age": elderly_age})
        audit_record(actor=actor, action="fieldwork.visit_policy", object_type="campaign", object_id=campaign.pk,
                     before={"elderly_age": before}, after={"elderly_age": elderly_age},
                     unit_path=campaign.unit.path)
    return policy


@dataclass(frozen=True)
class VisitResult:
    participant: Participant  # as it is now (stage, care, version)
    visit: HomeVisit | None  # the visit made, when one was recorded
    plan: HomeVisit | None  # the next visit planned, when one was planned


def _visit_errors(
    participant: Participant, *, planned_on: dt.date | None, visited_on: dt.date | None, outcome: str,
    steps: list[str], care: str | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    now = today()
    if visited_on is None and planned_on is None and care is None:
        errors["__all__"] = [_("Plan a day for the visit, or record the visit made.")]
    if visited_on is not None:
        if visited_on > now:
            errors["visited_on"] = [_("This date is in the future.")]
        elif visited_on < participant.campaign.start:
            errors["visited_on"] = [_("This date is before the campaign started (%(date)s).")
                                    % {"date": participant.campaign.start.strftime("%d/%m/%Y")}]
        if not outcome:
            errors["outcome"] = [_("Choose the outcome of the visit.")]
    elif outcome:
        errors["visited_on"] = [_("Give the day of the visit with its outcome.")]
    if outcome and outcome not in Outcome.values:
        errors["outcome"] = [_("Unknown outcome.")]
    if planned_on is not None and planned_on < now:
        errors["planned_on"] = [_("A visit cannot be planned for a day that has passed.")]
    if unknown := [s for s in steps if s not in STEPS_AT_VISIT]:
        errors["steps"] = [_("Only the declaration and the photo are done at a home visit, not: %(steps)s.")
                           % {"steps": ", ".join(unknown)}]
    elif steps and visited_on is None:
        errors["steps"] = [_("Steps done at a visit need the day of the visit.")]
    if care is not None and care not in Care.values:
        errors["care"] = [_("Unknown reason.")]
    return errors


def _visit_group(actor: Any, participant: Participant, group: WorkingGroup | None) -> WorkingGroup | None:
    """The group making the visit: the one given (the actor's, or one an officer manages, working in
    the member's cell), else the actor's first group working there (none for an officer outside
    every group)."""
    if group is None:
        mine = selectors.visit_groups_for(actor, participant)
        return mine[0] if mine else None
    working_here = selectors.groups_covering(participant.campaign, participant.unit).filter(pk=group.pk).exists()
    if not working_here or not (selectors.is_group_person(actor, group) or selectors.group_may_manage(actor, group)):
        raise ValidationError({"group": [_("%(group)s does not work in this member's cell, or you are not in it.")
                                         % {"group": group.name}]})
    return group


def home_visit_record(
    *, actor: Any, participant: Participant, expected_version: int, group: WorkingGroup | None = None,
    planned_on: dt.date | None = None, visited_on: dt.date | None = None, outcome: str = "", note: str = "",
    steps: Iterable[str] = (), care: str | None = None,
) -> VisitResult:
    """Plan a home visit, record the visit made (its day and outcome, with the steps done there:
    the declaration, the photo), mark the member sick or disabled (care=None leaves it as it is),
    in any combination. A visit made fills the open plan, if there is one; a day planned in the same
    submission is the next visit."""
    steps = sorted(dict.fromkeys(steps), key=lambda s: STEPS.index(s) if s in STEPS else len(STEPS))
    note = nfc(note).strip()
    with transaction.atomic():
        fresh = participant_lock_for(actor, participant.pk)  # 404 outside the actor's scope
        if not selectors.visit_permitted(actor, fresh):
            raise PermissionDenied(_("You do not have permission to record home visits for this member."))
        if fresh.version != expected_version:
            raise StaleEdit(_("This member's campaign record was changed by someone else (version %(now)s, your "
                              "copy %(yours)s). Reload it and try again.")
                            % {"now": fresh.version, "yours": expected_version}, code="stale")
        _require_open(fresh.campaign)
        if not fresh.counted:
            raise ValidationError(_("This member is not in the campaign's figures (not eligible, or left it)."),
                                  code="not_counted")
        errors = _visit_errors(fresh, planned_on=planned_on, visited_on=visited_on, outcome=outcome, steps=steps,
                               care=care)
        if errors:
            raise ValidationError(errors)
        group = _visit_group(actor, fresh, group)
        before = {"stage": fresh.stage, "care": fresh.care}
        fresh = _record_steps(actor, fresh, steps, visited_on)
        if needed := OUTCOME_NEEDS_STEP.get(outcome):  # type: ignore[call-overload]
            if fresh.stage < step_number(needed):
                raise ValidationError({"outcome": [
                    _("“%(outcome)s” needs the step “%(step)s” recorded: tick it, or choose another outcome.")
                    % {"outcome": Outcome(outcome).label, "step": Step(needed).label}]})
        if care is not None and care != fresh.care:
            fresh.care = care
            fresh.version += 1
            fresh.save(update_fields=["care", "version"])
        visit, plan = _save_visit(actor, fresh, group, planned_on, visited_on, outcome, note)
        audit_record(actor=actor, action="fieldwork.home_visit", object_type="participant", object_id=fresh.pk,
                     before=before, after={
                         "member": fresh.member_id, "group": group.pk if group else None, "stage": fresh.stage,
                         "care": fresh.care, "steps": steps, "note": note,
                         "visit": {"id": visit.pk, "planned_on": visit.planned_on, "visited_on": visit.visited_on,
                                   "outcome": visit.outcome} if visit else None,
                         "plan": {"id": plan.pk, "planned_on": plan.planned_on} if plan else None},
                     unit_path=fresh.unit.path)
    return VisitResult(participant=fresh, visit=visit, plan=plan)


def _record_steps(actor: Any, participant: Participant, steps: list[str], day: dt.date | None) -> Participant:
    for step in steps:
        assert day is not None  # _visit_errors refuses steps without the day of the visit
        try:
            participant = participant_step(actor=actor, participant=participant,
                                           expected_version=participant.version, step=step, day=day)
        except StaleEdit:
            raise  # cannot happen under the visit's lock; kept apart from the step's own refusals
        except ValidationError as error:
            raise ValidationError({"steps": error.messages}) from error
    return participant


def _save_visit(
    actor: Any, participant: Participant, group: WorkingGroup | None, planned_on: dt.date | None,
    visited_on: dt.date | None, outcome: str, note: str,
) -> tuple[HomeVisit | None, HomeVisit | None]:
    """The visit made (filling the open plan, if any) and the visit planned."""
    recorded_by = _actor_or_none(actor)
    open_plan = selectors.open_plan(participant)
    visit = plan = None
    if visited_on is not None:
        visit = open_plan or HomeVisit(participant=participant)
        visit.group = group or visit.group
        visit.visited_on, visit.outcome, visit.note, visit.recorded_by = visited_on, outcome, note, recorded_by
        visit.save()
        open_plan = None
    if planned_on is not None:
        plan = open_plan or HomeVisit(participant=participant)
        plan.group = group or plan.group
        plan.planned_on, plan.recorded_by = planned_on, recorded_by
        if visit is None and note:
            plan.note = note
        plan.save()
    return visit, plan


# --- difficulties --------------------------------------------------------------------------------


def _difficulties_link(campaign: Campaign, difficulty: Difficulty) -> str:
    return f"{reverse('fieldwork:difficulties', args=[campaign.pk])}#difficulty-{difficulty.pk}"


def difficulty_raise(*, actor: Any, campaign: Campaign, unit: Unit, title: str, description: str = "") -> Difficulty:
    """A unit raises a difficulty to the campaign's provincial working group, which is told of it."""
    require(actor, FIELDWORK_RAISE, unit)
    _require_open(campaign)
    title, description = clean(title), nfc(description).strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Say what the difficulty is.")]
    if not _inside(unit, campaign.unit):
        errors["unit"] = [_("%(unit)s is outside the campaign's unit.") % {"unit": unit.name}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        found = Difficulty.objects.create(campaign=campaign, unit=unit, group=selectors.provincial_group(campaign),
                                          title=title, description=description, raised_by=_actor_or_none(actor))
        audit_record(actor=actor, action="fieldwork.difficulty_raised", object_type="difficulty", object_id=found.pk,
                     after={"campaign": campaign.pk, "unit": unit.code, "title": title, "description": description,
                            "group": found.group_id}, unit_path=unit.path)
        recipients = [u for u in selectors.difficulty_answerers(campaign) if u.pk != getattr(actor, "pk", None)]
        if recipients:
            notification_send(actor=actor, recipients=recipients, topic="fieldwork.difficulty",
                              title=_("Difficulty raised by %(unit)s: %(title)s") % {"unit": unit.name,
                                                                                     "title": title},
                              body=description, link=_difficulties_link(campaign, found), unit=unit)
    return found


def difficulty_answer(*, actor: Any, difficulty: Difficulty, answer: str) -> Difficulty:
    """The provincial working group answers; whoever raised the difficulty is told."""
    campaign = difficulty.campaign
    if not selectors.difficulty_may_answer(actor, campaign):
        raise PermissionDenied(_("You do not have permission to answer difficulties in this campaign."))
    _require_open(campaign)
    answer = nfc(answer).strip()
    if not answer:
        raise ValidationError({"answer": [_("Write the answer.")]})
    with transaction.atomic():
        fresh = Difficulty.objects.select_for_update(of=("self",)).select_related("unit", "raised_by").get(pk=difficulty.pk)
        if fresh.status == DifficultyStatus.CLOSED:
            raise ValidationError({"answer": [_("This difficulty is closed.")]})
        before = {"status": fresh.status, "answer": fresh.answer}
        fresh.status, fresh.answer = DifficultyStatus.ANSWERED, answer
        fresh.answered_by, fresh.answered_at = _actor_or_none(actor), timezone.now()
        fresh.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit_record(actor=actor, action="fieldwork.difficulty_answered", object_type="difficulty",
                     object_id=fresh.pk, before=before, after={"status": fresh.status, "answer": answer},
                     unit_path=fresh.unit.path)
        if fresh.raised_by is not None and fresh.raised_by.pk != getattr(actor, "pk", None):
            notification_send(actor=actor, recipients=[fresh.raised_by], topic="fieldwork.difficulty",
                              title=_("Answer to “%(title)s”") % {"title": fresh.title}, body=answer,
                              link=_difficulties_link(campaign, fresh), unit=fresh.unit)
    return fresh


def difficulty_may_close(actor: Any, difficulty: Difficulty) -> bool:
    """The one who raised it, the officers of the unit that raised it, and those who answer."""
    return (difficulty.raised_by_id == getattr(actor, "pk", None) or can(actor, FIELDWORK_MANAGE, difficulty.unit)
            or selectors.difficulty_may_answer(actor, difficulty.campaign))


def difficulty_close(*, actor: Any, difficulty: Difficulty) -> Difficulty:
    if not difficulty_may_close(actor, difficulty):
        raise PermissionDenied(_("You do not have permission to close this difficulty."))
    with transaction.atomic():
        fresh = Difficulty.objects.select_for_update().select_related("unit").get(pk=difficulty.pk)
        if fresh.status == DifficultyStatus.CLOSED:
            return fresh
        before = {"status": fresh.status}
        fresh.status, fresh.closed_at = DifficultyStatus.CLOSED, timezone.now()
        fresh.save(update_fields=["status", "closed_at"])
        audit_record(actor=actor, action="fieldwork.difficulty_closed", object_type="difficulty",
                     object_id=fresh.pk, before=before, after={"status": fresh.status}, unit_path=fresh.unit.path)
    return fresh
