"""`dangvien export-members --unit CODE -o FILE [--format xlsx|csv] [--user USERNAME]`, and
`dangvien export-members --template -o FILE` for the import template."""

from __future__ import annotations

import pathlib
import time

from django.core.management.base import BaseCommand, CommandError

from dangvien.accounts.cli import command_actor
from dangvien.core.errors import NotFound
from dangvien.imports.export import FORMATS, export_register, format_from_path, write_template
from dangvien.org.selectors import unit_get_by_code_for


class Command(BaseCommand):
    help = ("Export the member register (form 7-HSĐV) of a unit's subtree to XLSX or CSV, as the system "
            "administrator or as --user; or write the import template with --template.")

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="code of the unit whose subtree is exported")
        parser.add_argument("-o", "--output", required=True, help="file to write (.xlsx or .csv)")
        parser.add_argument("--format", choices=FORMATS, help="default: from the file's extension")
        parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")
        parser.add_argument("--template", action="store_true", help="write the import template instead")

    def handle(self, *args, **options):
        path = pathlib.Path(options["output"])
        if options["template"]:
            write_template(path)
            self.stdout.write(f"Wrote the import template to {path}.")
            return
        if not options["unit"]:
            raise CommandError("--unit CODE is required (or --template).")
        actor = command_actor(options["user"])
        try:
            unit = unit_get_by_code_for(actor, options["unit"])
        except NotFound as exc:
            raise CommandError(f"No unit {options['unit']} visible to {actor.username}.") from exc
        fmt = options["format"] or format_from_path(path)
        started = time.perf_counter()
        count = export_register(actor=actor, unit=unit, path=path, fmt=fmt)
        self.stdout.write(f"Exported {count} members of {unit.code} ({unit.name}) to {path} "
                          f"in {time.perf_counter() - started:.1f} s.")
