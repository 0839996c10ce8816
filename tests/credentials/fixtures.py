"""Card test data: JPEG photos drawn with Pillow, and members brought to "sent to production"."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from dangvien.campaign.models import Participant, Step, step_number


def jpeg(width: int = 300, height: int = 400, *, shade: int = 0, fmt: str = "JPEG", **save: Any) -> bytes:
    """A head-and-shoulders picture: `shade` varies the colours, so photos can differ."""
    image = Image.new("RGB", (width, height), (200 + shade % 50, 210, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.3, height * 0.15, width * 0.7, height * 0.55], fill=(224, 180 - shade % 40, 140))
    draw.rectangle([width * 0.15, height * 0.6, width * 0.85, height], fill=(30, 40, 90 + shade % 100))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def send_to_production(*members: Any, stage: str = Step.SENT) -> None:
    """Test setup only: the members' participants at `stage` (the pipeline's own tests record the
    steps; the cards only read how far a member got)."""
    updated = Participant.objects.filter(member__in=[m.pk for m in members]).update(stage=step_number(stage))
    assert updated == len(members), "every member needs a participant"
