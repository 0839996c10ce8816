"""Every read of notifications: a user reads their own notices only (another user's is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dangvien.core.errors import NotFound
from dangvien.notifications.models import Notification


def notifications_for(actor: Any, *, unread: bool = False) -> QuerySet[Notification]:
    """The actor's notices, newest first."""
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient_id=actor.pk)
    return rows.filter(read_at__isnull=True) if unread else rows


def notification_get_for(actor: Any, notification_id: int, *, lock: bool = False) -> Notification:
    rows = notifications_for(actor)
    if lock:
        rows = rows.select_for_update()
    notice = rows.filter(pk=notification_id).first()
    if notice is None:
        raise NotFound(_("No such notification."))
    return notice


# A view that has read the number itself (the handbook home, which lists the notices) puts it in
# its context under this name, and the site header shows it instead of counting again.
UNREAD_IN_CONTEXT = "unread_notifications"


def unread_count(actor: Any) -> int:
    """One COUNT over the (recipient, read_at) index: the number in the site header."""
    return notifications_for(actor, unread=True).count()
