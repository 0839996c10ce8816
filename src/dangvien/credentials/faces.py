"""The card faces (issue 13, item 8): front and back of each card, ID-1 size (85.6 x 54 mm), one PDF
page each, written by fpdf2 without any HTML layout (WeasyPrint took ~79 ms CPU a card, far too
much for 10,000 cards a batch in 60 s).

Front: the portrait, the name, the card number (NUMBER.N after a re-issue), date of birth, admission
and official dates, the issuing committee. Back: the QR code of the printed-card credential (the
phone credential with every field disclosed, signed by the printed-card signer, valid as long as the card's
printed QR is meant to be read: PRINTED_VALIDITY), and the status line a verifier reads.

One PDF holds all the cards of a batch, two pages a card in the batch's order. The portrait JPEG is
embedded as it is (fpdf2 passes JPEG through, no re-encoding); DejaVu Sans (Debian's
fonts-dejavu-core, `make system-deps`) is embedded, subset to the glyphs used, so Vietnamese names
print whatever the card maker's machine has; the QR is drawn as filled rectangles, one per run of
dark modules (runs stacked in rows merged), a vector the printer renders at its own resolution.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from dangvien.credentials import phone, qr
from dangvien.credentials.keys import KeyRole, Signer, signer_for
from dangvien.credentials.models import Card

PRINTED_VALIDITY = dt.timedelta(days=3650)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {("sans", ""): "DejaVuSans.ttf", ("sans", "B"): "DejaVuSans-Bold.ttf", ("mono", ""): "DejaVuSansMono.ttf"}

# The card, in millimetres (ID-1) and the template's look: 3 mm margins, red header and number.
WIDTH, HEIGHT, MARGIN = 85.6, 54.0, 3.0
RED, GREY, INK = (0xBB, 0, 0), (0x55, 0x55, 0x55), (0x11, 0x11, 0x11)
PORTRAIT_BOX = (MARGIN, 8.5, 22.0, 28.3)  # x, y, width, height
TEXT_X = MARGIN + 22.0 + 3.0
LABEL_WIDTH = 22.0
QR_SIDE, QR_TOP, QR_BORDER = 38.0, 3.0, 2  # the quiet zone in modules, inside the 38 mm square


class FacesPDF(FPDF):
    """FPDF with one drawing of its own: a QR code's dark runs as one filled path."""

    def fill_modules(self, path: str, *, left: float, top: float, module: float) -> None:
        """A path in module units (qr.card_path: `c r w 1 re` a dark run) filled black, its origin at
        (`left`, `top`) mm: a `cm` maps module units to the page, one fill for the whole code.
        FPDF.rect writes a path and a fill per call through its page checks, ~20 µs each: with
        ~1,200 runs a QR that was most of a card's cost. Written with FPDF's own page content writer
        (_out, the one FPDF.rect uses; fpdf2 is pinned by the lock); the tests decode the drawn QR."""
        k = self.k
        self._out(f"q 0 g {module * k:.4f} 0 0 {-module * k:.4f} {left * k:.3f} {(self.h - top) * k:.3f} cm\n"
                  f"{path}\nf Q")


def card_claims(card: Card) -> phone.PhoneClaims:
    member = card.member
    return phone.PhoneClaims(
        name=member.full_name, card_number=card.display_number,
        birth_date=member.date_of_birth or member.birth_year, committee=card.authority.code,
        admission_date=member.admission_date, official_date=member.official_date,
        status_list_uri=card.status_list.uri, status_index=card.status_index)


def printed_qr_text(card: Card, *, signer: Signer, now: dt.datetime) -> str:
    """The printed card's credential: every field, valid PRINTED_VALIDITY (its status decides)."""
    return phone.phone_credential(card_claims(card), disclose=phone.FIELDS, signer=signer, now=now,
                                  valid_for=PRINTED_VALIDITY)


def faces_pdf(cards: Sequence[Card], *, now: dt.datetime | None = None, workers: int = 1) -> bytes:
    """The faces of `cards` (select_related member, authority, portrait, status_list), front then back
    of each, in their order, as one PDF.

    `workers` > 1: the printed QR codes are encoded and turned into paths (qr.card_path, about 40% of
    a card's cost) by that many worker processes while this one signs the credentials and writes the
    PDF (one fpdf2 document cannot be shared). The signing stays here: a PKCS#11 session does not
    survive in another process. One process takes ~5 ms CPU a card, too slow for 10,000 cards in
    60 s with the rest of the batch (docs/benchmarks.md)."""
    now = now or timezone.now()
    signer = signer_for(KeyRole.PRINTED, at=now)
    pdf = _document()
    texts = [printed_qr_text(card, signer=signer, now=now) for card in cards]
    if workers > 1 and len(cards) > 1:
        with _pool(workers) as pool:
            _draw(pdf, cards, pool.map(qr.card_path, texts, chunksize=max(1, len(texts) // (workers * 8))))
    else:
        _draw(pdf, cards, map(qr.card_path, texts))
    return bytes(pdf.output())


def _pool(workers: int) -> ProcessPoolExecutor:
    # spawn: fresh interpreters that import qr.py alone (no Django, no database connection, no threads
    # of this process copied by fork), children of this process, so their CPU time is this one's
    # children's (bench/batch_bench.py reports it).
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _draw(pdf: FacesPDF, cards: Sequence[Card], paths: Iterable[tuple[int, str]]) -> None:
    for card, (side, path) in zip(cards, paths, strict=True):
        _front(pdf, card)
        _back(pdf, card, side, path)


def _document() -> FacesPDF:
    pdf = FacesPDF(unit="mm", format=(WIDTH, HEIGHT))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(_("Party card faces"))
    pdf.set_creator("dangvien")
    for (family, style), file_name in FONTS.items():
        path = FONT_DIR / file_name
        if not path.is_file():
            raise FileNotFoundError(f"The card faces need the font {path} (Debian: fonts-dejavu-core, make system-deps).")
        pdf.add_font(family, style, path)
    return pdf


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _nfc(text: str) -> str:
    # One code point a letter with its marks (ộ, not o + ̣ + ̂): the glyphs DejaVu draws whole.
    return unicodedata.normalize("NFC", text)


def _fitted_size(pdf: FPDF, text: str, *, width: float, size: float, smallest: float = 5.0) -> float:
    """The font size at most `size` at which `text` fits `width` (long names and committee names)."""
    pdf.set_font_size(size)
    while size > smallest and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font_size(size)
    return size


def _line(pdf: FPDF, text: str, *, x: float, y: float, width: float, align: str = "L") -> None:
    """One line of text whose top is at `y`, left-aligned at `x` or centred in `width`. FPDF.text (no
    cell box, no line breaking) costs a fifth of FPDF.cell, which matters 13 times a card."""
    if align == "C":
        x += (width - pdf.get_string_width(text)) / 2
    pdf.text(x, y + pdf.font_size * 0.8, text)


def _front(pdf: FPDF, card: Card) -> None:
    member, inner = card.member, WIDTH - 2 * MARGIN
    pdf.add_page()
    pdf.set_text_color(*RED)
    pdf.set_font("sans", "B")
    title = _("PARTY CARD")  # not inside the f-string: xgettext does not look there
    header = _nfc(f"{title} · {card.authority.name}")
    _fitted_size(pdf, header, width=inner, size=7)
    _line(pdf, header, x=MARGIN, y=MARGIN, width=inner, align="C")
    x, y, w, h = PORTRAIT_BOX
    pdf.image(io.BytesIO(bytes(card.portrait.jpeg)), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)
    column = WIDTH - MARGIN - TEXT_X
    pdf.set_text_color(*INK)
    name = _nfc(member.full_name)
    _fitted_size(pdf, name, width=column, size=9)
    _line(pdf, name, x=TEXT_X, y=8.5, width=column)
    pdf.set_text_color(*RED)
    pdf.set_font("mono", "", 10)
    _line(pdf, card.display_number, x=TEXT_X, y=13.5, width=column)
    born = _date(member.date_of_birth) if member.date_of_birth else str(member.birth_year)
    rows = [(_("Born"), born), (_("Admitted"), _date(member.admission_date)),
            (_("Official"), _date(member.official_date)), (_("Issued"), _date(card.issued_on))]
    for row, (label, value) in enumerate(rows):
        y = 20.0 + row * 3.6
        pdf.set_font("sans", "", 6.5)
        pdf.set_text_color(*GREY)
        _line(pdf, label, x=TEXT_X, y=y, width=LABEL_WIDTH)
        pdf.set_text_color(*INK)
        _line(pdf, value, x=TEXT_X + LABEL_WIDTH, y=y, width=column - LABEL_WIDTH)


def _back(pdf: FacesPDF, card: Card, side: int, path: str) -> None:
    pdf.add_page()
    module = QR_SIDE / (side + 2 * QR_BORDER)
    pdf.fill_modules(path, left=(WIDTH - QR_SIDE) / 2 + QR_BORDER * module, top=QR_TOP + QR_BORDER * module,
                     module=module)
    pdf.set_text_color(*INK)
    pdf.set_font("sans", "", 6.5)
    below = QR_TOP + QR_SIDE + 1.0
    _line(pdf, f"{card.display_number} · {card.authority.code}", x=MARGIN, y=below, width=WIDTH - 2 * MARGIN,
          align="C")
    _line(pdf, _("Scan to check this card offline."), x=MARGIN, y=below + 4.0, width=WIDTH - 2 * MARGIN,
          align="C")
