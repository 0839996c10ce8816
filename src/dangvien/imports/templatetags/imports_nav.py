from typing import Any

from django import template

from dangvien.accounts.permissions import Perm, scope_paths

register = template.Library()


@register.filter
def can_import(user: Any) -> bool:
    """Whether the user manages members anywhere (the nav then offers the import pages)."""
    if not getattr(user, "is_authenticated", False):
        return False
    paths = scope_paths(user, Perm.MEMBER_MANAGE)
    return paths is None or bool(paths)
