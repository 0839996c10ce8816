"""A meeting's check-in code opened with no connection, in a real browser: the service worker
answers the check-in address with the saved "Check in" page, which queues the check-in with the time
of the scan; back online, it is recorded once and keeps that time. The member's meeting pages fit a
320 px screen."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from dangvien.meetings.models import Attendance
from tests.clock import NOW
from tests.factories import PASSWORD, build_world
from tests.meetings.fixtures import now_meeting

pytestmark = pytest.mark.browser


def test_a_check_in_scanned_offline_is_recorded_once_with_its_scan_time(page: Page, context: BrowserContext,
                                                                          live_server, transactional_db):
    world = build_world()
    meeting = now_meeting(world.secretary_a1, world.cell_a1)  # started at 09:30
    base = live_server.url
    scanned = NOW - dt.timedelta(minutes=5)  # the phone's clock: the member scans at 09:55
    page.clock.install(time=scanned)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "dv_a1")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise(resolve => navigator.serviceWorker.addEventListener("controllerchange", resolve));
        }
    }""")
    page.set_viewport_size({"width": 320, "height": 640})  # a small phone: nothing wider than the screen
    for path in (f"/meetings/{meeting.pk}/", "/meetings/mine/", "/meetings/checkin/"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    # The last page, "Check in", was visited online: it is kept on the phone.

    context.set_offline(True)
    page.goto(f"{base}/meetings/c/{meeting.checkin_token}/")  # what the camera app opens
    expect(page.locator("#checkin-result")).to_contain_text("Không có mạng")
    assert not Attendance.objects.exists()

    context.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("Lượt điểm danh lưu trên điện thoại đã được gửi",
                                                            timeout=15000)
    row = Attendance.objects.get()
    assert (row.member_id, row.status, row.method) == (world.member_a1.pk, "present", "qr")
    assert scanned <= row.checked_in_at < scanned + dt.timedelta(minutes=1)  # the scan's time, not the sync's
    page.reload()
    assert Attendance.objects.count() == 1
