"""The per-unit summary as an XLSX file: one row a unit, in tree order, each unit's figures over its
whole subtree, with the committee's "matched / members = x%" share. Counts only: no personal data,
so the download is not an audited export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from dangvien.reconcile.selectors import SummaryNode


def _walk(nodes: list[SummaryNode], level: int = 0) -> Iterator[tuple[int, SummaryNode]]:
    for node in nodes:
        yield level, node
        yield from _walk(node.children, level + 1)


def summary_xlsx(tree: list[SummaryNode], target: IO[bytes]) -> int:
    """Write the summary; returns the number of unit rows."""
    book = xlsxwriter.Workbook(target, {"in_memory": True})
    sheet = book.add_worksheet(_("Reconciliation")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    percent = book.add_format({"num_format": "0.00%"})
    headers = [_("Code"), _("Unit"), _("Members on the roll"), _("Matched"), _("With discrepancies"),
               _("Needs review"), _("Not found"), _("Not reconciled yet"), _("Share matched"), _("Matched / members")]
    sheet.write_row(0, 0, headers, bold)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 9, 13)
    rows = 0
    for rows, (level, node) in enumerate(_walk(tree), start=1):
        figures = node.summary
        # Unit names come from the registry: written as text, never as a formula.
        sheet.write_string(rows, 0, node.unit.code)
        sheet.write_string(rows, 1, "    " * level + node.unit.name)
        sheet.write_row(rows, 2, [figures.members, figures.matched, figures.with_discrepancies, figures.review,
                                  figures.not_found, figures.not_reconciled])
        if figures.members:
            sheet.write_number(rows, 8, figures.matched / figures.members, percent)
        sheet.write_string(rows, 9, figures.share)
    book.close()
    return rows
