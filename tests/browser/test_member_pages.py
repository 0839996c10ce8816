"""A commune officer's day in a real browser, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dangvien.members.models import EventKind, Member, Status
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return build_world()


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/units/")


def test_officer_finds_member_and_records_exemption(page: Page, live_server, world):
    base = live_server.url
    _login(page, base, "xa_a")
    # The style sheet is inside the page (its nonce lets it apply): the header is drawn white on red.
    expect(page.locator("style[nonce]")).to_have_count(1)
    expect(page.locator(".site-header a.brand")).to_have_css("color", "rgb(255, 255, 255)")
    page.get_by_role("link", name="Đảng viên", exact=True).click()
    page.fill("#q", "nguyen thi ha")
    page.locator("form.filters button[type=submit]").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Nguyễn Thị Hà").click()
    expect(page.locator("h1")).to_contain_text("Nguyễn Thị Hà")

    page.get_by_role("link", name="Miễn công tác và sinh hoạt").click()
    page.fill("#id_date", "01/10/2026")
    page.fill("#id_reason", "Tuổi cao, sức yếu")
    page.get_by_role("button", name="Lưu").click()

    member = world.member_a1
    expect(page).to_have_url(re.compile(rf"/members/{member.pk}/$"))
    expect(page.locator(".msg-success")).to_be_visible()
    last = page.locator(".timeline li").last
    expect(last).to_contain_text("01/10/2026")
    expect(last).to_contain_text("Miễn công tác và sinh hoạt")
    expect(last).to_contain_text("Tuổi cao, sức yếu")
    member.refresh_from_db()
    assert member.status == Status.EXEMPTED
    assert Member.objects.get(pk=member.pk).events.filter(kind=EventKind.EXEMPTED).count() == 1


def test_language_switch(page: Page, live_server, world):
    base = live_server.url
    _login(page, base, "xa_a")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "vi")
    expect(page.get_by_role("link", name="Đơn vị", exact=True)).to_be_visible()
    page.select_option("#language-select", "en")
    page.locator("form.lang button").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{base}/units/")
    expect(page.get_by_role("link", name="Members", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.select_option("#language-select", "vi")
    page.locator("form.lang button").click()
    expect(html).to_have_attribute("lang", "vi")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
