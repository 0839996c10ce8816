"""`dangvien cards verify FILE|TEXT [--json]`: a QR picture, its text, standard input; offline from the
cached status lists, or refreshing them with --online. (In-process: the trust list is read through
credentials.keys, the stand-in's until cred-chip's module lands.)"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from dangvien.credentials import phone, qr
from dangvien.credentials.phone import FIELDS
from tests.clock import NOW
from tests.credentials._qr_support import (
    REVOKED_INDEX,
    cache_with_list,
    claims,
    keys,
    list_token,
    phone_signer,
)

pytestmark = pytest.mark.usefixtures("keys_module")


@pytest.fixture
def trust_file(tmp_path):
    path = tmp_path / "trust.json"
    path.write_bytes(keys().trust.to_json())
    return path


def _run(*args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        call_command("cards", "verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_a_qr_picture_verifies_offline(tmp_path, trust_file) -> None:
    cache_with_list(tmp_path / "cache")
    text = phone.phone_credential(claims(), disclose=["name", "card_number"], signer=phone_signer(), now=NOW)
    picture = tmp_path / "qr.png"
    picture.write_bytes(qr.png(qr.screen_qr(text)))
    code, out, _err = _run(str(picture), "--trust", str(trust_file), "--status-cache", str(tmp_path / "cache"))
    assert code == 0
    # The sentences in the site's language (Vietnamese); the answer's word and the fields as they are.
    assert out.splitlines()[:3] == ["VALID: Thẻ đảng viên hợp lệ.", "  name: Nguyễn Thị Thanh Hương",
                                    "  card_number: GL00123456"]
    code, out, _err = _run(str(picture), "--json", "--trust", str(trust_file), "--status-cache", str(tmp_path / "cache"))
    answer = json.loads(out)
    assert (code, answer["result"], answer["reason"], answer["source"]) == (0, "valid", "", "phone")
    assert answer["fields"] == {"name": "Nguyễn Thị Thanh Hương", "card_number": "GL00123456"}


def test_a_revoked_card_exits_non_zero_with_the_answer(tmp_path, trust_file, monkeypatch) -> None:
    cache_with_list(tmp_path / "cache")
    text = phone.phone_credential(claims(status_index=REVOKED_INDEX), disclose=FIELDS, signer=phone_signer(), now=NOW)
    code, out, _err = _run(text, "--trust", str(trust_file), "--status-cache", str(tmp_path / "cache"))
    assert code == 1 and out.startswith("REVOKED: Thẻ này đã bị thu hồi.")
    code, out, _err = _run("-", "--json", "--trust", str(trust_file), "--status-cache", str(tmp_path / "cache"),
                           stdin=text + "\n", monkeypatch=monkeypatch)
    assert code == 1 and json.loads(out)["result"] == "revoked"
    # No copy of the status list: unknown, and the way out told.
    code, out, _err = _run(text, "--trust", str(trust_file), "--status-cache", str(tmp_path / "none"))
    assert code == 1 and out.startswith("UNKNOWN (status_unavailable): Thiết bị này chưa tải danh sách trạng thái")


def test_online_fetches_the_status_list_first(tmp_path, trust_file, list_server) -> None:
    uri = list_server.url("/cards/status/17")
    list_server.routes["/cards/status/17"] = ("application/statuslist+cwt", list_token(uri=uri))
    text = phone.phone_credential(claims(status_list_uri=uri), disclose=[], signer=phone_signer(), now=NOW)
    cache = str(tmp_path / "cache")
    code, out, _err = _run(text, "--trust", str(trust_file), "--status-cache", cache)
    assert code == 1 and out.startswith("UNKNOWN")
    code, out, _err = _run(text, "--online", "--trust", str(trust_file), "--status-cache", cache)
    assert code == 0 and out.startswith("VALID") and list_server.requests == ["/cards/status/17"]
    # The copy is kept: offline from now on.
    code, out, _err = _run(text, "--trust", str(trust_file), "--status-cache", cache)
    assert code == 0 and len(list_server.requests) == 1


def test_unreadable_input_or_trust_list_is_an_error(tmp_path, trust_file) -> None:
    with pytest.raises(CommandError, match="neither a file, a directory nor a card QR text") as caught:
        call_command("cards", "verify", str(tmp_path / "missing.png"), "--trust", str(trust_file))
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="No trust list at"):
        call_command("cards", "verify", "DV1:AAA", "--trust", str(tmp_path / "absent.json"))
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    with pytest.raises(CommandError, match="no QR code found in the picture"):
        call_command("cards", "verify", str(blank), "--trust", str(trust_file), "--status-cache", str(tmp_path))
    # A text that is no card QR: an answer (invalid), not an error.
    code, out, _err = _run("DV1:AAA", "--trust", str(trust_file), "--status-cache", str(tmp_path))
    assert code == 1 and out.startswith("INVALID (malformed)")
