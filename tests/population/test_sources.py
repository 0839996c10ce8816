"""The population sources: a loaded snapshot, and a lookup service (a local stdlib HTTP server)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dangvien.accounts.models import Role
from dangvien.population.services import snapshot_import
from dangvien.population.sources import HttpSource, LookupServiceError, PopulationSource, StoreSource
from tests.factories import make_user

PEOPLE = [
    {"citizen_id": "064080012345", "old_id": "230123456", "name_folded": "nguyen thi hoa", "birth_date": "1980-05-17"},
    {"citizen_id": "052185000002", "old_id": None, "name_folded": "tran van binh", "birth_date": "1985-01-02"},
]


@pytest.fixture
def service():
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(body)
            found = [p for p in PEOPLE if p.get(body["by"]) in body["values"]]
            data = json.dumps({"people": found}).encode() if self.path == "/lookup" else b"nope"
            self.send_response(200 if self.path == "/lookup" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_http_source(service):
    url, asked = service
    source: PopulationSource = HttpSource(url, batch=1)
    assert [p["name_folded"] for p in source.lookup(["064080012345", "999999999999"])] == ["nguyen thi hoa"]
    assert len(asked) == 2  # one request a batch
    assert source.lookup_old(["230123456"])[0]["citizen_id"] == "064080012345"
    assert source.candidates("birth_date", [dt.date(1985, 1, 2)])[0]["birth_date"] == dt.date(1985, 1, 2)
    with pytest.raises(ValueError):
        source.candidates("ho_ten", ["x"])


def test_http_source_errors(service):
    url, _asked = service
    with pytest.raises(LookupServiceError):
        HttpSource(url + "/wrong").lookup(["064080012345"])
    with pytest.raises(LookupServiceError):
        HttpSource("http://127.0.0.1:9", timeout=2).lookup(["064080012345"])


@pytest.mark.django_db
def test_store_source(tmp_path):
    path = tmp_path / "x.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh"],
                                  ["064080012345", "230123456", "Nguyễn Thị Hoà", "17/05/1980", "Nữ"]])
    snapshot = snapshot_import(actor=make_user("admin", Role.ADMIN, None), path=path).snapshot
    source: PopulationSource = StoreSource(snapshot.pk)
    assert source.lookup(["064080012345"])[0]["name_tone"] == "nguyễn thị hòa"
    assert source.lookup_old(["230123456"])[0]["citizen_id"] == "064080012345"
    assert source.candidates("name_folded", ["nguyen thi hoa"])[0]["birth_date"] == dt.date(1980, 5, 17)
    assert source.lookup(["052185000002"]) == []
