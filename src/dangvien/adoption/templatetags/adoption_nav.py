"""The menu entry of the handbook adoption report."""

from __future__ import annotations

from django import template

from dangvien.accounts.permissions import scope_for
from dangvien.adoption.permissions import ADOPTION_VIEW

register = template.Library()


@register.filter
def can_see_adoption(user: object) -> bool:
    """Whether the user sees the adoption report of some unit (the menu then offers it)."""
    return bool(getattr(user, "is_authenticated", False)) and scope_for(user, ADOPTION_VIEW).has_units
