"""The meetings' services: scheduling with its invitations and notices, changes and cancelling,
reminders (once, from cron), documents, guests. Each refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dangvien.core.models import AuditEntry
from dangvien.meetings import selectors, services
from dangvien.meetings.models import Attachment, Invitation, Meeting, MeetingStatus
from dangvien.members.models import Member, Status
from dangvien.notifications.models import Notification
from tests.clock import NOW
from tests.factories import make_member
from tests.library.fixtures import pdf_upload, publish
from tests.meetings.fixtures import at, schedule

pytestmark = pytest.mark.django_db

DEC_10 = at(dt.date(2026, 12, 10))


def _invited(meeting: Meeting) -> set[int]:
    return set(Invitation.objects.filter(meeting=meeting, is_guest=False).values_list("member_id", flat=True))


def test_scheduling_invites_the_roll_and_tells_each_member_how_they_can_be_reached(world, sms_outbox):
    world.member_user_a1.email = "ha@example.org"
    world.member_user_a1.save()
    probationer = make_member(world.cell_a1, full_name="Võ Văn Bình", status=Status.PROBATIONARY,
                              admission=dt.date(2026, 3, 2))
    no_phone_app = make_member(world.cell_a1, full_name="Đinh Thị Lan", phone="0905123456")
    Member.objects.filter(pk=no_phone_app.pk).update(has_smartphone=False)  # marked by the secretary
    exempted = make_member(world.cell_a1, full_name="Hà Văn Tư", status=Status.EXEMPTED)

    meeting = schedule(world.secretary_a1, world.cell_a1, agenda=["Kiểm điểm tháng 11", " ", "Kế hoạch tháng 12"])

    assert meeting.registered_at == NOW and meeting.registered_by == world.secretary_a1
    assert len(meeting.checkin_token) == 43
    assert [a.title for a in meeting.agenda.all()] == ["Kiểm điểm tháng 11", "Kế hoạch tháng 12"]
    # Official and probationary members are expected; the exempted one is not.
    assert _invited(meeting) == {world.member_a1.pk, probationer.pk, no_phone_app.pk}
    assert exempted.pk not in set(selectors.expected_members(meeting).values_list("pk", flat=True))
    notice = Notification.objects.get(recipient=world.member_user_a1)
    assert notice.topic == "meeting.invitation" and notice.link == f"/meetings/{meeting.pk}/"
    assert "Sinh hoạt chi bộ thường kỳ" in notice.body and "19:30 10/12/2026" in notice.body
    assert [m.to for m in mail.outbox] == [["ha@example.org"]]
    # No account, no smartphone, a phone on record: an SMS straight through the gateway.
    assert [(m.to, "10/12/2026" in m.text) for m in sms_outbox] == [("0905123456", True)]
    entry = AuditEntry.objects.get(action="meeting.scheduled")
    assert entry.after["on_time"] is True and entry.after["texted"] == [no_phone_app.pk]
    assert entry.after["notified"] == [world.member_user_a1.pk]


@pytest.mark.parametrize(("unit", "kind", "field"), [
    ("cell_a1", "committee", "kind"), ("commune_a", "regular", "kind"), ("commune_a", "thematic", "kind")])
def test_a_meeting_kind_must_fit_the_unit(world, unit, kind, field):
    with pytest.raises(ValidationError) as refused:
        schedule(world.officer_a, getattr(world, unit), kind=kind)
    assert field in refused.value.message_dict
    assert not Meeting.objects.exists()


def test_bad_times_are_refused_with_their_field(world):
    cases = [({"starts": NOW - dt.timedelta(days=70)}, "starts_at"),
             ({"starts": NOW + dt.timedelta(days=500)}, "starts_at"),
             ({"ends_at": DEC_10 - dt.timedelta(minutes=1)}, "ends_at"),
             ({"ends_at": DEC_10 + dt.timedelta(hours=13)}, "ends_at")]
    for extra, field in cases:
        with pytest.raises(ValidationError) as refused:
            schedule(world.secretary_a1, world.cell_a1, **extra)
        assert list(refused.value.message_dict) == [field], extra
    assert not Meeting.objects.exists() and not AuditEntry.objects.filter(action__startswith="meeting.").exists()


def test_one_regular_meeting_a_month_and_a_thematic_one_besides(world):
    schedule(world.secretary_a1, world.cell_a1)
    with pytest.raises(ValidationError) as refused:
        schedule(world.secretary_a1, world.cell_a1, starts=at(dt.date(2026, 12, 28)))
    assert "12/2026" in refused.value.message_dict["starts_at"][0]
    schedule(world.secretary_a1, world.cell_a1, starts=at(dt.date(2026, 12, 28)), kind="thematic")
    assert Meeting.objects.count() == 2


def test_a_secretary_schedules_only_for_their_own_cell(world):
    with pytest.raises(PermissionDenied):
        schedule(world.secretary_a1, world.cell_a2)
    assert not Meeting.objects.exists() and not Notification.objects.exists()


def test_moving_a_meeting_tells_the_invitees_and_reminds_them_again(world, clock):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    Invitation.objects.filter(meeting=meeting).update(reminded_at=NOW)
    moved = services.meeting_update(actor=world.secretary_a1, meeting=meeting, expected_version=1, kind="regular",
                                    topic=meeting.topic, place=meeting.place, starts_at=at(dt.date(2026, 12, 12), 8, 0))
    assert moved.version == 2
    notice = Notification.objects.filter(topic="meeting.changed").get()
    assert notice.recipient == world.member_user_a1 and "08:00 12/12/2026" in notice.title
    assert not Invitation.objects.filter(meeting=meeting, reminded_at__isnull=False).exists()
    entry = AuditEntry.objects.get(action="meeting.updated")
    assert set(entry.before) == {"starts_at"} and entry.after["notified"] == [world.member_user_a1.pk]
    # A stale copy is refused; a new topic alone tells nobody.
    with pytest.raises(ValidationError):
        services.meeting_update(actor=world.secretary_a1, meeting=meeting, expected_version=1, kind="regular",
                                topic="Khác", place=meeting.place, starts_at=moved.starts_at)
    services.meeting_update(actor=world.secretary_a1, meeting=meeting, expected_version=2, kind="regular",
                            topic="Chuyên đề mới", place=meeting.place, starts_at=moved.starts_at)
    assert Notification.objects.filter(topic="meeting.changed").count() == 1


def test_cancelling_needs_a_reason_tells_the_invitees_and_ends_the_changes(world):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=world.secretary_a1, meeting=meeting, expected_version=1, reason="  ")
    cancelled = services.meeting_cancel(actor=world.secretary_a1, meeting=meeting, expected_version=1,
                                        reason="Bão số 13")
    assert cancelled.status == MeetingStatus.CANCELLED
    notice = Notification.objects.get(topic="meeting.cancelled")
    assert notice.body == "Lý do: Bão số 13"
    with pytest.raises(ValidationError):
        services.agenda_item_add(actor=world.secretary_a1, meeting=meeting, title="Thêm")
    # A member who sees the meeting may not change it (403, not 404).
    with pytest.raises(PermissionDenied):
        services.agenda_item_add(actor=world.member_user_a1, meeting=meeting, title="Thêm")


def test_reminders_go_once_to_each_invitee_of_meetings_within_a_day(world, clock, capsys):
    soon = schedule(world.secretary_a1, world.cell_a1, starts=NOW + dt.timedelta(hours=20), kind="thematic")
    later = schedule(world.secretary_a1, world.cell_a1, starts=NOW + dt.timedelta(hours=30), kind="thematic",
                     topic="Chuyên đề khác")
    call_command("meetings", "remind")
    assert "1 invitations reminded" in capsys.readouterr().out
    assert Notification.objects.filter(topic="meeting.reminder").count() == 1
    assert Invitation.objects.get(meeting=soon).reminded_at == NOW
    assert Invitation.objects.get(meeting=later).reminded_at is None
    assert services.reminders_send() == 0  # cron again: nothing twice
    clock.shift(dt.timedelta(hours=7))
    assert services.reminders_send() == 1  # the later one is within a day now
    assert Notification.objects.filter(topic="meeting.reminder").count() == 2


def test_the_roll_is_followed_until_the_meeting_starts(world, clock):
    meeting = schedule(world.secretary_a1, world.cell_a1, starts=NOW + dt.timedelta(hours=20), kind="thematic")
    newcomer = make_member(world.cell_a1, full_name="Lò Văn Minh")
    from dangvien.members.services import member_exempt

    member_exempt(actor=world.admin, member=world.member_a1, expected_version=world.member_a1.version,
                  date=dt.date(2026, 11, 21), reason="Tuổi cao")
    services.reminders_send()
    assert _invited(meeting) == {newcomer.pk}
    clock.shift(dt.timedelta(hours=21))  # started: the list is the meeting's record now
    make_member(world.cell_a1, full_name="Mã Thị Sáu")
    services.reminders_send()
    assert _invited(meeting) == {newcomer.pk}


def test_documents_are_checked_and_a_refused_file_leaves_nothing(world, settings, tmp_path):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    attachment = services.attachment_add(actor=world.secretary_a1, meeting=meeting, upload=pdf_upload())
    assert attachment.file_size > 0 and attachment.file.name.startswith("meetings/")
    program = SimpleUploadedFile("nghi-quyet.pdf", b"MZ\x90\x00" + b"x" * 100, content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        services.attachment_add(actor=world.secretary_a1, meeting=meeting, upload=program)
    assert "PDF" in refused.value.message_dict["file"][0]
    settings.DANGVIEN = {**settings.DANGVIEN, "MEETING_ATTACHMENT_MAX_BYTES": 10}
    with pytest.raises(ValidationError) as refused:
        services.attachment_add(actor=world.secretary_a1, meeting=meeting, upload=pdf_upload())
    assert "MB" in refused.value.message_dict["file"][0]
    assert Attachment.objects.count() == 1
    assert sorted(p.name for p in (settings.MEDIA_ROOT / "meetings").iterdir()) == [attachment.file.name.split("/")[1]]


def test_a_library_document_must_be_published_for_the_meetings_unit_or_above(world):
    meeting = schedule(world.officer_a, world.cell_a1)
    for_the_province = publish(world, world.province, "Nghị quyết tỉnh")
    for_a_sibling = publish(world, world.cell_a2, "Văn bản chi bộ 2")
    with pytest.raises(ValidationError) as refused:
        services.attachment_add(actor=world.officer_a, meeting=meeting, document=for_a_sibling)
    assert "Chi bộ Giáo viên 2" in refused.value.message_dict["document"][0]
    attached = services.attachment_add(actor=world.officer_a, meeting=meeting, document=for_the_province)
    assert attached.title == "Nghị quyết tỉnh" and not attached.file


def test_guests_are_told_but_never_counted(world):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    services.invitation_add_guest(actor=world.secretary_a1, meeting=meeting, name="Đồng chí Bí thư Đảng ủy xã")
    guest = services.invitation_add_guest(actor=world.officer_a, meeting=meeting, member=world.member_a2)
    assert set(selectors.expected_members(meeting).values_list("pk", flat=True)) == {world.member_a1.pk}
    with pytest.raises(ValidationError):
        services.invitation_add_guest(actor=world.officer_a, meeting=meeting, member=world.member_a2)
    roll = Invitation.objects.get(meeting=meeting, member=world.member_a1)
    with pytest.raises(ValidationError):
        services.invitation_remove(actor=world.secretary_a1, invitation=roll)
    services.invitation_remove(actor=world.secretary_a1, invitation=guest)
    assert Invitation.objects.filter(meeting=meeting).count() == 2


def test_a_committee_meeting_expects_the_members_invited_so(world):
    meeting = schedule(world.officer_a, world.commune_a, kind="committee", topic="Hội nghị Ban Chấp hành")
    assert not Invitation.objects.filter(meeting=meeting).exists()
    services.invitation_add_member(actor=world.officer_a, meeting=meeting, member=world.member_a2)
    assert list(selectors.expected_members(meeting)) == [world.member_a2]
