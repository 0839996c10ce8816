"""The meetings' reads: who sees which meetings (MUST-SHOW: a secretary manages only their cell's
meetings, a member sees only their cells' meetings and their invitations), the absence rule over a
year, and the committee's list of cells registering late."""

from __future__ import annotations

import datetime as dt

import pytest

from dangvien.meetings import rules, selectors, services
from dangvien.meetings.models import AttendanceStatus, Meeting
from tests.clock import NOW
from tests.meetings.fixtures import at, schedule

pytestmark = pytest.mark.django_db


def _ids(rows) -> set[int]:
    return {m.pk for m in rows}


def test_a_secretary_manages_only_their_cells_meetings_and_a_member_sees_only_theirs(world):
    a1 = schedule(world.secretary_a1, world.cell_a1)
    a2 = schedule(world.officer_a, world.cell_a2)
    b1 = schedule(world.officer_b, world.cell_b1)
    commune = schedule(world.officer_a, world.commune_a, kind="committee", topic="Hội nghị Ban Thường vụ")
    assert _ids(selectors.meetings_managed_by(world.secretary_a1)) == {a1.pk}
    assert _ids(selectors.meetings_visible_to(world.secretary_a1)) == {a1.pk}
    assert _ids(selectors.meetings_managed_by(world.officer_a)) == {a1.pk, a2.pk, commune.pk}
    assert _ids(selectors.meetings_visible_to(world.card_officer_a)) == set()
    assert _ids(selectors.meetings_visible_to(world.member_user_a1)) == {a1.pk}
    assert _ids(selectors.meetings_managed_by(world.member_user_a1)) == set()
    # Invited as a guest elsewhere: that meeting too, and nothing else of that cell.
    services.invitation_add_guest(actor=world.officer_b, meeting=b1, member=world.member_a1)
    assert _ids(selectors.meetings_visible_to(world.member_user_a1)) == {a1.pk, b1.pk}
    assert [r.meeting.pk for r in selectors.my_meetings(world.member_user_a1)] == [a1.pk, b1.pk]
    with pytest.raises(selectors.NotFound):
        selectors.meeting_get_for(world.member_user_a1, a2.pk)
    with pytest.raises(selectors.NotFound):
        selectors.meeting_lock_for(world.member_user_a1, a1.pk)


def test_the_meeting_page_shows_the_roll_to_managers_only(world):
    meeting = schedule(world.secretary_a1, world.cell_a1)
    page = selectors.meeting_page(world.secretary_a1, meeting)
    assert page.manage and [r.member.pk for r in page.rows] == [world.member_a1.pk] and page.expected_count == 1
    member_page = selectors.meeting_page(world.member_user_a1, meeting)
    assert not member_page.manage and member_page.rows == [] and member_page.on_time is True


def _held(world, clock, day: dt.date, kind: str = "regular", status: str = AttendanceStatus.UNEXCUSED,
          reason: str = "") -> Meeting:
    """A meeting of cell A1 on `day`, registered the week before, with member A1's attendance."""
    clock.move_to(at(day) - dt.timedelta(days=7))
    meeting = schedule(world.secretary_a1, world.cell_a1, starts=at(day), kind=kind, topic=f"Họp {day}")
    clock.move_to(at(day) + dt.timedelta(hours=1))
    services.attendance_mark(actor=world.secretary_a1, meeting=meeting,
                             marks=[services.Mark(world.member_a1.pk, status, reason)])
    return meeting


def test_distinct_months_of_unexcused_regular_absence_warn_at_two_and_flag_at_three(world, clock):
    _held(world, clock, dt.date(2026, 1, 8))
    _held(world, clock, dt.date(2026, 1, 22), kind="thematic")  # the same month, and thematic: no new month
    _held(world, clock, dt.date(2026, 2, 5), kind="thematic")  # a thematic meeting does not count
    _held(world, clock, dt.date(2026, 3, 5), status=AttendanceStatus.EXCUSED, reason="Đi công tác")
    _held(world, clock, dt.date(2026, 4, 9), status=AttendanceStatus.PRESENT)
    clock.move_to(NOW)
    summary = selectors.my_attendance_year(world.member_user_a1, 2026)
    assert summary.unexcused_months == [dt.date(2026, 1, 1)] and summary.level == ""
    assert (summary.present, summary.excused, summary.unexcused) == (1, 1, 3)
    _held(world, clock, dt.date(2026, 6, 11))
    clock.move_to(NOW)
    assert selectors.my_attendance_year(world.member_user_a1, 2026).level == "warn"
    _held(world, clock, dt.date(2026, 9, 10))
    clock.move_to(NOW)
    [row] = [r for r in selectors.cell_attendance_year(world.secretary_a1, world.cell_a1, 2026)
             if r.member.pk == world.member_a1.pk]
    assert row.level == "flag" and [m.month for m in row.unexcused_months] == [1, 6, 9]
    assert selectors.my_attendance_year(world.member_user_a1, 2025).lines == []


def test_a_meeting_at_the_end_of_a_month_belongs_to_that_local_month():
    late_evening = at(dt.date(2026, 12, 31), 23, 30)  # 16:30 UTC
    assert rules.month_of(late_evening) == dt.date(2026, 12, 1)
    assert rules.registered_on_time(starts_at=late_evening, registered_at=at(dt.date(2026, 11, 30), 23, 59))
    assert not rules.registered_on_time(starts_at=late_evening, registered_at=at(dt.date(2026, 12, 1), 0, 0))


def test_the_committee_sees_the_cells_late_and_those_without_a_meeting(world, clock):
    schedule(world.secretary_a1, world.cell_a1)  # registered 21/11 for 10/12: on time
    clock.move_to(at(dt.date(2026, 12, 2), 8, 0))
    late = schedule(world.officer_a, world.cell_a2, starts=at(dt.date(2026, 12, 15)))
    rows = {r.cell.code: r.state for r in selectors.registrations_for_month(world.province_officer, world.province,
                                                                             dt.date(2026, 12, 1))}
    assert rows == {"GL-A-01-01": "on_time", "GL-A-01-02": "late", "GL-B-01": "none"}
    [a2] = [r for r in selectors.registrations_for_month(world.officer_a, world.commune_a, dt.date(2026, 12, 1))
            if r.state == "late"]
    assert a2.meeting == late
    with pytest.raises(selectors.PermissionDenied):
        selectors.registrations_for_month(world.card_officer_a, world.commune_a, dt.date(2026, 12, 1))
