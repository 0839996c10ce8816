"""The check-in QR code, drawn as SVG on the server by segno (no image library, no script): the
secretary's meeting page shows it; a member's phone scans it."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=512)
def qr_svg(text: str, *, title: str = "") -> str:
    """An inline <svg> of `text` as a QR code: error correction M (a code on a projector or a phone
    screen photographed at an angle), a quiet zone of 4 modules, sized by its container's CSS
    (viewBox only). Cached: the meeting page is reloaded during the check-ins and the code does not
    change."""
    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff", title=title or None,
                           svgclass="qr", lineclass=None)
