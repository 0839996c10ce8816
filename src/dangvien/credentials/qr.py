"""QR codes of card credentials: drawn with segno, read back with zxing-cpp; the card faces' printed
codes are encoded by zxing-cpp's writer (C++: ~2 ms a code where segno takes ~35 ms, which 10,000
cards a batch cannot afford).

Two kinds, one size limit. The card face prints the full credential at error correction level Q (or
higher when it fits the same version): a printed code gets scratched and dirty, and Q still reads with
a quarter of it lost. A phone shows its QR on a clean, lit screen: level M is enough there, raised to Q
or H whenever the same version has room. Both stay within version 15 (77 × 77 modules), which a cheap
phone camera reads from a card at arm's length (issue 13).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    import numpy
    from numpy.typing import NDArray

MAX_VERSION = 15
PRINT_ERROR = "q"
SCREEN_ERROR = "m"


class QRTooLarge(ValueError):
    """The text needs a QR code above MAX_VERSION at the required error correction."""


def make_qr(text: str, *, error: str = PRINT_ERROR, max_version: int | None = MAX_VERSION) -> segno.QRCode:
    """A QR code (never a Micro QR) at error correction `error` or higher, the smallest version that
    holds `text`. The credential texts are Base45, QR's alphanumeric alphabet: one segment, 5.5 bits a
    character."""
    try:
        code = segno.make(text, error=error, micro=False, boost_error=True)
    except segno.DataOverflowError:
        raise QRTooLarge(f"{len(text)} characters do not fit any QR code at level {error.upper()}") from None
    if max_version is not None and isinstance(code.version, int) and code.version > max_version:
        raise QRTooLarge(f"{len(text)} characters need QR version {code.version} at level {error.upper()}, "
                         f"above {max_version}")
    return code


def card_qr(text: str) -> segno.QRCode:
    """The printed card's code (the full credential)."""
    return make_qr(text, error=PRINT_ERROR)


def screen_qr(text: str) -> segno.QRCode:
    """The phone screen's code (any disclosure)."""
    return make_qr(text, error=SCREEN_ERROR)


def card_modules(text: str) -> NDArray[numpy.bool_]:
    """The printed card's code as its module matrix (True: dark), rows top to bottom, without the
    quiet zone; drawn by the card faces as rectangles. Level Q, raised to H when a text of this length
    fits the same version at H, and never above MAX_VERSION (see _printed_level)."""
    import numpy
    import zxingcpp  # imported on use: the C++ library loads only where codes are made or read

    image = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=_printed_level(len(text)))
    return numpy.asarray(image.to_image(scale=1, add_quiet_zones=False)) == 0


def dark_runs(modules: NDArray[numpy.bool_]) -> Iterator[tuple[int, int, int]]:
    """The dark modules as (column, row, width) runs: each row's stretches of adjacent dark modules,
    one rectangle each (a third of the modules' count: a smaller PDF, faster to write and print).
    Found by numpy on the whole matrix (a Python loop over the modules cost ~1 ms a card)."""
    import numpy

    padded = numpy.zeros((modules.shape[0], modules.shape[1] + 2), dtype=numpy.int8)
    padded[:, 1:-1] = modules
    edges = numpy.diff(padded, axis=1)  # +1 where a run starts, -1 just after it ends, row by row
    rows, starts = numpy.nonzero(edges == 1)
    _, ends = numpy.nonzero(edges == -1)
    return zip(starts.tolist(), rows.tolist(), (ends - starts).tolist(), strict=True)


def card_path(text: str) -> tuple[int, str]:
    """The printed card's code ready to draw (credentials.faces): its side in modules and its dark
    runs as PDF path operators in module units, `column row width 1 re` each. A plain function of the
    text, so the card faces' worker processes can run it (this module imports no Django)."""
    modules = card_modules(text)
    numbers = [number for run in dark_runs(modules) for number in run]
    # One %-format over all the runs: a third cheaper than an f-string a run (10,000 codes a batch).
    return len(modules), ("%d %d %d 1 re\n" * (len(numbers) // 3) % tuple(numbers)).rstrip("\n")


@cache
def _printed_level(length: int) -> str:
    """The printed code's error correction level for a Base45 text of `length` characters, worked out
    once a length on the worst case, all of it one alphanumeric segment (zxing-cpp may encode digit
    runs more tightly, never more loosely): the version a real text needs is at most this one's."""
    import zxingcpp

    sides = {}
    for level in ("Q", "H"):
        try:
            image = zxingcpp.create_barcode("A" * length, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
        except ValueError:  # "Input too long for ECC level": no version holds it
            continue
        sides[level] = image.to_image(scale=1, add_quiet_zones=False).shape[0]
    if "Q" not in sides or (sides["Q"] - 17) // 4 > MAX_VERSION:
        raise QRTooLarge(f"{length} characters need a QR code above version {MAX_VERSION} at level Q")
    return "H" if sides.get("H") == sides["Q"] else "Q"


def png(code: segno.QRCode, *, scale: int = 4, border: int = 4) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(code: segno.QRCode, *, scale: int = 4, border: int = 4, title: str | None = None) -> str:
    """An SVG (for the card face's PDF and the web pages), modules drawn as one path."""
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True, title=title,
              svgclass=None, lineclass=None, unit="px")
    return out.getvalue().decode("utf-8")


def decode_image(data: bytes) -> list[str]:
    """The texts of the QR codes in an image (PNG, JPEG...), as zxing-cpp reads them."""
    import zxingcpp  # imported on use: the C++ reader loads only where images are read
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not an image: {exc}") from None
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return [barcode.text for barcode in found if barcode.valid]
