"""The demo province's meetings: the plan (meetings.demo_plan, pure) and `dangvien demo-meetings` on a
small province of the demo generator (300 members: five communes, a dozen cells), at tests.clock.NOW
(21 November 2026: May to October are whole months past, November's meetings are mostly held,
December's registered ahead)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangvien.accounts.models import User
from dangvien.core.models import AuditEntry
from dangvien.demo.generator import generate
from dangvien.demo.tree import gia_lai_communes
from dangvien.library.services import document_publish
from dangvien.meetings import demo_texts
from dangvien.meetings.demo import demo_meetings_create
from dangvien.meetings.demo_plan import (
    Cell,
    CommunePlan,
    Habit,
    cell_meetings,
    demo_months,
    plan_cells,
    plan_communes,
)
from dangvien.meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    Comment,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Speech,
    Vote,
)
from dangvien.meetings.selectors import meetings_managed_by, meetings_visible_to
from dangvien.members.models import Member
from dangvien.notifications.models import Notification
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind
from tests.clock import NOW, TODAY

MEMBERS = 300
LAST_MONTH = dt.date(2026, 10, 1)  # the last whole month at tests.clock.NOW


def _build(seed: int = 7) -> None:
    generate(members=MEMBERS, seed=seed, reset=True)
    demo_meetings_create(seed=seed)


def _local_month(moment: dt.datetime) -> dt.date:
    return moment.astimezone(NOW.tzinfo).date().replace(day=1)


# --- the plan ------------------------------------------------------------------------------------------


def test_mountain_communes_alone_hardly_use_the_app_and_the_logins_commune_uses_it():
    mountain = {f"GL-{c.ward_code}": c.mountain for c in gia_lai_communes()}
    home = next(code for code, hill in sorted(mountain.items()) if not hill)
    plans = plan_communes(mountain, seed="2026", home=home)
    habits = Counter(plan.habit for plan in plans.values())
    assert plans[home].habit is Habit.APP
    assert all(mountain[code] for code, plan in plans.items() if plan.habit is Habit.HARDLY)
    # Most communes use the app, some partly, a few mountain ones hardly.
    assert habits[Habit.APP] > habits[Habit.PARTIAL] / 2 and 5 <= habits[Habit.HARDLY] < habits[Habit.PARTIAL]
    shares = {habit: [p.share for p in plans.values() if p.habit is habit] for habit in Habit}
    assert max(shares[Habit.HARDLY]) <= 0.5 and min(shares[Habit.APP]) >= 0.9
    assert min(shares[Habit.HARDLY]) < min(shares[Habit.PARTIAL]) < min(shares[Habit.APP])


def test_a_small_demo_still_has_a_commune_of_each_habit():
    plans = plan_communes({"GL-1": False, "GL-2": False, "GL-3": False}, seed="1", home="GL-2")
    assert plans["GL-2"].habit is Habit.APP
    assert {plan.habit for plan in plans.values()} == set(Habit)


def test_cells_take_up_the_app_over_the_months():
    cells = [Cell(n, f"GL-1-{n:02d}", f"Chi bộ Thôn {n}", "Đảng bộ xã Ia Grai") for n in range(1, 61)]
    plans = plan_cells(CommunePlan("GL-1", Habit.PARTIAL, 0.8), cells, seed="3",
                       meeting_days={c.unit_id: 5 for c in cells})
    assert sum(p.uses_app for p in plans) == 48  # round(0.8 × 60)
    months = demo_months(TODAY)
    held = Counter(m.month for p in plans for m in cell_meetings(p, months, seed="3", now=NOW)
                   if m.status == MeetingStatus.HELD and m.kind == MeetingKind.REGULAR)
    trend = [held[month] for month in months[:6]]
    assert trend[0] < trend[2] < trend[5] <= 48, trend
    assert held[months[-1]] == 0  # next month: only registered ahead


def test_the_logins_cell_registers_every_meeting_on_time_and_next_months_already():
    cell = Cell(1, "GL-1-01", "Chi bộ Tổ dân phố 5", "Đảng bộ Khu phố 2")
    plan = plan_cells(CommunePlan("GL-1", Habit.APP, 0.95), [cell], seed="4", home=1, meeting_days={1: 3})[0]
    meetings = [m for m in cell_meetings(plan, demo_months(TODAY), seed="4", now=NOW, home=True)
                if m.kind == MeetingKind.REGULAR]
    assert [m.month for m in meetings] == demo_months(TODAY)
    assert all(m.on_time for m in meetings) and all(m.registered_at <= NOW for m in meetings)
    assert [m.status for m in meetings] == [MeetingStatus.HELD] * 7 + [MeetingStatus.SCHEDULED]
    assert plan.place == "Nhà văn hóa Tổ dân phố 5" and meetings[0].starts_at.hour == 19


def test_every_word_of_the_demo_is_nfc():
    words = [value for name, value in vars(demo_texts).items() if name.isupper()]
    flat: list[str] = []
    for value in words:
        if isinstance(value, dict):
            value = list(value.values())
        for item in value if isinstance(value, (tuple, list)) else [value]:
            flat += list(item) if isinstance(item, tuple) else [item]
    texts = [t for t in flat if isinstance(t, str)]
    assert len(texts) > 50
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)


# --- the province's meetings ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rows_hold_together():
    _build()
    meetings = {m.pk: m for m in Meeting.objects.select_related("unit")}
    assert Counter(m.kind for m in meetings.values()).keys() == set(MeetingKind)
    invited = {(i.meeting_id, i.member_id) for i in Invitation.objects.filter(is_guest=False)}
    marks = list(Attendance.objects.all())
    assert marks and {(a.meeting_id, a.member_id) for a in marks} <= invited  # only invited members
    for mark in marks:
        meeting = meetings[mark.meeting_id]
        assert meeting.starts_at < NOW and meeting.status != MeetingStatus.CANCELLED
        if mark.status == AttendanceStatus.EXCUSED:
            assert mark.reason
        elif mark.method == CheckInMethod.QR:
            assert mark.status == AttendanceStatus.PRESENT and mark.checked_in_at and mark.idempotency_key
            assert mark.checked_in_at <= mark.recorded_at <= NOW
        if mark.status != AttendanceStatus.EXCUSED:
            assert mark.reason == ""
    no_phone = set(Member.objects.filter(has_smartphone=False).values_list("pk", flat=True))
    assert not [a for a in marks if a.method == CheckInMethod.QR and a.member_id in no_phone]
    present = Counter(a.meeting_id for a in marks if a.status == AttendanceStatus.PRESENT)
    expected = Counter(meeting for meeting, _member in invited)
    minutes = {m.meeting_id: m for m in Minutes.objects.all()}
    for pk, meeting in meetings.items():
        record = minutes.get(pk)
        assert meeting.registered_at < meeting.starts_at < meeting.ends_at
        # Held exactly when the minutes are approved, on the day they were.
        assert (meeting.status == MeetingStatus.HELD) == (record is not None and record.status == MinutesStatus.APPROVED)
        if meeting.status == MeetingStatus.HELD:
            assert record.approved_at == meeting.held_at and meeting.ends_at <= meeting.held_at <= NOW
            assert (record.present_count, record.total_count) == (present[pk], expected[pk])
            assert 0 < record.present_count <= record.total_count and record.conclusions
        elif record is not None:  # a draft: the counts are fixed at approval
            assert meeting.status == MeetingStatus.SCHEDULED and meeting.ends_at < NOW
            assert (record.present_count, record.total_count) == (0, 0)
        cell = meeting.unit.kind in MEMBER_UNIT_KINDS
        assert cell == (meeting.kind != MeetingKind.COMMITTEE)
        assert cell or meeting.unit.kind in (UnitKind.COMMUNE, UnitKind.GRASSROOTS_COMMITTEE)
        assert meeting.cancelled_reason if meeting.status == MeetingStatus.CANCELLED else not meeting.cancelled_reason
    regular = Counter((m.unit_id, _local_month(m.starts_at)) for m in meetings.values()
                      if m.kind == MeetingKind.REGULAR and m.status != MeetingStatus.CANCELLED)
    assert max(regular.values()) == 1  # one regular meeting a month
    for vote in Vote.objects.all():
        assert vote.votes_for + vote.votes_against + vote.abstentions <= minutes[vote.meeting_id].present_count
    assert Speech.objects.exclude(minutes__meeting__status=MeetingStatus.CANCELLED).count() == Speech.objects.count()
    assert list(AuditEntry.objects.filter(action__startswith="meetings.").values_list("action", flat=True)) == [
        "meetings.demo"]
    texts = [m.topic for m in meetings.values()] + [m.place for m in meetings.values()]
    texts += list(AgendaItem.objects.values_list("title", flat=True)) + [a.reason for a in marks]
    texts += list(Speech.objects.values_list("text", flat=True)) + [m.conclusions for m in minutes.values()]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)


@pytest.mark.django_db
def test_attendance_is_realistic_and_the_share_of_cells_in_the_app_varies_between_communes():
    _build()
    statuses = Counter(Attendance.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert 0.85 <= statuses[AttendanceStatus.PRESENT] / total <= 0.95
    assert statuses[AttendanceStatus.EXCUSED] > statuses[AttendanceStatus.UNEXCUSED] > 0
    methods = Counter(Attendance.objects.filter(status=AttendanceStatus.PRESENT).values_list("method", flat=True))
    assert methods[CheckInMethod.QR] > 0 and methods[CheckInMethod.SECRETARY] > 0
    late = [m for m in Meeting.objects.filter(kind=MeetingKind.REGULAR)
            if m.registered_at >= demo_plan_month_start(m.starts_at)]
    assert 0 < len(late) < Meeting.objects.filter(kind=MeetingKind.REGULAR).count() / 3
    # Cells that held a meeting in the app in the last whole month, by commune.
    communes = {u.path: u.name for u in Unit.objects.filter(kind=UnitKind.COMMUNE)}
    cells = list(Unit.objects.filter(kind__in=MEMBER_UNIT_KINDS).values_list("pk", "path"))
    held = {m.unit_id for m in Meeting.objects.filter(status=MeetingStatus.HELD) if _local_month(m.starts_at) == LAST_MONTH}
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pk, path in cells:
        tally[communes[path[:8]]][0] += pk in held
        tally[communes[path[:8]]][1] += 1
    shares = sorted(n / total for n, total in tally.values())
    assert len(shares) == 5 and shares[0] < 0.7 and shares[-1] == 1.0, tally
    province = sum(n for n, _t in tally.values()) / len(cells)
    assert 0.6 < province < 0.95, tally
    # The trend: fewer cells in the app when it came, six months back.
    first = {m.unit_id for m in Meeting.objects.filter(status=MeetingStatus.HELD)
             if _local_month(m.starts_at) == dt.date(2026, 5, 1)}
    assert len(first) < len(held)


def demo_plan_month_start(moment: dt.datetime) -> dt.datetime:
    month = _local_month(moment)
    return dt.datetime.combine(month, dt.time(), tzinfo=NOW.tzinfo)


@pytest.mark.django_db
def test_the_logins_see_a_meeting_to_come_and_one_held_and_two_members_near_removal():
    generate(members=MEMBERS, seed=7, reset=True)
    xa = User.objects.get(username="xa")
    guidance = document_publish(actor=xa, unit=xa.role_assignments.get().unit, kind="guidance",
                                title="Hướng dẫn sinh hoạt chi bộ thường kỳ quý IV", body="Nội dung sinh hoạt.")
    demo_meetings_create(seed=7)
    bithu, dangvien = User.objects.get(username="bithu"), User.objects.get(username="dangvien")
    cell = Member.objects.get(pk=dangvien.member_id).unit
    for seen in (meetings_visible_to(dangvien), meetings_managed_by(bithu)):
        mine = seen.filter(unit=cell)
        assert mine.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=NOW).exists()
        assert mine.filter(status=MeetingStatus.HELD).exists()
    upcoming = (Meeting.objects.filter(unit=cell, kind=MeetingKind.REGULAR, starts_at__gt=NOW).order_by("starts_at")
                .first())
    assert upcoming.registered_by == bithu
    assert list(Attachment.objects.values_list("meeting", "document")) == [(upcoming.pk, guidance.pk)]
    notice = Notification.objects.get(recipient=dangvien, topic="meeting.invitation")
    assert notice.link == f"/meetings/{upcoming.pk}/" and upcoming.topic in notice.body
    assert Comment.objects.filter(author=dangvien, meeting=upcoming).exists()
    own = Attendance.objects.filter(member_id=dangvien.member_id)
    assert own.exists() and set(own.values_list("method", "recorded_by")) == {(CheckInMethod.QR, dangvien.pk)}
    assert not Invitation.objects.filter(member_id=dangvien.member_id).exclude(meeting__unit=cell).exists()
    # Months of 2026 with an unexcused absence from a regular meeting, per member of the cell.
    months: dict[int, set[dt.date]] = defaultdict(set)
    for mark in Attendance.objects.filter(meeting__unit=cell, meeting__kind=MeetingKind.REGULAR,
                                          status=AttendanceStatus.UNEXCUSED).select_related("meeting"):
        if mark.meeting.starts_at.year == 2026:
            months[mark.member_id].add(_local_month(mark.meeting.starts_at))
    assert sorted((len(m) for m in months.values()), reverse=True)[:2] == [3, 2]


def _snapshot() -> list[tuple]:
    """Every row of the demo meetings, ids replaced by what they stand for (the meeting's unit,
    kind and start; an agenda item's position); the check-in secrets are random, not seeded."""
    meetings = {m["id"]: (m["unit_id"], m["kind"], m["starts_at"]) for m in Meeting.objects.values()}
    positions = {a["id"]: (meetings[a["meeting_id"]], a["position"]) for a in AgendaItem.objects.values()}
    minutes = {m["id"]: meetings[m["meeting_id"]] for m in Minutes.objects.values()}
    rows = []
    for model in (Meeting, AgendaItem, Invitation, Attendance, Minutes, Speech, Vote, Comment, Attachment):
        for row in model.objects.values():
            row.pop("checkin_token", None)
            own = row.pop("id")
            if model is Meeting:
                row["meeting"] = meetings[own]
            if "meeting_id" in row:
                row["meeting_id"] = meetings[row["meeting_id"]]
            if row.get("agenda_item_id") is not None:
                row["agenda_item_id"] = positions[row["agenda_item_id"]]
            if "minutes_id" in row:
                row["minutes_id"] = minutes[row["minutes_id"]]
            for line in row.get("fixed_agenda") or []:  # the agenda as approved (meet-minutes' column)
                line["id"] = positions[line["id"]]
            rows.append((model.__name__, *sorted(row.items())))
    return sorted(rows, key=repr)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_meetings_and_another_seed_others():
    _build(seed=7)
    first = _snapshot()
    assert len(first) > 2_000
    demo_meetings_create(seed=7, replace=True)
    assert _snapshot() == first
    demo_meetings_create(seed=8, replace=True)
    assert _snapshot() != first
    assert Notification.objects.filter(topic="meeting.invitation").count() == 1  # the old one went with its meeting


@pytest.mark.django_db
def test_the_command_reports_and_refuses_to_run_twice_without_replace():
    generate(members=MEMBERS, seed=7, reset=True)
    xa = User.objects.get(username="xa")
    document_publish(actor=xa, unit=xa.role_assignments.get().unit, kind="guidance", title="Hướng dẫn sinh hoạt",
                     body="Nội dung sinh hoạt.")
    out = StringIO()
    call_command("demo-meetings", "--seed", "7", stdout=out)
    assert "Cells that held a meeting in the app in 10/2026" in out.getvalue()
    assert "Chi bộ" in out.getvalue() and "(3 months)" in out.getvalue()
    count = Meeting.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("demo-meetings", "--seed", "7", stdout=StringIO())
    call_command("demo-meetings", "--seed", "7", "--replace", stdout=StringIO())
    assert Meeting.objects.count() == count
    assert Attachment.objects.exists()
    # A new province drops the old meetings with its units (the attachment protected the document).
    generate(members=MEMBERS, seed=7, reset=True)
    assert not Meeting.objects.exists() and not Attendance.objects.exists() and not Attachment.objects.exists()
