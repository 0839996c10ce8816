"""The handbook's installable app: the manifest, the service worker's script, and which answers the
service worker may keep for offline reading (the member's own pages only)."""

from __future__ import annotations

import gzip

import pytest
from django.template import Context, Template
from django.test import Client

from dangvien.library import services as library
from tests.library.fixtures import Library, build_library

HEADER = "X-Dangvien-Offline-Copy"


@pytest.fixture
def lib(db) -> Library:
    return build_library()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_manifest_names_the_handbook_in_vietnamese_and_starts_on_it(client):
    response = client.get("/handbook/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["name"] == "Sổ tay đảng viên" and data["short_name"] == "Sổ tay"
    assert data["start_url"] == "/handbook/" and data["scope"] == "/" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"any", "192x192", "512x512"}
    assert "max-age=86400" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]


def test_the_service_worker_may_control_the_whole_site_and_is_never_cached(client):
    response = client.get("/handbook/sw.js")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    script = response.content.decode()
    assert 'var OFFLINE_HEADER = "X-Dangvien-Offline-Copy";' in script
    assert 'var LOGOUT_PATH = "/accounts/logout/";' in script


def test_the_members_own_pages_may_be_kept_for_them_and_stay_out_of_the_http_cache(lib):
    member = lib.world.member_user_a1
    client = _client(member)
    library.bookmark_add(actor=member, document=lib.doc_province)
    kept = ["/handbook/", "/handbook/rights/", "/library/bookmarks/", f"/library/documents/{lib.doc_province.pk}/",
            f"/library/documents/{lib.doc_province.pk}/download/"]
    for url in kept:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response[HEADER] == str(member.pk), url
        assert "no-store" in response["Cache-Control"], url


def test_other_answers_are_never_kept(lib):
    member = lib.world.member_user_a1
    client = _client(member)
    for url in [f"/library/documents/{lib.doc_province.pk}/", f"/library/documents/{lib.doc_province.pk}/download/",
                "/library/", "/library/feedback/", "/api/library/documents", "/notifications/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert HEADER not in response, url  # not bookmarked, a search list, or the API
    officer = _client(lib.world.officer_a)
    for url in ["/units/", "/members/", "/library/"]:
        assert HEADER not in officer.get(url), url


def test_pages_carry_the_app_for_members_only(lib):
    member_page = _client(lib.world.member_user_a1).get("/handbook/").content.decode()
    assert f'data-member-user="{lib.world.member_user_a1.pk}"' in member_page
    assert 'data-service-worker="/handbook/sw.js"' in member_page
    assert 'rel="manifest" href="/handbook/manifest.webmanifest"' in member_page
    officer_page = _client(lib.world.officer_a).get("/units/").content.decode()
    html_element = officer_page.split("<html", 1)[1].split(">", 1)[0]  # the style sheet names the attribute
    assert "data-member-user" not in html_element and "data-service-worker" not in html_element


def test_a_download_stays_streamed_when_gzipped_and_arrives_whole(lib):
    """GZipMiddleware compresses pages; a file answer (the document's PDF, a saved copy offline) is
    still streamed, and its bytes arrive unchanged once decompressed."""
    client = _client(lib.world.member_user_a1)
    url = f"/library/documents/{lib.doc_province.pk}/download/"
    plain = client.get(url)
    original = b"".join(plain.streaming_content)
    sent = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert sent.streaming and sent["Content-Encoding"] == "gzip" and "Content-Length" not in sent
    assert gzip.decompress(b"".join(sent.streaming_content)) == original and original.startswith(b"%PDF")


def test_without_a_request_the_style_sheet_and_script_are_linked():
    """A template rendered without a request has no nonce to give: the files are linked, which the
    policy's 'self' allows, rather than written inline and blocked."""
    html = Template("{% load dangvien_ui %}{% inline_static 'dangvien/site.css' %}"
                    "{% inline_static 'dangvien/site.js' %}").render(Context({}))
    assert html == ('<link rel="stylesheet" href="/static/dangvien/site.css">'
                    '<script src="/static/dangvien/site.js"></script>')
