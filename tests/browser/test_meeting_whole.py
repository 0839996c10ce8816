"""A whole cell meeting in a real browser, as the issue tells it: the secretary schedules it → a
member receives the invitation → members check in with the meeting's code, one of them with no
connection (synced later, once) → the secretary writes and approves the minutes → the cell counts as
active in the committee's adoption report."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dangvien.accounts.models import Role
from dangvien.meetings.models import Attendance, Meeting, MeetingStatus
from tests.clock import NOW
from tests.factories import PASSWORD, build_world, make_member, make_user

pytestmark = pytest.mark.browser


def log_in(context: BrowserContext, base: str, username: str, phone_time: dt.datetime | None = None) -> Page:
    page = context.new_page()
    if phone_time is not None:
        page.clock.install(time=phone_time)  # the phone's own clock, where the server's is frozen
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def wait_for_service_worker(page: Page) -> None:
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise(resolve => navigator.serviceWorker.addEventListener("controllerchange", resolve));
        }
    }""")


def test_a_whole_meeting_from_scheduling_to_the_adoption_report(browser: Browser, live_server, transactional_db,
                                                                clock):
    world = build_world()
    second = make_member(world.cell_a1, full_name="Đỗ Văn Long", birth=dt.date(1985, 4, 6))
    make_user("dv_long", Role.MEMBER, world.cell_a1, member=second)
    base = live_server.url
    contexts = [browser.new_context(locale="vi-VN") for _ in range(4)]
    secretary_ctx, online_ctx, offline_ctx, committee_ctx = contexts
    try:
        # The province committee's adoption report: none of the 3 cells has held a meeting in the app.
        committee = log_in(committee_ctx, base, "tinh")
        report = f"{base}/adoption/?unit={world.province.code}"
        committee.goto(report)
        expect(committee.locator("#held-share")).to_contain_text("0/3")

        # The secretary registers the meeting (the clock stands at 10:00 on 21/11/2026): 10:15–11:00.
        secretary = log_in(secretary_ctx, base, "bithu_a1")
        secretary.goto(f"{base}/meetings/new/?unit={world.cell_a1.pk}")
        secretary.select_option("#id_kind", "thematic")
        secretary.fill("#id_topic", "Học tập chuyên đề tháng 11")
        secretary.fill("#id_place", "Nhà văn hoá thôn 3")
        secretary.fill("#id_day", "2026-11-21")
        secretary.fill("#id_start", "10:15")
        secretary.fill("#id_end", "11:00")
        secretary.fill("#id_agenda", "Quán triệt nghị quyết\nÝ kiến đảng viên")
        secretary.locator("main form button[type=submit]").first.click()
        meeting = Meeting.objects.get()
        expect(secretary.locator("h1")).to_have_text("Học tập chuyên đề tháng 11")

        # A member finds the invitation in the inbox, and checks in with the code (what the QR opens).
        member = log_in(online_ctx, base, "dv_a1")
        member.goto(f"{base}/notifications/")
        expect(member.locator("main")).to_contain_text("Học tập chuyên đề tháng 11")
        member.goto(f"{base}/meetings/c/{meeting.checkin_token}/")
        member.locator("#checkin-now").click()
        expect(member.locator("main")).to_contain_text("Có mặt")

        # Another checks in with no connection: the phone keeps the check-in and sends it once back online.
        phone = log_in(offline_ctx, base, "dv_long", phone_time=NOW + dt.timedelta(minutes=1))
        wait_for_service_worker(phone)
        phone.goto(f"{base}/meetings/checkin/")  # visited online: kept on the phone
        offline_ctx.set_offline(True)
        phone.goto(f"{base}/meetings/c/{meeting.checkin_token}/")
        expect(phone.locator("#checkin-result")).to_contain_text("Không có mạng")
        assert Attendance.objects.filter(member=second).count() == 0
        offline_ctx.set_offline(False)
        expect(phone.locator("#offline-status")).to_contain_text("Lượt điểm danh lưu trên điện thoại đã được gửi",
                                                                 timeout=15000)
        phone.reload()
        assert sorted(Attendance.objects.values_list("member_id", "status", "method")) == sorted(
            [(world.member_a1.pk, "present", "qr"), (second.pk, "present", "qr")])

        # After the meeting the secretary writes the minutes and approves them.
        clock.shift(dt.timedelta(minutes=70))  # 11:10; the secretary's idle session has ended: log in again
        secretary = log_in(secretary_ctx, base, "bithu_a1")
        secretary.goto(f"{base}/meetings/{meeting.pk}/minutes/edit/")
        secretary.fill("#id_day", "21/11/2026")
        secretary.fill("#id_started", "10:15")
        secretary.fill("#id_ended", "11:00")
        secretary.fill("#id_chair", "Nguyễn Thị Hà")
        secretary.fill("#id_secretary", "Đỗ Văn Long")
        secretary.fill("#id_conclusions", "Chi bộ thống nhất kế hoạch học tập nghị quyết.")
        secretary.locator("#save-minutes").click()
        secretary.goto(f"{base}/meetings/{meeting.pk}/minutes/")
        secretary.on("dialog", lambda dialog: dialog.accept())
        secretary.locator("#approve-minutes").click()
        secretary.wait_for_load_state()
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.HELD
        expect(secretary.locator("main")).to_contain_text("2/2")  # present / total in the minutes

        # The cell now counts as active in the app in the committee's report.
        committee = log_in(committee_ctx, base, "tinh")  # idle past the officer's timeout too
        committee.goto(report)
        expect(committee.locator("#held-share")).to_contain_text("1/3")
    finally:
        for context in contexts:
            context.close()
