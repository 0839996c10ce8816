from typing import Any

from django import template

from dangvien.accounts.permissions import scope_for
from dangvien.members.permissions import MEMBER_MANAGE

register = template.Library()


@register.filter
def can_import(user: Any) -> bool:
    """Whether the user manages members anywhere (the nav then offers the import pages)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return scope_for(user, MEMBER_MANAGE).has_units
