"""A member activates the handbook on a small phone, and the activation's throttle, in a real browser."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from dangvien.accounts.models import User
from tests.factories import build_world, make_member

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}  # the narrowest phone the handbook must fit
PASSWORD = "tre-xanh-Ia-Grai-42"


@pytest.fixture
def newcomer(transactional_db):
    world = build_world()
    return make_member(world.cell_a1, full_name="Rơ Mah Hlin", birth=dt.date(1979, 4, 30), card_number="05123456")


def _fill(page: Page, member, card_number: str) -> None:
    page.fill("#id_citizen_id", member.citizen_id)
    page.fill("#id_date_of_birth", "30/04/1979")
    page.fill("#id_card_number", card_number)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Kích hoạt", exact=True).click()


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_member_activates_on_a_small_phone_and_lands_on_the_handbook(page: Page, live_server, newcomer):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Lần đầu sử dụng? Kích hoạt tài khoản Sổ tay đảng viên").click()
    expect(page.locator("h1")).to_have_text("Kích hoạt tài khoản Sổ tay đảng viên")
    _no_horizontal_scroll(page)
    _fill(page, newcomer, "05123456")
    expect(page).to_have_url(f"{live_server.url}/handbook/")
    expect(page.locator(".msg-success")).to_contain_text(newcomer.citizen_id)  # the login name to remember
    expect(page.locator("h1")).to_contain_text("Rơ Mah Hlin")
    expect(page.locator("#history .timeline li")).to_have_count(2)  # admitted, then official
    _no_horizontal_scroll(page)
    # Large text stays on, page after page, and still fits the screen.
    page.get_by_role("button", name="Chữ to").click()
    expect(page.locator("html")).to_have_class("text-large")
    page.reload()
    expect(page.locator("html")).to_have_class("text-large")
    _no_horizontal_scroll(page)
    assert User.objects.get(member=newcomer).check_password(PASSWORD)


def test_the_sixth_try_is_locked_even_with_the_right_papers(page: Page, live_server, newcomer):
    page.goto(f"{live_server.url}/handbook/activate/")
    for _ in range(5):
        _fill(page, newcomer, "05999999")
        expect(page.locator(".errorlist.nonfield")).to_contain_text("Thông tin không khớp")
    _fill(page, newcomer, "05123456")
    expect(page.locator("h1")).to_have_text("Tạm thời chưa kích hoạt được")
    expect(page.locator("[role=alert]")).to_contain_text("15 phút")
    assert not User.objects.filter(member=newcomer).exists()
