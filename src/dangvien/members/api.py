"""JSON API over the member registry: every read through members/selectors.py, every write through
one service in members/services.py, exactly as the HTML pages do.

No `from __future__ import annotations` here: the event routes are generated from a table, and
Django Ninja reads their body types from the live annotations.
"""

import datetime as dt
from typing import Annotated, Any, Literal, Union

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import BeforeValidator, ConfigDict, Field, create_model

from dangvien.core.urls import MAX_ID
from dangvien.members import services, validation
from dangvien.members.events import EventAction, EventType, event_types, recordable_event_types
from dangvien.members.models import Member, MemberEvent, Status
from dangvien.members.schemas import max_length as _max
from dangvien.members.selectors import (
    MemberFilter,
    MemberPages,
    member_get_for,
    member_history,
    member_list,
    member_ref,
)
from dangvien.org.selectors import unit_get_for

router = Router(tags=["members"])


# --- output schemas ----------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    code: str
    name: str


class MemberListItem(Schema):
    """Kept small: a list page of 200 rows stays light on a slow connection."""

    id: int
    full_name: str
    sex: str
    birth_year: int
    status: Status
    unit: UnitRef


class MemberPage(Schema):
    items: list[MemberListItem]
    total: int
    page: int
    page_size: int


class RecordWarningOut(Schema):
    field: str = Field(description="The field at fault (citizen_id, old_id_number).")
    message: str


class MemberDetail(Schema):
    id: int
    version: int = Field(description="Send it back with any change; a stale version is refused (409).")
    unit: UnitRef
    status: Status
    status_label: str
    status_date: dt.date | None
    full_name: str
    family_name: str
    middle_name: str
    given_name: str
    birth_name: str
    aliases: str
    sex: str
    date_of_birth: dt.date | None
    birth_year: int
    place_of_birth: str
    hometown: str
    permanent_residence: str
    temporary_residence: str
    ethnicity: str
    religion: str
    citizen_id: str | None
    old_id_number: str
    phone: str
    has_smartphone: bool | None
    education: str
    political_theory: str
    professional_qualification: str
    foreign_language: str
    occupation_at_admission: str
    occupation: str
    service_background: str
    admission_date: dt.date
    admission_ceremony_date: dt.date | None
    official_date: dt.date | None
    profile_number: str | None
    card_number: str | None
    badge_number: str
    death_date: dt.date | None
    temporary_unit: str
    pending_unit: UnitRef | None
    created_at: dt.datetime
    updated_at: dt.datetime
    warnings: list[RecordWarningOut] = Field(description=(
        "What is stored but doubtful: a citizen ID disagreeing with its own structure or with the record, "
        "an old ID (CMND) without a citizen ID. Computed from the record: a correction removes it."))

    @staticmethod
    def resolve_status_label(member: Member) -> str:
        return str(Status(member.status).label)

    @staticmethod
    def resolve_warnings(member: Member) -> list[dict[str, str]]:
        return [{"field": w.field, "message": w.message} for w in validation.record_warnings(member)]


class MemberEventOut(Schema):
    """An entry of the activity history; `details` depends on `kind` (one schema a kind below)."""

    id: int
    kind: str
    kind_label: str
    effective_date: dt.date
    recorded_at: dt.datetime
    actor: str | None
    unit: UnitRef
    from_status: str
    to_status: str
    decision: str
    note: str

    @staticmethod
    def resolve_actor(event: MemberEvent) -> str | None:
        return event.actor.username if event.actor else None


def _history_event_schema(event_type: EventType) -> Any:
    """The history entry of one kind: its `kind` a constant, its `details` the kind's payload."""
    constant: Any = Literal[event_type.kind]
    return create_model(f"{event_type.details.__name__}Event", __base__=MemberEventOut,
                        kind=(constant, ...), details=(event_type.details, ...))


# Every registered kind, told apart by `kind`: the OpenAPI document shows each kind's details.
HISTORY: Any = list[Annotated[Union[tuple(_history_event_schema(t) for t in event_types())],  # type: ignore[misc]  # noqa: UP007
                              Field(discriminator="kind")]]


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


# --- input schemas -----------------------------------------------------------------------------


class ContactChanges(Schema):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=_max("phone"))
    permanent_residence: str | None = Field(None, max_length=_max("permanent_residence"))
    temporary_residence: str | None = Field(None, max_length=_max("temporary_residence"))
    has_smartphone: bool | None = None


class ProfileChanges(ContactChanges):
    """Profile fields (members/validation.py PROFILE_FIELDS). Only the fields sent are changed; null
    clears a field. Status and cell change only through lifecycle events."""

    full_name: str | None = Field(None, max_length=_max("full_name"))
    birth_name: str | None = Field(None, max_length=_max("birth_name"))
    aliases: str | None = Field(None, max_length=_max("aliases"))
    sex: str | None = Field(None, description="M or F")
    date_of_birth: dt.date | None = None
    birth_year: int | None = Field(None, description="When only the year of birth is known.")
    place_of_birth: str | None = Field(None, max_length=_max("place_of_birth"))
    hometown: str | None = Field(None, max_length=_max("hometown"))
    ethnicity: str | None = Field(None, max_length=_max("ethnicity"))
    religion: str | None = Field(None, max_length=_max("religion"))
    citizen_id: str | None = Field(None, max_length=20, description="12 digits; spaces and dots are ignored.")
    old_id_number: str | None = Field(None, max_length=15)
    education: str | None = Field(None, max_length=_max("education"))
    political_theory: str | None = Field(None, max_length=_max("political_theory"))
    professional_qualification: str | None = Field(None, max_length=_max("professional_qualification"))
    foreign_language: str | None = Field(None, max_length=_max("foreign_language"))
    occupation_at_admission: str | None = Field(None, max_length=_max("occupation_at_admission"))
    occupation: str | None = Field(None, max_length=_max("occupation"))
    service_background: str | None = Field(None, description="'', army, police or retired")
    admission_date: dt.date | None = None
    admission_ceremony_date: dt.date | None = None
    official_date: dt.date | None = None
    profile_number: str | None = Field(None, max_length=20)
    card_number: str | None = Field(None, max_length=30)
    badge_number: str | None = Field(None, max_length=_max("badge_number"))


class MemberRegisterIn(ProfileChanges):
    """The record of an existing member (data entry): status official or probationary."""

    unit: int = Field(ge=1, le=MAX_ID, description="The cell the member belongs to.")
    status: Literal["official", "probationary", "exempted", "temporarily_out"] = "official"
    note: str = ""
    full_name: str = Field(max_length=_max("full_name"))
    sex: str = Field(description="M or F")
    admission_date: dt.date


class MemberAdmitIn(ProfileChanges):
    """A new admission: probationary from the admission decision date; the full date of birth is
    required and the age limits apply."""

    unit: int = Field(ge=1, le=MAX_ID, description="The cell the member is admitted to.")
    decision: str = Field("", max_length=_max("decision", MemberEvent))
    note: str = ""
    full_name: str = Field(max_length=_max("full_name"))
    sex: str = Field(description="M or F")
    date_of_birth: dt.date
    admission_date: dt.date


class MemberCorrectIn(Schema):
    version: int
    changes: ProfileChanges
    note: str = ""


class MemberContactIn(Schema):
    version: int
    changes: ContactChanges
    note: str = ""


# --- reads -------------------------------------------------------------------------------------


# A query string built from a form sends "unit=&status=" for "any": treat empty as not given.
_blank_is_none = BeforeValidator(lambda value: None if value == "" else value)


class MemberListQuery(Schema):
    q: str = Field("", description="Name words (accents and case ignored) or the start of an ID number.")
    unit: Annotated[int | None, _blank_is_none] = Field(None, description="Only this unit's subtree.")
    status: Annotated[Status | None, _blank_is_none] = None
    order: Literal["name", "-name", "birth", "-birth", "admission", "-admission"] = "name"
    page: int = Field(1, ge=1, le=10_000_000)  # bounded: the offset must fit the database's integers
    page_size: int = Field(settings.DANGVIEN["MEMBER_PAGE_SIZE"], ge=1, le=200)


@router.get("", response=MemberPage, summary="Members the user may see, searched and paged")
def list_members(request: HttpRequest, params: Query[MemberListQuery]) -> dict[str, Any]:
    unit = unit_get_for(request.user, params.unit) if params.unit is not None else None
    members = MemberPages(member_list(request.user, MemberFilter(
        query=params.q, unit=unit, status=params.status or "", order=params.order)))
    start = (params.page - 1) * params.page_size
    return {
        "items": list(members[start:start + params.page_size]),
        "total": members.count(),
        "page": params.page,
        "page_size": params.page_size,
    }


@router.get("/{id:member_id}", response=MemberDetail, summary="One member's record")
def get_member(request: HttpRequest, member_id: int) -> Member:
    return member_get_for(request.user, member_id)


@router.get("/{id:member_id}/history", response=HISTORY, summary="Activity history",
            by_alias=True)
def get_history(request: HttpRequest, member_id: int) -> list[MemberEvent]:
    return list(member_history(request.user, member_id))


# --- writes ------------------------------------------------------------------------------------

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _profile_data(payload: ProfileChanges) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True, include=set(ProfileChanges.model_fields))


@router.post("", response={201: MemberDetail, **WRITE_ERRORS}, summary="Enter an existing member's record")
def register_member(request: HttpRequest, payload: MemberRegisterIn) -> Reply[Member]:
    unit = unit_get_for(request.user, payload.unit)
    return Reply(201, services.member_register(actor=request.user, unit=unit, data=_profile_data(payload),
                                               status=payload.status, note=payload.note))


@router.post("/admit", response={201: MemberDetail, **WRITE_ERRORS}, summary="Admit a new member")
def admit_member(request: HttpRequest, payload: MemberAdmitIn) -> Reply[Member]:
    unit = unit_get_for(request.user, payload.unit)
    return Reply(201, services.member_admit(actor=request.user, unit=unit, data=_profile_data(payload),
                                            decision=payload.decision, note=payload.note))


@router.patch("/{id:member_id}", response={200: MemberDetail, **WRITE_ERRORS}, summary="Correct profile data")
def correct_member(request: HttpRequest, member_id: int, payload: MemberCorrectIn) -> Member:
    # The service reads the member itself, in scope and under its lock: the one read of this request.
    return services.member_correct(actor=request.user, member=member_ref(member_id), expected_version=payload.version,
                                   changes=payload.changes.model_dump(exclude_unset=True), note=payload.note)


@router.patch("/{id:member_id}/contact", response={200: MemberDetail, **WRITE_ERRORS},
              summary="Update phone, residence and smartphone flag")
def update_contact(request: HttpRequest, member_id: int, payload: MemberContactIn) -> Member:
    return services.member_update_contact(
        actor=request.user, member=member_ref(member_id), expected_version=payload.version,
        changes=payload.changes.model_dump(exclude_unset=True), note=payload.note)


# --- lifecycle events: one route per recordable kind of the table (members/event_kinds.py) ------


def _add_event_route(action: EventAction) -> None:
    def handler(request: HttpRequest, member_id: int, payload: Any) -> Member:
        member = member_get_for(request.user, member_id)
        # The service re-reads the member under its lock and returns it: no third read.
        return action.service(actor=request.user, member=member, expected_version=payload.version,
                              **payload.service_kwargs(request.user, member))

    # Ninja reads the body type from the annotation; each route gets its own.
    handler.__annotations__ = {**handler.__annotations__, "payload": action.body}
    name = "event_" + action.slug.replace("-", "_")
    handler.__name__ = handler.__qualname__ = name
    router.post(f"/{{id:member_id}}/events/{action.slug}", response={200: MemberDetail, **WRITE_ERRORS},
                summary=action.summary, operation_id=f"member_{name}", url_name=f"member_{name}")(handler)


for _action in [t.action for t in recordable_event_types() if t.action is not None]:
    _add_event_route(_action)
