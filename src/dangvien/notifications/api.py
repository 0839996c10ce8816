"""JSON API over the user's own notices, under /api/notifications: the list (newest first) and
marking one read. Reads through selectors.py, writes through services.py, errors in the API's one
shape (dangvien/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dangvien.notifications import services
from dangvien.notifications.models import Notification
from dangvien.notifications.selectors import notification_get_for, notifications_for

router = Router(tags=["notifications"])

PAGE_SIZE = 50


class NotificationOut(Schema):
    id: int
    topic: str = Field(description='What it is about, e.g. "campaign.urge", "fieldwork.difficulty".')
    title: str
    body: str
    link: str = Field(description="A path on this site, or empty.")
    sender: str | None = Field(description="The sender's username; null for the system.")
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed: bool

    @staticmethod
    def resolve_sender(notice: Notification) -> str | None:
        return notice.sender.username if notice.sender else None


class NotificationPage(Schema):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int


class NotificationQuery(Schema):
    unread: bool = Field(False, description="Only the unread ones.")
    page: int = Field(1, ge=1, le=1_000_000)


@router.get("", response=NotificationPage, summary="My notifications, newest first")
def list_notifications(request: HttpRequest, params: Query[NotificationQuery]) -> dict[str, Any]:
    rows = notifications_for(request.user, unread=params.unread).select_related("sender")
    start = (params.page - 1) * PAGE_SIZE
    return {"items": list(rows[start:start + PAGE_SIZE]), "total": rows.count(),
            "unread": notifications_for(request.user, unread=True).count(), "page": params.page}


@router.post("/{id:notification_id}/read", response=NotificationOut, summary="Mark one of my notifications read")
def read_notification(request: HttpRequest, notification_id: int) -> Notification:
    notice = notification_get_for(request.user, notification_id)
    return services.notification_mark_read(actor=request.user, notification=notice)
