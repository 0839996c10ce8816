"""JSON API over the card exchange campaign, under /api/campaigns. Reads through selectors.py,
writes through services.py, errors in the API's one shape (dangvien/api.py): a step refused for
some of a list is a 422 whose `errors` name each refused participant by id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from dangvien.campaign import services
from dangvien.campaign.models import STEPS, Care, HoldReason, Participant, Step
from dangvien.campaign.selectors import (
    ParticipantFilter,
    campaign_get_for,
    participant_in_campaign_for,
    participant_list,
    participant_steps,
)
from dangvien.core.urls import MAX_ID
from dangvien.org.selectors import unit_get_by_code_for

router = Router(tags=["campaign"])

# --- the per-member pipeline ------------------------------------------------------------------------

PAGE_SIZE = 100
BULK_MAX = 50_000  # a step file's rows at most (campaign/steps_file.py MAX_ROWS)
_blank_is_none = BeforeValidator(lambda value: None if value == "" else value)


class UnitRef(Schema):
    id: int
    code: str
    name: str


class MemberRef(Schema):
    id: int
    full_name: str
    birth_year: int


class StepOut(Schema):
    step: Step
    day: dt.date
    recorded_by: str | None
    note: str


class ParticipantOut(Schema):
    id: int
    version: int = Field(description="Send it back with any change; a stale version is refused (409).")
    member: MemberRef
    unit: UnitRef
    stage: int = Field(description="Steps done, in pipeline order (0 none ... 7 handed over).")
    stage_on: dt.date | None
    next_step: Step | None
    hold: HoldReason | None
    hold_note: str
    hold_since: dt.date | None
    care: Care | None

    @staticmethod
    def resolve_next_step(participant: Participant) -> str | None:
        return STEPS[participant.stage] if participant.stage < len(STEPS) else None

    @staticmethod
    def resolve_hold(participant: Participant) -> str | None:
        return participant.hold or None

    @staticmethod
    def resolve_care(participant: Participant) -> str | None:
        return participant.care or None


class ParticipantDetail(ParticipantOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(participant: Participant) -> list[dict[str, Any]]:
        return [{"step": r.step, "day": r.day, "note": r.note,
                 "recorded_by": r.recorded_by.username if r.recorded_by else None}
                for r in participant_steps(participant)]


class ParticipantPage(Schema):
    items: list[ParticipantOut]
    total: int
    page: int
    page_size: int


class ParticipantQuery(Schema):
    unit: Annotated[str | None, _blank_is_none] = Field(None, max_length=32, description="A unit's code: its subtree.")
    stage: Annotated[int | None, _blank_is_none] = Field(None, ge=0, le=len(STEPS), description="Exactly this many steps done.")
    hold: Annotated[bool | None, _blank_is_none] = Field(None, description="On hold (true) or not (false).")
    q: str = Field("", max_length=100, description="Name words, or the start of a citizen ID or card number.")
    page: int = Field(1, ge=1, le=1_000_000)


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    step: Step
    day: dt.date
    note: str = Field("", max_length=255)


class HoldIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    reason: HoldReason = Field(description="Why the member cannot complete now.")
    note: str = Field("", max_length=255)


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)


class UndoIn(VersionIn):
    reason: str = Field(min_length=1, max_length=255, description="Why the latest step is undone.")


class CareIn(VersionIn):
    care: Care = Field(description="sick, disabled, or \"\" to clear the mark.")


class BulkStepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    step: Step
    day: dt.date = Field(description="The day the step was done, for every participant listed.")
    participants: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=BULK_MAX)
    note: str = Field("", max_length=255)


class BulkStepOut(Schema):
    recorded: int


def _participant(request: HttpRequest, campaign_id: int, participant_id: int) -> Participant:
    campaign = campaign_get_for(request.user, campaign_id)
    return participant_in_campaign_for(request.user, campaign, participant_id)


def _fresh(request: HttpRequest, participant: Participant) -> Participant:
    return participant_in_campaign_for(request.user, participant.campaign, participant.pk)


@router.get("/{id:campaign_id}/participants", response=ParticipantPage,
            summary="The campaign's counted members in the user's subtree, in name order, paged")
def get_participants(request: HttpRequest, campaign_id: int, params: Query[ParticipantQuery]) -> dict[str, Any]:
    campaign = campaign_get_for(request.user, campaign_id)
    unit = unit_get_by_code_for(request.user, params.unit) if params.unit else None
    rows = participant_list(request.user, campaign, ParticipantFilter(unit=unit, stage=params.stage, hold=params.hold,
                                                                      query=params.q))
    start = (params.page - 1) * PAGE_SIZE
    return {"items": list(rows[start:start + PAGE_SIZE]), "total": rows.count(), "page": params.page,
            "page_size": PAGE_SIZE}


@router.post("/{id:campaign_id}/participants/{id:participant_id}/steps", response=ParticipantDetail,
             summary="Record the next pipeline step for one member")
def post_step(request: HttpRequest, campaign_id: int, participant_id: int, payload: StepIn) -> Participant:
    participant = _participant(request, campaign_id, participant_id)
    services.participant_step(actor=request.user, participant=participant, expected_version=payload.version,
                              step=payload.step, day=payload.day, note=payload.note)
    return _fresh(request, participant)


@router.post("/{id:campaign_id}/participants/{id:participant_id}/hold", response=ParticipantDetail,
             summary="Mark that the member cannot complete now, with the reason")
def post_hold(request: HttpRequest, campaign_id: int, participant_id: int, payload: HoldIn) -> Participant:
    participant = _participant(request, campaign_id, participant_id)
    services.participant_hold(actor=request.user, participant=participant, expected_version=payload.version,
                              reason=payload.reason, note=payload.note)
    return _fresh(request, participant)


@router.post("/{id:campaign_id}/participants/{id:participant_id}/release", response=ParticipantDetail,
             summary="Lift the hold: the member can complete now")
def post_release(request: HttpRequest, campaign_id: int, participant_id: int, payload: VersionIn) -> Participant:
    participant = _participant(request, campaign_id, participant_id)
    services.participant_release(actor=request.user, participant=participant, expected_version=payload.version)
    return _fresh(request, participant)


@router.post("/{id:campaign_id}/participants/{id:participant_id}/undo", response=ParticipantDetail,
             summary="Undo the latest step recorded, with the reason")
def post_undo(request: HttpRequest, campaign_id: int, participant_id: int, payload: UndoIn) -> Participant:
    participant = _participant(request, campaign_id, participant_id)
    services.participant_step_undo(actor=request.user, participant=participant, expected_version=payload.version,
                                   reason=payload.reason)
    return _fresh(request, participant)


@router.post("/{id:campaign_id}/participants/{id:participant_id}/care", response=ParticipantDetail,
             summary="Mark the member sick or disabled (home visit), or clear the mark")
def post_care(request: HttpRequest, campaign_id: int, participant_id: int, payload: CareIn) -> Participant:
    participant = _participant(request, campaign_id, participant_id)
    services.participant_set_care(actor=request.user, participant=participant, expected_version=payload.version,
                                  care=payload.care)
    return _fresh(request, participant)


@router.post("/{id:campaign_id}/steps/bulk", response=BulkStepOut,
             summary="Record one step for a list of members, all or nothing (422 names every refused one by id)")
def post_steps_bulk(request: HttpRequest, campaign_id: int, payload: BulkStepIn) -> dict[str, int]:
    campaign = campaign_get_for(request.user, campaign_id)
    result = services.steps_record(actor=request.user, campaign=campaign, step=payload.step, day=payload.day,
                                   participant_ids=payload.participants, note=payload.note)
    if not result.ok:
        raise result.error()
    return {"recorded": result.recorded}
