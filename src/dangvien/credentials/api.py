"""JSON API over the cards: reads through credentials/selectors.py, writes through one service each
(credentials/services.py), as the pages do. Errors map as dangvien.api says (404 hidden or absent,
403 not permitted, 409 stale version, 422 refused)."""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, UploadedFile
from ninja import Status as Reply
from pydantic import Field

from dangvien.core.urls import MAX_ID
from dangvien.credentials import services
from dangvien.credentials.models import Card, CardStatus, Portrait, RevocationReason
from dangvien.credentials.selectors import (
    CardFilter,
    card_get_for,
    card_list,
    card_ref,
    cards_of_member,
    member_get_for,
    members_awaiting_cards,
)
from dangvien.org.selectors import unit_get_by_code_for, unit_get_for

router = Router(tags=["cards"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MemberRef(Schema):
    id: int
    full_name: str
    unit_id: int


class CardOut(Schema):
    id: int
    version: int = Field(description="Send it back with any change; a stale version is refused (409).")
    member: MemberRef
    number: str
    reissue_count: int = Field(description="0 for the member's first card; a re-issue keeps the number, one higher.")
    display_number: str = Field(description="The number as printed: NUMBER.REISSUE once re-issued.")
    status: CardStatus
    issued_on: dt.date
    authority_id: int = Field(description="The issuing committee (the member's province at issue).")
    status_list_uri: str
    status_index: int
    status_changed_on: dt.date | None
    revocation_reason: str
    status_note: str
    replaces_id: int | None

    @staticmethod
    def resolve_status_list_uri(card: Card) -> str:
        return card.status_list.uri


class CardPage(Schema):
    items: list[CardOut]
    total: int
    page: int
    page_size: int


class CardListQuery(Schema):
    unit: str = Field("", description="A unit code: only its subtree.")
    status: Literal["", "active", "suspended", "revoked"] = ""
    q: str = Field("", max_length=100, description="Name words, or the start of a card number.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(settings.DANGVIEN["MEMBER_PAGE_SIZE"], ge=1, le=200)


@router.get("", response=CardPage, summary="Cards the user may see, filtered and paged")
def list_cards(request: HttpRequest, params: Query[CardListQuery]) -> dict[str, Any]:
    unit = unit_get_by_code_for(request.user, params.unit) if params.unit else None
    cards = card_list(request.user, CardFilter(unit=unit, status=params.status, query=params.q)).select_related(
        "status_list")
    start = (params.page - 1) * params.page_size
    return {"items": list(cards[start:start + params.page_size]), "total": cards.count(), "page": params.page,
            "page_size": params.page_size}


@router.get("/{id:card_id}", response=CardOut, summary="One card")
def get_card(request: HttpRequest, card_id: int) -> Card:
    return card_get_for(request.user, card_id)


@router.get("/members/{id:member_id}", response=list[CardOut], summary="A member's cards, latest first")
def member_cards(request: HttpRequest, member_id: int) -> list[Card]:
    member = member_get_for(request.user, member_id)
    return list(cards_of_member(request.user, member).select_related("member", "status_list"))


class WaitingOut(Schema):
    id: int
    full_name: str
    unit_id: int


class PendingQuery(Schema):
    unit: int = Field(ge=1, le=MAX_ID)


@router.get("/pending", response=list[WaitingOut], summary="Members of a unit's subtree waiting for a card")
def pending(request: HttpRequest, params: Query[PendingQuery]) -> list[Any]:
    return list(members_awaiting_cards(request.user, unit_get_for(request.user, params.unit))[:10_000])


# --- writes --------------------------------------------------------------------------------------------


class IssueIn(Schema):
    day: dt.date | None = Field(None, description="Default: today.")
    note: str = Field("", max_length=255)


@router.post("/members/{id:member_id}/issue", response={201: CardOut, **WRITE_ERRORS},
             summary="Issue a member's card")
def issue(request: HttpRequest, member_id: int, payload: IssueIn) -> Reply[Card]:
    member = member_get_for(request.user, member_id)
    return Reply(201, services.card_issue(actor=request.user, member=member, day=payload.day, note=payload.note))


class BulkIssueIn(Schema):
    unit: int = Field(ge=1, le=MAX_ID, description="Every member of its subtree waiting for a card.")
    expected: int | None = Field(None, ge=0, description="How many the officer saw waiting; refused if it moved.")
    day: dt.date | None = None


class BulkIssueOut(Schema):
    issued: list[CardOut]
    without_photo: list[int] = Field(description="Members left out: no photo yet.")


@router.post("/issue-bulk", response={200: BulkIssueOut, **WRITE_ERRORS}, summary="Issue a production run")
def issue_bulk(request: HttpRequest, payload: BulkIssueIn) -> dict[str, Any]:
    unit = unit_get_for(request.user, payload.unit)
    result = services.cards_issue_bulk(actor=request.user, unit=unit, day=payload.day, expected=payload.expected)
    return {"issued": result.cards, "without_photo": [m.pk for m in result.without_photo]}


class ChangeIn(Schema):
    version: int
    day: dt.date | None = None
    note: str = Field("", max_length=255)


class ReissueIn(ChangeIn):
    reason: Literal["lost", "damaged", "data_changed"]


class RevokeIn(ChangeIn):
    reason: RevocationReason


@router.post("/{id:card_id}/reissue", response={201: CardOut, **WRITE_ERRORS},
             summary="Replace a lost or damaged card (the new card is returned)")
def reissue(request: HttpRequest, card_id: int, payload: ReissueIn) -> Reply[Card]:
    return Reply(201, services.card_reissue(actor=request.user, card=card_ref(card_id), expected_version=payload.version,
                                            reason=payload.reason, day=payload.day, note=payload.note))


@router.post("/{id:card_id}/revoke", response={200: CardOut, **WRITE_ERRORS}, summary="Revoke a card")
def revoke(request: HttpRequest, card_id: int, payload: RevokeIn) -> Card:
    return services.card_revoke(actor=request.user, card=card_ref(card_id), expected_version=payload.version,
                                reason=payload.reason, day=payload.day, note=payload.note)


@router.post("/{id:card_id}/suspend", response={200: CardOut, **WRITE_ERRORS}, summary="Suspend a card reported lost")
def suspend(request: HttpRequest, card_id: int, payload: ChangeIn) -> Card:
    return services.card_suspend(actor=request.user, card=card_ref(card_id), expected_version=payload.version,
                                 day=payload.day, note=payload.note)


@router.post("/{id:card_id}/reinstate", response={200: CardOut, **WRITE_ERRORS}, summary="Reinstate a suspended card")
def reinstate(request: HttpRequest, card_id: int, payload: ChangeIn) -> Card:
    return services.card_reinstate(actor=request.user, card=card_ref(card_id), expected_version=payload.version,
                                   day=payload.day, note=payload.note)


class PortraitOut(Schema):
    id: int
    member_id: int
    width: int
    height: int
    sha256: str
    taken_on: dt.date


@router.post("/members/{id:member_id}/photo", response={201: PortraitOut, **WRITE_ERRORS},
             summary="Store a member's card photo (JPEG, multipart field `photo`)")
def photo(request: HttpRequest, member_id: int, photo: File[UploadedFile],
          taken_on: Form[dt.date | None] = None) -> Reply[Portrait]:
    member = member_get_for(request.user, member_id)
    data = photo.read(int(settings.DANGVIEN["PORTRAIT_MAX_BYTES"]) + 1)  # the service refuses what is over
    return Reply(201, services.portrait_record(actor=request.user, member=member, data=data, taken_on=taken_on))
