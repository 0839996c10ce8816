"""Who is eligible for the new card (Directive 51-CT/TW, 2025), as a rule a campaign keeps.

The default: official members who hold a card, exempted members and members attending elsewhere for
a while included (the exempted, elderly and sick are collected by home visits); probationary members
are not eligible (they get the card on recognition as official). A campaign may change the statuses
and whether a card must already be held."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Case, CharField, Q, Value, When

from dangvien.campaign.models import Exclusion
from dangvien.members.models import ON_ROLL_STATUSES, Status

# Only members on the roll enter a campaign's snapshot; the rest are not members any more.
SNAPSHOT_STATUSES = tuple(sorted(ON_ROLL_STATUSES))


@dataclass(frozen=True)
class Rule:
    statuses: tuple[str, ...] = (Status.OFFICIAL, Status.EXEMPTED, Status.TEMPORARILY_OUT)
    require_card: bool = True
    notes: str = field(default="", compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Rule:
        data = data or {}
        default = cls()
        return cls(statuses=tuple(data.get("statuses", default.statuses)),
                   require_card=bool(data.get("require_card", default.require_card)),
                   notes=str(data.get("notes", "")))

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["statuses"] = [str(status) for status in self.statuses]
        return values

    def exclusion(self, *, status: str, card_number: str | None) -> str:
        """Why a member with this status and card is not eligible; "" when eligible."""
        if status not in self.statuses:
            return Exclusion.PROBATIONARY if status == Status.PROBATIONARY else Exclusion.STATUS
        if self.require_card and not card_number:
            return Exclusion.NO_CARD
        return ""

    def exclusion_sql(self, prefix: str = "") -> Case:
        """The same decision as `exclusion`, as an expression over member rows (the snapshot)."""
        whens = [When(Q(**{f"{prefix}status": Status.PROBATIONARY}) & ~Q(**{f"{prefix}status__in": self.statuses}),
                      then=Value(Exclusion.PROBATIONARY)),
                 When(~Q(**{f"{prefix}status__in": self.statuses}), then=Value(Exclusion.STATUS))]
        if self.require_card:
            whens.append(When(Q(**{f"{prefix}card_number__isnull": True}) | Q(**{f"{prefix}card_number": ""}),
                              then=Value(Exclusion.NO_CARD)))
        return Case(*whens, default=Value(""), output_field=CharField())
