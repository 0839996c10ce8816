"""The QR check-in, as the handbook's page and its offline queue send it (POST /api/meetings/checkin):
recorded exactly once whatever the resends, a late sync keeps the scan's time, and every refusal
says why and records nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.meetings import services
from dangvien.meetings.models import Attendance, AttendanceStatus, Invitation
from tests.clock import NOW
from tests.factories import make_member
from tests.meetings.fixtures import at, now_meeting, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(world) -> Client:
    client = Client()
    client.force_login(world.member_user_a1)
    return client


def _send(client: Client, token: str, *, key: str = "", scanned_at: dt.datetime | None = None):
    body = {"token": token}
    if scanned_at is not None:
        body["scanned_at"] = scanned_at.isoformat()
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/meetings/checkin", json.dumps(body), content_type="application/json", **headers)


def _checkins() -> int:
    return AuditEntry.objects.filter(action="meeting.checked_in").count()


def test_a_check_in_is_recorded_once_whatever_the_resends(world, member):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    first = _send(member, meeting.checkin_token, key="phone-key-1")
    assert first.status_code == 201, first.content
    row = Attendance.objects.get()
    assert (row.member_id, row.status, row.method, row.checked_in_at, row.idempotency_key) == (
        world.member_a1.pk, "present", "qr", NOW, "phone-key-1")
    again = _send(member, meeting.checkin_token, key="phone-key-1")  # the answer was lost: sent again
    other = _send(member, meeting.checkin_token, key="phone-key-2")  # scanned twice
    assert (again.status_code, other.status_code) == (200, 200)
    assert again.json()["id"] == other.json()["id"] == first.json()["id"]
    assert Attendance.objects.count() == 1 and _checkins() == 1


def test_an_offline_scan_synced_days_later_keeps_its_time(world, member, clock):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    scanned = NOW - dt.timedelta(minutes=5)
    clock.shift(dt.timedelta(days=3))
    member.force_login(world.member_user_a1)  # the session idled out meanwhile
    response = _send(member, meeting.checkin_token, key="queued-1", scanned_at=scanned)
    assert response.status_code == 201, response.content
    row = Attendance.objects.get()
    assert row.checked_in_at == scanned and row.recorded_at == NOW + dt.timedelta(days=3)


def test_a_scan_outside_the_meetings_time_is_refused_with_the_reason(world, member):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)  # 09:30, no end: check-in 08:30 to 13:00
    early = _send(member, meeting.checkin_token, scanned_at=NOW - dt.timedelta(hours=2))
    assert early.status_code == 422
    assert early.json()["detail"] == ("Quét lúc 08:00 21/11/2026, ngoài giờ điểm danh của cuộc họp này "
                                      "(08:30 21/11/2026 đến 13:00 21/11/2026).")
    future = _send(member, meeting.checkin_token, scanned_at=NOW + dt.timedelta(hours=1))
    assert future.status_code == 422 and "scanned_at" in future.json()["errors"]
    assert not Attendance.objects.exists()


def test_a_sync_after_the_grace_days_is_refused(world, member, clock):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    clock.shift(dt.timedelta(days=8))
    member.force_login(world.member_user_a1)
    response = _send(member, meeting.checkin_token, scanned_at=NOW)
    assert response.status_code == 422 and "thư ký" in response.json()["detail"]
    assert not Attendance.objects.exists()


def test_a_wrong_code_or_another_cells_code_is_refused_alike(world, member):
    theirs = now_meeting(world.officer_b, world.cell_b1)
    for token in ("not-a-code", theirs.checkin_token, ""):
        response = _send(member, token)
        assert response.status_code == 422
        assert response.json()["errors"]["token"] == [
            "Mã điểm danh này không thuộc cuộc họp nào của bạn: hãy quét lại mã đang hiển thị tại cuộc họp."]
    assert not Attendance.objects.exists()


def test_the_secretarys_mark_stands_against_a_late_scan(world, member, clock):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    services.attendance_mark(actor=world.secretary_a1, meeting=meeting,
                             marks=[services.Mark(world.member_a1.pk, AttendanceStatus.UNEXCUSED)])
    response = _send(member, meeting.checkin_token, key="late", scanned_at=NOW)
    assert response.status_code == 422 and "Vắng không lý do" in response.json()["detail"]
    services.attendance_mark(actor=world.secretary_a1, meeting=meeting,
                             marks=[services.Mark(world.member_a1.pk, AttendanceStatus.PRESENT)])
    assert _send(member, meeting.checkin_token, key="late", scanned_at=NOW).status_code == 200


def test_a_key_belongs_to_one_check_in(world, member):
    first = now_meeting(world.secretary_a1, world.cell_a1)
    second = schedule(world.secretary_a1, world.cell_a1, starts=NOW - dt.timedelta(minutes=10), kind="thematic",
                      topic="Chuyên đề hai")
    assert _send(member, first.checkin_token, key="same").status_code == 201
    refused = _send(member, second.checkin_token, key="same")
    assert refused.status_code == 422 and "idempotency_key" in refused.json()["errors"]
    # The database holds it too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=second, member=world.member_a1, status="present", method="qr",
                                  recorded_at=NOW, idempotency_key="same")


def test_only_a_member_checks_in_and_not_at_a_cancelled_meeting(world, member):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    officer = Client()
    officer.force_login(world.secretary_a1)
    assert _send(officer, meeting.checkin_token).status_code == 403
    services.meeting_cancel(actor=world.secretary_a1, meeting=meeting, expected_version=1, reason="Mưa lũ")
    response = _send(member, meeting.checkin_token)
    assert response.status_code == 422 and "hủy" in response.json()["detail"]
    assert not Attendance.objects.exists()


def test_the_plain_link_checks_in_with_one_button(world, member):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    page = member.get(f"/meetings/c/{meeting.checkin_token}/")
    assert page.status_code == 200 and "Điểm danh ngay" in page.content.decode()
    assert not Attendance.objects.exists()  # opening the link writes nothing
    response = member.post(f"/meetings/c/{meeting.checkin_token}/", {"idempotency_key": "form-1"})
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    assert Attendance.objects.get().method == "qr"


def test_the_secretary_marks_absences_with_reasons_for_anyone_expected(world):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    no_phone = make_member(world.cell_a1, full_name="Đinh Thị Lan")
    with pytest.raises(Exception) as refused:
        services.attendance_mark(actor=world.secretary_a1, meeting=meeting, marks=[
            services.Mark(no_phone.pk, AttendanceStatus.EXCUSED, "")])
    assert f"member_{no_phone.pk}" in refused.value.message_dict  # an excuse needs its reason
    with pytest.raises(Exception) as refused:
        services.attendance_mark(actor=world.secretary_a1, meeting=meeting, marks=[
            services.Mark(world.member_a2.pk, AttendanceStatus.PRESENT)])  # another cell's member
    assert not Attendance.objects.exists()
    changed = services.attendance_mark(actor=world.secretary_a1, meeting=meeting, marks=[
        services.Mark(no_phone.pk, AttendanceStatus.PRESENT), services.Mark(world.member_a1.pk, "excused", "Ốm")])
    assert {(a.member_id, a.status, a.reason, a.method) for a in changed} == {
        (no_phone.pk, "present", "", "secretary"), (world.member_a1.pk, "excused", "Ốm", "secretary")}
    # The member registered after the meeting started is now counted.
    assert Invitation.objects.filter(meeting=meeting, member=no_phone, is_guest=False).exists()
    assert services.attendance_mark(actor=world.secretary_a1, meeting=meeting, marks=[
        services.Mark(no_phone.pk, AttendanceStatus.PRESENT)]) == []  # unchanged: nothing written


def test_attendance_is_not_recorded_before_the_day(world):
    meeting = schedule(world.secretary_a1, world.cell_a1, starts=at(dt.date(2026, 12, 10)))
    with pytest.raises(Exception) as refused:
        services.attendance_mark(actor=world.secretary_a1, meeting=meeting, marks=[
            services.Mark(world.member_a1.pk, AttendanceStatus.PRESENT)])
    assert "meeting" in refused.value.message_dict
