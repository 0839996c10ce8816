"""Sending notifications: an in-app notice to each recipient, and a copy by email (Django's email
backend) to those with an address. One transaction: the notices, their email flags and the audit
row are written together, and a mail server's refusal leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from dangvien.core.audit import audit_record
from dangvien.notifications.models import Notification


def notification_send(
    *, actor: Any, recipients: Iterable[Any], topic: str, title: str, body: str = "", link: str = "",
    unit: Any = None, email: bool = True,
) -> list[Notification]:
    """One notice per recipient (each user once), emailed to those with an address when `email`.
    `unit` is the org.Unit it concerns (typed Any: notifications sit beside org in the layers)."""
    users = list({user.pk: user for user in recipients}.values())
    sender = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        notices = Notification.objects.bulk_create([
            Notification(recipient=user, sender=sender, topic=topic, title=title, body=body, link=link, unit=unit,
                         emailed=email and bool(user.email))
            for user in users])
        if email:
            send_mass_mail([(title, _email_body(body, link), settings.DEFAULT_FROM_EMAIL, [user.email])
                            for user in users if user.email], fail_silently=False)
        audit_record(actor=actor, action="notification.sent", object_type="notification",
                     object_id=notices[0].pk if notices else None, before={},
                     after={"topic": topic, "title": title, "recipients": [user.pk for user in users],
                            "emailed": [n.recipient_id for n in notices if n.emailed], "link": link},
                     unit_path=unit.path if unit is not None else "")
    return notices


def _email_body(body: str, link: str) -> str:
    return f"{body}\n\n{link}" if link else body
