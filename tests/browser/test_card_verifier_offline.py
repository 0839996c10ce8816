"""The card verifier page in a real browser, offline: visited once online (it keeps the page, its
scripts, the trust list and the status list), then with the network off it checks phone QR texts made
by the Python side and answers, for each, the verdict and reason the Python verifier gives with the
same trust list and the same status list copy: valid, revoked, suspended, every one-byte change, a
wrong root, expired, and a status list copy more than 7 days old."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import base45
import pytest
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from dangvien.credentials import phone, status_list
from dangvien.credentials.keys import KeyRole, signer_for, trust_list
from dangvien.credentials.models import StatusList
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.status_selectors import status_list_uri
from dangvien.credentials.verify import Verifier
from tests.browser.conftest import CAMERA_QR_TEXT
from tests.clock import NOW
from tests.credentials._keys_standin import other_root_keys

pytestmark = pytest.mark.browser

VALID, REVOKED, SUSPENDED = 0, 1, 2  # the entries of the list served below
STATUSES = status_list.pack([0, 1, 2] + [0] * 61)


def served_statuses(list_id: str) -> bytes | None:
    """The status list endpoint's source here (settings.DANGVIEN["STATUS_LIST_SOURCE"])."""
    return STATUSES


def _qr(uri: str, index: int, *, at: dt.datetime = NOW, signer=None, disclose=("name", "birth_date"),
        valid_for: dt.timedelta = phone.VALIDITY) -> str:
    claims = phone.PhoneClaims(name="Nguyễn Thị Thanh Hương", card_number="GL00123456", birth_date=dt.date(1958, 3, 12),
                               committee="GL.12.0345", admission_date=dt.date(1980, 5, 19), official_date=None,
                               status_list_uri=uri, status_index=index)
    return phone.phone_credential(claims, disclose=disclose, signer=signer or signer_for(KeyRole.PHONE, at=at), now=at,
                                 valid_for=valid_for)


def _one_byte_changes(text: str) -> list[str]:
    raw = base45.b45decode(text[len(phone.PREFIX):])
    changed = []
    for position in range(len(raw)):
        data = bytearray(raw)
        data[position] ^= 0x01
        changed.append(phone.PREFIX + base45.b45encode(bytes(data)).decode("ascii"))
    return changed


@pytest.fixture
def served_list(settings, test_keys):
    settings.DANGVIEN = {**settings.DANGVIEN, "STATUS_LIST_SOURCE": f"{__name__}.served_statuses"}
    from dangvien.credentials import status_views

    status_views._signed.clear()
    row = StatusList.objects.create(uri="pending", size=len(STATUSES) * 4)
    row.uri = status_list_uri(row.pk)
    row.save(update_fields=["uri"])
    yield row
    status_views._signed.clear()


def test_the_verifier_page_answers_offline_as_the_python_verifier(page: Page, context: BrowserContext, live_server,
                                                                   transactional_db, served_list) -> None:
    uri = served_list.uri
    valid = _qr(uri, VALID)
    hour = dt.timedelta(hours=1)
    cases = [
        (valid, NOW + hour),
        (_qr(uri, REVOKED), NOW + hour),
        (_qr(uri, SUSPENDED), NOW + hour),
        (_qr(uri, VALID, signer=other_root_keys().signer(KeyRole.PHONE)), NOW + hour),  # wrong root
        (valid, NOW + dt.timedelta(hours=25)),  # expired
        (_qr(uri, REVOKED, at=NOW + dt.timedelta(days=8)), NOW + dt.timedelta(days=8) + hour),  # stale list copy
        ("DV1:", NOW), ("hello", NOW),
        # The card's printed QR, 10 years long, by the printed-card signer; a QR signed by a chip signer.
        (_qr(uri, VALID, signer=signer_for(KeyRole.PRINTED, at=NOW), valid_for=dt.timedelta(days=3650)),
         NOW + hour),
        (_qr(uri, VALID, signer=signer_for(KeyRole.CHIP, at=NOW)), NOW + hour),
        *[(text, NOW + hour) for text in _one_byte_changes(valid)],
    ]

    page.clock.install(time=NOW)
    page.goto(f"{live_server.url}/cards/verify/")
    expect(page.locator("#verifier")).to_have_attribute("data-offline-ready", "true")
    page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise(resolve => navigator.serviceWorker.addEventListener("controllerchange", resolve));
        }
    }""")
    # The Python verifier with what the browser got: this server's trust list, the token it served.
    trust = trust_list(NOW)
    cache = StatusCache(Path(tempfile.mkdtemp(prefix="dangvien-verifier-test-")))
    cache.put(Client().get(f"/cards/status/{served_list.pk}").content, uri=uri, trust=trust, fetched_at=NOW)
    verifier = Verifier(trust, cache)
    expected = [(v.result, v.reason) for v in (verifier.verify_qr(text, now=at) for text, at in cases)]
    assert expected[:10] == [("valid", ""), ("revoked", "revoked"), ("suspended", "suspended"),
                            ("invalid", "signer_untrusted"), ("invalid", "expired"), ("unknown", "status_stale"),
                            ("invalid", "malformed"), ("invalid", "not_a_card_qr"),
                            ("valid", ""), ("invalid", "signer_role")]
    assert all(result == "invalid" for result, _reason in expected[10:])

    context.set_offline(True)
    page.reload()  # the page, its scripts and the lists, all from the device
    expect(page.locator("#verifier")).to_have_attribute("data-offline-ready", "true")
    answers = page.evaluate("""async (cases) => {
        const answers = [];
        for (const [text, at] of cases) {
            const verdict = await window.dangvienVerifierPage.check(text, at);
            answers.push([verdict.result, verdict.reason]);
        }
        return answers;
    }""", [[text, at.timestamp()] for text, at in cases])
    assert [tuple(answer) for answer in answers] == expected

    # Through the form, in the page's language: a revoked card, with what it shows.
    page.fill("#id_text", cases[1][0])
    page.locator("#verifier-form button[type=submit]").click()
    result = page.locator("#verifier-result")
    expect(result).to_have_attribute("data-reason", "revoked")
    expect(result).to_contain_text("Đã thu hồi")
    expect(result).to_contain_text("12/03/1958")

    # The camera (the fake one films CAMERA_QR_TEXT, not a card's code): the text read is checked.
    page.locator("#scan-start").click()
    expect(page.locator("#id_text")).to_have_value(CAMERA_QR_TEXT)
    from_camera = verifier.verify_qr(CAMERA_QR_TEXT, now=NOW)
    assert (from_camera.result, from_camera.reason) == ("invalid", "malformed")
    expect(result).to_have_attribute("data-reason", "malformed")
    expect(result).to_contain_text("Mã bị hỏng hoặc không đầy đủ")
