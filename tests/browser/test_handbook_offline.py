"""The handbook offline, in a real browser: a bookmarked document read with no connection, the
saved pages forgotten at logout, and an opinion written offline delivered exactly once, even when
the connection drops while it is being sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Error, Page, Route, expect

from dangvien.library import services
from dangvien.library.models import Opinion
from tests.factories import PASSWORD
from tests.library.fixtures import Library, build_library

pytestmark = pytest.mark.browser


@pytest.fixture
def lib(transactional_db) -> Library:
    return build_library()


def _login_member(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "dv_a1")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/handbook/")
    # The service worker takes control of the open page; pages loaded from now on are kept.
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise(resolve => navigator.serviceWorker.addEventListener("controllerchange", resolve));
        }
    }""")


def _saved_pages(page: Page) -> list[str]:
    return page.evaluate("""async () => {
        const names = (await caches.keys()).filter(name => name.startsWith("dangvien-member-"));
        const urls = [];
        for (const name of names) {
            for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
        }
        return urls.sort();
    }""")


def test_a_bookmarked_document_is_read_offline_and_forgotten_at_logout(page: Page, context: BrowserContext,
                                                                       live_server, lib: Library):
    base = live_server.url
    member = lib.world.member_user_a1
    services.bookmark_add(actor=member, document=lib.doc_province)  # the one with a PDF
    _login_member(page, base)
    page.goto(f"{base}/handbook/")
    page.goto(f"{base}/library/documents/{lib.doc_province.pk}/")
    assert page.evaluate(f"fetch('/library/documents/{lib.doc_province.pk}/download/').then(r => r.status)") == 200
    page.goto(f"{base}/library/documents/{lib.doc_a.pk}/")  # read, not bookmarked: not kept
    assert _saved_pages(page) == sorted(["/handbook/", f"/library/documents/{lib.doc_province.pk}/",
                                         f"/library/documents/{lib.doc_province.pk}/download/"])

    context.set_offline(True)
    page.goto(f"{base}/library/documents/{lib.doc_province.pk}/")
    expect(page.locator("h1")).to_have_text(lib.doc_province.title)
    expect(page.locator("#offline-status")).to_contain_text("Bạn đang không có mạng")
    pdf = page.evaluate(f"fetch('/library/documents/{lib.doc_province.pk}/download/').then(r => r.text())")
    assert pdf.startswith("%PDF-")
    page.goto(f"{base}/handbook/")
    expect(page.locator("h1")).to_contain_text(lib.world.member_a1.full_name)
    with pytest.raises(Error):
        page.goto(f"{base}/library/documents/{lib.doc_a.pk}/")

    # A shared family phone: logging out forgets every saved page.
    context.set_offline(False)
    page.goto(f"{base}/handbook/")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    assert _saved_pages(page) == []


def test_an_opinion_written_offline_is_delivered_once_though_the_connection_drops(
        page: Page, context: BrowserContext, live_server, lib: Library):
    base = live_server.url
    document = lib.doc_a
    _login_member(page, base)
    page.goto(f"{base}/library/documents/{document.pk}/")

    context.set_offline(True)
    page.fill("#opinion-text", "Đề nghị in thêm tài liệu cho chi bộ vùng cao.")
    page.locator("#send-opinion").click()
    expect(page.locator("#offline-status")).to_contain_text("Đã lưu trên điện thoại")
    assert Opinion.objects.filter(document=document).count() == 0

    # The first send reaches the server, which records it, but the answer never comes back.
    keys: list[str] = []

    def drop_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/library/documents/*/opinions", drop_first_answer)
    context.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("Những gì bạn viết khi không có mạng đã được gửi",
                                                            timeout=15000)
    assert len(keys) == 2 and keys[0] == keys[1]
    opinions = list(Opinion.objects.filter(document=document))
    assert [(o.author_id, o.text) for o in opinions] == [
        (lib.world.member_user_a1.pk, "Đề nghị in thêm tài liệu cho chi bộ vùng cao.")]
    # Nothing is left to send: another page load sends nothing more.
    page.reload()
    assert Opinion.objects.filter(document=document).count() == 1
    assert page.evaluate("""() => new Promise(resolve => {
        const opening = indexedDB.open("dangvien-offline", 1);
        opening.onsuccess = () => {
            const count = opening.result.transaction("outbox").objectStore("outbox").count();
            count.onsuccess = () => resolve(count.result);
        };
    })""") == 0
