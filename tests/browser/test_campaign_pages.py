"""Issue 10's browser must-show, end to end: a card officer of the working group assigned to commune A
records a home visit with the data collection for an elderly member on a phone; the commune's and the
province's progress reports then count exactly one more completed member, and the chart is drawn.

The world (tests.fieldwork.fixtures): 6 eligible members in commune A, 1 in commune B, so 7 in the
province; "completed" means "photo taken" here, the last step a home visit records. Before the
visit, Phạm Văn Lộc (commune A) and Ngô Thị Bảy (commune B) are photographed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from dangvien.campaign.models import Step
from dangvien.campaign.services import participant_step
from tests.factories import PASSWORD, build_world
from tests.fieldwork.fixtures import build_field

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHARE = re.compile(r"^(\d+)/(\d+) = [\d,]+%$")


@pytest.fixture
def field(transactional_db):
    field = build_field(build_world(), headline_step=Step.PHOTOGRAPHED)
    officer = field.world.province_officer
    for member in (field.young, field.elderly_b):
        participant = field.participant(member)
        for step in (Step.DECLARED, Step.PHOTOGRAPHED):
            participant = participant_step(actor=officer, participant=participant,
                                           expected_version=participant.version, step=step, day=dt.date(2026, 11, 10))
    return field


@pytest.fixture
def signed_in(browser: Browser, live_server):
    """A page in a browser context of its own, signed in as the user; every context is closed at the
    end, and, as the conftest's page does, any script or style the CSP blocks fails the test."""
    contexts, blocked = [], []

    def sign_in(username: str, **context_args) -> Page:
        context = browser.new_context(locale="vi-VN", **context_args)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert not blocked, blocked


def _completed(share: str) -> tuple[int, int]:
    """(completed, eligible) read back from "2/6 = 33,33%"."""
    match = SHARE.match(share)
    assert match, share
    return int(match[1]), int(match[2])


def _report(page: Page, url: str) -> dict[str, str]:
    """The figures of a report page: its headline, each child unit's share, and the chart's summary;
    the chart must be drawn (visible, with an area) on the way."""
    page.goto(url)
    chart = page.locator("figure.chart svg.progress-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], (box, page.viewport_size)
    figures = {"headline": page.locator("#headline strong").inner_text().strip(),
               "chart": chart.locator("desc").text_content() or ""}
    for row in page.locator("#units tbody tr").all():
        figures[row.get_attribute("data-unit") or ""] = row.locator("td.share").inner_text().strip()
    return figures


def test_a_home_visit_moves_the_commune_and_province_reports_by_one(signed_in, live_server, field):
    base, campaign, world = live_server.url, field.campaign, field.world
    report = f"{base}/campaigns/{campaign.pk}/"
    commune_officer = signed_in(world.officer_a.username, viewport=PHONE)
    province_officer = signed_in(world.province_officer.username)

    before_commune = _report(commune_officer, f"{report}?unit=GL-A")
    before_province = _report(province_officer, f"{report}?unit=GL")
    assert before_commune["headline"] == "1/6 = 16,67%"
    assert before_commune["chart"].startswith("Đã hoàn thành 1/6 đến ngày 21/11;")
    assert before_province["headline"] == "2/7 = 28,57%"
    assert (before_province["GL-A"], before_province["GL-B"]) == ("1/6 = 16,67%", "1/1 = 100%")
    assert before_province["chart"].startswith("Đã hoàn thành 2/7 đến ngày 21/11;")

    # The card officer, on a phone without JavaScript, from the worklist to the visit form.
    card_officer = signed_in(world.card_officer_a.username, viewport=PHONE, java_script_enabled=False)
    card_officer.goto(f"{base}/campaigns/{campaign.pk}/visits/?unit=GL-A")
    lan = field.participant(field.elderly)
    row = card_officer.locator(f"#participant-{lan.pk}")
    expect(row).to_contain_text("78")
    row.get_by_role("link", name="Trần Thị Lan").click()
    card_officer.fill("#id_visited_on", "21/11/2026")
    card_officer.select_option("#id_outcome", "photo_taken")
    card_officer.check("#id_steps input[value=declared]")
    card_officer.check("#id_steps input[value=photographed]")
    card_officer.locator("#save-visit").click()
    expect(card_officer.locator(".messages")).to_contain_text("Trần Thị Lan")

    after_commune = _report(commune_officer, f"{report}?unit=GL-A")
    after_province = _report(province_officer, f"{report}?unit=GL")
    assert after_commune["headline"] == "2/6 = 33,33%"
    assert after_commune["chart"].startswith("Đã hoàn thành 2/6 đến ngày 21/11;")
    assert after_province["headline"] == "3/7 = 42,86%"
    assert (after_province["GL-A"], after_province["GL-B"]) == ("2/6 = 33,33%", "1/1 = 100%")
    assert after_province["chart"].startswith("Đã hoàn thành 3/7 đến ngày 21/11;")
    # Exactly one more completed member, the same eligible members, at both levels.
    for before, after in ((before_commune, after_commune), (before_province, after_province)):
        (done_before, eligible_before), (done_after, eligible_after) = (_completed(before["headline"]),
                                                                        _completed(after["headline"]))
        assert (done_after - done_before, eligible_after) == (1, eligible_before)

    # The province officer following the commune's link sees the commune's report as its officer does.
    province_officer.locator('#units tr[data-unit="GL-A"] a').click()
    expect(province_officer.locator("#headline strong")).to_have_text("2/6 = 33,33%")
    expect(province_officer.locator("svg.progress-chart")).to_be_visible()
