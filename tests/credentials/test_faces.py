"""The card faces PDF (credentials/faces.py) read back as a card maker's printer and a verifier would:
two ID-1 pages a card in the batch's order, the Vietnamese name and the number on the front in
text a PDF reader extracts, and the back's QR, rendered to pixels by PDFium and read by zxing-cpp,
verifying as valid against the keys and the status list."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest

from dangvien.credentials import qr
from dangvien.credentials.faces import faces_pdf
from dangvien.credentials.keys import KeyRole
from dangvien.credentials.models import Card
from dangvien.credentials.phone import open_qr
from dangvien.credentials.qr import dark_runs
from dangvien.credentials.services import cards_issue_bulk
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.verify import Verifier
from tests.clock import NOW
from tests.credentials._qr_support import list_token

MM = 72 / 25.4  # PDF points a millimetre


@pytest.fixture
def issued(cards, test_keys):
    cards_issue_bulk(actor=cards.world.admin, unit=cards.world.province, day=dt.date(2026, 11, 20))
    return cards


def _texts(document: pypdfium2.PdfDocument) -> list[str]:
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_two_pages_a_card_in_order_with_the_name_number_and_a_verifying_qr(issued, test_keys, tmp_path) -> None:
    b1_card, a1_card = Card.objects.get(member=issued.b1), Card.objects.get(member=issued.a1)
    document = pypdfium2.PdfDocument(faces_pdf([b1_card, a1_card], now=NOW))
    assert len(document) == 4
    assert all((round(w / MM, 1), round(h / MM, 1)) == (85.6, 54.0)
               for w, h in (document[i].get_size() for i in range(4)))
    front_b, back_b, front_a, back_a = _texts(document)
    # The names as typed, precomposed (NFC): "à" one code point, as a search or a copy finds them.
    assert "Lê Thị Hoà" in front_b and b1_card.display_number in front_b
    assert "Nguyễn Thị Hà" in front_a and a1_card.display_number in front_a
    assert "Lê Thị Hoà" not in front_a
    assert front_b.startswith("THẺ ĐẢNG VIÊN · ")  # the labels in Vietnamese (the default)
    assert "03/02/1968" in front_b and "Ngày vào Đảng" in front_b
    assert back_b.startswith(f"{b1_card.display_number} · ") and "Quét mã" in back_b
    # The back's QR, drawn as rectangles, read from pixels and checked offline.
    trust = test_keys.trust(NOW)
    cache = StatusCache(tmp_path / "status")
    cache.put(list_token(uri=b1_card.status_list.uri, revoked=(), suspended=(),
                         signer=test_keys.signer(KeyRole.STATUS)), uri=b1_card.status_list.uri, trust=trust,
              fetched_at=NOW)
    for page, card, name in ((1, b1_card, "Lê Thị Hoà"), (3, a1_card, "Nguyễn Thị Hà")):
        picture = io.BytesIO()
        document[page].render(scale=4, grayscale=True).to_pil().save(picture, "PNG")
        [text] = qr.decode_image(picture.getvalue())
        verdict = Verifier(trust, cache).verify(text, now=NOW)
        assert (verdict.result, verdict.reason) == ("valid", "")
        assert (verdict.fields["name"], verdict.fields["card_number"]) == (name, card.display_number)
        assert verdict.expires_at == NOW + dt.timedelta(days=3650)
        # Signed by the printed-card signer, whose certificate outlives the card (test_printed_qr.py).
        assert open_qr(text).message.key_id == test_keys.signer(KeyRole.PRINTED, at=NOW).info.key_id


def test_the_card_page_gives_one_cards_two_faces(issued, client) -> None:
    card = Card.objects.get(member=issued.a1)
    client.force_login(issued.world.admin)
    response = client.get(f"/cards/{card.pk}/face.pdf")
    assert response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    assert len(document) == 2 and card.display_number in _texts(document)[0]


def test_dark_runs_are_each_rows_stretches_of_dark_modules() -> None:
    import numpy

    modules = numpy.array([[1, 1, 0, 1],
                           [0, 0, 0, 0],
                           [1, 1, 1, 1],
                           [0, 1, 1, 0]], dtype=bool)
    assert list(dark_runs(modules)) == [(0, 0, 2), (3, 0, 1), (0, 2, 4), (1, 3, 2)]


def test_the_printed_code_is_level_q_or_higher_and_at_most_version_15() -> None:
    import zxingcpp

    # 300 Base45 characters: version 13 at Q (69 modules a side), as segno's card_qr makes it.
    text = "6BFOXN*TS0BI$ZDFRH%:K" * 14 + "6BFOXN"
    assert len(text) == 300 and qr.card_qr(text).designator == "13-Q"
    modules = qr.card_modules(text)
    assert modules.shape == (69, 69)
    picture = numpy_picture(modules)
    [read] = zxingcpp.read_barcodes(picture)
    assert (read.text, read.ec_level) == (text, "Q")
    # A short text fits its version at H: raised, like segno's boost_error.
    [short] = zxingcpp.read_barcodes(numpy_picture(qr.card_modules("ABC123")))
    assert short.ec_level == "H"
    with pytest.raises(qr.QRTooLarge, match="above version 15"):
        qr.card_modules("A" * 700)


def numpy_picture(modules):
    """The modules as an 8-bit image, 4 pixels a module, with a 4-module white quiet zone."""
    import numpy

    pixels = numpy.where(modules, 0, 255).astype(numpy.uint8).repeat(4, axis=0).repeat(4, axis=1)
    return numpy.pad(pixels, 16, constant_values=255)
