"""The progress report as files: an XLSX with every unit of a subtree (one row each, in tree order,
its figures over its own subtree), and a PDF in the layout a Vietnamese committee files its report
(the issuing committee at the left, "ĐẢNG CỘNG SẢN VIỆT NAM" at the right with the place and date,
the title, the table of its units, the totals and the signature block). The PDF is an official
paper: it is always in Vietnamese, whatever the page's language. Counts only, no personal data."""

from __future__ import annotations

from typing import IO

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from dangvien.campaign.formatting import format_number, format_percent
from dangvien.campaign.models import STEPS, Step
from dangvien.campaign.reports import CampaignReport, Figures
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind


def report_xlsx(report: CampaignReport, target: IO[bytes]) -> int:
    """Write the report (the whole-tree variant: the unit, then every unit below it); returns the
    number of unit rows."""
    book = xlsxwriter.Workbook(target, {"in_memory": True})
    sheet = book.add_worksheet(_("Card exchange")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    decimals = report.campaign.precision
    share_format = book.add_format({"num_format": "0" + ("." + "0" * decimals if decimals else "") + "%"})
    headers = [_("Code"), _("Unit"), _("Eligible"), *[str(Step(step).label) for step in STEPS], _("Completed"),
               _("Remaining"), _("On hold"), _("Share completed"), _("Completed / eligible"), _("Rank"),
               _("Behind the pace")]
    sheet.write_row(0, 0, headers, bold)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 44)
    sheet.set_column(2, len(headers) - 1, 12)
    rows = [(0, report.unit, report.figures, None, report.behind),
            *[(row.level, row.unit, row.figures, row.rank, row.behind) for row in report.rows]]
    for line, (level, unit, figures, rank, behind) in enumerate(rows, start=1):
        # Unit names come from the registry: written as text, never as a formula.
        sheet.write_string(line, 0, unit.code)
        sheet.write_string(line, 1, "    " * level + unit.name)
        sheet.write_row(line, 2, [figures.eligible, *figures.done, figures.completed, figures.remaining,
                                  figures.on_hold])
        column = 3 + len(STEPS) + 3
        if figures.percent is not None:
            sheet.write_number(line, column, float(figures.percent) / 100, share_format)
        sheet.write_string(line, column + 1, figures.share())
        if rank is not None:
            sheet.write_number(line, column + 2, rank)
        sheet.write_string(line, column + 3, _("yes") if behind else "")
    book.close()
    return len(rows)


def _place(unit: Unit) -> str:
    """The province's name without its committee's words: where the report is written."""
    top = Unit.objects.filter(path=unit.path[:4]).first() or unit
    name = top.name
    for prefix in ("Đảng bộ tỉnh ", "Đảng bộ thành phố ", "Đảng bộ "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _signs_for(unit: Unit) -> str:
    if unit.kind in MEMBER_UNIT_KINDS:
        return "T/M CHI BỘ"
    return "T/M BAN THƯỜNG VỤ" if unit.kind == UnitKind.PROVINCE else "T/M ĐẢNG ỦY"


def _row(figures: Figures) -> dict[str, str]:
    return {"eligible": format_number(figures.eligible, "vi"), "completed": format_number(figures.completed, "vi"),
            "percent": format_percent(figures.percent, "vi"), "remaining": format_number(figures.remaining, "vi")}


def report_html(report: CampaignReport) -> str:
    """The filed report as HTML (what the PDF lays out)."""
    unit = report.unit
    parent = Unit.objects.filter(pk=unit.parent_id).first()
    with translation.override("vi"):
        return render_to_string("campaign/report_pdf.html", {
            "report": report, "unit": unit, "superior": parent.name.upper() if parent else "",
            "committee": unit.name.upper(), "place": _place(unit), "day": report.day, "signs_for": _signs_for(unit),
            "rows": [(row.unit, _row(row.figures)) for row in sorted(report.rows, key=lambda r: r.unit.path)],
            "total": _row(report.figures),
        })


def report_pdf(report: CampaignReport) -> bytes:
    from weasyprint import HTML  # loads Pango: only where a PDF is made

    return bytes(HTML(string=report_html(report)).write_pdf())
