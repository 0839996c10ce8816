"""The cards' entries in the member's timeline (members/events.py): a card issued, re-issued,
suspended, reinstated, revoked. Registered in CredentialsConfig.ready(), before the URLs load."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from dangvien.credentials.models import RevocationReason
from dangvien.members.events import EventDetails, EventType, register_event_type


class _CardEvent(EventDetails):
    card_number: str = Field(description="The card's number (kept by a re-issued card).")
    reissue_count: int = Field(0, description="0 for a member's first card, then 1, 2... for each re-issue.")

    def describe(self) -> list[str]:
        lines = [_("Card number: %(number)s") % {"number": self.card_number}]
        if self.reissue_count:
            lines.append(_("Re-issue: %(count)s") % {"count": self.reissue_count})
        return lines


class _Reasoned(_CardEvent):
    reason: RevocationReason = Field(description="Why the card stopped answering for its holder.")

    def describe(self) -> list[str]:
        return [*super().describe(), _("Reason: %(reason)s") % {"reason": RevocationReason(self.reason).label}]


class CardIssued(_CardEvent):
    kind: ClassVar[str] = "card.issued"


class CardReissued(_Reasoned):
    """A replacement card: the old one was revoked for `reason` in the same step."""

    kind: ClassVar[str] = "card.reissued"


class CardRevoked(_Reasoned):
    kind: ClassVar[str] = "card.revoked"


class CardSuspended(_CardEvent):
    kind: ClassVar[str] = "card.suspended"


class CardReinstated(_CardEvent):
    kind: ClassVar[str] = "card.reinstated"


def register() -> None:
    register_event_type(EventType(CardIssued, gettext_lazy("Chip party card issued")))
    register_event_type(EventType(CardReissued, gettext_lazy("Chip party card re-issued")))
    register_event_type(EventType(CardRevoked, gettext_lazy("Chip party card revoked")))
    register_event_type(EventType(CardSuspended, gettext_lazy("Chip party card suspended")))
    register_event_type(EventType(CardReinstated, gettext_lazy("Chip party card reinstated")))
