"""The campaign's entries in the member's timeline: the new chip party card handed over (and, if
that record is undone, its withdrawal: the history is appended to, never edited). Registered with
members.events in CampaignConfig.ready()."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from dangvien.members.events import EventDetails, EventType, register_event_type


class CardHandedOver(EventDetails):
    kind: ClassVar[str] = "campaign.card_handed_over"
    campaign: int = Field(description="The card exchange campaign.")
    campaign_name: str = Field(description="Its name when the card was handed over.")

    def describe(self) -> list[str]:
        return [_("Campaign: %(name)s") % {"name": self.campaign_name}]


class HandOverWithdrawn(EventDetails):
    kind: ClassVar[str] = "campaign.handover_withdrawn"
    campaign: int = Field(description="The card exchange campaign.")
    reason: str = Field(description="Why the hand-over record was undone.")

    def describe(self) -> list[str]:
        return [_("Reason: %(reason)s") % {"reason": self.reason}]


def register() -> None:
    register_event_type(EventType(CardHandedOver, gettext_lazy("Chip party card handed over")))
    register_event_type(EventType(HandOverWithdrawn, gettext_lazy("Card hand-over record withdrawn")))
