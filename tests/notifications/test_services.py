"""Sending notices (in-app and by email) and reading them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.notifications.models import Notification
from dangvien.notifications.selectors import notifications_for, unread_count
from dangvien.notifications.services import (
    notification_mark_read,
    notification_send,
    notifications_mark_all_read,
)
from tests.clock import NOW

pytestmark = pytest.mark.django_db


def _send(world, **changes):
    args = {"actor": world.province_officer, "recipients": [world.officer_a, world.officer_b, world.officer_a],
            "topic": "campaign.urge", "title": "Đẩy nhanh tiến độ đổi thẻ", "body": "Xã còn 29 đảng viên.",
            "link": "/campaigns/1/", "unit": world.commune_a}
    return notification_send(**{**args, **changes})


def test_each_recipient_gets_one_notice_and_an_email_copy_if_they_have_an_address(world):
    world.officer_a.email = "xa_a@example.vn"
    world.officer_a.save()
    audit_before = AuditEntry.objects.count()
    notices = _send(world)
    assert [(n.recipient_id, n.emailed) for n in notices] == [(world.officer_a.pk, True), (world.officer_b.pk, False)]
    stored = Notification.objects.order_by("pk")
    assert [(n.recipient_id, n.sender_id, n.topic, n.title, n.link, n.unit_id, n.emailed) for n in stored] == [
        (world.officer_a.pk, world.province_officer.pk, "campaign.urge", "Đẩy nhanh tiến độ đổi thẻ", "/campaigns/1/",
         world.commune_a.pk, True),
        (world.officer_b.pk, world.province_officer.pk, "campaign.urge", "Đẩy nhanh tiến độ đổi thẻ", "/campaigns/1/",
         world.commune_a.pk, False)]
    assert len(mail.outbox) == 1
    assert (mail.outbox[0].to, mail.outbox[0].subject, mail.outbox[0].body) == (
        ["xa_a@example.vn"], "Đẩy nhanh tiến độ đổi thẻ", "Xã còn 29 đảng viên.")
    entry = AuditEntry.objects.get(seq__gt=0, action="notification.sent")
    assert AuditEntry.objects.count() == audit_before + 1
    assert entry.after["recipients"] == [world.officer_a.pk, world.officer_b.pk]
    assert entry.after["emailed"] == [world.officer_a.pk]
    assert entry.unit_path == world.commune_a.path


def test_no_email_when_asked_not_to(world):
    world.officer_a.email = "xa_a@example.vn"
    world.officer_a.save()
    notices = _send(world, email=False)
    assert [n.emailed for n in notices] == [False, False] and not mail.outbox


def test_a_mail_server_that_refuses_leaves_the_notices_unemailed(world, settings, monkeypatch):
    world.officer_a.email = "xa_a@example.vn"
    world.officer_a.save()

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("dangvien.notifications.services.send_mass_mail", refuse)
    notices = _send(world)
    assert [n.emailed for n in notices] == [False, False]
    assert list(Notification.objects.values_list("emailed", flat=True)) == [False, False]


def test_the_site_address_makes_the_link_absolute_in_the_email(world, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "SITE_URL": "https://dangvien.example.vn/"}
    world.officer_a.email = "xa_a@example.vn"
    world.officer_a.save()
    _send(world, recipients=[world.officer_a])
    assert mail.outbox[0].body == "Xã còn 29 đảng viên.\n\nhttps://dangvien.example.vn/campaigns/1/"


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "   "}, "title"), ({"title": "x" * 201}, "title"), ({"topic": ""}, "topic"),
    ({"link": "https://evil.example/"}, "link"), ({"link": "//evil.example/"}, "link"),
])
def test_bad_notices_are_refused_and_nothing_is_sent(world, changes, field):
    with pytest.raises(ValidationError) as error:
        _send(world, **changes)
    assert field in error.value.message_dict
    assert not Notification.objects.exists() and not mail.outbox


def test_reading_is_the_recipients_own(world):
    notice_a, notice_b = _send(world)
    assert unread_count(world.officer_a) == 1
    read = notification_mark_read(actor=world.officer_a, notification=notice_a)
    assert read.read_at == NOW
    assert unread_count(world.officer_a) == 0 and unread_count(world.officer_b) == 1
    audit_rows = AuditEntry.objects.filter(action="notification.read").count()
    notification_mark_read(actor=world.officer_a, notification=notice_a)  # again: nothing changes
    assert AuditEntry.objects.filter(action="notification.read").count() == audit_rows == 1
    with pytest.raises(NotFound):
        notification_mark_read(actor=world.officer_a, notification=notice_b)
    assert list(notifications_for(world.officer_b)) == [notice_b]


def test_mark_all_read(world):
    _send(world)
    _send(world, title="Lần hai")
    assert notifications_mark_all_read(actor=world.officer_a) == 2
    assert unread_count(world.officer_a) == 0 and unread_count(world.officer_b) == 2
    assert notifications_mark_all_read(actor=world.officer_a) == 0
