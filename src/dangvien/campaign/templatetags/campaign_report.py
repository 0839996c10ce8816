"""Campaign figures on the pages, per language ({{ n|number }}, {{ p|percent }}), and the menu entry."""

from __future__ import annotations

from decimal import Decimal

from django import template

from dangvien.accounts.permissions import scope_for
from dangvien.campaign.formatting import format_number, format_percent
from dangvien.campaign.permissions import CAMPAIGN_VIEW

register = template.Library()


@register.filter
def number(value: int) -> str:
    return format_number(value)


@register.filter
def percent(value: Decimal | None) -> str:
    return format_percent(value)


@register.filter
def can_see_campaigns(user: object) -> bool:
    """Whether the user sees campaigns anywhere (the menu then offers them)."""
    return bool(getattr(user, "is_authenticated", False)) and scope_for(user, CAMPAIGN_VIEW).has_units
