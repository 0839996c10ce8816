"""`dangvien campaign SUBCOMMAND ...`: the card exchange campaign at the command line.

  report ID [--unit CODE] --format csv|json|xlsx|pdf [-o FILE]   the progress report (campaign.cli_report)
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dangvien.campaign.cli_report import add_report_parser, run_report


class Command(BaseCommand):
    help = "The card exchange campaign: progress reports."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="subcommand", required=True)
        add_report_parser(subparsers)

    def handle(self, *args, **options):
        if options["subcommand"] == "report":
            run_report(options, self.stdout)
