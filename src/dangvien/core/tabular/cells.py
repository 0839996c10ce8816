"""Cell parsers: a cell as the file gives it (str, int, float, bool, date, datetime) to a value, or
CellProblem with a message for the user. They are called with non-empty cells only.

Text comes back NFC-cleaned (core.text.clean); numbers typed into an identifier column come back
as their digits, leading zeros restored to a fixed length when given; dates are read as dd/mm/yyyy,
ISO yyyy-mm-dd, a date cell or an Excel serial number. A cell that starts like a formula is
refused (formulas are never evaluated; CSV injection starts that way), except after an apostrophe,
which marks text (ESCAPED_STARTS: what an export prefixes) and is taken off.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from dangvien.core.tabular.spec import CellProblem, Message, Parser, header_key
from dangvien.core.text import clean

# Characters that make a spreadsheet treat a cell as a formula (CSV injection). "+" and "-" are
# refused only before a non-digit, so "+84912345678" and "-5" stay values.
FORMULA_STARTS = ("=", "@")
SIGN_STARTS = ("+", "-")
# What an export prefixes with an apostrophe; the reader takes the apostrophe off again.
ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 in the 1900 date system (Excel's bug included)
MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31


@dataclass(frozen=True)
class YearOnly:
    """A date column holding a year alone (parse_date_or_year): all that is known of some dates."""

    year: int


def cell_text(raw: Any) -> str:
    """A cell's text, NFC-cleaned; formulas (a CSV cell, or a text cell, starting like one) refused.
    An apostrophe in front of such a start is taken off."""
    if isinstance(raw, str):
        text = clean(raw)
    elif isinstance(raw, bool):
        text = _("yes") if raw else _("no")
    elif isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime | dt.date):
        text = raw.strftime("%d/%m/%Y")
    else:
        text = clean(str(raw))
    if text[:1] == "'" and text[1:2] in ESCAPED_STARTS:
        return text[1:]
    if text[:1] in FORMULA_STARTS or (text[:1] in SIGN_STARTS and len(text) > 1 and not text[1].isdigit()):
        raise CellProblem(_("Formulas are not accepted: type the value itself (\"%(value)s\").")
                          % {"value": text[:40]})
    return text


def is_number(raw: Any) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def number_digits(number: float) -> str:
    """The digits of a number typed where text was meant (an identifier): integers only."""
    if not float(number).is_integer():
        raise CellProblem(_("%(value)s is not a valid number here.") % {"value": number})
    return str(int(number))


def identifier(*, digits: int | None = None) -> Parser:
    """Text where leading zeros matter (a citizen ID, a code). A number typed instead (Excel drops
    leading zeros; Parquet may store the ID as an integer) gets them back, to `digits` long."""

    def parse_identifier(raw: Any) -> str:
        if isinstance(raw, int | float) and not isinstance(raw, bool):  # is_number, inline: a cell per row
            text = number_digits(raw)
            return text.zfill(digits) if digits else text
        return cell_text(raw)

    return parse_identifier


_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


def parse_date(raw: Any) -> dt.date:
    """dd/mm/yyyy (d/m/yyyy, with / - or .), ISO, a date cell, an Excel serial number. A year alone
    is a problem: write the full date."""
    if isinstance(raw, dt.date):  # a date cell (not remembered, as text is: no extra call for it)
        return raw.date() if isinstance(raw, dt.datetime) else raw
    return _date(raw, year_only=False)


def parse_date_or_year(raw: Any) -> dt.date | YearOnly:
    """As parse_date, but a year alone (1900-2100, text or number) gives YearOnly(year)."""
    if isinstance(raw, dt.date):
        return raw.date() if isinstance(raw, dt.datetime) else raw
    return _date(raw, year_only=True)


def _date(raw: Any, *, year_only: bool) -> Any:
    if isinstance(raw, bool):
        raise CellProblem(_("%(value)s is not a date.") % {"value": raw})
    if isinstance(raw, int | float):
        return _number_date(raw, year_only=year_only)
    text = cell_text(raw)
    if match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif re.fullmatch(r"[0-9]{4,5}", text):
        return _number_date(int(text), year_only=year_only)
    else:
        raise CellProblem(_("\"%(value)s\" is not a date: write it as dd/mm/yyyy, e.g. 17/05/1980.")
                          % {"value": text[:40]})
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellProblem(_("%(value)s is not a date: there is no such day.") % {"value": text}) from None


def _number_date(number: float, *, year_only: bool) -> Any:
    """A number in a date column: a year (1900-2100) or an Excel serial date. The two ranges cannot
    be confused for the dates of living people (serials 1900-2100 are days of 1905)."""
    if float(number).is_integer() and 1900 <= number <= 2100:
        if year_only:
            return YearOnly(int(number))
        raise CellProblem(_("Only the year %(year)s is given: write the full date as dd/mm/yyyy.")
                          % {"year": int(number)})
    if not 1 <= number <= MAX_EXCEL_SERIAL:
        raise CellProblem(_("%(value)s is not a date.") % {"value": number})
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def parse_year(raw: Any) -> int:
    text = str(int(raw)) if isinstance(raw, int | float) and float(raw).is_integer() else cell_text(raw)
    if not re.fullmatch(r"[0-9]{4}", text):
        raise CellProblem(_("\"%(value)s\" is not a year.") % {"value": text[:40]})
    return int(text)


_BOOLEANS = {header_key(k): v for k, v in {
    "Có": True, "x": True, "yes": True, "true": True, "1": True, "y": True, "c": True,
    "Không": False, "no": False, "false": False, "0": False, "n": False, "k": False,
}.items()}


def parse_boolean(raw: Any) -> bool:
    """Có/Không, x, yes/no, true/false, 1/0 (any case, with or without accents), or a boolean cell."""
    if isinstance(raw, bool):
        return raw
    text = cell_text(raw)
    if (value := _BOOLEANS.get(header_key(text))) is None:
        raise CellProblem(_("\"%(value)s\" is not understood: write Có or Không.") % {"value": text[:40]})
    return value


class Choices:
    """A parser for one of a few values, written as any of their spellings (compared by
    header_key). `build` gives {spelling: value}; it is called on first use, so that tables of
    translated labels are built once the translation machinery is ready. `hint` (lazy) tells the
    user what to write."""

    def __init__(self, build: Callable[[], Mapping[str, Any]], hint: Message):
        self._build, self._hint = build, hint
        self._table: dict[str, Any] | None = None

    def __call__(self, raw: Any) -> Any:
        if self._table is None:
            self._table = {header_key(k): v for k, v in self._build().items()}
        text = cell_text(raw)
        value = self._table.get(header_key(text))
        if value is None:
            raise CellProblem(_("\"%(value)s\" is not understood: %(hint)s.") % {"value": text[:40], "hint": self._hint})
        return value


def choice_labels(choices: Any, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The spellings of a Django choices class: each value, and its label in every language of
    the site; then `extra` (common spellings)."""
    table: dict[str, str] = {}
    for value, label in choices.choices:
        if value == "":
            continue
        table[value] = str(value)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                table[str(label)] = str(value)
    table.update({k: str(v) for k, v in (extra or {}).items()})
    return table
