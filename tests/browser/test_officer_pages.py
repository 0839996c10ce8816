"""The officer pages on a phone (390 px), where a plain member lands, and the error pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.factories import PASSWORD, build_world, make_member

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(transactional_db):
    world = build_world()
    # Long names, as real units have, that a squeezed table would wrap a word a line.
    for n in range(3):
        cell = unit_create(actor=world.admin, kind=UnitKind.CELL, code=f"GL-A-01-L{n}",
                           name=f"Chi bộ Cơ quan Ủy ban Mặt trận Tổ quốc và các đoàn thể phường Hội Phú số {n}",
                           parent=world.org_a)
        make_member(cell, full_name=f"Nguyễn Văn Số {'ABC'[n]}")
    return world


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()


def _overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("username", ["tinh", "xa_a"])
def test_the_unit_tree_fits_a_phone(page: Page, live_server, world, username):
    page.set_viewport_size(PHONE)
    _login(page, live_server.url, username)
    expect(page).to_have_url(f"{live_server.url}/units/")
    assert _overflow(page) == 0
    # Deeper levels are folded: open one and it still fits.
    folded = page.locator("details:not([open]) > summary").first
    if folded.count():
        folded.click()
    assert _overflow(page) == 0
    expect(page.get_by_role("link", name="XLSX").first).to_be_visible()


def test_a_member_lands_on_their_handbook_with_no_dead_link(page: Page, live_server, world):
    _login(page, live_server.url, world.member_user_a1.username)
    expect(page).to_have_url(f"{live_server.url}/handbook/")
    expect(page.locator("main")).to_contain_text(world.member_a1.full_name)
    expect(page.get_by_role("link", name="Tài liệu API")).to_have_count(0)
    for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        if href.startswith("/"):
            assert page.request.get(f"{live_server.url}{href}").status in (200, 302), href


def test_the_403_and_404_pages_are_part_of_the_site(page: Page, live_server, world):
    _login(page, live_server.url, world.secretary_a1.username)
    response = page.goto(f"{live_server.url}/members/{world.member_a1.pk}/edit/")
    assert response is not None and response.status == 403
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Bạn không được làm việc này ở đây")
    expect(page.get_by_role("link", name="Về trang đầu")).to_be_visible()
    response = page.goto(f"{live_server.url}/members/{world.member_b1.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Không tìm thấy trang")
