"""What the site header offers a user."""

from __future__ import annotations

from typing import Any

from django import template

from dangvien.accounts import permissions
from dangvien.accounts.models import Role
from dangvien.accounts.permissions import has_role

register = template.Library()


@register.filter
def is_system_admin(user: Any) -> bool:
    """Whether the header shows the Admin link (the same test the admin site applies)."""
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.ADMIN)


@register.filter
def is_officer(user: Any) -> bool:
    """Whether the header offers the officers' links (the API docs)."""
    return bool(getattr(user, "is_authenticated", False)) and permissions.is_officer(user)


@register.filter
def is_cell_secretary(user: Any) -> bool:
    """Whether the header offers the cell's handbook accounts page."""
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.CELL_SECRETARY)
