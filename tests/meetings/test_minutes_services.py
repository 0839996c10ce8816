"""The minutes: who is counted, the draft, stale edits, approval (counts fixed, the meeting HELD,
read-only afterwards), who may write and read them. Expectations are written out by hand from the
minutes_cell described in minutes_fixtures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.models import AuditEntry
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings import minutes_services as services
from dangvien.meetings.models import AttendanceStatus, Meeting, MeetingStatus, Minutes, MinutesStatus, Speech
from tests.clock import NOW
from tests.meetings.minutes_fixtures import (
    STARTS,
    approve,
    make_meeting,
    mark,
    write_draft,
)

pytestmark = pytest.mark.django_db


def _speeches(minutes: Minutes) -> list[tuple[int, str, int | None]]:
    return list(Speech.objects.filter(minutes=minutes).order_by("position").values_list(
        "position", "speaker", "agenda_item_id"))


def test_present_and_total_count_the_expected_members_only(minutes_cell):
    turnout = selectors.meeting_turnout(minutes_cell.meeting)
    assert (turnout.present, turnout.total) == (1, 3)
    assert [(a.name, a.status, a.reason) for a in turnout.absentees] == [
        ("Phạm Văn Bình", "excused", "Ốm"), ("Lê Văn Cường", "", "")]


def test_the_first_save_creates_the_draft_with_its_discussion_in_order(minutes_cell):
    before = AuditEntry.objects.count()
    minutes = write_draft(minutes_cell)
    assert (minutes.status, minutes.version, minutes.chair, minutes.secretary) == (
        "draft", 1, "Nguyễn Thị Hà", "Trần Văn Minh")
    assert _speeches(minutes) == [(1, "Nguyễn Thị Hà", minutes_cell.agenda[0].pk), (2, "Phạm Văn Bình", None)]
    assert (minutes.present_count, minutes.total_count) == (0, 0)  # fixed only at approval
    entry = AuditEntry.objects.order_by("seq").last()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.before, entry.unit_path) == ("meeting.minutes_saved", None, minutes_cell.world.cell_a1.path)
    assert entry.after["chair"] == "Nguyễn Thị Hà" and entry.after["speeches"][1][2] == "Phạm Văn Bình"
    assert minutes_cell.meeting.status == MeetingStatus.SCHEDULED


def test_an_edit_replaces_the_discussion_and_audits_what_changed(minutes_cell):
    minutes = write_draft(minutes_cell)
    minutes = write_draft(minutes_cell, version=1, chair="Phạm Văn Bình",
                          speeches=[services.SpeechEntry("Lê Văn Cường", "Nhất trí.", minutes_cell.agenda[1].pk)])
    assert minutes.version == 2 and minutes.chair == "Phạm Văn Bình"
    assert _speeches(minutes) == [(1, "Lê Văn Cường", minutes_cell.agenda[1].pk)]
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry.before["chair"] == "Nguyễn Thị Hà" and entry.after["chair"] == "Phạm Văn Bình"
    assert "place" not in entry.after  # unchanged fields are not repeated
    assert entry.after["speeches"] == [[1, minutes_cell.agenda[1].pk, "Lê Văn Cường", "Nhất trí."]]


def test_a_stale_edit_is_refused_and_changes_nothing(minutes_cell):
    write_draft(minutes_cell)
    audit = AuditEntry.objects.count()
    with pytest.raises(StaleEdit):  # made on the copy before the first save (version 0)
        write_draft(minutes_cell, version=0, chair="Người khác", speeches=[])
    with pytest.raises(StaleEdit):
        write_draft(minutes_cell, version=5, chair="Người khác", speeches=[])
    minutes = Minutes.objects.get(meeting=minutes_cell.meeting)
    assert (minutes.version, minutes.chair, len(_speeches(minutes))) == (1, "Nguyễn Thị Hà", 2)
    assert AuditEntry.objects.count() == audit


def test_bad_input_names_each_problem_and_writes_nothing(minutes_cell):
    with pytest.raises(ValidationError) as refused:
        write_draft(minutes_cell, chair="  ", ended_at=STARTS - dt.timedelta(minutes=5),
                    speeches=[services.SpeechEntry("Nguyễn Thị Hà", ""), services.SpeechEntry("", "Ý kiến")])
    assert set(refused.value.message_dict) == {"chair", "ended_at", "speeches.1.text", "speeches.2.speaker"}
    with pytest.raises(ValidationError) as refused:
        write_draft(minutes_cell, ended_at=STARTS + dt.timedelta(hours=25))
    assert set(refused.value.message_dict) == {"ended_at"}
    other = make_meeting(minutes_cell.world.cell_a1, topic="Khác")
    from dangvien.meetings.models import AgendaItem

    foreign = AgendaItem.objects.create(meeting=other, position=1, title="Của cuộc họp khác")
    with pytest.raises(ValidationError) as refused:
        write_draft(minutes_cell, speeches=[services.SpeechEntry("Nguyễn Thị Hà", "Ý kiến", foreign.pk)])
    assert set(refused.value.message_dict) == {"agenda_item"}
    assert not Minutes.objects.exists()


def test_only_the_meetings_managers_write_the_minutes(minutes_cell):
    world = minutes_cell.world
    with pytest.raises(PermissionDenied):  # a member of the minutes_cell sees the meeting, does not write
        write_draft(minutes_cell, actor=world.member_user_a1)
    with pytest.raises(NotFound):  # another commune's officer does not see it at all
        write_draft(minutes_cell, actor=world.officer_b)
    assert write_draft(minutes_cell, actor=world.officer_a).version == 1  # the committee above may help


def test_approval_fixes_the_counts_and_sets_the_meeting_held(minutes_cell):
    minutes = approve(minutes_cell, write_draft(minutes_cell))
    assert (minutes.status, minutes.version, minutes.present_count, minutes.total_count) == ("approved", 2, 1, 3)
    assert minutes.approved_at == NOW and minutes.approved_by == minutes_cell.world.secretary_a1
    assert minutes.fixed_absentees == [
        {"member_id": minutes_cell.binh.pk, "name": "Phạm Văn Bình", "status": "excused", "reason": "Ốm"},
        {"member_id": minutes_cell.cuong.pk, "name": "Lê Văn Cường", "status": "", "reason": ""}]
    assert [a["title"] for a in minutes.fixed_agenda] == ["Đánh giá công tác tháng 10", "Phương hướng tháng 12"]
    meeting = Meeting.objects.get(pk=minutes_cell.meeting.pk)
    assert (meeting.status, meeting.held_at, meeting.version) == (MeetingStatus.HELD, NOW, 2)
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry.action == "meeting.minutes_approved"
    assert entry.before == {"status": "draft", "meeting_status": "scheduled", "held_at": None}
    assert (entry.after["status"], entry.after["meeting_status"], entry.after["present"], entry.after["total"]) == (
        "approved", "held", 1, 3)


def test_approved_minutes_keep_what_they_stated_when_attendance_is_corrected(minutes_cell):
    approve(minutes_cell, write_draft(minutes_cell))
    mark(minutes_cell.meeting, minutes_cell.cuong, AttendanceStatus.PRESENT)  # a late correction of the attendance
    minutes_cell.agenda[1].title = "Đổi tên sau cuộc họp"
    minutes_cell.agenda[1].save()
    record = selectors.minutes_record(minutes_cell.meeting, Minutes.objects.get(meeting=minutes_cell.meeting))
    assert (record.present, record.total) == (1, 3)
    assert [a.name for a in record.absentees] == ["Phạm Văn Bình", "Lê Văn Cường"]
    assert [line.title for line in record.agenda] == ["Đánh giá công tác tháng 10", "Phương hướng tháng 12"]
    assert [(s.speaker, s.agenda.position if s.agenda else None) for s in record.speeches] == [
        ("Nguyễn Thị Hà", 1), ("Phạm Văn Bình", None)]


def test_approved_minutes_are_read_only(minutes_cell):
    minutes = approve(minutes_cell, write_draft(minutes_cell))
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        write_draft(minutes_cell, version=minutes.version, chair="Người khác")
    assert refused.value.message_dict == {"minutes": ["The minutes are approved: they can no longer be changed."]}
    with pytest.raises(ValidationError):
        approve(minutes_cell, minutes)
    assert Minutes.objects.get(pk=minutes.pk).chair == "Nguyễn Thị Hà"
    assert AuditEntry.objects.count() == audit


def test_approval_needs_the_end_time_the_conclusions_and_the_attendance(minutes_cell):
    minutes = write_draft(minutes_cell, ended_at=None, conclusions="")
    for attendance in minutes_cell.meeting.attendance.all():
        attendance.delete()
    with pytest.raises(ValidationError) as refused:
        approve(minutes_cell, minutes)
    assert set(refused.value.message_dict) == {"ended_at", "conclusions", "attendance"}
    with pytest.raises(StaleEdit):
        services.minutes_approve(actor=minutes_cell.world.secretary_a1, meeting=minutes_cell.meeting, expected_version=0)
    with pytest.raises(ValidationError) as refused:  # no minutes at all
        services.minutes_approve(actor=minutes_cell.world.secretary_a1, meeting=make_meeting(minutes_cell.world.cell_a1),
                                 expected_version=0)
    assert set(refused.value.message_dict) == {"minutes"}
    assert Meeting.objects.get(pk=minutes_cell.meeting.pk).status == MeetingStatus.SCHEDULED


def test_minutes_of_a_meeting_still_to_come_are_not_approved(minutes_cell):
    later = make_meeting(minutes_cell.world.cell_a1, starts_at=NOW + dt.timedelta(days=2))
    mark(later, minutes_cell.world.member_a1, AttendanceStatus.PRESENT)
    minutes = services.minutes_save(actor=minutes_cell.world.secretary_a1, meeting=later, expected_version=0,
                                    started_at=later.starts_at, ended_at=later.starts_at + dt.timedelta(hours=2),
                                    place="Hội trường", chair="Nguyễn Thị Hà", secretary="Trần Văn Minh",
                                    conclusions="Dự kiến.")
    with pytest.raises(ValidationError) as refused:
        services.minutes_approve(actor=minutes_cell.world.secretary_a1, meeting=later, expected_version=minutes.version)
    assert set(refused.value.message_dict) == {"started_at", "ended_at"}


def test_a_cancelled_meeting_has_no_minutes(minutes_cell):
    Meeting.objects.filter(pk=minutes_cell.meeting.pk).update(status=MeetingStatus.CANCELLED)
    with pytest.raises(ValidationError) as refused:
        write_draft(minutes_cell)
    assert set(refused.value.message_dict) == {"meeting"}


def test_a_draft_is_read_by_its_managers_only(minutes_cell):
    world = minutes_cell.world
    write_draft(minutes_cell)
    assert selectors.minutes_readable(world.secretary_a1, minutes_cell.meeting).status == MinutesStatus.DRAFT
    with pytest.raises(NotFound):
        selectors.minutes_readable(world.member_user_a1, minutes_cell.meeting)
    approve(minutes_cell, Minutes.objects.get(meeting=minutes_cell.meeting))
    assert selectors.minutes_readable(world.member_user_a1, minutes_cell.meeting).status == MinutesStatus.APPROVED


def test_a_committee_meeting_counts_its_invited_members(minutes_cell):
    world = minutes_cell.world
    meeting = make_meeting(world.commune_a, kind="committee", topic="Họp Đảng ủy")
    from dangvien.meetings.models import Invitation

    for member in (world.member_a1, world.member_a2, minutes_cell.dung):
        Invitation.objects.create(meeting=meeting, member=member)
    Invitation.objects.create(meeting=meeting, guest_name="Đại biểu huyện", is_guest=True)
    mark(meeting, world.member_a2, AttendanceStatus.PRESENT)
    turnout = selectors.meeting_turnout(meeting)
    assert (turnout.present, turnout.total) == (1, 2)  # the exempted invitee and the guest do not count
    assert [a.name for a in turnout.absentees] == ["Nguyễn Thị Hà"]
