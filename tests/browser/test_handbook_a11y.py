"""The member's pages for elderly members on cheap phones: no serious or critical accessibility
violation (axe-core), in the normal, large-text and high-contrast modes; no horizontal scrolling
at 320 px; buttons and links big enough to hit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dangvien.library import services
from tests.browser.a11y import serious_violations
from tests.factories import PASSWORD
from tests.library.fixtures import Library, build_library

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
MIN_TARGET_PX = 44  # WCAG 2.5.5's size for a target that a shaking finger still hits


@pytest.fixture
def lib(transactional_db) -> Library:
    library = build_library()
    services.bookmark_add(actor=library.world.member_user_a1, document=library.doc_province)
    return library


def _member_pages(lib: Library) -> list[str]:
    return ["/handbook/", "/handbook/rights/", "/library/", f"/library/documents/{lib.doc_province.pk}/",
            "/library/bookmarks/", "/library/feedback/"]


def _login_member(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "dv_a1")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/handbook/")
    page.wait_for_load_state("load")  # the style sheet applied before anything is measured


def _no_horizontal_scroll(page: Page, url: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url}: {width} px wide"


def test_activation_and_login_have_no_serious_violation_and_fit_320px(page: Page, live_server, lib: Library):
    page.set_viewport_size(PHONE)
    for url in ["/handbook/activate/", "/accounts/login/"]:
        page.goto(f"{live_server.url}{url}")
        assert serious_violations(page) == [], url
        _no_horizontal_scroll(page, url)


@pytest.mark.parametrize("mode", ["normal", "large", "contrast"])
def test_member_pages_have_no_serious_violation_and_fit_320px(page: Page, live_server, lib: Library, mode: str):
    page.set_viewport_size(PHONE)
    _login_member(page, live_server.url)
    if mode != "normal":
        page.locator(f".display-modes button[value={mode}]").click()
        expect(page.locator("html")).to_have_class("text-large" if mode == "large" else "contrast-high")
    problems = []
    for url in _member_pages(lib):
        page.goto(f"{live_server.url}{url}")
        problems += [f"{url}: {v}" for v in serious_violations(page)]
        _no_horizontal_scroll(page, url)
    assert problems == []


def test_the_home_targets_are_big_enough(page: Page, live_server, lib: Library):
    page.set_viewport_size(PHONE)
    _login_member(page, live_server.url)
    small = page.evaluate(f"""() => [...document.querySelectorAll("main a, main button, header a, header button, header select")]
        .filter(e => e.offsetParent !== null && !e.closest("p, td, dd, .hb-list"))
        .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
        .filter(([, box]) => box.height < {MIN_TARGET_PX})
        .map(([text, box]) => `${{text}}: ${{Math.round(box.width)}}x${{Math.round(box.height)}}`)""")
    assert small == [], "; ".join(small)
