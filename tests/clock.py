"""The suite's one "now". tests/conftest.py freezes the clock here for every test, so hard-coded
dates in the tests (events in 2026, a probationer admitted in 2025...) keep their meaning whatever
the calendar says: they were chosen as past dates on this day."""

from __future__ import annotations

import datetime as dt
import zoneinfo

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()


def at(day: dt.date) -> dt.datetime:
    """`day` at NOW's time of day, in NOW's zone: where a test moves the clock to."""
    return dt.datetime.combine(day, NOW.timetz())
