"""The meetings' rules of time, in one place (docs/meetings.md): when a regular meeting counts as
registered on time, when the QR check-in is open, and when absences from regular meetings warn.

Every "month" is a calendar month in the site's time zone (settings.TIME_ZONE, Asia/Ho_Chi_Minh):
a meeting at 19:30 on 31 December belongs to December wherever the server runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

# The rule for removal from the roll (Điều lệ Đảng: three months in a year without attending without
# reason): a member has an unexcused absence month for each distinct calendar month of the year in
# which they were recorded "absent without reason" at a regular meeting of a cell. Two such months
# warn the secretary and the member; three are the grounds, flagged for the cell to consider.
ABSENCE_WARN_MONTHS = 2
ABSENCE_FLAG_MONTHS = 3


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the local calendar month `moment` falls in."""
    return local(moment).date().replace(day=1)


def month_start(month: dt.date) -> dt.datetime:
    """The first instant of the local calendar month holding `month`."""
    first = month.replace(day=1)
    return timezone.make_aware(dt.datetime.combine(first, dt.time.min))


def next_month(month: dt.date) -> dt.date:
    first = month.replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar year as [start, end) instants."""
    return month_start(dt.date(year, 1, 1)), month_start(dt.date(year + 1, 1, 1))


def registration_due(starts_at: dt.datetime) -> dt.datetime:
    """A regular meeting of month M is due registered before the first instant of M (that is, by the
    end of the previous month)."""
    return month_start(month_of(starts_at))


def registered_on_time(*, starts_at: dt.datetime, registered_at: dt.datetime) -> bool:
    return registered_at < registration_due(starts_at)


@dataclass(frozen=True)
class Window:
    opens: dt.datetime
    closes: dt.datetime
    sync_until: dt.datetime  # an offline scan made inside the window is accepted until then

    def holds(self, moment: dt.datetime) -> bool:
        return self.opens <= moment <= self.closes


def meeting_end(starts_at: dt.datetime, ends_at: dt.datetime | None) -> dt.datetime:
    return ends_at or starts_at + dt.timedelta(hours=settings.DANGVIEN["MEETING_DEFAULT_HOURS"])


def checkin_window(starts_at: dt.datetime, ends_at: dt.datetime | None) -> Window:
    """When a QR scan counts as attending: from MEETING_CHECKIN_EARLY_MINUTES before the start to
    MEETING_CHECKIN_LATE_MINUTES after the end."""
    conf = settings.DANGVIEN
    opens = starts_at - dt.timedelta(minutes=conf["MEETING_CHECKIN_EARLY_MINUTES"])
    closes = meeting_end(starts_at, ends_at) + dt.timedelta(minutes=conf["MEETING_CHECKIN_LATE_MINUTES"])
    return Window(opens, closes, closes + dt.timedelta(days=conf["MEETING_CHECKIN_SYNC_DAYS"]))


# A phone's clock may run a little ahead of the server's: a scan "from the future" by up to this
# much is taken as made now.
CLOCK_SKEW = dt.timedelta(minutes=5)


def absence_level(months: int) -> str:
    """"flag" (the grounds for removal are met), "warn" (one month short of them), or ""."""
    if months >= ABSENCE_FLAG_MONTHS:
        return "flag"
    if months >= ABSENCE_WARN_MONTHS:
        return "warn"
    return ""
