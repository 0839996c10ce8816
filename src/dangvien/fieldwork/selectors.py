"""Every read of a campaign's field work, scoped to the actor. The campaign itself comes through
campaign.selectors (404 outside the actor's scope); within it:

- a working group is seen by its people and by anyone who sees the campaign's data (CAMPAIGN_VIEW)
  at the unit it is formed at, or where one of the units assigned to it lies (in or above their
  subtree: the group works in their cell);
- tasks: the actor's own and those of the groups they belong to (the group page lists a group's);
- the home-visit worklist: the participants the actor sees (campaign.selectors) who need a visit;
- difficulties: those raised in the actor's subtree, and all of them for the people of the
  provincial working group they go to and the officers who may answer them.

Out of scope is a 404 (NotFound), never a leak."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign.models import Campaign, Care, Participant, step_number
from dangvien.campaign.permissions import CAMPAIGN_VIEW
from dangvien.campaign.selectors import participants_visible_to
from dangvien.core.errors import NotFound
from dangvien.core.scope import ancestor_paths, subtree_filter
from dangvien.fieldwork.models import (
    DEFAULT_ELDERLY_AGE,
    Difficulty,
    GroupPerson,
    GroupUnit,
    HomeVisit,
    Task,
    TaskStatus,
    VisitPolicy,
    WorkingGroup,
)
from dangvien.fieldwork.permissions import FIELDWORK_MANAGE, FIELDWORK_RAISE
from dangvien.members.models import Status
from dangvien.members.validation import age_on, today
from dangvien.org.models import Unit

# --- working groups ------------------------------------------------------------------------------


def _pk(actor: Any) -> int:
    """The actor's id in a filter (0, which no row has, for an anonymous one)."""
    return getattr(actor, "pk", None) or 0


def groups_visible_to(actor: Any, campaign: Campaign) -> QuerySet[WorkingGroup]:
    if not getattr(actor, "is_authenticated", False):
        return WorkingGroup.objects.none()
    scope = scope_for(actor, CAMPAIGN_VIEW)
    # Assigned to a unit in the actor's subtree, or above it (the group works in the actor's cell).
    above = [top for path in scope.paths for top in ancestor_paths(path)]
    assigned_here = GroupUnit.objects.filter(scope.q("unit__path") | Q(unit__path__in=above), group=OuterRef("pk"))
    person = GroupPerson.objects.filter(user_id=actor.pk, group=OuterRef("pk"))
    return (WorkingGroup.objects.filter(campaign=campaign)
            .filter(Exists(person) | scope.q("unit__path") | Exists(assigned_here)).select_related("unit"))


def group_get_for(actor: Any, campaign: Campaign, group_id: int) -> WorkingGroup:
    group = groups_visible_to(actor, campaign).filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("No such working group."))
    return group


def group_may_manage(actor: Any, group: WorkingGroup) -> bool:
    """Committee officers over the unit the group is formed at put people, units and tasks in it."""
    return can(actor, FIELDWORK_MANAGE, group.unit)


def is_group_person(actor: Any, group: WorkingGroup) -> bool:
    return GroupPerson.objects.filter(group=group, user_id=_pk(actor)).exists()


def groups_of(actor: Any, campaign: Campaign) -> QuerySet[WorkingGroup]:
    """The campaign's groups the actor is a person of."""
    return WorkingGroup.objects.filter(campaign=campaign, people__user_id=_pk(actor))


def groups_covering(campaign: Campaign, unit: Unit) -> QuerySet[WorkingGroup]:
    """The groups the unit is assigned to (itself or a unit above it)."""
    return WorkingGroup.objects.filter(
        campaign=campaign, assignments__unit__path__in=ancestor_paths(unit.path)).distinct().order_by("pk")


def group_people(group: WorkingGroup) -> QuerySet[GroupPerson]:
    return GroupPerson.objects.filter(group=group).select_related("user").order_by("role", "user__username")


def group_users(group: WorkingGroup) -> QuerySet[User]:
    """The group's people as users (a task's owner is one of them)."""
    return User.objects.filter(working_groups__group=group).order_by("username")


def group_units(group: WorkingGroup) -> QuerySet[GroupUnit]:
    return GroupUnit.objects.filter(group=group).select_related("unit").order_by("unit__path")


def people_who_fit(group: WorkingGroup) -> QuerySet[User]:
    """Users who may be put in the group: active, holding a role that sees campaign data at the
    group's unit, below it (a cell secretary, a commune's police officer) or above it (a provincial
    officer in a commune's group)."""
    roles = [role for role in Role.values if role in CAMPAIGN_VIEW.roles]
    fits = RoleAssignment.objects.filter(user=OuterRef("pk"), role__in=roles).filter(
        Q(**subtree_filter(group.unit.path, "unit__path")) | Q(unit__path__in=ancestor_paths(group.unit.path)))
    return User.objects.filter(is_active=True).filter(Exists(fits)).order_by("username")


def candidates_for_group(group: WorkingGroup) -> QuerySet[User]:
    """The users who fit and are not in the group yet (the page's choice)."""
    return people_who_fit(group).exclude(working_groups__group=group)


# --- tasks ---------------------------------------------------------------------------------------


def tasks_for(actor: Any, campaign: Campaign) -> QuerySet[Task]:
    """The actor's tasks and their groups' tasks: open ones overdue first, then by due date; done last."""
    mine = Q(owner_id=_pk(actor)) | Q(group__in=groups_of(actor, campaign))
    return _ordered(Task.objects.filter(group__campaign=campaign).filter(mine))


def group_tasks(group: WorkingGroup) -> QuerySet[Task]:
    return _ordered(Task.objects.filter(group=group))


def _ordered(tasks: QuerySet[Task]) -> QuerySet[Task]:
    # "open" sorts after "done": descending puts the open tasks first, and among them the earliest
    # due first, which brings the overdue ones to the top.
    return tasks.select_related("owner", "unit", "group").order_by("-status", "due_on", "pk")


def task_get_for(actor: Any, campaign: Campaign, task_id: int) -> Task:
    task = Task.objects.filter(pk=task_id, group__in=groups_visible_to(actor, campaign)).select_related(
        "group", "group__unit", "owner", "unit").first()
    if task is None:
        raise NotFound(_("No such task."))
    return task


def task_may_update(actor: Any, task: Task) -> bool:
    """The group's people and the officers who manage the group mark a task done or open again."""
    return is_group_person(actor, task.group) or group_may_manage(actor, task.group)


def task_overdue(task: Task, day: dt.date | None = None) -> bool:
    return task.status == TaskStatus.OPEN and task.due_on < (day or today())


# --- home visits ---------------------------------------------------------------------------------


def elderly_age(campaign: Campaign) -> int:
    policy = VisitPolicy.objects.filter(campaign=campaign).values_list("elderly_age", flat=True).first()
    return policy if policy is not None else DEFAULT_ELDERLY_AGE


def member_age(member: Any, day: dt.date) -> int:
    """The member's age on the day (with only the year of birth: the age reached that year, as the
    worklist counts it)."""
    return age_on(member.date_of_birth, day) if member.date_of_birth else day.year - member.birth_year


def needs_visit_q(campaign: Campaign, day: dt.date) -> Q:
    """Members aged `elderly_age` or more on `day` (when only the year of birth is known: turning
    that age during the year), exempted members, and members marked sick or disabled."""
    age = elderly_age(campaign)
    born_by = day - relativedelta(years=age)
    return (Q(member__date_of_birth__lte=born_by)
            | Q(member__date_of_birth__isnull=True, member__birth_year__lte=day.year - age)
            | Q(member__status=Status.EXEMPTED) | Q(care__in=[Care.SICK, Care.DISABLED]))


def visit_worklist(actor: Any, campaign: Campaign, unit: Unit | None = None,
                   day: dt.date | None = None) -> QuerySet[Participant]:
    """Counted participants the actor sees, not yet completed, who need a home visit, with the
    planned day of their open visit (`planned_on`) and their last visit (`last_visited_on`,
    `last_outcome`); by unit, then by name."""
    day = day or today()
    rows = participants_visible_to(actor, campaign).filter(
        eligible=True, left_on__isnull=True, stage__lt=step_number(campaign.headline_step))
    if unit is not None:
        rows = rows.filter(**subtree_filter(unit.path, "unit__path"))
    visits = HomeVisit.objects.filter(participant=OuterRef("pk"))
    plan = visits.filter(visited_on__isnull=True).order_by("-pk")
    made = visits.filter(visited_on__isnull=False).order_by("-visited_on", "-pk")
    return (rows.filter(needs_visit_q(campaign, day))
            .annotate(planned_on=Subquery(plan.values("planned_on")[:1]),
                      last_visited_on=Subquery(made.values("visited_on")[:1]),
                      last_outcome=Subquery(made.values("outcome")[:1]))
            .select_related("member", "unit").order_by("unit__path", "member__sort_key", "pk"))


def open_plan(participant: Participant) -> HomeVisit | None:
    """The participant's planned visit not yet made (the latest, if several)."""
    return HomeVisit.objects.filter(participant=participant, visited_on__isnull=True).order_by("-pk").first()


def participant_visits(participant: Participant) -> QuerySet[HomeVisit]:
    return (HomeVisit.objects.filter(participant=participant).select_related("group", "recorded_by")
            .order_by("-pk"))


def visit_groups_for(actor: Any, participant: Participant) -> list[WorkingGroup]:
    """The groups the actor belongs to that work in the participant's cell."""
    return list(groups_covering(participant.campaign, participant.unit).filter(
        people__user_id=_pk(actor)))


def visit_permitted(actor: Any, participant: Participant) -> bool:
    """Committee officers record visits in their subtree; a group's people in the group's units."""
    return can(actor, FIELDWORK_MANAGE, participant.unit) or bool(visit_groups_for(actor, participant))


@dataclass(frozen=True)
class GroupLabel:
    """The groups working in each cell of a page of the worklist (one query for the page)."""

    by_path: dict[str, list[str]]

    def for_unit(self, unit: Unit) -> str:
        names = [name for path in ancestor_paths(unit.path) for name in self.by_path.get(path, [])]
        return ", ".join(dict.fromkeys(names))


def group_labels(campaign: Campaign) -> GroupLabel:
    by_path: dict[str, list[str]] = {}
    for path, name in GroupUnit.objects.filter(group__campaign=campaign).values_list("unit__path", "group__name"):
        by_path.setdefault(path, []).append(name)
    return GroupLabel(by_path)


# --- difficulties --------------------------------------------------------------------------------


def provincial_group(campaign: Campaign) -> WorkingGroup | None:
    """The working group difficulties go to: the first formed at the campaign's own unit."""
    return WorkingGroup.objects.filter(campaign=campaign, unit_id=campaign.unit_id).order_by("pk").first()


def difficulty_may_answer(actor: Any, campaign: Campaign) -> bool:
    """The provincial working group's people, and the committee officers over the campaign's unit."""
    group = provincial_group(campaign)
    return can(actor, FIELDWORK_MANAGE, campaign.unit) or (group is not None and is_group_person(actor, group))


def difficulty_answerers(campaign: Campaign) -> list[User]:
    """Who is told of a new difficulty: the provincial group's people, or, while the campaign has no
    such group, the committee officers granted at the campaign's unit."""
    group = provincial_group(campaign)
    if group is not None:
        return [person.user for person in group_people(group)]
    return list(User.objects.filter(is_active=True, role_assignments__role=Role.COMMITTEE_OFFICER,
                                    role_assignments__unit=campaign.unit).distinct().order_by("username"))


def difficulties_visible_to(actor: Any, campaign: Campaign, status: str = "") -> QuerySet[Difficulty]:
    rows = Difficulty.objects.filter(campaign=campaign)
    if not difficulty_may_answer(actor, campaign):
        rows = rows.filter(scope_for(actor, CAMPAIGN_VIEW).q("unit__path"))
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("unit", "raised_by", "answered_by").order_by("-raised_at", "-pk")


def difficulty_get_for(actor: Any, campaign: Campaign, difficulty_id: int) -> Difficulty:
    found = difficulties_visible_to(actor, campaign).filter(pk=difficulty_id).first()
    if found is None:
        raise NotFound(_("No such difficulty."))
    return found


def home_unit_code(actor: Any, campaign: Campaign) -> str:
    """The code to offer in the raise form: the actor's own unit inside the campaign, if any."""
    for path in scope_for(actor, FIELDWORK_RAISE).paths:
        if path.startswith(campaign.unit.path):
            unit = Unit.objects.filter(path=path).only("code").first()
            return unit.code if unit else ""
    return campaign.unit.code


def group_in_campaign(campaign: Campaign, group_id: int) -> WorkingGroup | None:
    """The campaign's working group with this number, if any (the visit service checks who may use it)."""
    return WorkingGroup.objects.filter(campaign=campaign, pk=group_id).first()
