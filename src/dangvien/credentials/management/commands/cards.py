"""`dangvien cards SUBCOMMAND ...`: the card credentials on the command line.

    dangvien cards verify FILE|TEXT [--json] [--trust FILE] [--status-cache DIR] [--online]
    dangvien cards batch --unit CODE [--maker-cert PEM] -o FILE [--user USERNAME] [--no-faces]
    dangvien cards export-chip CARD -o DIR [--user USERNAME]

Each subcommand is a module of credentials/cli/ (see its __init__); this command only dispatches.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# name -> the module that implements it (HELP, add_arguments(parser), run(command, options)).
SUBCOMMANDS = {
    "verify": "dangvien.credentials.cli.verify",
    "batch": "dangvien.credentials.cli.batch",
    "export-chip": "dangvien.credentials.cli.export_chip",
}


class Command(BaseCommand):
    help = "Party card credentials: " + ", ".join(SUBCOMMANDS) + " (dangvien cards SUBCOMMAND --help)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="SUBCOMMAND")
        for name, module_name in SUBCOMMANDS.items():
            module = import_module(module_name)
            module.add_arguments(actions.add_parser(name, help=module.HELP, description=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        import_module(SUBCOMMANDS[options["action"]]).run(self, options)
