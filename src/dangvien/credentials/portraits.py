"""The card photo's bytes: what is accepted, and what is stored.

Accepted: a real JPEG (Pillow reads and decodes it whole, whatever its name or declared type says),
of at most PORTRAIT_MAX_BYTES, at least MIN_SIZE pixels, upright or square (a portrait), no larger
than MAX_PIXELS (a decompression bomb is refused before it is decoded).

Stored: the photo turned upright by its EXIF orientation, in RGB, scaled into PORTRAIT_BOX and
re-encoded as a baseline JPEG without any metadata (a phone's photo carries the place it was taken
and the phone's serial number; none of that belongs on a chip).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MIN_SIZE = (240, 320)  # width, height: ICAO's smallest useful face image is about 240 pixels wide
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PortraitImage:
    jpeg: bytes
    width: int
    height: int
    sha256: str


def portrait_image(data: bytes) -> PortraitImage:
    """The photo to store from the uploaded bytes; ValidationError (field "photo") saying what is
    wrong otherwise."""
    if not data:
        raise _invalid(_("The file is empty."))
    limit = int(settings.DANGVIEN["PORTRAIT_MAX_BYTES"])
    if len(data) > limit:
        raise _invalid(_("The photo is larger than %(size)s MB.") % {"size": f"{limit / 1024 / 1024:g}"})
    image = _decoded(data)
    width, height = image.size
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise _invalid(_("The photo is %(width)s × %(height)s pixels: at least %(min_w)s × %(min_h)s are needed.")
                       % {"width": width, "height": height, "min_w": MIN_SIZE[0], "min_h": MIN_SIZE[1]})
    if width > height * 1.05:
        raise _invalid(_("The photo is wider than it is tall: send a portrait (head and shoulders)."))
    return _normalized(image)


def _decoded(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format != "JPEG":
                raise _invalid(_("The photo must be a JPEG file (this one is %(format)s).")
                               % {"format": probe.format or _("not an image")})
            if probe.width * probe.height > MAX_PIXELS:
                raise _invalid(_("The photo has too many pixels."))
            probe.verify()  # the file's structure; decoding below reads every pixel
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(_("The file is not a JPEG photo.")) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt data
        raise _invalid(_("The photo file is damaged.")) from None
    return ImageOps.exif_transpose(image)


def _normalized(image: Image.Image) -> PortraitImage:
    image = image.convert("RGB")
    image.thumbnail(tuple(settings.DANGVIEN["PORTRAIT_BOX"]), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=: nothing carried over
    jpeg = out.getvalue()
    return PortraitImage(jpeg=jpeg, width=image.width, height=image.height, sha256=hashlib.sha256(jpeg).hexdigest())


def _invalid(message: str) -> ValidationError:
    return ValidationError({"photo": [message]}, code="photo")
