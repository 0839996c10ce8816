"""The demo province's card exchange campaign, in progress (`dangvien demo-campaign`, which `make
demo` runs after the reconciliation): the campaign taken over Gia Lai ten weeks ago, the
discrepancies its officers have corrected since, and every member's steps so far.

It lives in the campaign app, not in the demo app: the demo app sits below campaign in the layers.
What happens is planned by campaign.demo_schedule (pure, from the seed and today's date); this module
reads what the plan needs and writes it through the services an officer's clicks would call:
campaign_create (the snapshot), reconcile's discrepancies_accept_bulk, steps_record (once per step
and recording officer, each member with its own date), participant_set_care and participant_hold.
Who records what follows the roles: the card officer of a commune the steps the police working
group does, a cell's secretary the member's signature and the hand-over, the province's committee
officer the rest."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.campaign.blocking import comparison_blockers
from dangvien.campaign.demo_schedule import (
    ELDERLY_AGE,
    CommunePlan,
    OpenDiscrepancy,
    Person,
    Schedule,
    campaign_dates,
    discrepancies_to_accept,
    plan_communes,
    schedule,
)
from dangvien.campaign.models import STEPS, Campaign, Participant, Step, step_number
from dangvien.campaign.services import campaign_create, participant_hold, participant_set_care, steps_record
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.demo.tree import PROVINCE_CODE
from dangvien.members.models import Status
from dangvien.org.models import Unit, UnitKind
from dangvien.reconcile.models import State
from dangvien.reconcile.selectors import DiscrepancyFilter, discrepancy_list
from dangvien.reconcile.services import discrepancies_accept_bulk

CAMPAIGN_NAME = "Cấp, đổi thẻ đảng viên gắn chip năm 2026 (Chỉ thị 51-CT/TW)"
COMMUNE_PATH = 2 * SEGMENT  # province, then commune

# The roles that record each step, most fitting first (the province's committee officer otherwise).
STEP_RECORDERS = {
    Step.DECLARED: (Role.CARD_OFFICER,), Step.PHOTOGRAPHED: (Role.CARD_OFFICER,), Step.COMPARED: (Role.CARD_OFFICER,),
    Step.CONFIRMED: (Role.CELL_SECRETARY, Role.CARD_OFFICER), Step.SENT: (), Step.PRODUCED: (),
    Step.HANDED_OVER: (Role.CELL_SECRETARY, Role.CARD_OFFICER),
}


class DemoCampaignError(Exception):
    """The demo province is missing, or its campaign exists already."""


@dataclass
class Summary:
    campaign: Campaign
    counted: int = 0
    confirmed: int = 0
    paces: dict[str, list[str]] = field(default_factory=dict)  # pace -> commune names
    accepted: int = 0  # discrepancies corrected
    left_open: int = 0  # (commune, field, kind) the member rules refused to correct: left open
    blocked: int = 0
    holds: int = 0
    care: int = 0
    steps: Counter[str] = field(default_factory=Counter)


def demo_campaign_create(*, seed: str | int, replace: bool = False) -> Summary:
    """The demo province's campaign as it stands today, in one transaction."""
    seed, today = str(seed), timezone.localdate()
    province = Unit.objects.filter(code=PROVINCE_CODE, depth=0).first()
    if province is None:
        raise DemoCampaignError("The demo province is missing: run `dangvien demo-data` first.")
    officer = _province_officer(province)
    if officer is None:
        raise DemoCampaignError("The demo province has no committee officer login: run `dangvien demo-data` first.")
    with transaction.atomic():
        existing = Campaign.objects.filter(unit=province, name=CAMPAIGN_NAME)
        if existing.exists():
            if not replace:
                raise DemoCampaignError("The demo campaign exists already; run with --replace to make it again.")
            existing.delete()
        start, deadline = campaign_dates(today)
        campaign = campaign_create(actor=officer, unit=province, name=CAMPAIGN_NAME, start=start, deadline=deadline)
        summary = Summary(campaign=campaign)
        people = _counted(campaign, today)
        summary.counted = len(people)
        communes = {p.commune for p in people}
        names = dict(Unit.objects.filter(code__in=communes).values_list("code", "name"))
        homes = _units_of(province, Role.CARD_OFFICER, UnitKind.COMMUNE)
        open_ones = _open_discrepancies(officer, province, people)
        plans = plan_communes(communes, seed=seed, start=start, home=min(homes & communes, default=None),
                              unlinked=_communes_with_unlinked_members(people, open_ones))
        for plan in sorted(plans.values(), key=lambda plan: names[plan.code]):
            summary.paces.setdefault(plan.pace, []).append(names[plan.code])
        _correct_discrepancies(officer, plans, people, open_ones, seed, summary)
        blocked = comparison_blockers(p.member_id for p in people)
        people = [_with_block(p, p.member_id in blocked) for p in people]
        summary.blocked = len(blocked)
        planned = schedule(people, plans, seed=seed, today=today)
        _record_steps(officer, campaign, planned, today, summary)
        _mark_care_and_holds(officer, campaign, planned, summary)
        stages = planned.stages()
        summary.confirmed = sum(1 for n in stages.values() if n >= step_number(campaign.headline_step))
    return summary


def _province_officer(province: Unit) -> Any:
    """The province's committee officer (creates the campaign, corrects records, sends, marks)."""
    found = (RoleAssignment.objects.filter(role=Role.COMMITTEE_OFFICER, unit=province, user__is_active=True)
             .select_related("user").order_by("pk").first())
    return found.user if found else None


def _units_of(province: Unit, role: str, kind: str) -> set[str]:
    """Codes of the units of `kind` where someone holds `role`."""
    return set(RoleAssignment.objects.filter(role=role, unit__kind=kind, **subtree_filter(province.path, "unit__path"))
               .values_list("unit__code", flat=True))


def _counted(campaign: Campaign, today: dt.date) -> list[Person]:
    """The participants counted in the figures, with their commune and whether they are a hard case."""
    communes = dict(Unit.objects.filter(kind=UnitKind.COMMUNE, **subtree_filter(campaign.unit.path))
                    .values_list("path", "code"))
    rows = (Participant.objects.filter(campaign=campaign, eligible=True, left_on__isnull=True)
            .values_list("pk", "member_id", "unit_id", "unit__path", "member__birth_year", "member__status"))
    return [Person(participant_id=pk, member_id=member_id, commune=communes[path[:COMMUNE_PATH]], cell=unit_id,
                   hard=today.year - birth_year >= ELDERLY_AGE or status == Status.EXEMPTED)
            for pk, member_id, unit_id, path, birth_year, status in rows]


def _with_block(person: Person, blocked: bool) -> Person:
    return Person(participant_id=person.participant_id, member_id=person.member_id, commune=person.commune,
                  cell=person.cell, hard=person.hard, blocked=blocked)


def _open_discrepancies(officer: Any, province: Unit, people: list[Person]) -> list[OpenDiscrepancy]:
    commune_of = {p.member_id: p.commune for p in people}
    rows = (discrepancy_list(officer, DiscrepancyFilter(unit=province, state=State.OPEN)).order_by()
            .values_list("member_id", "field", "kind"))
    return [OpenDiscrepancy(commune_of[m], m, f, k) for m, f, k in rows if m in commune_of]


def _communes_with_unlinked_members(people: list[Person], open_ones: list[OpenDiscrepancy]) -> set[str]:
    """Communes with a member blocked for another reason than an open discrepancy (not linked to
    anyone in the population extract): correcting records cannot finish them."""
    blocked = comparison_blockers(p.member_id for p in people)
    with_discrepancies = {d.member_id for d in open_ones}
    return {p.commune for p in people if p.member_id in blocked and p.member_id not in with_discrepancies}


def _correct_discrepancies(officer: Any, plans: dict[str, CommunePlan], people: list[Person],
                           open_ones: list[OpenDiscrepancy], seed: str, summary: Summary) -> None:
    """What the communes' officers corrected in bulk since the reconciliation (a correction the
    member rules refuse stays open, as it would on the page)."""
    counted = Counter(p.commune for p in people)
    units = {u.code: u for u in Unit.objects.filter(code__in=plans)}
    for commune, field_name, kind in discrepancies_to_accept(plans, open_ones, counted, seed=seed):
        try:
            with transaction.atomic():
                summary.accepted += discrepancies_accept_bulk(actor=officer, unit=units[commune], field=field_name,
                                                              kind=kind, note="Đợt cấp đổi thẻ: sửa theo CSDL dân cư")
        except ValidationError:
            summary.left_open += 1


def _recorders(officer: Any, province: Unit) -> dict[str, list[tuple[str, Any]]]:
    """step -> [(unit path, user)] of the officers who record it for the members under that unit,
    most fitting first; the province's committee officer last."""
    assignments = list(RoleAssignment.objects.filter(user__is_active=True, **subtree_filter(
        province.path, "unit__path")).select_related("user", "unit").order_by("pk"))
    recorders: dict[str, list[tuple[str, Any]]] = {}
    for step, roles in STEP_RECORDERS.items():
        recorders[step] = [(a.unit.path, a.user) for role in roles for a in assignments
                           if a.role == role and a.unit is not None]
        recorders[step].append((province.path, officer))
    return recorders


def _record_steps(officer: Any, campaign: Campaign, planned: Schedule, today: dt.date, summary: Summary) -> None:
    """Each step for everyone who did it, one steps_record call per recording officer."""
    recorders = _recorders(officer, campaign.unit)
    paths = dict(Participant.objects.filter(campaign=campaign).values_list("pk", "unit__path"))
    for step in STEPS:
        groups: dict[Any, dict[int, dt.date]] = {}
        for participant, done, day in planned.steps:
            if done == step:
                user = next(u for path, u in recorders[step] if paths[participant].startswith(path))
                groups.setdefault(user, {})[participant] = day
        for user, days in groups.items():
            result = steps_record(actor=user, campaign=campaign, step=step, day=today, participant_ids=list(days),
                                  days=days)
            if not result.ok:
                raise result.error()
            summary.steps[step] += result.recorded


def _mark_care_and_holds(officer: Any, campaign: Campaign, planned: Schedule, summary: Summary) -> None:
    wanted = planned.care.keys() | planned.holds.keys()
    participants = {p.pk: p for p in Participant.objects.filter(campaign=campaign, pk__in=wanted)
                    .select_related("unit", "campaign")}
    for pk, care in sorted(planned.care.items()):
        participants[pk] = participant_set_care(actor=officer, participant=participants[pk],
                                                expected_version=participants[pk].version, care=care)
    for pk, hold in sorted(planned.holds.items()):
        participant_hold(actor=officer, participant=participants[pk], expected_version=participants[pk].version,
                         reason=hold.reason, note=hold.note)
    summary.care, summary.holds = len(planned.care), len(planned.holds)
