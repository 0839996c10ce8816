"""Meetings made through the real services for the tests (tests.clock.NOW: Saturday 21/11/2026
10:00, Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from dangvien.meetings import services
from dangvien.meetings.models import Meeting
from tests.clock import NOW

VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: dt.date, hour: int = 19, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def schedule(actor: Any, unit: Any, *, starts: dt.datetime | None = None, kind: str = "regular",
             topic: str = "Sinh hoạt chi bộ thường kỳ", **extra: Any) -> Meeting:
    return services.meeting_schedule(actor=actor, unit=unit, kind=kind, topic=topic, place="Hội trường thôn 3",
                                     starts_at=starts or at(dt.date(2026, 12, 10)), **extra)


def now_meeting(actor: Any, unit: Any, **extra: Any) -> Meeting:
    """A meeting that started 30 minutes before NOW: check-in is open."""
    return schedule(actor, unit, starts=NOW - dt.timedelta(minutes=30), kind="thematic",
                    topic="Học tập nghị quyết", **extra)
