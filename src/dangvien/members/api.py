"""JSON API over the member registry: every read through members/selectors.py, every write through
one service in members/services.py, exactly as the HTML pages do.

No `from __future__ import annotations` here: the event routes are generated from a table, and
Django Ninja reads their body types from the live annotations.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Reply
from pydantic import BeforeValidator, ConfigDict, Field

from dangvien.core.errors import NotFound, PermissionDenied, ValidationError
from dangvien.core.urls import MAX_ID
from dangvien.members import services
from dangvien.members.models import DisciplineForm, EventKind, Member, MemberEvent, Status
from dangvien.members.selectors import (
    MemberFilter,
    MemberPages,
    member_get_for,
    member_history,
    member_list,
    member_ref,
)
from dangvien.org.selectors import cell_for_transfer, unit_get_for

router = Router(tags=["members"])


def _max(field: str, model: Any = Member) -> int:
    """The column's length, so an over-long value is a 422 here rather than a database error
    (PostgreSQL enforces varchar lengths; SQLite does not)."""
    return model._meta.get_field(field).max_length


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

    @staticmethod
    def resolve_status_label(member: Member) -> str:
        return str(Status(member.status).label)


class MemberEventOut(Schema):
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
    details: dict[str, Any]

    @staticmethod
    def resolve_kind_label(event: MemberEvent) -> str:
        return str(EventKind(event.kind).label)

    @staticmethod
    def resolve_actor(event: MemberEvent) -> str | None:
        return event.actor.username if event.actor else None


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


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The version of the record the change was made on.")
    note: str = ""


class DecidedEventIn(EventIn):
    decision: str = Field("", max_length=_max("decision", MemberEvent), description="Decision number.")


class RecognizeOfficialIn(DecidedEventIn):
    official_date: dt.date


class TransferOutIn(DecidedEventIn):
    date: dt.date
    destination: str = Field("", description="Where the member goes, when it is not a cell on this system.")
    destination_unit: str | None = Field(
        None, max_length=32,
        description="The code (not the id) of the receiving cell when it is on this system (any cell, not only yours); "
                    "that side then takes the member in.")


class TransferInIn(DecidedEventIn):
    date: dt.date
    unit: int = Field(ge=1, le=MAX_ID, description="The receiving cell.")


class TransferTemporarilyIn(DecidedEventIn):
    date: dt.date
    destination: str = Field(max_length=_max("temporary_unit"))
    until: dt.date | None = None


class ReturnIn(EventIn):
    date: dt.date


class ExemptIn(DecidedEventIn):
    date: dt.date
    reason: str


class LiftExemptionIn(DecidedEventIn):
    date: dt.date


class DisciplineIn(DecidedEventIn):
    date: dt.date
    form: DisciplineForm


class RemoveIn(DecidedEventIn):
    date: dt.date
    reason: str


class RecordDeathIn(EventIn):
    date: dt.date


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


@router.get("/{id:member_id}/history", response=list[MemberEventOut], summary="Activity history")
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


# --- lifecycle events: one route per kind, generated from this table ------------------------------


def _transfer_out_args(actor: Any, member: Member, args: dict[str, Any]) -> dict[str, Any]:
    """A transfer may go to any cell of the system, not only to cells the actor can see (the page
    does the same): the receiving cell is named by its code, which the transfer letter carries."""
    code = (args["destination_unit"] or "").strip()
    try:
        unit = cell_for_transfer(code) if code else None
    except ValidationError as error:
        raise ValidationError({"destination_unit": error.messages}) from None
    return {**args, "destination_unit": unit}


def _transfer_in_args(actor: Any, member: Member, args: dict[str, Any]) -> dict[str, Any]:
    """Checked before the cell is looked up so that an actor who may not take anyone in gets a
    403, as on the page, whatever the body says."""
    if not services.member_event_permitted(actor, member, EventKind.TRANSFERRED_IN):
        raise PermissionDenied(_("You do not have permission to change this member."))
    try:
        unit = unit_get_for(actor, args["unit"])
    except NotFound:
        raise ValidationError({"unit": [_("You have no such cell.")]}) from None
    return {**args, "unit": unit}


def _as_is(actor: Any, member: Member, args: dict[str, Any]) -> dict[str, Any]:
    return args


@dataclass(frozen=True)
class EventRoute:
    kind: str  # the URL segment, as on the pages
    body: type[EventIn]
    service: Callable[..., Member]
    summary: str
    # Turns the body into the service's keyword arguments (codes and ids into units).
    resolve: Callable[[Any, Member, dict[str, Any]], dict[str, Any]] = _as_is


EVENT_ROUTES = [
    EventRoute("recognize-official", RecognizeOfficialIn, services.member_recognize_official,
               "Recognize a probationary member as official"),
    EventRoute("transfer-out", TransferOutIn, services.member_transfer_out, "Official transfer out",
               _transfer_out_args),
    EventRoute("transfer-in", TransferInIn, services.member_transfer_in, "Take in a member transferred out",
               _transfer_in_args),
    EventRoute("transfer-temporarily", TransferTemporarilyIn, services.member_transfer_temporarily,
               "Temporary transfer"),
    EventRoute("return", ReturnIn, services.member_return, "Return from a temporary transfer"),
    EventRoute("exempt", ExemptIn, services.member_exempt, "Exempt from activities"),
    EventRoute("lift-exemption", LiftExemptionIn, services.member_lift_exemption, "Lift an exemption"),
    EventRoute("discipline", DisciplineIn, services.member_discipline, "Discipline"),
    EventRoute("remove", RemoveIn, services.member_remove, "Remove from the roll"),
    EventRoute("record-death", RecordDeathIn, services.member_record_death, "Record a death"),
]
EVENT_KINDS = [route.kind for route in EVENT_ROUTES]


def _add_event_route(route: EventRoute) -> None:
    def handler(request: HttpRequest, member_id: int, payload: Any) -> Member:
        member = member_get_for(request.user, member_id)
        args = payload.model_dump(exclude={"version"})
        if isinstance(payload, DisciplineIn):
            args["form"] = payload.form.value  # the service compares plain strings
        # The service re-reads the member under its lock and returns it: no third read.
        return route.service(actor=request.user, member=member, expected_version=payload.version,
                             **route.resolve(request.user, member, args))

    # Ninja reads the body type from the annotation; each route gets its own.
    handler.__annotations__ = {**handler.__annotations__, "payload": route.body}
    name = "event_" + route.kind.replace("-", "_")
    handler.__name__ = handler.__qualname__ = name
    router.post(f"/{{id:member_id}}/events/{route.kind}", response={200: MemberDetail, **WRITE_ERRORS},
                summary=route.summary, operation_id=f"member_{name}", url_name=f"member_{name}")(handler)


for _route in EVENT_ROUTES:
    _add_event_route(_route)
