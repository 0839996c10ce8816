"""What the site header offers a user."""

from __future__ import annotations

from typing import Any

from django import template

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import grants, has_role

register = template.Library()


@register.filter
def is_system_admin(user: Any) -> bool:
    """Whether the header shows the Admin link (the same test the admin site applies)."""
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.ADMIN)


@register.filter
def is_officer(user: Any) -> bool:
    """Whether the user holds any role but member (the header then offers the API docs)."""
    if not getattr(user, "is_authenticated", False):
        return False
    held = grants(user)
    return held.is_admin or bool(held.roles - {Role.MEMBER})
