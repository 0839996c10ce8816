"""SMS copies of notices through the pluggable backend (notifications.sms): sent to members with a
phone when asked, never undoing the in-app notice when the gateway fails."""

from __future__ import annotations

import io

import pytest

from dangvien.core.models import AuditEntry
from dangvien.notifications import sms
from dangvien.notifications.models import Notification
from dangvien.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _send(world, **changes):
    args = {"actor": world.officer_a, "recipients": [world.member_user_a1, world.officer_b],
            "topic": "library.answer", "title": "Chi bộ đã trả lời ý kiến của đồng chí", "body": "Nội dung dài.",
            "link": "/library/documents/7/"}
    return notification_send(**{**args, **changes})


def _phone(member, number):
    member.phone = number
    member.save(update_fields=["phone"])


def test_a_text_goes_to_the_recipients_whose_member_record_has_a_phone(world, sms_outbox, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "SITE_URL": "https://dangvien.example.vn"}
    _phone(world.member_a1, " 0912 345 678 ")
    notices = _send(world, sms=True)
    # officer_b has no member record: the notice only.
    assert [(n.recipient_id, n.texted) for n in notices] == [(world.member_user_a1.pk, True),
                                                              (world.officer_b.pk, False)]
    assert list(Notification.objects.order_by("pk").values_list("texted", flat=True)) == [True, False]
    assert sms_outbox == [sms.SmsMessage(
        to="0912 345 678", text="Chi bộ đã trả lời ý kiến của đồng chí\nhttps://dangvien.example.vn/library/documents/7/")]
    entry = AuditEntry.objects.get(seq__gt=0, action="notification.sent")
    assert entry.after["texted"] == [world.member_user_a1.pk]


def test_no_text_unless_asked(world, sms_outbox):
    _phone(world.member_a1, "0912345678")
    notices = _send(world)
    assert [n.texted for n in notices] == [False, False] and sms_outbox == []


def test_a_member_without_a_phone_gets_no_text(world, sms_outbox):
    _phone(world.member_a1, "")
    notices = _send(world, sms=True)
    assert [n.texted for n in notices] == [False, False] and sms_outbox == []


class RefusingBackend(sms.BaseSmsBackend):
    def send_messages(self, messages):
        raise sms.SmsError("gateway down")


def test_a_gateway_that_refuses_leaves_the_notices_in_app_and_logs_it(world, settings, sms_outbox, caplog):
    settings.DANGVIEN_SMS_BACKEND = f"{__name__}.RefusingBackend"
    _phone(world.member_a1, "0912345678")
    notices = _send(world, sms=True)
    assert Notification.objects.count() == 2
    assert [n.texted for n in notices] == [False, False]
    assert list(Notification.objects.values_list("texted", flat=True)) == [False, False]
    assert "Could not text 1 notices" in caplog.text
    assert AuditEntry.objects.get(seq__gt=0, action="notification.sent").after["texted"] == []


def test_the_console_backend_writes_each_message(capsys):
    sent = sms.sms_backend("dangvien.notifications.sms.ConsoleBackend").send_messages(
        [sms.SmsMessage(to="0912345678", text="Họp chi bộ")])
    assert sent == 1
    assert capsys.readouterr().out == "SMS to 0912345678\nHọp chi bộ\n" + "-" * 40 + "\n"


def test_the_console_backend_is_the_default(settings):
    del settings.DANGVIEN_SMS_BACKEND
    stream = io.StringIO()
    backend = sms.sms_backend(stream=stream)
    assert isinstance(backend, sms.ConsoleBackend)
    backend.send_messages([sms.SmsMessage(to="1", text="a"), sms.SmsMessage(to="2", text="b")])
    assert stream.getvalue().count("SMS to ") == 2
