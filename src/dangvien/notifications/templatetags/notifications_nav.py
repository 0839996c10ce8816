"""The inbox link in the site header, with the number of unread notices (base.html loads it)."""

from typing import Any

from django import template

from dangvien.notifications.selectors import UNREAD_IN_CONTEXT, unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: Any) -> int:
    """The view's own count, else one COUNT on the (recipient, read_at) index, asked only for a
    logged-in user."""
    known = context.get(UNREAD_IN_CONTEXT)
    if known is not None:
        return known
    user = context.get("user")
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user)
