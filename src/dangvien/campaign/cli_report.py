"""`dangvien campaign report ID [--unit CODE] --format csv|json|xlsx|pdf [-o FILE] [--user USERNAME]`:
the progress report the page shows, as a file (or on the standard output for csv and json).

csv and xlsx hold every unit of the subtree (the exports' whole-tree variant), json and pdf the unit
and its children (the API's and the filed report's). The numbers are the pages' (campaign.reports);
the csv's share column is in Vietnamese, as committees write it."""

from __future__ import annotations

import argparse
import csv
import io
import pathlib
from typing import IO, Any

from django.core.management.base import CommandError
from django.utils import translation

from dangvien.accounts.cli import command_actor
from dangvien.campaign.api import report_out
from dangvien.campaign.exports import report_pdf, report_xlsx
from dangvien.campaign.models import STEPS
from dangvien.campaign.reports import CampaignReport, campaign_report, campaign_report_tree
from dangvien.campaign.selectors import campaign_get_for, campaign_unit_for
from dangvien.core.errors import NotFound

FORMATS = ("csv", "json", "xlsx", "pdf")


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("report", help="write a campaign's progress report for a unit")
    parser.add_argument("campaign", type=int, help="the campaign's number")
    parser.add_argument("--unit", help="the unit's code (default: the campaign's unit)")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="csv (default), json, xlsx or pdf")
    parser.add_argument("-o", "--output", type=pathlib.Path, help="write to this file (needed for xlsx and pdf)")
    parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")
    return parser


def run_report(options: dict[str, Any], stdout: IO[str]) -> None:
    fmt = options["format"]
    if fmt in ("xlsx", "pdf") and not options.get("output"):
        raise CommandError(f"--format {fmt} writes a file: give it with -o FILE.")
    actor = command_actor(options.get("user"))
    try:
        campaign = campaign_get_for(actor, options["campaign"])
        unit = campaign_unit_for(actor, campaign, options.get("unit"))
    except NotFound:
        raise CommandError(f"No campaign {options['campaign']} with unit {options.get('unit') or '(its own)'} "
                           "in your scope.") from None
    with translation.override("vi"):
        if fmt in ("csv", "xlsx"):
            content: bytes = _tree_file(campaign_report_tree(actor, campaign, unit), fmt)
        elif fmt == "json":
            content = report_out(campaign_report(actor, campaign, unit)).model_dump_json(indent=2).encode()
        else:
            content = report_pdf(campaign_report(actor, campaign, unit))
    if options.get("output"):
        options["output"].write_bytes(content)
        stdout.write(f"Wrote the report of {unit.code} to {options['output']}.\n")
    else:
        stdout.write(content.decode())


def _tree_file(report: CampaignReport, fmt: str) -> bytes:
    if fmt == "xlsx":
        buffer = io.BytesIO()
        report_xlsx(report, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["code", "unit", "level", "eligible", *STEPS, "completed", "remaining", "on_hold", "percent",
                     "share", "rank", "behind"])
    rows = [(0, report.unit, report.figures, None, report.behind),
            *[(row.level, row.unit, row.figures, row.rank, row.behind) for row in report.rows]]
    for level, unit, figures, rank, behind in rows:
        writer.writerow([unit.code, unit.name, level, figures.eligible, *figures.done, figures.completed,
                         figures.remaining, figures.on_hold, "" if figures.percent is None else figures.percent,
                         figures.share("vi"), "" if rank is None else rank, int(behind)])
    return text.getvalue().encode()
