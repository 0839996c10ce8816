"""A cell with a meeting held yesterday, for the minutes', opinions' and votes' tests.

The meeting is made directly (test setup: scheduling is meet-core's service), and so are its
agenda and attendance marks; everything the tests check goes through minutes_services.

Cell A1's roll (tests.factories.build_world plus four members):
    Nguyễn Thị Hà (member_a1, official)       present
    Phạm Văn Bình (official)                  absent with reason "Ốm"
    Lê Văn Cường (probationary)               nobody recorded anything
    Hoàng Thị Dung (exempted)                 present: counts for nobody (exempted from activities)
    Vũ Văn Em (temporarily transferred out)   not expected here
and Lê Thị Hoà (member_b1, cell B1), invited as a guest and present: guests never count.
So present / total = 1 / 3, the absentees Bình (excused, "Ốm") and Cường (not recorded).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from dangvien.meetings import minutes_services as services
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    Invitation,
    Meeting,
    MeetingKind,
    Minutes,
)
from dangvien.meetings.selectors import roll_expected
from dangvien.members.models import Member
from dangvien.members.services import member_exempt, member_transfer_temporarily
from tests.clock import NOW
from tests.factories import World, build_world, make_member

STARTS = NOW - dt.timedelta(days=1) + dt.timedelta(hours=4)  # yesterday 14:00
ENDS = STARTS + dt.timedelta(hours=2, minutes=30)  # 16:30


def make_meeting(unit: Any, *, kind: str = MeetingKind.REGULAR, starts_at: dt.datetime = STARTS,
                 topic: str = "Sinh hoạt chi bộ tháng 11", place: str = "Hội trường trường THPT Ia Grai") -> Meeting:
    """A meeting held in the past (test setup, not the scheduling service, which refuses a start that
    long ago), inviting the members its cell's roll expects now, as scheduling would have."""
    meeting = Meeting.objects.create(unit=unit, kind=kind, topic=topic, place=place, starts_at=starts_at,
                                     registered_at=starts_at - dt.timedelta(days=30),
                                     checkin_token=secrets.token_urlsafe(32))
    Invitation.objects.bulk_create([Invitation(meeting=meeting, member_id=pk)
                                    for pk in roll_expected(unit.pk).values_list("pk", flat=True)])
    return meeting


def mark(meeting: Meeting, member: Member, status: str, reason: str = "") -> Attendance:
    attendance, _ = Attendance.objects.update_or_create(
        meeting=meeting, member=member,
        defaults={"status": status, "reason": reason, "method": CheckInMethod.SECRETARY, "recorded_at": NOW})
    return attendance


@dataclass
class Cell:
    world: World
    meeting: Meeting
    agenda: list[AgendaItem]
    document: Attachment
    binh: Member
    cuong: Member
    dung: Member
    em: Member


def build_cell() -> Cell:
    world = build_world()
    admin, cell = world.admin, world.cell_a1
    binh = make_member(cell, full_name="Phạm Văn Bình")
    cuong = make_member(cell, full_name="Lê Văn Cường", status="probationary", admission=dt.date(2026, 3, 1))
    dung = make_member(cell, full_name="Hoàng Thị Dung", sex="F", birth=dt.date(1950, 1, 2))
    dung = member_exempt(actor=admin, member=dung, expected_version=dung.version, date=dt.date(2026, 6, 1),
                         reason="Tuổi cao")
    em = make_member(cell, full_name="Vũ Văn Em")
    em = member_transfer_temporarily(actor=admin, member=em, expected_version=em.version, date=dt.date(2026, 6, 1),
                                     destination="Trường Chính trị tỉnh", until=dt.date(2027, 3, 1))
    meeting = make_meeting(cell)
    agenda = [AgendaItem.objects.create(meeting=meeting, position=1, title="Đánh giá công tác tháng 10",
                                        presenter="Nguyễn Thị Hà"),
              AgendaItem.objects.create(meeting=meeting, position=2, title="Phương hướng tháng 12")]
    document = Attachment.objects.create(meeting=meeting, title="Dự thảo báo cáo tháng 10", added_at=NOW)
    Invitation.objects.create(meeting=meeting, member=world.member_b1, is_guest=True)
    mark(meeting, world.member_a1, AttendanceStatus.PRESENT)
    mark(meeting, binh, AttendanceStatus.EXCUSED, "Ốm")
    mark(meeting, dung, AttendanceStatus.PRESENT)
    mark(meeting, world.member_b1, AttendanceStatus.PRESENT)
    return Cell(world=world, meeting=meeting, agenda=agenda, document=document, binh=binh, cuong=cuong, dung=dung,
                em=em)


@pytest.fixture
def minutes_cell(db) -> Iterator[Cell]:
    """The cell and its meeting (tests/meetings/conftest.py offers it). Services word their
    refusals in the active language: the tests that use it read the English ones."""
    with translation.override("en"):
        yield build_cell()


SPEECHES = [
    services.SpeechEntry("Nguyễn Thị Hà", "Tháng 10 chi bộ hoàn thành 9/10 chỉ tiêu.", None),
    services.SpeechEntry("Phạm Văn Bình", "Đề nghị bổ sung kế hoạch thăm hỏi đảng viên cao tuổi."),
]


def write_draft(cell: Cell, *, actor: Any = None, version: int = 0, **changes: Any) -> Minutes:
    """The draft minutes as the cell's secretary writes them (the first speech on agenda item 1)."""
    values: dict[str, Any] = {
        "started_at": STARTS, "ended_at": ENDS, "place": "Hội trường trường THPT Ia Grai", "chair": "Nguyễn Thị Hà",
        "secretary": "Trần Văn Minh", "conclusions": "Chi bộ thống nhất phương hướng tháng 12.",
        "speeches": [services.SpeechEntry(SPEECHES[0].speaker, SPEECHES[0].text, cell.agenda[0].pk), SPEECHES[1]],
    }
    values.update(changes)
    return services.minutes_save(actor=actor or cell.world.secretary_a1, meeting=cell.meeting,
                                 expected_version=version, **values)


def approve(cell: Cell, minutes: Minutes, actor: Any = None) -> Minutes:
    return services.minutes_approve(actor=actor or cell.world.secretary_a1, meeting=cell.meeting,
                                    expected_version=minutes.version)
