"""The member registry's kinds of history event: one entry a kind (members/events.py explains the
table). The member's page offers, and the API routes, exactly the entries with an action; the
services refuse an event whose member is not in one of its `allowed_from` statuses.

Registered by MembersConfig.ready(), so the table is complete before anything reads it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dangvien.members import events, forms, schemas, services
from dangvien.members.events import EventAction, EventDetails, EventType, register_event_type
from dangvien.members.models import ON_ROLL_STATUSES, EventKind, Status

P, O, E = Status.PROBATIONARY, Status.OFFICIAL, Status.EXEMPTED  # noqa: E741


def _kind(details: type[EventDetails], allowed_from: frozenset[str] = frozenset(),
          action: EventAction | None = None) -> EventType:
    """An entry for one of the registry's own kinds: its label is EventKind's."""
    return EventType(details, EventKind(details.kind).label, allowed_from, action)


KINDS = [
    _kind(events.Admitted),
    _kind(events.RecognizedOfficial, frozenset({P}), EventAction(
        "recognize-official", _("Recognize as official member"), "Recognize a probationary member as official",
        forms.RecognizeOfficialForm, schemas.RecognizeOfficialIn, services.member_recognize_official)),
    _kind(events.TransferredOut, frozenset({P, O, E}), EventAction(
        "transfer-out", _("Transfer out"), "Official transfer out",
        forms.TransferOutForm, schemas.TransferOutIn, services.member_transfer_out)),
    _kind(events.TransferredIn, frozenset({Status.TRANSFERRED_OUT}), EventAction(
        "transfer-in", _("Take in (transfer in)"), "Take in a member transferred out",
        forms.TransferInForm, schemas.TransferInIn, services.member_transfer_in)),
    _kind(events.TemporarilyOut, frozenset({P, O}), EventAction(
        "transfer-temporarily", _("Transfer temporarily"), "Temporary transfer",
        forms.TransferTemporarilyForm, schemas.TransferTemporarilyIn, services.member_transfer_temporarily)),
    _kind(events.Returned, frozenset({Status.TEMPORARILY_OUT}), EventAction(
        "return", _("Record the return"), "Return from a temporary transfer",
        forms.ReturnForm, schemas.ReturnIn, services.member_return)),
    _kind(events.Exempted, frozenset({P, O}), EventAction(
        "exempt", _("Exempt from activities"), "Exempt from activities",
        forms.ExemptForm, schemas.ExemptIn, services.member_exempt)),
    _kind(events.ExemptionLifted, frozenset({E}), EventAction(
        "lift-exemption", _("Lift the exemption"), "Lift an exemption",
        forms.LiftExemptionForm, schemas.LiftExemptionIn, services.member_lift_exemption)),
    _kind(events.Disciplined, ON_ROLL_STATUSES, EventAction(
        "discipline", _("Discipline"), "Discipline",
        forms.DisciplineEventForm, schemas.DisciplineIn, services.member_discipline)),
    _kind(events.Removed, ON_ROLL_STATUSES, EventAction(
        "remove", _("Remove from the roll"), "Remove from the roll",
        forms.RemoveForm, schemas.RemoveIn, services.member_remove)),
    _kind(events.Died, ON_ROLL_STATUSES, EventAction(
        "record-death", _("Record the death"), "Record a death",
        forms.RecordDeathForm, schemas.RecordDeathIn, services.member_record_death)),
    _kind(events.Corrected),
]


def register() -> None:
    for kind in KINDS:
        register_event_type(kind)
