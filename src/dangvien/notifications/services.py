"""Every write to notifications: sending a notice to users (in-app, and copies by email through
Django's email backend and by SMS through notifications.sms), and a recipient marking notices read. Each service runs in one transaction
and writes an audit row ("notification.*")."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.core.audit import audit_record
from dangvien.core.text import clean, nfc
from dangvien.notifications.models import Notification
from dangvien.notifications.selectors import notification_get_for
from dangvien.notifications.sms import SmsError, SmsMessage, sms_send

if TYPE_CHECKING:  # org sits beside notifications in the layers: the type only, never the module
    from dangvien.org.models import Unit

log = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length
TOPIC_MAX = Notification._meta.get_field("topic").max_length
LINK_MAX = Notification._meta.get_field("link").max_length


def _check(topic: str, title: str, link: str) -> None:
    errors: dict[str, list[str]] = {}
    if not topic or len(topic) > TOPIC_MAX:  # type: ignore[operator]
        errors["topic"] = [_("A notice needs a topic of at most %(n)s characters.") % {"n": TOPIC_MAX}]
    if not title:
        errors["title"] = [_("A notice needs a title.")]
    elif len(title) > TITLE_MAX:  # type: ignore[operator]
        errors["title"] = [_("The title is longer than %(n)s characters.") % {"n": TITLE_MAX}]
    if link and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX):  # type: ignore[operator]
        errors["link"] = [_("The link must be a path on this site.")]
    if errors:
        raise ValidationError(errors)


def _email_text(title: str, body: str, link: str) -> str:
    """The email's text: the message and, when the site's address is configured, the link."""
    site = str(settings.DANGVIEN.get("SITE_URL", "")).rstrip("/")
    return "\n\n".join(part for part in (body, f"{site}{link}" if site and link else "") if part) or title


def notification_send(
    *, actor: Any, recipients: Iterable[User], topic: str, title: str, body: str = "", link: str = "",
    unit: Unit | None = None, email: bool = True, sms: bool = False,
) -> list[Notification]:
    """A notice to each recipient (each user once), with `email` a copy to those who have an email
    address, and with `sms` a text to those whose member record has a phone. A mail server or SMS
    gateway that refuses the copies does not undo the notices: they stay in-app with `emailed` or
    `texted` false, and the failure is logged."""
    title, body, topic, link = clean(title), nfc(body).strip(), topic.strip(), link.strip()
    _check(topic, title, link)
    people = list({user.pk: user for user in recipients}.values())
    sender = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        notices = Notification.objects.bulk_create([
            Notification(recipient=user, sender=sender, topic=topic, title=title, body=body, link=link, unit=unit)
            for user in people])
        mailed = _mail(notices, title, body, link) if email else []
        texted = _text(notices, title, link) if sms else []
        audit_record(actor=actor, action="notification.sent", object_type="notification",
                     object_id=notices[0].pk if notices else "",
                     after={"topic": topic, "title": title, "link": link, "recipients": [u.pk for u in people],
                            "emailed": [n.recipient_id for n in mailed],
                            "texted": [n.recipient_id for n in texted], "unit": unit.code if unit else None},
                     unit_path=unit.path if unit else "")
    return notices


def _mail(notices: list[Notification], title: str, body: str, link: str) -> list[Notification]:
    """Email the notices whose recipient has an address; the ones sent, marked emailed."""
    addressed = [n for n in notices if n.recipient.email]
    if not addressed:
        return []
    text = _email_text(title, body, link)
    messages = [(title, text, None, [n.recipient.email]) for n in addressed]
    try:
        send_mass_mail(messages, fail_silently=False)
    except OSError:  # smtplib's errors are OSErrors: the notices stand without their copies
        log.exception("Could not email %s notices (%s)", len(addressed), title)
        return []
    Notification.objects.filter(pk__in=[n.pk for n in addressed]).update(emailed=True)
    for notice in addressed:
        notice.emailed = True
    return addressed


def _text(notices: list[Notification], title: str, link: str) -> list[Notification]:
    """Text the notices whose recipient is a member with a phone on record; the ones sent, marked
    texted. The text is the title and the link only: a Vietnamese SMS (UCS-2) holds 70 characters a
    part, and the message itself is read in the app."""
    # User.member is read through the accounts model: members sit above notifications in the layers.
    phones = dict(User.objects.filter(pk__in=[n.recipient_id for n in notices]).exclude(member__phone="")
                  .filter(member__isnull=False).values_list("pk", "member__phone"))
    addressed = [n for n in notices if phones.get(n.recipient_id, "").strip()]
    if not addressed:
        return []
    site = str(settings.DANGVIEN.get("SITE_URL", "")).rstrip("/")
    text = "\n".join(part for part in (title, f"{site}{link}" if site and link else "") if part)
    try:
        sms_send([SmsMessage(to=phones[n.recipient_id].strip(), text=text) for n in addressed])
    except (SmsError, OSError):  # the gateway's failure: the notices stand without their texts
        log.exception("Could not text %s notices (%s)", len(addressed), title)
        return []
    Notification.objects.filter(pk__in=[n.pk for n in addressed]).update(texted=True)
    for notice in addressed:
        notice.texted = True
    return addressed


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """The recipient has read the notice (reading it again changes nothing)."""
    with transaction.atomic():
        notice = notification_get_for(actor, notification.pk, lock=True)
        if notice.read_at is None:
            notice.read_at = timezone.now()
            notice.save(update_fields=["read_at"])
            audit_record(actor=actor, action="notification.read", object_type="notification", object_id=notice.pk,
                         before={"read_at": None}, after={"read_at": notice.read_at.isoformat()})
    return notice


def notifications_mark_all_read(*, actor: Any) -> int:
    """Every unread notice of the actor read; how many there were."""
    with transaction.atomic():
        now = timezone.now()
        count = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=now)
        if count:
            audit_record(actor=actor, action="notification.read_all", object_type="user", object_id=actor.pk,
                         after={"read": count, "read_at": now.isoformat()})
    return count
