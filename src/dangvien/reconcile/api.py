"""JSON API over reconciliation results, under /api/reconcile: the per-unit summary, the review
queue, discrepancies, and the officer's decisions. Reads through selectors.py, writes through
services.py, errors in the API's one shape (dangvien/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from dangvien.accounts.permissions import can
from dangvien.core.urls import MAX_ID
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_for
from dangvien.reconcile import services
from dangvien.reconcile.models import Band, Decision, Discrepancy, Kind, Match, State
from dangvien.reconcile.models import Field as CompareField
from dangvien.reconcile.permissions import RECONCILE_VIEW
from dangvien.reconcile.selectors import (
    DiscrepancyFilter,
    SummaryNode,
    discrepancy_get_for,
    discrepancy_list,
    match_get_for,
    reconcile_summary,
    review_queue,
)

router = Router(tags=["reconciliation"])

PAGE_SIZE = 50


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    """A unit the actor sees (404 otherwise) and may see reconciliation results in (403 otherwise)."""
    unit = unit_get_for(request.user, unit_id)
    if not can(request.user, RECONCILE_VIEW, unit):
        raise PermissionDenied(_("You do not have permission to see reconciliation results here."))
    return unit


# --- output schemas ------------------------------------------------------------------------------


class SummaryOut(Schema):
    members: int = Field(description="Members on the roll in the whole subtree.")
    matched: int
    with_discrepancies: int = Field(description="Of the matched, those with an open discrepancy.")
    review: int
    not_found: int
    not_reconciled: int
    percent: float | None = Field(description="matched / members × 100, two decimals; null without members.")
    share: str = Field(description='The committee\'s "matched/members = x%".')


class SummaryNodeOut(Schema):
    id: int
    code: str
    name: str
    depth: int
    summary: SummaryOut
    children: list[SummaryNodeOut]


SummaryNodeOut.model_rebuild()


def _node_out(node: SummaryNode) -> SummaryNodeOut:
    figures = node.summary
    return SummaryNodeOut(
        id=node.unit.pk, code=node.unit.code, name=node.unit.name, depth=node.unit.depth,
        summary=SummaryOut(members=figures.members, matched=figures.matched,
                           with_discrepancies=figures.with_discrepancies, review=figures.review,
                           not_found=figures.not_found, not_reconciled=figures.not_reconciled,
                           percent=float(figures.percent) if figures.percent is not None else None,
                           share=figures.share),
        children=[_node_out(child) for child in node.children])


class MemberRef(Schema):
    id: int
    full_name: str
    unit_id: int
    version: int


class CandidateOut(Schema):
    so_dinh_danh: str
    probability: float | None = None
    match_weight: float | None = None
    person: dict[str, Any] = Field(default_factory=dict, description="The extract's row.")
    weights: dict[str, Any] = Field(default_factory=dict,
                                    description="What each field contributed: {comparison: {level, weight}}.")


class MatchOut(Schema):
    id: int
    run_id: int
    member: MemberRef
    current: bool
    band: Band
    decision: Decision
    probability: float | None
    so_dinh_danh: str | None
    candidates: list[CandidateOut]
    decided_at: dt.datetime | None
    reason: str

    @staticmethod
    def resolve_candidates(match: Match) -> list[dict[str, Any]]:
        return [{**c, "so_dinh_danh": str(c.get("so_dinh_danh") or "")} for c in match.candidates or []]


class MatchPage(Schema):
    items: list[MatchOut]
    total: int
    page: int


class DiscrepancyOut(Schema):
    id: int
    match_id: int
    member: MemberRef
    field: CompareField
    kind: Kind
    record_value: str
    population_value: str
    state: State
    reason: str
    decided_at: dt.datetime | None


class DiscrepancyPage(Schema):
    items: list[DiscrepancyOut]
    total: int
    page: int


class BulkOut(Schema):
    accepted: int


# --- input schemas -------------------------------------------------------------------------------

_blank_is_none = BeforeValidator(lambda value: None if value == "" else value)


class QueueQuery(Schema):
    unit: Annotated[int | None, _blank_is_none] = Field(None, ge=1, le=MAX_ID, description="Only this unit's subtree.")
    page: int = Field(1, ge=1, le=1_000_000)


class DiscrepancyQuery(Schema):
    unit: Annotated[int | None, _blank_is_none] = Field(None, ge=1, le=MAX_ID, description="Only this unit's subtree.")
    member: Annotated[int | None, _blank_is_none] = Field(None, ge=1, le=MAX_ID)
    field: Annotated[CompareField | None, _blank_is_none] = None
    kind: Annotated[Kind | None, _blank_is_none] = None
    state: Annotated[State | None, _blank_is_none] = Field(State.OPEN, description="Open by default.")
    page: int = Field(1, ge=1, le=1_000_000)


class MatchAcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    so_dinh_danh: str = Field(max_length=12, description="The candidate who is the member.")
    note: str = Field("", max_length=1000)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=1000)


class BulkAcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: int = Field(ge=1, le=MAX_ID, description="Within this unit's subtree.")
    field: CompareField
    kind: Kind
    expected_count: int | None = Field(None, ge=0, le=10_000_000,
                                       description="How many the client showed; refused when it moved.")
    note: str = Field("", max_length=1000)


# --- reads ---------------------------------------------------------------------------------------


@router.get("/units/{id:unit_id}/summary", response=SummaryNodeOut,
            summary="A unit's reconciliation figures, with every unit below it")
def get_summary(
    request: HttpRequest, unit_id: int,
    depth: int | None = Query(None, ge=0, le=10, description="Levels below the unit; all when omitted."),
) -> SummaryNodeOut:
    unit = _unit(request, unit_id)
    return _node_out(reconcile_summary(request.user, root=unit, max_depth=depth)[0])


@router.get("/queue", response=MatchPage, summary="Members waiting for review, in queue order")
def get_queue(request: HttpRequest, params: Query[QueueQuery]) -> dict[str, Any]:
    unit = _unit(request, params.unit) if params.unit is not None else None
    queue = review_queue(request.user, unit).select_related("member")
    start = (params.page - 1) * PAGE_SIZE
    return {"items": list(queue[start:start + PAGE_SIZE]), "total": queue.count(), "page": params.page}


@router.get("/matches/{id:match_id}", response=MatchOut, summary="One member's result, with its candidates")
def get_match(request: HttpRequest, match_id: int) -> Match:
    return match_get_for(request.user, match_id)


@router.get("/discrepancies", response=DiscrepancyPage, summary="Discrepancies of current results")
def get_discrepancies(request: HttpRequest, params: Query[DiscrepancyQuery]) -> dict[str, Any]:
    unit = _unit(request, params.unit) if params.unit is not None else None
    rows = discrepancy_list(request.user, DiscrepancyFilter(
        unit=unit, field=params.field or "", kind=params.kind or "", state=params.state or "", member=params.member))
    start = (params.page - 1) * PAGE_SIZE
    return {"items": list(rows[start:start + PAGE_SIZE]), "total": rows.count(), "page": params.page}


# --- writes --------------------------------------------------------------------------------------

@router.post("/matches/{id:match_id}/accept", response=MatchOut, summary="Link the member to a candidate")
def accept_match(request: HttpRequest, match_id: int, payload: MatchAcceptIn) -> Match:
    match = match_get_for(request.user, match_id)
    return services.match_accept(actor=request.user, match=match, so_dinh_danh=payload.so_dinh_danh,
                                 note=payload.note)


@router.post("/matches/{id:match_id}/reject", response=MatchOut, summary="None of the candidates is the member")
def reject_match(request: HttpRequest, match_id: int, payload: ReasonIn) -> Match:
    match = match_get_for(request.user, match_id)
    return services.match_reject(actor=request.user, match=match, reason=payload.reason)


@router.post("/discrepancies/accept-bulk", response=BulkOut,
             summary="Correct every open discrepancy of one field and kind in a unit's subtree")
def accept_bulk(request: HttpRequest, payload: BulkAcceptIn) -> dict[str, int]:
    unit = _unit(request, payload.unit)
    return {"accepted": services.discrepancies_accept_bulk(
        actor=request.user, unit=unit, field=payload.field, kind=payload.kind,
        expected_count=payload.expected_count, note=payload.note)}


@router.post("/discrepancies/{id:discrepancy_id}/accept", response=DiscrepancyOut,
             summary="Correct the record to the population value")
def accept_discrepancy(request: HttpRequest, discrepancy_id: int, payload: NoteIn) -> Discrepancy:
    found = discrepancy_get_for(request.user, discrepancy_id)
    return services.discrepancy_accept(actor=request.user, discrepancy=found, note=payload.note)


@router.post("/discrepancies/{id:discrepancy_id}/reject", response=DiscrepancyOut,
             summary="Keep the record: the population value is wrong for this member")
def reject_discrepancy(request: HttpRequest, discrepancy_id: int, payload: ReasonIn) -> Discrepancy:
    found = discrepancy_get_for(request.user, discrepancy_id)
    return services.discrepancy_reject(actor=request.user, discrepancy=found, reason=payload.reason)
