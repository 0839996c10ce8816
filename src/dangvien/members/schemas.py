"""The API's request bodies for lifecycle events, one per recordable kind (members/event_kinds.py
pairs each with its kind, form and service). Each body turns itself into the service's keyword
arguments, as each page form does (forms.EventForm.service_kwargs)."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field

from dangvien.core.errors import NotFound, PermissionDenied, ValidationError
from dangvien.core.urls import MAX_ID
from dangvien.members import services
from dangvien.members.models import DisciplineForm, EventKind, Member, MemberEvent
from dangvien.org.selectors import cell_for_transfer, unit_get_for


def max_length(field: str, model: Any = Member) -> int:
    """The column's length, so an over-long value is a 422 here rather than a database error
    (PostgreSQL enforces varchar lengths; SQLite does not)."""
    return model._meta.get_field(field).max_length


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The version of the record the change was made on.")
    note: str = ""

    def service_kwargs(self, actor: Any, member: Member) -> dict[str, Any]:
        """The service's arguments besides actor, member and expected_version."""
        return self.model_dump(exclude={"version"})


class DecidedEventIn(EventIn):
    decision: str = Field("", max_length=max_length("decision", MemberEvent), description="Decision number.")


class RecognizeOfficialIn(DecidedEventIn):
    official_date: dt.date


class TransferOutIn(DecidedEventIn):
    date: dt.date
    destination: str = Field("", description="Where the member goes, when it is not a cell on this system.")
    destination_unit: str | None = Field(
        None, max_length=32,
        description="The code (not the id) of the receiving cell when it is on this system (any cell, not only yours); "
                    "that side then takes the member in.")

    def service_kwargs(self, actor: Any, member: Member) -> dict[str, Any]:
        """A transfer may go to any cell of the system, not only to cells the actor can see (the
        page does the same): the receiving cell is named by its code, which the transfer letter carries."""
        code = (self.destination_unit or "").strip()
        try:
            unit = cell_for_transfer(code) if code else None
        except ValidationError as error:
            raise ValidationError({"destination_unit": error.messages}) from None
        return {**super().service_kwargs(actor, member), "destination_unit": unit}


class TransferInIn(DecidedEventIn):
    date: dt.date
    unit: int = Field(ge=1, le=MAX_ID, description="The receiving cell.")

    def service_kwargs(self, actor: Any, member: Member) -> dict[str, Any]:
        """Checked before the cell is looked up so that an actor who may not take anyone in gets a
        403, as on the page, whatever the body says."""
        if not services.member_event_permitted(actor, member, EventKind.TRANSFERRED_IN):
            raise PermissionDenied(_("You do not have permission to change this member."))
        try:
            unit = unit_get_for(actor, self.unit)
        except NotFound:
            raise ValidationError({"unit": [_("You have no such cell.")]}) from None
        return {**super().service_kwargs(actor, member), "unit": unit}


class TransferTemporarilyIn(DecidedEventIn):
    date: dt.date
    destination: str = Field(max_length=max_length("temporary_unit"))
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

    def service_kwargs(self, actor: Any, member: Member) -> dict[str, Any]:
        return {**super().service_kwargs(actor, member), "form": self.form.value}  # the service compares strings


class RemoveIn(DecidedEventIn):
    date: dt.date
    reason: str


class RecordDeathIn(EventIn):
    date: dt.date
