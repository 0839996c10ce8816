"""JSON API over home visits, under /api/campaigns/{id}/visits: the worklist of a unit and recording
a visit (with the steps done there). Reads through selectors.py, writes through services.py, errors
in the API's one shape (dangvien/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from dangvien.accounts.permissions import can
from dangvien.campaign.models import Care, Participant
from dangvien.campaign.permissions import CAMPAIGN_VIEW
from dangvien.campaign.selectors import campaign_get_for, participant_get_for
from dangvien.core.errors import NotFound
from dangvien.core.urls import MAX_ID
from dangvien.fieldwork import selectors, services
from dangvien.fieldwork.models import HomeVisit, Outcome
from dangvien.members.models import Status
from dangvien.members.validation import today
from dangvien.org.selectors import unit_get_by_code_for

router = Router(tags=["home visits"])

PAGE_SIZE = 50
_blank_is_none = BeforeValidator(lambda value: None if value == "" else value)
# A unit code as the pages show it: printable text (a control character is no code).
UNIT_CODE = r"^[^\x00-\x1f\x7f]+$"


class WorklistQuery(Schema):
    unit: Annotated[str | None, _blank_is_none] = Field(None, max_length=32, pattern=UNIT_CODE,
                                                        description="A unit's code: only its subtree.")
    page: int = Field(1, ge=1, le=1_000_000)


class WorklistRow(Schema):
    participant_id: int
    member_id: int
    version: int = Field(description="The participant's version, to send back when recording a visit.")
    full_name: str
    age: int
    reasons: list[Literal["age", "exempted", "sick", "disabled"]] = Field(description="Why a visit is needed.")
    permanent_residence: str
    temporary_residence: str
    phone: str
    unit_code: str
    unit_name: str
    stage: int = Field(description="Pipeline steps done (0-7).")
    care: Care
    planned_on: dt.date | None
    last_visited_on: dt.date | None
    last_outcome: Outcome | None
    groups: str = Field(description="The working groups assigned to the member's cell.")


class WorklistPage(Schema):
    items: list[WorklistRow]
    total: int
    page: int
    elderly_age: int


class VisitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=MAX_ID, description="The participant's version you read.")
    visited_on: dt.date | None = Field(None, description="The day of the visit made (with its outcome).")
    outcome: Outcome | None = None
    steps: list[Literal["declared", "photographed"]] = Field(default_factory=list, max_length=2,
                                                             description="Pipeline steps done at the visit.")
    planned_on: dt.date | None = Field(None, description="Plan a visit (with a visit made: the next one).")
    care: Care | None = Field(None, description="Mark the member sick or disabled (\"\": neither); null: unchanged.")
    group: int | None = Field(None, ge=1, le=MAX_ID, description="The working group making the visit.")
    note: str = Field("", max_length=500)


class HomeVisitOut(Schema):
    id: int
    group_id: int | None
    planned_on: dt.date | None
    visited_on: dt.date | None
    outcome: str
    note: str


class ParticipantState(Schema):
    id: int
    stage: int
    care: str
    version: int


class VisitOut(Schema):
    participant: ParticipantState
    visit: HomeVisitOut | None
    plan: HomeVisitOut | None


def _reasons(participant: Participant, age: int, threshold: int) -> list[str]:
    reasons = ["age"] if age >= threshold else []
    if participant.member.status == Status.EXEMPTED:
        reasons.append("exempted")
    if participant.care:
        reasons.append(participant.care)
    return reasons


@router.get("/{id:campaign_id}/visits", response=WorklistPage, summary="Members who need a home visit")
def get_worklist(request: HttpRequest, campaign_id: int, params: Query[WorklistQuery]) -> dict[str, Any]:
    campaign = campaign_get_for(request.user, campaign_id)
    unit = None
    if params.unit:
        unit = unit_get_by_code_for(request.user, params.unit)
        if not can(request.user, CAMPAIGN_VIEW, unit):
            raise PermissionDenied(_("You do not have permission to see the campaign's members there."))
    day, threshold = today(), selectors.elderly_age(campaign)
    rows = selectors.visit_worklist(request.user, campaign, unit, day)
    labels = selectors.group_labels(campaign)
    start = (params.page - 1) * PAGE_SIZE
    items = []
    for p in rows[start:start + PAGE_SIZE]:
        member, age = p.member, selectors.member_age(p.member, day)
        items.append(WorklistRow(
            participant_id=p.pk, member_id=member.pk, version=p.version, full_name=member.full_name, age=age,
            reasons=_reasons(p, age, threshold),  # type: ignore[arg-type]
            permanent_residence=member.permanent_residence, temporary_residence=member.temporary_residence,
            phone=member.phone, unit_code=p.unit.code, unit_name=p.unit.name, stage=p.stage, care=Care(p.care),
            planned_on=getattr(p, "planned_on", None), last_visited_on=getattr(p, "last_visited_on", None),
            last_outcome=getattr(p, "last_outcome", None) or None, groups=labels.for_unit(p.unit)))
    return {"items": items, "total": rows.count(), "page": params.page, "elderly_age": threshold}


def _visit_out(visit: HomeVisit | None) -> HomeVisitOut | None:
    if visit is None:
        return None
    return HomeVisitOut(id=visit.pk, group_id=visit.group_id, planned_on=visit.planned_on,
                        visited_on=visit.visited_on, outcome=visit.outcome, note=visit.note)


@router.post("/{id:campaign_id}/visits/{id:participant_id}", response=VisitOut,
             summary="Plan or record a home visit, with the steps done there")
def post_visit(request: HttpRequest, campaign_id: int, participant_id: int, payload: VisitIn) -> VisitOut:
    campaign = campaign_get_for(request.user, campaign_id)
    participant = participant_get_for(request.user, participant_id)
    if participant.campaign_id != campaign.pk:
        raise NotFound(_("No such member in the campaign."))
    group = None
    if payload.group is not None:
        group = selectors.group_in_campaign(campaign, payload.group)
        if group is None:
            raise ValidationError({"group": [_("No such working group in this campaign.")]})
    result = services.home_visit_record(
        actor=request.user, participant=participant, expected_version=payload.version, group=group,
        planned_on=payload.planned_on, visited_on=payload.visited_on, outcome=payload.outcome or "",
        note=payload.note, steps=payload.steps, care=payload.care)
    fresh = result.participant
    return VisitOut(participant=ParticipantState(id=fresh.pk, stage=fresh.stage, care=fresh.care,
                                                 version=fresh.version),
                    visit=_visit_out(result.visit), plan=_visit_out(result.plan))
