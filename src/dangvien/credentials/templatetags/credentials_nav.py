"""The cards on other apps' pages: the menu entry, and the member's card on the member page
(templates are not bound by the layers: members/detail.html loads this)."""

from typing import Any

from django import template

from dangvien.accounts.permissions import can, scope_for
from dangvien.credentials.models import TAKEN_BACK_REASONS
from dangvien.credentials.permissions import CARD_ISSUE, CARD_VIEW
from dangvien.credentials.selectors import card_for_member

register = template.Library()


@register.filter
def can_see_cards(user: Any) -> bool:
    """Whether the user sees cards anywhere (the menu then offers them)."""
    return bool(getattr(user, "is_authenticated", False)) and scope_for(user, CARD_VIEW).has_units


@register.inclusion_tag("credentials/_member_card.html")
def member_card(user: Any, member: Any) -> dict[str, Any]:
    """The member's card (live, else the latest) for the member page: nothing when the user may not
    see it; the issue and photo links for a card officer of the member's cell."""
    card = card_for_member(user, member) if scope_for(user, CARD_VIEW).covers_member(member) else None
    may_issue = can(user, CARD_ISSUE, member.unit)
    return {"card": card, "member": member, "may_issue": may_issue, "shown": card is not None or may_issue,
            "taken_back": card is not None and card.revocation_reason in TAKEN_BACK_REASONS}
