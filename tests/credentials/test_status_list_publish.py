"""The status list published at /cards/status/<list_id>, fetched over HTTP into a verifier's cache,
and the cache's answers offline: fresh, stale after 7 days, refused when it does not verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dangvien.credentials import status_list
from dangvien.credentials.status_cache import StatusCache, StatusFetchError
from dangvien.credentials.status_list import CardStatus
from tests.clock import NOW
from tests.credentials import _qr_support
from tests.credentials._qr_support import (
    REVOKED_INDEX,
    SUSPENDED_INDEX,
    URI,
    cache_with_list,
    keys,
    list_token,
)

MEDIA_TYPE = "application/statuslist+cwt"


def _read(body: bytes) -> status_list.StatusListToken:
    return status_list.read_status_list_token(body, trust=keys().trust)


@pytest.mark.usefixtures("keys_module", "status_endpoint")
def test_the_endpoint_serves_the_signed_list_to_anyone(monkeypatch, clock) -> None:
    response = Client().get("/cards/status/7")
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    token = _read(response.content)
    assert token.uri == "https://thedangvien.gov.vn/cards/status/7"
    assert token.issued_at == NOW and token.expires_at == NOW + dt.timedelta(days=7)
    assert [token.status(i) for i in range(4)] == [0, 1, 2, 0]
    assert Client().get("/cards/status/8").status_code == 404
    assert Client().post("/cards/status/7").status_code == 405

    # Unchanged within its ttl: the same token. A card revoked: a new token at once.
    clock.shift(dt.timedelta(minutes=10))
    assert Client().get("/cards/status/7").content == response.content
    monkeypatch.setitem(_qr_support.PUBLISHED, "7", status_list.pack([0, 1, 2, 1] + [0] * 28))
    changed = _read(Client().get("/cards/status/7").content)
    assert changed.status(3) == CardStatus.REVOKED and changed.issued_at == NOW + dt.timedelta(minutes=10)
    # Unchanged past its ttl: signed again, so verifiers' copies stay fresh.
    clock.shift(dt.timedelta(minutes=60))
    assert _read(Client().get("/cards/status/7").content).issued_at == NOW + dt.timedelta(minutes=70)


@pytest.mark.usefixtures("keys_module", "status_endpoint")
def test_a_verifier_fetches_the_published_list_over_http(list_server, tmp_path) -> None:
    # The endpoint's answer, served by a plain HTTP server at the address the token names.
    body = Client().get("/cards/status/7").content
    uri = _read(body).uri
    path = "/cards/status/7"
    list_server.routes[path] = (MEDIA_TYPE, body)
    cache = StatusCache(tmp_path)
    # The token names its own address (sub), and a verifier keeps it only under that address.
    with pytest.raises(StatusFetchError, match="is the list https://thedangvien.gov.vn/cards/status/7"):
        cache.fetch(list_server.url(path), trust=keys().trust, now=NOW)
    assert cache.lookup(uri, 1, trust=keys().trust, now=NOW).reason == "status_unavailable"
    token = cache.put(body, uri=uri, trust=keys().trust, fetched_at=NOW)
    assert token.size == 32
    offline = StatusCache(tmp_path)  # another process, later, without network
    assert offline.lookup(uri, 1, trust=keys().trust, now=NOW + dt.timedelta(days=6)).status == CardStatus.REVOKED
    assert offline.lookup(uri, 2, trust=keys().trust, now=NOW).status == CardStatus.SUSPENDED
    assert offline.lookup(uri, 3, trust=keys().trust, now=NOW).status == CardStatus.VALID
    out_of_range = offline.lookup(uri, 32, trust=keys().trust, now=NOW)
    assert (out_of_range.status, out_of_range.reason) == (None, "status_index_out_of_range")


def test_fetch_and_refresh_follow_the_tokens_ttl(list_server, tmp_path) -> None:
    uri = list_server.url("/cards/status/17")
    list_server.routes["/cards/status/17"] = (MEDIA_TYPE, list_token(uri=uri))
    cache = StatusCache(tmp_path)
    assert cache.refresh(uri, trust=keys().trust, now=NOW) is True
    assert cache.lookup(uri, REVOKED_INDEX, trust=keys().trust, now=NOW).status == CardStatus.REVOKED
    assert cache.refresh(uri, trust=keys().trust, now=NOW + dt.timedelta(minutes=59)) is False
    assert len(list_server.requests) == 1
    # Past the ttl the list is fetched again; the server now says the suspension was lifted.
    later = NOW + dt.timedelta(minutes=61)
    list_server.routes["/cards/status/17"] = (MEDIA_TYPE, list_token(uri=uri, suspended=(), issued_at=later))
    assert cache.refresh(uri, trust=keys().trust, now=later) is True
    assert len(list_server.requests) == 2
    lookup = cache.lookup(uri, SUSPENDED_INDEX, trust=keys().trust, now=later)
    assert (lookup.status, lookup.list_issued_at, lookup.fetched_at) == (CardStatus.VALID, later, later)


def test_what_the_server_sends_is_kept_only_if_it_verifies(list_server, tmp_path) -> None:
    uri = list_server.url("/cards/status/17")
    cache = StatusCache(tmp_path)
    list_server.routes["/cards/status/17"] = (MEDIA_TYPE, list_token(uri=uri))
    cache.fetch(uri, trust=keys().trust, now=NOW)
    kept = cache.path_for(uri).read_bytes()

    refusals = {
        "HTTP Error 404": None,
        "sent text/html": ("text/html", b"<html>maintenance</html>"),
        "bad_signature": (MEDIA_TYPE, list_token(uri=uri)[:-1] + b"\0"),
        "is the list https://thedangvien.gov.vn/cards/status/17": (MEDIA_TYPE, list_token()),
        "older than the cached copy": (MEDIA_TYPE, list_token(uri=uri, issued_at=NOW - dt.timedelta(hours=2))),
    }
    for message, route in refusals.items():
        if route is None:
            list_server.routes.pop("/cards/status/17", None)
        else:
            list_server.routes["/cards/status/17"] = route
        with pytest.raises(StatusFetchError, match=message):
            cache.fetch(uri, trust=keys().trust, now=NOW + dt.timedelta(hours=2))
        assert cache.path_for(uri).read_bytes() == kept, message
    with pytest.raises(StatusFetchError, match="not an http"):
        cache.refresh("file:///etc/passwd", trust=keys().trust, now=NOW)


def test_a_copy_older_than_seven_days_answers_unknown(tmp_path) -> None:
    # Fetched and signed 6 days 23 hours ago: still an answer.
    cache = cache_with_list(tmp_path / "a", issued_at=NOW - dt.timedelta(days=6, hours=23),
                            fetched_at=NOW - dt.timedelta(days=6, hours=23))
    assert cache.lookup(URI, REVOKED_INDEX, trust=keys().trust, now=NOW).status == CardStatus.REVOKED
    # Eight days: no statement, whatever the list says.
    stale = cache_with_list(tmp_path / "b", issued_at=NOW - dt.timedelta(days=8), fetched_at=NOW - dt.timedelta(days=8))
    lookup = stale.lookup(URI, REVOKED_INDEX, trust=keys().trust, now=NOW)
    assert (lookup.status, lookup.reason) == (None, "status_stale")
    assert "8 days old" in lookup.detail
    # Fetched today, but signed eight days ago (an old list replayed): stale too.
    replayed = cache_with_list(tmp_path / "c", issued_at=NOW - dt.timedelta(days=8), fetched_at=NOW)
    assert replayed.lookup(URI, 5, trust=keys().trust, now=NOW).reason == "status_stale"


def test_a_damaged_or_foreign_cache_file_is_no_answer(tmp_path) -> None:
    cache = cache_with_list(tmp_path)
    path = cache.path_for(URI)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # the token's signature
    path.write_bytes(bytes(data))
    lookup = StatusCache(tmp_path).lookup(URI, REVOKED_INDEX, trust=keys().trust, now=NOW)
    assert (lookup.status, lookup.reason) == (None, "status_list_invalid")
    path.write_bytes(b"not cbor at all")
    assert StatusCache(tmp_path).lookup(URI, 5, trust=keys().trust, now=NOW).reason == "status_list_invalid"
    # Under another trust list the same (good) copy does not verify.
    from tests.credentials._keys_standin import other_root_keys

    good = cache_with_list(tmp_path / "good")
    assert good.lookup(URI, 5, trust=other_root_keys().trust, now=NOW).reason == "status_list_invalid"
    assert good.lookup(URI, 5, trust=keys().trust, now=NOW).status == CardStatus.VALID
