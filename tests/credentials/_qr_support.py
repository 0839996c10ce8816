"""What the status list, phone QR and verifier tests share: claims, a status list server, fixtures.

The keys come from _keys_standin.py until cred-chip's credentials/keys.py lands (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import http.server
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from dangvien.credentials import phone, status_list
from dangvien.credentials.status_cache import StatusCache
from tests.clock import NOW
from tests.credentials._keys_standin import KeyRole, Keys, StandinSigner, keys_module_for, standin_keys

URI = "https://thedangvien.gov.vn/cards/status/17"
INDEX = 4_181_977  # a random index in a list of 2^23
LIST_SIZE = 2**23
REVOKED_INDEX, SUSPENDED_INDEX = 77, 1_000_003
# The 2-bit status list the endpoint tests serve as list "7" (index 1 revoked, 2 suspended).
PUBLISHED = {"7": status_list.pack([0, 1, 2, 0] + [0] * 28)}


def keys() -> Keys:
    return standin_keys()


def phone_signer() -> StandinSigner:
    return keys().signer(KeyRole.PHONE)


def status_signer() -> StandinSigner:
    return keys().signer(KeyRole.STATUS)


def claims(**changes) -> phone.PhoneClaims:
    values = dict(name="Nguyễn Thị Thanh Hương", card_number="GL00123456", birth_date=dt.date(1958, 3, 12),
                  committee="GL.12.0345", admission_date=dt.date(1980, 5, 19), official_date=dt.date(1981, 5, 19),
                  status_list_uri=URI, status_index=INDEX)
    return phone.PhoneClaims(**{**values, **changes})


def list_token(*, revoked: tuple[int, ...] = (REVOKED_INDEX,), suspended: tuple[int, ...] = (SUSPENDED_INDEX,),
               issued_at: dt.datetime = NOW, uri: str = URI, signer: StandinSigner | None = None) -> bytes:
    entries = [(i, status_list.CardStatus.REVOKED) for i in revoked]
    entries += [(i, status_list.CardStatus.SUSPENDED) for i in suspended]
    return status_list.status_list_token(status_list.pack_entries(LIST_SIZE, entries), uri=uri,
                                         signer=signer or status_signer(), issued_at=issued_at,
                                         ttl=dt.timedelta(hours=1))


def cache_with_list(directory, *, fetched_at: dt.datetime = NOW, **token_options) -> StatusCache:
    cache = StatusCache(directory)
    cache.put(list_token(**token_options), uri=token_options.get("uri", URI), trust=keys().trust,
              fetched_at=fetched_at)
    return cache


def published_statuses(list_id: str) -> bytes | None:
    """The endpoint's source in tests (settings.DANGVIEN["STATUS_LIST_SOURCE"]): cred-cards' selector
    reads the card tables instead."""
    return PUBLISHED.get(list_id)


@pytest.fixture
def keys_module(monkeypatch) -> Keys:
    """`dangvien.credentials.keys` for the code that imports it at run time (the endpoint's signer, the
    command's trust list): the stand-in's, until the real module lands."""
    monkeypatch.setitem(sys.modules, "dangvien.credentials.keys", keys_module_for(keys()))
    return keys()


@pytest.fixture
def status_endpoint(settings):
    """The status list endpoint (/cards/status/<id>) reading PUBLISHED."""
    settings.DANGVIEN = {**settings.DANGVIEN, "STATUS_LIST_SOURCE": "tests.credentials._qr_support.published_statuses",
                         "PUBLIC_URL": "https://thedangvien.gov.vn"}
    from dangvien.credentials import status_views

    status_views._signed.clear()
    yield
    status_views._signed.clear()


# --- a status list server: the standard library's, over real HTTP -------------------------------------


@dataclass
class ListServer:
    base: str
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (content type, body)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    server_state = ListServer("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            server_state.requests.append(self.path)
            content_type, body = server_state.routes.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in server_state.routes else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
