"""The adoption report as an XLSX: every unit of a subtree (one row each, in tree order, its figures
over its own subtree), and the unit's trend on a second sheet. Counts only, no personal data.
Imitates campaign/exports.py: shares as numbers with a percent format, and the committee's
"registered/members = x%" strings beside them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from dangvien.adoption.reports import ACTIVE_THRESHOLDS, AdoptionReport, Figures, TrendPoint


def _columns() -> list[tuple[str, Callable[[Figures], int | Decimal | str | None], str]]:
    """(header, value, kind): kind "n" a count, "%" a share (a fraction, percent format), "s" text."""
    return [
        (_("Members on the roll"), lambda f: f.members, "n"),
        (_("Target (handbook users with a smartphone)"), lambda f: f.target, "n"),
        (_("Accounts registered"), lambda f: f.registered, "n"),
        (_("Registered / members"), lambda f: f.registered_percent, "%"),
        (_("Registered / members"), lambda f: f.registered_share(), "s"),
        (_("Registered / target"), lambda f: f.target_percent, "%"),
        (_("Registered / target"), lambda f: f.target_share(), "s"),
        (_("Cells"), lambda f: f.cells, "n"),
        (_("Cells that held a meeting in the app"), lambda f: f.cells_held, "n"),
        (_("Cells that held a meeting / cells"), lambda f: f.held_percent, "%"),
        (_("Cells that held a meeting / cells"), lambda f: f.held_share(), "s"),
        (_("Members active"), lambda f: f.active, "n"),
        (_("Active / members"), lambda f: f.active_percent, "%"),
        (_("Active / members"), lambda f: f.active_share(), "s"),
        (_("Cells with at least %(share)s%% of members active") % {"share": ACTIVE_THRESHOLDS[0]},
         lambda f: f.cells_half, "n"),
        (_("Cells with at least %(share)s%% of members active") % {"share": ACTIVE_THRESHOLDS[1]},
         lambda f: f.cells_most, "n"),
    ]


def report_xlsx(report: AdoptionReport, trend: list[TrendPoint], target: IO[bytes]) -> int:
    """Write the report (the whole-tree variant: the unit, then every unit below it) and the trend;
    returns the number of unit rows."""
    book = xlsxwriter.Workbook(target, {"in_memory": True})
    sheet = book.add_worksheet(_("Handbook adoption")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    decimals = report.figures.precision
    share_format = book.add_format({"num_format": "0" + ("." + "0" * decimals if decimals else "") + "%"})
    columns = _columns()
    sheet.write_string(0, 0, _("Period: %(period)s") % {"period": report.period.label}, bold)
    headers = [_("Code"), _("Unit"), *[header for header, _value, _kind in columns]]
    sheet.write_row(1, 0, headers, bold)
    sheet.freeze_panes(2, 2)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 44)
    sheet.set_column(2, len(headers) - 1, 14)
    rows = [(0, report.unit, report.figures), *[(row.level, row.unit, row.figures) for row in report.rows]]
    for line, (level, unit, figures) in enumerate(rows, start=2):
        # Unit names come from the registry: written as text, never as a formula.
        sheet.write_string(line, 0, unit.code)
        sheet.write_string(line, 1, "    " * level + unit.name)
        for column, (_header, value_of, kind) in enumerate(columns, start=2):
            value = value_of(figures)
            if kind == "s":
                sheet.write_string(line, column, str(value))
            elif kind == "%":
                if value is not None:
                    sheet.write_number(line, column, float(value) / 100, share_format)
            else:
                sheet.write_number(line, column, int(value or 0))
    _trend_sheet(book, bold, trend)
    book.close()
    return len(rows)


def _trend_sheet(book: xlsxwriter.Workbook, bold: object, trend: list[TrendPoint]) -> None:
    sheet = book.add_worksheet(_("Trend")[:31])
    sheet.write_row(0, 0, [_("Month"), _("Accounts registered by the month's end"), _("Members active"),
                           _("Cells that held a meeting in the app")], bold)
    sheet.set_column(0, 3, 18)
    for line, point in enumerate(trend, start=1):
        month = f"{point.month:%m/%Y}" + (f" ({_('so far')})" if point.partial else "")
        sheet.write_string(line, 0, month)
        sheet.write_row(line, 1, [point.registered, point.active, point.cells_held])
