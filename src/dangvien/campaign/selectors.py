"""Every read of campaign data, scoped to the actor: an officer sees a campaign when their scope
meets its unit (above it: the whole campaign; inside it: their own subtree of it), and only the
participants in their own subtree. Out of scope is a 404, never a leak."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign.models import Campaign, Participant, StepRecord, step_number
from dangvien.campaign.permissions import CAMPAIGN_VIEW
from dangvien.core.errors import NotFound
from dangvien.core.scope import ancestor_paths, subtree_filter, subtree_upper_bound
from dangvien.members.models import Member
from dangvien.members.selectors import search_q
from dangvien.org.models import Unit


def campaigns_visible_to(actor: Any) -> QuerySet[Campaign]:
    """Campaigns whose unit is inside the actor's scope or holds part of it."""
    scope = scope_for(actor, CAMPAIGN_VIEW)
    if scope.everywhere:
        return Campaign.objects.select_related("unit")
    if not scope.paths:
        return Campaign.objects.none()
    meets = Q()
    for path in scope.paths:
        # The campaign's unit is in the subtree, or is an ancestor of the subtree's top.
        above = [path[:end] for end in range(4, len(path) + 1, 4)]
        meets |= Q(unit__path__gte=path, unit__path__lt=subtree_upper_bound(path)) | Q(unit__path__in=above)
    return Campaign.objects.filter(meets).select_related("unit")


def campaign_get_for(actor: Any, campaign_id: int) -> Campaign:
    try:
        return campaigns_visible_to(actor).get(pk=campaign_id)
    except Campaign.DoesNotExist:
        raise NotFound(_("No such campaign.")) from None


def campaign_unit_for(actor: Any, campaign: Campaign, code: str | None = None) -> Unit:
    """The unit of the campaign a report is about: the one with `code`, if it lies in the campaign's
    subtree and the actor's scope (else 404); without a code, the campaign's unit, or for an officer
    inside it the top of their own part of it."""
    if code and "\x00" in code:  # no code holds one, and PostgreSQL refuses it in a query
        raise NotFound(_("No such unit in the campaign."))
    scope = scope_for(actor, CAMPAIGN_VIEW)
    units = Unit.objects.filter(scope.q("path"), **subtree_filter(campaign.unit.path))
    unit = units.filter(code=code).first() if code else units.order_by("path").first()
    if unit is None:
        raise NotFound(_("No such unit in the campaign."))
    return unit


def participants_visible_to(actor: Any, campaign: Campaign | None = None) -> QuerySet[Participant]:
    """Participants in the actor's subtree (of one campaign)."""
    rows = Participant.objects.filter(scope_for(actor, CAMPAIGN_VIEW).q("unit__path"))
    return rows.filter(campaign=campaign) if campaign is not None else rows


def participants_within_for(actor: Any, campaign: Campaign, unit: Unit) -> QuerySet[Participant]:
    """Participants of the campaign in `unit`'s subtree that the actor sees. The subtree is a
    subquery of its unit ids (each participant tested on its own indexed column, no join to the
    unit table); the actor's scope is added only where it does not hold the whole subtree."""
    scope = scope_for(actor, CAMPAIGN_VIEW)
    rows = (Participant.objects.filter(campaign=campaign) if scope.covers(unit)
            else participants_visible_to(actor, campaign))
    if unit.pk == campaign.unit_id:  # every participant is in the campaign's subtree
        return rows
    return rows.filter(unit_id__in=Unit.objects.filter(**subtree_filter(unit.path)).values("id"))


def participant_get_for(actor: Any, participant_id: int) -> Participant:
    try:
        return (participants_visible_to(actor).select_related("campaign", "member", "unit")
                .get(pk=participant_id))
    except Participant.DoesNotExist:
        raise NotFound(_("No such member in the campaign.")) from None


def participant_lock_for(actor: Any, participant_id: int) -> Participant:
    """The participant under a row lock, for a write (404 out of scope)."""
    try:
        return (participants_visible_to(actor).select_for_update(of=("self",))
                .select_related("campaign", "unit").get(pk=participant_id))
    except Participant.DoesNotExist:
        raise NotFound(_("No such member in the campaign.")) from None


@dataclass(frozen=True)
class ParticipantFilter:
    unit: Unit | None = None  # a unit the actor sees: its subtree only
    stage: int | None = None  # exactly this many steps done
    hold: bool | None = None  # on hold (True), not on hold (False), either (None)
    query: str = ""  # the member's name (words in any order) or the start of their citizen ID / card number


def participant_list(actor: Any, campaign: Campaign, flt: ParticipantFilter) -> QuerySet[Participant]:
    """The counted participants of the campaign in the actor's subtree, in Vietnamese name order
    (given name, family name, middle name: the member's sort key)."""
    rows = participants_visible_to(actor, campaign).filter(eligible=True, left_on__isnull=True)
    if flt.unit is not None:
        rows = rows.filter(**subtree_filter(flt.unit.path, "unit__path"))
    if flt.stage is not None:
        rows = rows.filter(stage=flt.stage)
    if flt.hold is not None:
        rows = rows.exclude(hold="") if flt.hold else rows.filter(hold="")
    if flt.query.strip():
        rows = rows.filter(member_id__in=Member.objects.filter(search_q(flt.query)).values("pk"))
    return rows.select_related("member", "unit").order_by("member__sort_key", "member_id")


def participant_in_campaign_for(actor: Any, campaign: Campaign, participant_id: int) -> Participant:
    """A participant of this campaign the actor sees (404 for one of another campaign)."""
    participant = participant_get_for(actor, participant_id)
    if participant.campaign_id != campaign.pk:
        raise NotFound(_("No such member in the campaign."))
    return participant


def participant_steps(participant: Participant) -> list[StepRecord]:
    """The steps recorded, in pipeline order, with who recorded them."""
    return sorted(participant.steps.select_related("recorded_by"), key=lambda record: step_number(record.step))


def campaign_ancestors_for(actor: Any, campaign: Campaign, unit: Unit) -> list[Unit]:
    """The units between the campaign's and `unit` (excluded) that the actor may see: the report's
    links back up the tree."""
    above = ancestor_paths(unit.path)[:-1]
    return [a for a in Unit.objects.filter(path__in=above, path__gte=campaign.unit.path).order_by("path")
            if can(actor, CAMPAIGN_VIEW, a)]
