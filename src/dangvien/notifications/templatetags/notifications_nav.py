"""The inbox link in the site header, with the number of unread notices (base.html loads it)."""

from typing import Any

from django import template

from dangvien.notifications.selectors import unread_count

register = template.Library()


@register.filter
def unread_notifications(user: Any) -> int:
    """One COUNT on the (recipient, read_at) index, asked only for a logged-in user."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user)
