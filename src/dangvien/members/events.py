"""The member's timeline (quá trình sinh hoạt đảng): the kinds of history event, each with a typed
`details` payload, and the one place a history event's row is built.

A kind's payload is a small frozen model that names the kind: `Exempted(reason="Tuổi cao")`,
`TransferredOut(destination=..., destination_unit_id=...)`. `event_row(payload, ...)` turns it
into the row of a `MemberEvent`, for `MemberEvent.objects.create(**row)` in a service and for
`core.bulk.bulk_insert(MemberEvent, rows)` in a bulk writer alike, so a kind and its details can
never disagree.

The kinds form one table (`EventType`: payload, label, the statuses the event may start from, and
how a user records it), registered with `register_event_type`; the member's page and the API read
it (members/event_kinds.py holds the registry's own kinds). An app adds its kinds the same way:

    class CardIssued(EventDetails):
        kind: ClassVar[str] = "card.issued"   # "<app>.<what>": never clashes with the registry's own
        card_number: str

        def describe(self) -> list[str]:
            return [_("Card number: %(number)s") % {"number": self.card_number}]

    # in CardsConfig.ready(), before the URLs (and so the API's schemas) are loaded:
    register_event_type(EventType(CardIssued, gettext_lazy("Party card issued")))

then, in the app's service, inside its transaction (its own audit row records the change):

    MemberEvent.objects.create(**event_row(CardIssued(card_number=number), member_id=member.pk,
                               unit_id=member.unit_id, day=today, actor_id=actor.pk,
                               from_status=member.status, to_status=member.status))

The history page lists the event with its label and `describe()` lines, and the API's history
documents its details. A kind holds at most KIND_MAX_LENGTH characters. Give an EventType an
`action` only for an event a user records on the member's page and through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from dangvien.members.models import DisciplineForm, EventKind, Member, MemberEvent

KIND_MAX_LENGTH: int = MemberEvent._meta.get_field("kind").max_length  # type: ignore[assignment]


class EventDetails(BaseModel):
    """The `details` of one kind of event. A subclass sets `kind` and declares its fields; the row
    stores the fields the caller gave (a field left out is not stored)."""

    # A field may be stored (and shown by the API) under another key than its name: `from` is a
    # Python keyword, and `destination_unit` was stored before the payloads were typed.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)
    kind: ClassVar[str]

    def stored(self) -> dict[str, Any]:
        """The value of the row's `details` column (JSON types: a date as its ISO text)."""
        if not self.__pydantic_fields_set__:
            return {}  # most events: no details, and no serializer call for them
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def describe(self) -> list[str]:
        """The details as short readable lines, for the history page."""
        return []


# --- the registry's own kinds ----------------------------------------------------------------------


class Admitted(EventDetails):
    kind: ClassVar[str] = EventKind.ADMITTED


class RecognizedOfficial(EventDetails):
    kind: ClassVar[str] = EventKind.RECOGNIZED_OFFICIAL


class TransferredOut(EventDetails):
    kind: ClassVar[str] = EventKind.TRANSFERRED_OUT
    destination: str = Field(description="Where the member went: the receiving cell's name, or the place named.")
    destination_unit_id: int | None = Field(
        default=None, validation_alias=AliasChoices("destination_unit"), serialization_alias="destination_unit",
        description="The receiving cell when it is on this system.")

    def describe(self) -> list[str]:
        return _place(_("To: %(place)s"), self.destination)


class TransferredIn(EventDetails):
    kind: ClassVar[str] = EventKind.TRANSFERRED_IN
    # Not given when the member arrived from outside this system (member_register).
    came_from: str = Field(default="", validation_alias=AliasChoices("from"), serialization_alias="from",
                           description="The cell the member left.")

    def describe(self) -> list[str]:
        return _place(_("From: %(place)s"), self.came_from)


class TemporarilyOut(EventDetails):
    kind: ClassVar[str] = EventKind.TEMPORARILY_OUT
    destination: str = Field(description="Where the member attends meanwhile.")
    until: dt.date | None = None

    def describe(self) -> list[str]:
        lines = _place(_("To: %(place)s"), self.destination)
        if self.until:
            lines.append(_("Until: %(date)s") % {"date": self.until.strftime("%d/%m/%Y")})
        return lines


class Returned(EventDetails):
    kind: ClassVar[str] = EventKind.RETURNED


class _Reasoned(EventDetails):
    """The payload of a step taken for a stated reason."""

    reason: str

    def describe(self) -> list[str]:
        return [_("Reason: %(reason)s") % {"reason": self.reason}] if self.reason else []


class Exempted(_Reasoned):
    kind: ClassVar[str] = EventKind.EXEMPTED


class ExemptionLifted(EventDetails):
    kind: ClassVar[str] = EventKind.EXEMPTION_LIFTED


class Disciplined(EventDetails):
    kind: ClassVar[str] = EventKind.DISCIPLINED
    form: DisciplineForm

    def describe(self) -> list[str]:
        return [_("Form: %(form)s") % {"form": DisciplineForm(self.form).label}]


class Removed(_Reasoned):
    kind: ClassVar[str] = EventKind.REMOVED


class Died(EventDetails):
    kind: ClassVar[str] = EventKind.DIED


class Corrected(EventDetails):
    kind: ClassVar[str] = EventKind.CORRECTED
    fields: tuple[str, ...] = Field(description="The member fields the correction changed.")
    import_undone: int | None = Field(default=None, description="The import whose changes this correction undid.")

    def describe(self) -> list[str]:
        if not self.fields:
            return []
        names = [str(label) for name in self.fields if (label := _member_field_label(name))]
        return [_("Fields: %(fields)s") % {"fields": ", ".join(names)}]


def _place(line: str, place: str) -> list[str]:
    return [line % {"place": place}] if place else []


def _member_field_label(name: str) -> Any:
    try:
        return Member._meta.get_field(name).verbose_name  # type: ignore[union-attr]
    except FieldDoesNotExist:
        return None


# --- rows ------------------------------------------------------------------------------------------


def event_row(details: EventDetails, *, member_id: int, unit_id: int, day: dt.date, actor_id: int | None,
              from_status: str, to_status: str, decision: str = "", note: str = "") -> dict[str, Any]:
    """A history event as a MemberEvent row (attname -> value): `MemberEvent.objects.create(**row)`
    or `core.bulk.bulk_insert(MemberEvent, rows)`. The database numbers it."""
    return {"member_id": member_id, "kind": details.kind, "effective_date": day, "actor_id": actor_id,
            "unit_id": unit_id, "from_status": from_status, "to_status": to_status, "decision": decision,
            "note": note, "details": details.stored()}


def event_details(event: MemberEvent) -> EventDetails:
    """A stored event's details, typed (none for the kind of an app no longer installed)."""
    known = _TYPES.get(event.kind)
    return known.details.model_validate(event.details or {}) if known else EventDetails()


# --- the table of kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventAction:
    """How a user records an event on the member's page and through the API."""

    slug: str  # the URL segment: /members/<id>/events/<slug>/ and /api/members/<id>/events/<slug>
    title: Any  # the page's menu entry and form title (translated lazily)
    summary: str  # the API route's summary
    form: type  # a members.forms.EventForm: its service_kwargs() are the service's arguments
    body: type  # a members.schemas.EventIn: its service_kwargs() are the service's arguments
    service: Callable[..., Member]  # (*, actor, member, expected_version, **arguments) -> the member


@dataclass(frozen=True)
class EventType:
    """One kind of history event: its payload type (which names the kind), its label, the statuses
    it may start from (empty: not a lifecycle step a user takes) and how a user records it."""

    details: type[EventDetails]
    label: Any
    allowed_from: frozenset[str] = frozenset()
    action: EventAction | None = None

    @property
    def kind(self) -> str:
        return str(self.details.kind)  # the value, also for the registry's own (EventKind members)


_TYPES: dict[str, EventType] = {}


def register_event_type(event_type: EventType) -> EventType:
    """Add a kind to the table. Call it from an AppConfig.ready(): the API builds its routes and its
    history schema from the table when the URLs are loaded."""
    kind = event_type.kind
    if kind in _TYPES:
        raise ValueError(f"The event kind {kind!r} is registered twice.")
    if len(kind) > KIND_MAX_LENGTH:
        raise ValueError(f"The event kind {kind!r} is longer than {KIND_MAX_LENGTH} characters.")
    _TYPES[kind] = event_type
    return event_type


def event_type(kind: str) -> EventType:
    try:
        return _TYPES[kind]
    except KeyError:
        raise LookupError(f"No event kind {kind!r} is registered.") from None


def event_label(kind: str) -> str:
    """The kind's label; the kind itself for the kind of an app no longer installed."""
    try:
        return str(event_type(kind).label)
    except LookupError:
        return kind


def event_types() -> list[EventType]:
    """Every registered kind, in the order registered (the page's event menu follows it)."""
    return list(_TYPES.values())


def recordable_event_types() -> list[EventType]:
    """The kinds a user records (those with an action), in the table's order."""
    return [t for t in _TYPES.values() if t.action is not None]


def allowed_from(kind: str) -> frozenset[str]:
    """The statuses a member must be in for this event (the services enforce it)."""
    return event_type(kind).allowed_from
