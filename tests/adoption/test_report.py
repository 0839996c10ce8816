"""The adoption report's definitions on the small world (docs/adoption.md): who is registered and in
the target (the same as the cell secretary's roster), which cells held a meeting in the app in the
period, who is active (recorded by the middleware, following the member when they move), the cells
over the thresholds, the trend, the periods, and the API's refusals."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from python_calamine import CalamineWorkbook

from dangvien.accounts.models import User
from dangvien.accounts.services import user_password_set, user_update
from dangvien.adoption.models import MemberActivity
from dangvien.adoption.periods import Period, parse_period, presets
from dangvien.adoption.reports import adoption_report, adoption_report_tree, adoption_trend
from dangvien.handbook.selectors import cell_roster
from dangvien.handbook.services import account_register_assisted, member_mark_no_smartphone
from dangvien.meetings.models import MeetingKind, MeetingStatus
from dangvien.members import services as members
from dangvien.members.models import Member
from dangvien.org.models import Unit
from tests.adoption.fixtures import held_meeting
from tests.clock import TODAY
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOVEMBER = Period.month(2026, 11)


def _account(member: Member, name: str) -> User:
    return make_user(name, "member", member.unit, member=member)


# --- registered and target ------------------------------------------------------------------------


def test_registered_and_target_mean_what_the_cell_roster_means(world):
    """cell_a1: Hà (registered), a member marked without a smartphone who registered anyway, one marked
    who did not, an exempted member who kept an account, one whose account waits for its code, one
    whose account was closed, and one who left the roll with an open account."""
    cell = world.cell_a1
    stale_phone = make_member(cell, full_name="Ksor H'Bơ", sex="F", birth=dt.date(1960, 6, 1))
    _account(stale_phone, "kbo")
    member_mark_no_smartphone(actor=world.secretary_a1, member=stale_phone, expected_version=stale_phone.version)
    no_phone = make_member(cell, full_name="Rơ Mah Hlin", sex="F", birth=dt.date(1950, 6, 1))
    member_mark_no_smartphone(actor=world.secretary_a1, member=no_phone, expected_version=no_phone.version)
    exempted = make_member(cell, full_name="Đinh Văn Hùng", birth=dt.date(1940, 1, 2))
    _account(exempted, "hung")
    members.member_exempt(actor=world.admin, member=exempted, expected_version=exempted.version,
                          date=dt.date(2026, 6, 1), reason="Tuổi cao")
    waiting = make_member(cell, full_name="Phạm Thị Lan", sex="F", birth=dt.date(1985, 3, 3))
    account_register_assisted(actor=world.secretary_a1, member=waiting)
    closed = make_member(cell, full_name="Lò Văn Sáng", birth=dt.date(1982, 3, 3))
    user_update(actor=world.admin, user=_account(closed, "sang"), changes={"is_active": False})
    left = make_member(cell, full_name="Hoàng Văn Nam", birth=dt.date(1988, 7, 7))
    _account(left, "nam")
    members.member_transfer_out(actor=world.admin, member=left, expected_version=left.version,
                                date=dt.date(2026, 6, 1), destination="Đảng bộ tỉnh Kon Tum")

    figures = adoption_report(world.province_officer, cell, NOVEMBER).figures
    # On the roll: Hà, Ksor H'Bơ, Rơ Mah Hlin, Hùng, Lan, Sáng. Registered: Hà, Ksor H'Bơ, Hùng.
    # Target: the handbook users (not Hùng) not marked without a smartphone: Hà, Lan, Sáng.
    assert (figures.members, figures.registered, figures.target) == (6, 3, 3)
    assert figures.registered_share() == "3/6 = 50%"
    assert figures.target_share() == "3/3 = 100%"
    roster = cell_roster(world.secretary_a1, cell)
    assert (roster.active, roster.target) == (figures.registered, figures.target)
    # And up the tree: the province adds cell_a2's probationer and cell_b1's member, no accounts.
    province = adoption_report(world.province_officer, world.province, NOVEMBER)
    assert (province.figures.members, province.figures.registered, province.figures.target) == (8, 3, 5)


def test_registered_follows_the_password(world):
    """The activation time is the registration: set with a usable password, emptied without one."""
    member = make_member(world.cell_a2, full_name="Vũ Văn Khoa", birth=dt.date(1991, 2, 2))
    user = User.objects.create_user("khoa", password=None, member=member)
    assert user.activated_at is None
    user_password_set(actor=world.admin, user=user, password="a-good-long-password-1")
    user.refresh_from_db()
    assert user.activated_at is not None and user.has_usable_password()
    count = adoption_report(world.province_officer, world.cell_a2, NOVEMBER).figures.registered
    user_password_set(actor=world.admin, user=user, password=None)
    user.refresh_from_db()
    assert user.activated_at is None and not user.has_usable_password()
    assert adoption_report(world.province_officer, world.cell_a2, NOVEMBER).figures.registered == count - 1
    assert User.objects.create_user("khoa2", password="x-long-password").activated_at is not None


# --- meetings held in the app ---------------------------------------------------------------------


def test_cells_that_held_a_meeting_in_the_period(world):
    # cell_a1: held on the first night of November, local time (still 31 October in UTC).
    held_meeting(world.cell_a1, dt.datetime(2026, 11, 1, 0, 30, tzinfo=HCM))
    # cell_a2: only scheduled and cancelled meetings in November; a held one on 30 November after
    # midnight UTC... but 1 December local time: not November.
    held_meeting(world.cell_a2, dt.datetime(2026, 11, 12, 19, 0, tzinfo=HCM), status=MeetingStatus.SCHEDULED)
    held_meeting(world.cell_a2, dt.datetime(2026, 11, 13, 19, 0, tzinfo=HCM), status=MeetingStatus.CANCELLED)
    held_meeting(world.cell_a2, dt.datetime(2026, 12, 1, 0, 15, tzinfo=HCM))
    # org_a's committee met in November: a committee is not a cell.
    held_meeting(world.org_a, dt.datetime(2026, 11, 5, 8, 0, tzinfo=HCM), kind=MeetingKind.COMMITTEE)
    # cell_b1: held twice in October.
    held_meeting(world.cell_b1, dt.datetime(2026, 10, 8, 19, 0, tzinfo=HCM))
    held_meeting(world.cell_b1, dt.datetime(2026, 10, 20, 19, 0, tzinfo=HCM))

    november = adoption_report(world.province_officer, world.province, NOVEMBER)
    assert (november.figures.cells_held, november.figures.cells) == (1, 3)
    assert november.figures.held_share() == "1/3 = 33%" and not november.figures.held_goal_met
    assert {r.unit.code: r.figures.held_share() for r in november.rows} == {"GL-A": "1/2 = 50%", "GL-B": "0/1 = 0%"}
    october = adoption_report(world.province_officer, world.province, Period.month(2026, 10)).figures
    assert (october.cells_held, october.held_share()) == (1, "1/3 = 33%")
    quarter = adoption_report(world.province_officer, world.province, Period.quarter(2026, 4)).figures
    assert (quarter.cells_held, quarter.held_share(), quarter.held_goal_met) == (3, "3/3 = 100%", True)


# --- active members -------------------------------------------------------------------------------


def _member_client(world) -> Client:
    client = Client()
    client.force_login(world.member_user_a1)
    return client


def test_a_member_using_the_handbook_is_active_once_a_month(world, clock):
    client = _member_client(world)
    assert client.get("/handbook/").status_code == 200
    row = MemberActivity.objects.get(member=world.member_a1)
    assert (row.year, row.months, row.unit_id) == (2026, 1 << 10, world.cell_a1.pk)
    client.get("/handbook/")
    assert MemberActivity.objects.count() == 1  # the month is in the session: nothing written again
    clock.shift(dt.timedelta(days=12))  # 3 December: the idle session has ended, the member logs in again
    client = _member_client(world)
    client.get("/handbook/")
    row.refresh_from_db()
    assert row.months == (1 << 10) | (1 << 11)
    # An officer's login without a member record leaves nothing.
    officer = Client()
    officer.force_login(world.officer_a)
    officer.get("/members/")
    assert MemberActivity.objects.count() == 1

    november = adoption_report(world.province_officer, world.province, NOVEMBER)
    assert (november.figures.active, november.figures.members) == (1, 3)
    assert november.figures.active_share() == "1/3 = 33%"
    # cell_a1's one member is active: the cell is over both thresholds; so is commune A's subtree in cells.
    assert (november.figures.cells_half, november.figures.cells_most) == (1, 1)
    assert {r.unit.code: (r.figures.cells_half, r.figures.half_active) for r in november.rows} == {
        "GL-A": (1, True), "GL-B": (0, False)}
    assert adoption_report(world.province_officer, world.province, Period.month(2026, 10)).figures.active == 0


def test_the_active_rows_follow_the_member(world):
    member = world.member_a1
    MemberActivity.objects.create(member=member, year=2026, months=1 << 10, unit=world.cell_a1)
    members.member_transfer_out(actor=world.admin, member=member, expected_version=member.version,
                                date=dt.date(2026, 11, 10), destination_unit=world.cell_b1)
    assert MemberActivity.objects.get(member=member).unit_id is None  # off the roll: counted nowhere
    assert adoption_report(world.province_officer, world.province, NOVEMBER).figures.active == 0
    member.refresh_from_db()
    members.member_transfer_in(actor=world.admin, member=member, expected_version=member.version,
                               date=dt.date(2026, 11, 12), unit=world.cell_b1)
    assert MemberActivity.objects.get(member=member).unit_id == world.cell_b1.pk
    report = adoption_report(world.province_officer, world.province, NOVEMBER)
    assert {r.unit.code: r.figures.active for r in report.rows} == {"GL-A": 0, "GL-B": 1}


def test_a_period_across_years_counts_each_member_once(world):
    for year, months in ((2025, 1 << 11), (2026, 1)):  # December 2025 and January 2026
        MemberActivity.objects.create(member=world.member_a1, year=year, months=months, unit=world.cell_a1)
    MemberActivity.objects.create(member=world.member_b1, year=2026, months=1 << 1, unit=world.cell_b1)  # February
    winter = parse_period("2025-12..2026-01", TODAY)
    assert adoption_report(world.province_officer, world.province, winter).figures.active == 1
    assert adoption_report(world.province_officer, world.province, Period.quarter(2026, 1)).figures.active == 2


# --- the trend ------------------------------------------------------------------------------------


def test_the_trend_month_by_month(world):
    ha = User.objects.get(member=world.member_a1)
    User.objects.filter(pk=ha.pk).update(activated_at=dt.datetime(2026, 9, 1, 0, 30, tzinfo=HCM))
    other = make_member(world.cell_b1, full_name="Siu H'Nga", sex="F", birth=dt.date(1983, 4, 4))
    _account(other, "nga")  # activated now (21 November)
    MemberActivity.objects.create(member=world.member_a1, year=2026, months=(1 << 8) | (1 << 10), unit=world.cell_a1)
    held_meeting(world.cell_a1, dt.datetime(2026, 10, 1, 0, 5, tzinfo=HCM))
    held_meeting(world.cell_a1, dt.datetime(2026, 10, 15, 19, 0, tzinfo=HCM))
    held_meeting(world.cell_b1, dt.datetime(2026, 10, 16, 19, 0, tzinfo=HCM))

    trend = adoption_trend(world.province_officer, world.province, NOVEMBER)
    assert [p.month for p in trend][:2] == [dt.date(2025, 12, 1), dt.date(2026, 1, 1)] and len(trend) == 12
    by_month = {p.month.month: (p.registered, p.active, p.cells_held) for p in trend if p.month.year == 2026}
    assert by_month[8] == (0, 0, 0)
    assert by_month[9] == (1, 1, 0)
    assert by_month[10] == (1, 0, 2)
    assert by_month[11] == (2, 1, 0)
    assert [p.partial for p in trend][-2:] == [False, True]


# --- the whole tree, the periods, the API ---------------------------------------------------------


def test_the_tree_has_every_unit_with_its_subtree(world):
    tree = adoption_report_tree(world.province_officer, world.province, NOVEMBER)
    assert [(row.unit.code, row.level, row.figures.members) for row in tree.rows] == [
        ("GL-A", 1, 2), ("GL-A-01", 2, 2), ("GL-A-01-01", 3, 1), ("GL-A-01-02", 3, 1), ("GL-B", 1, 1),
        ("GL-B-01", 2, 1)]
    assert tree.figures.members == 3 and tree.figures.cells == 3


def test_a_report_takes_the_same_queries_whatever_the_tree(world, django_assert_num_queries):
    officer = world.province_officer
    adoption_report(officer, world.commune_a, NOVEMBER)  # the officer's grants are read once, then cached
    province = Unit.objects.get(pk=world.province.pk)
    # The subtree's units, whether it is the whole tree, the members, those with a registered account,
    # the target's exceptions, the active members, the held meetings' cells.
    with django_assert_num_queries(7):
        adoption_report(officer, province, NOVEMBER)
    with django_assert_num_queries(7):
        adoption_report(officer, Unit.objects.get(pk=world.cell_a1.pk), NOVEMBER)
    with django_assert_num_queries(3):  # registered by each month's end, the held meetings, the active
        adoption_trend(officer, province, NOVEMBER)


@pytest.mark.parametrize(("code", "expected"), [
    ("2026-11", ("month", dt.date(2026, 11, 1), dt.date(2026, 11, 1))),
    ("2026-q4", ("quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 1))),
    ("2025", ("year", dt.date(2025, 1, 1), dt.date(2025, 12, 1))),
    (" 2025-11..2026-02 ", ("custom", dt.date(2025, 11, 1), dt.date(2026, 2, 1))),
    ("", ("month", dt.date(2026, 11, 1), dt.date(2026, 11, 1))),
])
def test_periods(code, expected):
    period = parse_period(code, TODAY)
    assert (period.kind, period.first, period.last) == expected
    assert parse_period(period.code, TODAY) == period


def test_a_period_starts_and_ends_at_local_midnight():
    period = Period.quarter(2026, 4)
    assert period.start == dt.datetime(2026, 10, 1, tzinfo=HCM)
    assert period.end == dt.datetime(2027, 1, 1, tzinfo=HCM)
    assert period.year_masks() == {2026: 0b1110_0000_0000}
    assert parse_period("2025-11..2026-02", TODAY).year_masks() == {2025: 0b1100_0000_0000, 2026: 0b11}
    assert [p.code for p in presets(TODAY)] == ["2026-11", "2026-10", "2026-Q4", "2026-Q3", "2026", "2025"]


@pytest.mark.parametrize(("code", "message"), [
    ("November", "is not a period"),
    ("2026-13", "is not a period"),
    ("2026-Q5", "is not a period"),
    ("2026-12", "has not begun"),
    ("2026-06..2026-01", "before its first"),
    ("2020-01..2026-01", "at most 36 months"),
    ("1999", "starts before 2000"),
])
def test_a_period_that_cannot_be_read_says_why(code, message):
    with pytest.raises(ValidationError) as raised:
        parse_period(code, TODAY)
    assert message in raised.value.messages[0]


def test_the_api_refuses_a_bad_period_and_a_unit_out_of_scope(world):
    client = Client(headers={"accept-language": "en"})
    client.force_login(world.officer_a)
    response = client.get("/api/adoption/report", {"period": "2026-12"})
    assert response.status_code == 422 and "has not begun" in response.json()["detail"]
    assert client.get("/api/adoption/report", {"precision": 4}).status_code == 422
    assert client.get("/api/adoption/report", {"unit": "GL-B"}).status_code == 404
    body = client.get("/api/adoption/report").json()  # the top of the officer's own scope
    assert body["unit"]["code"] == "GL-A" and [c["unit"]["code"] for c in body["children"]] == ["GL-A-01"]
    assert body["period"]["code"] == "2026-11" and body["figures"]["members"] == 2
    trend = client.get("/api/adoption/trend", {"unit": "GL-A-01-01", "period": "2026-Q3"}).json()
    assert trend["unit"]["code"] == "GL-A-01-01" and trend["months"][-1]["month"] == "2026-09-01"


def test_the_page_shows_a_bad_period_and_the_current_month(world):
    client = Client(headers={"accept-language": "en"})
    client.force_login(world.officer_a)
    html = client.get("/adoption/", {"period": "someday", "unit": "GL-A"}).content.decode()
    assert "is not a period" in html and "month 11/2026" in html
    html = client.get("/adoption/", {"from": "2026-01", "to": "2026-03", "unit": "GL-A"}).content.decode()
    assert "1/2026 to 3/2026" in html
    assert 'href="?unit=GL-A-01&amp;period=2026-01..2026-03"' in html  # drilling down keeps the period


@pytest.mark.parametrize(("role", "status", "unit"), [
    ("secretary_a1", 200, "GL-A-01-01"), ("officer_b", 200, "GL-B"), ("card_officer_a", 403, None),
    ("member_user_a1", 403, None),
])
def test_the_page_opens_at_the_top_of_the_actors_scope(world, role, status, unit):
    client = Client(headers={"accept-language": "en"})
    client.force_login(getattr(world, role))
    response = client.get("/adoption/")
    assert response.status_code == status
    html = response.content.decode()
    assert ('href="/adoption/"' in html) == (status == 200)  # the menu offers the report to those who see it
    if unit is not None:
        assert response.context["unit"].code == unit


def test_the_xlsx_has_every_unit_and_the_trend(world):
    held_meeting(world.cell_b1, dt.datetime(2026, 10, 8, 19, 0, tzinfo=HCM))
    client = Client(headers={"accept-language": "en"})
    client.force_login(world.officer_b)
    response = client.get("/adoption/report.xlsx", {"unit": "GL-B", "period": "2026-Q4", "precision": "1"})
    assert response["Content-Disposition"].endswith('filename="so-tay-dang-vien-GL-B-2026-Q4.xlsx"')
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    units = book.get_sheet_by_name("Handbook adoption").to_python()
    assert units[0][0] == "Period: quarter IV/2026"
    assert [row[0] for row in units[2:]] == ["GL-B", "GL-B-01"]  # commune B and its grassroots cell only
    held = units[1].index("Cells that held a meeting in the app")
    assert [row[held] for row in units[2:]] == [1, 1]
    trend = book.get_sheet_by_name("Trend").to_python()
    assert len(trend) == 13 and trend[-1][0] == "12/2026 (so far)" and trend[-3][3] == 1  # October's meeting
