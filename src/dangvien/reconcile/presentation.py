"""What the review page shows of a member and of each candidate: the same fields in the same order,
so that the cards line up side by side, and what each field contributed to a candidate's score.

A candidate's `weights` come from the engine's model, one entry a comparison (name, birth, sex,
hometown, id_number, old_number): {"level": how alike, "weight": its match weight in bits, None
when the field is missing on a side}. A plain number is taken as the weight alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from dangvien.reconcile.fields import person_values, record_value
from dangvien.reconcile.models import Field, Match

# The compared fields, in the cards' order, and the model's comparison that weighs each.
SHOWN = [
    (Field.FULL_NAME, "name"),
    (Field.DATE_OF_BIRTH, "birth"),
    (Field.SEX, "sex"),
    (Field.HOMETOWN, "hometown"),
    (Field.CITIZEN_ID, "id_number"),
    (Field.OLD_ID, "old_number"),
]
LEVELS = {
    "exact": _("the same"), "equal": _("the same"), "tone": _("tone mark placed differently"),
    "no_diacritics": _("the same without diacritics"), "no_middle_name": _("middle name left out"),
    "typo": _("a typing error apart"), "similar": _("similar"), "day_month_swapped": _("day and month swapped"),
    "year_only": _("the same year"), "day_or_month": _("same year, day or month"),
    "year_apart": _("a year apart"), "commune": _("the same commune"), "province": _("the same province"),
    "one_digit": _("one digit different"), "adjacent_swap": _("two digits swapped"), "else": _("different"),
    "null": _("missing on one side"),
}
SEXES = {"M": _("Male"), "F": _("Female")}


@dataclass
class Line:
    label: Any
    value: str
    weight: float | None = None  # what this field contributed, in bits (candidates only)
    level: Any = ""  # how alike the model found it
    agrees: bool | None = None  # the candidate's value is the record's


@dataclass
class Card:
    title: str
    lines: list[Line]
    so_dinh_danh: str = ""
    probability: float | None = None
    match_weight: float | None = None
    rank: int = 0
    extra: list[Line] = field(default_factory=list)  # the rest of the extract row (permanent residence)

    @property
    def percent(self) -> str:
        """The probability as a percentage in the reader's language (99,8 in Vietnamese); a tiny
        one as "< 0.1" rather than a misleading 0.0."""
        if self.probability is None:
            return ""
        if self.probability < 0.001:
            return "< " + number_format(0.1, 1)
        return number_format(100 * self.probability, 1)


def _shown(field_name: str, value: str) -> str:
    if field_name == Field.SEX:
        return str(SEXES.get(value, value))
    return value


def record_card(member: Any) -> Card:
    return Card(title=str(_("On record")), lines=[
        Line(Field(name).label, _shown(name, record_value(member, name))) for name, _comparison in SHOWN])


def _weight(entry: Any) -> tuple[float | None, str]:
    if isinstance(entry, dict):
        return entry.get("weight"), str(entry.get("level") or "")
    if isinstance(entry, int | float):
        return float(entry), ""
    return None, ""


def candidate_cards(match: Match) -> list[Card]:
    """The match's candidates, best first, each field with its value, its weight and whether it is
    the record's."""
    cards = []
    for rank, candidate in enumerate(match.candidates or [], start=1):
        number = str(candidate.get("so_dinh_danh") or "")
        person = candidate.get("person") or {}
        values = person_values(person, number)
        weights = candidate.get("weights") or {}
        lines = []
        for name, comparison in SHOWN:
            weight, level = _weight(weights.get(comparison))
            mine = record_value(match.member, name)
            lines.append(Line(Field(name).label, _shown(name, values[name]), weight, LEVELS.get(level, level),
                              agrees=bool(mine) and mine == values[name] if values[name] else None))
        extra = [Line(_("Permanent residence"), str(person["thuong_tru"]))] if person.get("thuong_tru") else []
        cards.append(Card(title=str(_("Candidate %(n)s") % {"n": rank}), lines=lines, so_dinh_danh=number,
                          probability=candidate.get("probability"), match_weight=candidate.get("match_weight"),
                          rank=rank, extra=extra))
    return cards
