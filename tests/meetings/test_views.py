"""The meetings' pages: the secretary's schedule form, meeting page and attendance form; the
member's "my meetings" (linked from the handbook home), which never shows the check-in code."""

from __future__ import annotations

import pytest
from django.test import Client

from dangvien.meetings.models import Attachment, Attendance, Invitation, Meeting
from tests.library.fixtures import pdf_upload
from tests.meetings.fixtures import now_meeting, schedule

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_secretary_schedules_from_the_form_and_errors_keep_the_form(world):
    secretary = _client(world.secretary_a1)
    form = secretary.get("/meetings/new/")  # one cell: straight to its form
    assert form.status_code == 302 and form["Location"] == f"/meetings/new/?unit={world.cell_a1.pk}"
    data = {"kind": "regular", "topic": "Sinh hoạt tháng 12", "place": "Nhà văn hóa", "day": "2026-12-10",
            "start": "19:30", "end": "21:00", "agenda": "Kiểm điểm\nKế hoạch"}
    bad = secretary.post(f"/meetings/new/?unit={world.cell_a1.pk}", {**data, "end": "19:00"})
    assert bad.status_code == 400 and "Cuộc họp phải kết thúc sau khi bắt đầu." in bad.content.decode()
    assert not Meeting.objects.exists()
    done = secretary.post(f"/meetings/new/?unit={world.cell_a1.pk}", data)
    meeting = Meeting.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.ends_at.hour == 14  # 21:00 in Hà Nội time is 14:00 UTC
    assert list(meeting.agenda.values_list("title", flat=True)) == ["Kiểm điểm", "Kế hoạch"]


def test_the_meeting_page_carries_the_qr_for_the_secretary_only(world):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    page = _client(world.secretary_a1).get(f"/meetings/{meeting.pk}/").content.decode()
    assert '<svg viewBox="0 0 ' in page and f"/meetings/c/{meeting.checkin_token}/" in page
    assert f'name="status_{world.member_a1.pk}"' in page
    member_page = _client(world.member_user_a1).get(f"/meetings/{meeting.pk}/")
    body = member_page.content.decode()
    assert member_page.status_code == 200 and meeting.checkin_token not in body and "<svg" not in body
    assert member_page["X-Dangvien-Offline-Copy"] == str(world.member_user_a1.pk)
    assert _client(world.member_user_a1).get(f"/meetings/{meeting.pk}/qr/").status_code == 403


def test_attendance_agenda_documents_and_guests_from_the_page(world):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    secretary = _client(world.secretary_a1)
    saved = secretary.post(f"/meetings/{meeting.pk}/attendance/", {
        f"status_{world.member_a1.pk}": "excused", f"reason_{world.member_a1.pk}": "Ốm"})
    assert saved.status_code == 302
    assert Attendance.objects.get().reason == "Ốm"
    secretary.post(f"/meetings/{meeting.pk}/agenda/", {"title": "Thông báo", "presenter": ""})
    secretary.post(f"/meetings/{meeting.pk}/attachments/", {"title": "", "file": pdf_upload(), "document": ""})
    secretary.post(f"/meetings/{meeting.pk}/invitations/", {"name": "Đồng chí Bí thư xã", "member": ""})
    assert meeting.agenda.get().title == "Thông báo"
    attachment = Attachment.objects.get()
    assert Invitation.objects.filter(meeting=meeting, guest_name="Đồng chí Bí thư xã").exists()
    download = _client(world.member_user_a1).get(f"/meetings/attachments/{attachment.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")


def test_my_meetings_from_the_handbook_home_and_the_check_in_page_kept_offline(world):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    other = schedule(world.officer_a, world.cell_a2)
    member = _client(world.member_user_a1)
    assert 'href="/meetings/mine/"' in member.get("/handbook/").content.decode()
    mine = member.get("/meetings/mine/")
    body = mine.content.decode()
    assert f'href="/meetings/{meeting.pk}/"' in body and f'href="/meetings/{other.pk}/"' not in body
    assert mine["X-Dangvien-Offline-Copy"] == str(world.member_user_a1.pk)
    checkin = member.get("/meetings/checkin/")
    assert checkin.status_code == 200 and checkin["X-Dangvien-Offline-Copy"] == str(world.member_user_a1.pk)
    assert member.get("/meetings/mine/attendance/").status_code == 200
    # The service worker knows the check-in page and the prefix of the QR's addresses.
    worker = member.get("/handbook/sw.js").content.decode()
    assert 'var CHECKIN_PAGE = "/meetings/checkin/";' in worker and 'CHECKIN_LINK_PREFIX = "/meetings/c/";' in worker
    # A login without a member record has no "my meetings"; the list sends a member there.
    assert _client(world.secretary_a1).get("/meetings/mine/").status_code == 404
    assert member.get("/meetings/")["Location"] == "/meetings/mine/"


def test_the_committee_page_lists_cells_without_a_meeting(world):
    schedule(world.secretary_a1, world.cell_a1)
    page = _client(world.officer_a).get(f"/meetings/units/{world.commune_a.pk}/registrations/?month=2026-12")
    body = page.content.decode()
    assert page.status_code == 200 and "Chi bộ Giáo viên 2" in body
    assert body.index("Chi bộ Giáo viên 2") < body.index("Đã đăng ký muộn")  # under "none", not "late"
    assert "Chi bộ Giáo viên 1" not in body  # registered on time: only counted


def test_cell_attendance_page(world):
    meeting = now_meeting(world.secretary_a1, world.cell_a1)
    _client(world.secretary_a1).post(f"/meetings/{meeting.pk}/attendance/",
                                     {f"status_{world.member_a1.pk}": "unexcused"})
    page = _client(world.secretary_a1).get(f"/meetings/units/{world.cell_a1.pk}/attendance/?year=2026")
    assert page.status_code == 200 and world.member_a1.full_name in page.content.decode()
