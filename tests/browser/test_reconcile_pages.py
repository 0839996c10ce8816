"""An officer resolves a review item with the keyboard and a discrepancy from the list, in Chromium;
the member's history then shows the correction."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from dangvien.members.models import Member
from dangvien.members.services import member_correct
from dangvien.reconcile.models import Decision, Match
from tests.factories import PASSWORD, build_world, make_member
from tests.reconcile.fixtures import candidate, person, review_match

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    world = build_world()
    # A record without diacritics and without its citizen ID: the engine could not be sure.
    member = make_member(world.cell_a1, full_name="Nguyen Van Binh", birth=dt.date(1979, 3, 12))
    right_id = member.citizen_id
    member_correct(actor=world.admin, member=member, expected_version=member.version, changes={"citizen_id": None})
    right = person(so_dinh_danh=right_id, ho_ten="Nguyễn Văn Bình", ngay_sinh="12/03/1979", gioi_tinh="Nam")
    other = person(so_dinh_danh="064079000777", ho_ten="Nguyễn Văn Bình", ngay_sinh="12/03/1980", gioi_tinh="Nam",
                   que_quan_xa="Xã Chư Păh")
    world.binh, world.binh_id = member, right_id
    world.item = review_match(member, [candidate(right, 0.55, name=4.2, birth=10.3, sex=1.0, hometown=5.1),
                                       candidate(other, 0.41, name=4.2, birth=-3.0, sex=1.0, hometown=-1.4)])
    return world


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_an_officer_resolves_a_review_item_and_a_discrepancy(page: Page, live_server, world):
    _login(page, live_server.url, world.officer_a.username)
    page.goto(f"{live_server.url}/reconcile/review/")
    expect(page.locator("#review-member")).to_contain_text("Nguyen Van Binh")
    # Side by side: the record and both candidates, each field with what it contributed.
    expect(page.locator(".review-card")).to_have_count(3)
    expect(page.locator("[data-candidate='1'] .weight").first).to_have_text("+4,2")
    expect(page.locator("[data-candidate='2'] .weight.negative").first).to_have_text("-3,0")
    # The keyboard: a accepts the selected (best) candidate.
    page.locator("body").press("a")
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Nguyen Van Binh")
    assert Match.objects.get(pk=world.item.pk).decision == Decision.ACCEPTED

    # The differences of that link: the name's diacritics and the missing citizen ID.
    page.goto(f"{live_server.url}/reconcile/discrepancies/?member={world.binh.pk}")
    rows = page.locator("#discrepancies tbody tr")
    expect(rows).to_have_count(2)
    name_row = rows.filter(has_text="Nguyễn Văn Bình")
    name_row.get_by_role("button", name="Điều chỉnh hồ sơ").click()
    expect(page.locator(".messages")).to_contain_text("đã sửa hồ sơ (họ và tên)")
    # The citizen ID: the officer keeps the record as it is, with a reason.
    id_row = page.locator("#discrepancies tbody tr").filter(has_text=world.binh_id)
    id_row.get_by_role("textbox").fill("Chờ xác minh tại công an xã")
    id_row.get_by_role("button", name="Giữ nguyên hồ sơ").click()
    expect(page.locator("#no-discrepancies")).to_be_visible()

    member = Member.objects.get(pk=world.binh.pk)
    assert member.full_name == "Nguyễn Văn Bình" and member.citizen_id is None
    page.goto(f"{live_server.url}/members/{member.pk}/")
    expect(page.locator("h1")).to_contain_text("Nguyễn Văn Bình")
    history = page.locator("ol.timeline li").last
    expect(history).to_contain_text("Điều chỉnh thông tin")
    expect(history).to_contain_text("họ và tên")
    expect(page.locator("#member-reconciliation")).to_contain_text(world.binh_id)


def test_the_review_page_works_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    _login(page, live_server.url, world.officer_a.username)
    page.goto(f"{live_server.url}/reconcile/review/")
    page.fill("#reject-reason", "Không ai trong số này")
    page.locator("#reject").click()
    expect(page.locator("#queue-empty")).to_be_visible()
    assert Match.objects.get(pk=world.item.pk).decision == Decision.REJECTED
    context.close()
