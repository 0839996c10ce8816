"""The report's period: a month, a quarter, a year, or a custom run of whole months.

Whole months because handbook use is recorded by the month (adoption.models.MemberActivity): a
period of days could not say whether a member active "in November" was active on the 3rd. Meetings
count when they start within the period, from the first instant of its first month to the first
instant after its last one, in the site's time zone (settings.TIME_ZONE, Asia/Ho_Chi_Minh), the
same bounds the meetings' "registered on time" rule uses.

A period is written as a code, in the URL, the API and the export's name:
  2026-11            a month
  2026-Q4            a quarter
  2026               a year
  2026-01..2026-06   a custom run of months (first and last, at most MAX_MONTHS)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_MONTHS = 36
TREND_MONTHS = 12  # the trend shows at least the twelve months up to the period's end
FIRST_YEAR = 2000

MONTH, QUARTER, YEAR, CUSTOM = "month", "quarter", "year", "custom"
_MONTH_CODE = re.compile(r"(\d{4})-(\d{2})")
_QUARTER_CODE = re.compile(r"(\d{4})-Q([1-4])", re.IGNORECASE)
_YEAR_CODE = re.compile(r"\d{4}")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def local_midnight(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@dataclass(frozen=True)
class Period:
    kind: str
    first: dt.date  # the first day of the first month
    last: dt.date  # the first day of the last month

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        day = dt.date(year, month, 1)
        return cls(MONTH, day, day)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = dt.date(year, 3 * quarter - 2, 1)
        return cls(QUARTER, first, add_months(first, 2))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(YEAR, dt.date(year, 1, 1), dt.date(year, 12, 1))

    @classmethod
    def custom(cls, first: dt.date, last: dt.date) -> Period:
        return cls(CUSTOM, month_start(first), month_start(last))

    @property
    def months(self) -> list[dt.date]:
        """The first day of each month of the period, in order."""
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [add_months(self.first, n) for n in range(count)]

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period."""
        return local_midnight(add_months(self.last, 1))

    def year_masks(self) -> dict[int, int]:
        """{year: the bits of the period's months in it} (MemberActivity.months' bits)."""
        return months_by_year(self.months)

    def trend_months(self) -> list[dt.date]:
        """The months the trend shows: the period's, extended back to TREND_MONTHS."""
        months = self.months
        if len(months) >= TREND_MONTHS:
            return months
        return [add_months(self.last, n) for n in range(1 - TREND_MONTHS, 1)]

    @property
    def code(self) -> str:
        if self.kind == MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.first.year}-Q{(self.first.month + 2) // 3}"
        if self.kind == YEAR:
            return str(self.first.year)
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"

    @property
    def label(self) -> str:
        """As a committee writes it: "tháng 11/2026", "quý IV/2026", "năm 2026", "tháng 1/2026 – tháng 6/2026"."""
        if self.kind == MONTH:
            return _("month %(month)s/%(year)s") % {"month": self.first.month, "year": self.first.year}
        if self.kind == QUARTER:
            roman = ["I", "II", "III", "IV"][(self.first.month - 1) // 3]
            return _("quarter %(quarter)s/%(year)s") % {"quarter": roman, "year": self.first.year}
        if self.kind == YEAR:
            return _("year %(year)s") % {"year": self.first.year}
        return _("%(first)s to %(last)s") % {"first": f"{self.first.month}/{self.first.year}",
                                             "last": f"{self.last.month}/{self.last.year}"}


def months_by_year(months: list[dt.date]) -> dict[int, int]:
    masks: dict[int, int] = {}
    for month in months:
        masks[month.year] = masks.get(month.year, 0) | month_bit(month)
    return masks


def month_bit(month: dt.date) -> int:
    return 1 << (month.month - 1)


def current_month(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period.month(today.year, today.month)


def parse_period(code: str | None, today: dt.date | None = None) -> Period:
    """The period a code names (the current month without one); ValidationError, saying what is
    wrong, for a code that names none, a period that has not begun, or a custom run out of bounds."""
    today = today or timezone.localdate()
    if not code:
        return current_month(today)
    code = code.strip()
    try:
        period = _parsed(code)
    except ValueError:
        period = None
    if period is None:
        raise ValidationError(_("“%(code)s” is not a period: write a month (2026-11), a quarter (2026-Q4), a year "
                                "(2026) or two months (2026-01..2026-06).") % {"code": code[:40]}, code="period")
    if period.first.year < FIRST_YEAR:
        raise ValidationError(_("The period starts before %(year)s.") % {"year": FIRST_YEAR}, code="period")
    if period.first > month_start(today):
        raise ValidationError(_("The period has not begun yet."), code="period")
    if period.last < period.first:
        raise ValidationError(_("The period's last month is before its first."), code="period")
    if len(period.months) > MAX_MONTHS:
        raise ValidationError(_("A period is at most %(n)s months long.") % {"n": MAX_MONTHS}, code="period")
    return period


def _parsed(code: str) -> Period | None:
    if "." in code:
        first, sep, last = code.partition("..")
        a, b = _MONTH_CODE.fullmatch(first.strip()), _MONTH_CODE.fullmatch(last.strip())
        if not sep or a is None or b is None:
            return None
        return Period.custom(dt.date(int(a[1]), int(a[2]), 1), dt.date(int(b[1]), int(b[2]), 1))
    if found := _MONTH_CODE.fullmatch(code):
        return Period.month(int(found[1]), int(found[2]))
    if found := _QUARTER_CODE.fullmatch(code):
        return Period.quarter(int(found[1]), int(found[2]))
    if _YEAR_CODE.fullmatch(code):
        return Period.year(int(code))
    return None


def presets(today: dt.date | None = None) -> list[Period]:
    """The periods the page offers as links: this month, last month, this quarter, last quarter,
    this year, last year."""
    today = today or timezone.localdate()
    this = month_start(today)
    previous = add_months(this, -1)
    quarter = (today.month + 2) // 3
    last_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return [Period.month(this.year, this.month), Period.month(previous.year, previous.month),
            Period.quarter(today.year, quarter), Period.quarter(*last_quarter),
            Period.year(today.year), Period.year(today.year - 1)]
