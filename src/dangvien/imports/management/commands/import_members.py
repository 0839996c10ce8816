"""`dangvien import-members FILE --unit CODE [--dry-run] [--strict] [--user USERNAME]`."""

from __future__ import annotations

import argparse
import pathlib
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangvien.accounts.cli import command_actor
from dangvien.core.cli import ProgressBar
from dangvien.core.errors import NotFound
from dangvien.imports.batches import batch_start_command, import_failed_record, import_refused_record
from dangvien.imports.planning import ImportPlan
from dangvien.imports.reading import read_member_file
from dangvien.imports.services import BATCH, import_apply, import_plan
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_by_code_for


class Command(BaseCommand):
    help = ("Import members from an XLSX or CSV file into the cells under a unit. Prints what the file "
            "would do (new / updated / unchanged / rejected, with every rejected row's line, column and "
            "reason), then imports the valid rows in one transaction: all of them or, on any failure, none.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=pathlib.Path)
        parser.add_argument("--unit", required=True, help="code of the unit whose cells the rows go to")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")
        parser.add_argument("--strict", action="store_true", help="import nothing if any row is rejected")
        parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")
        parser.add_argument("--batch-size", type=_positive, default=None,
                            help=f"members written per round of the one transaction: memory and how often the "
                                 f"progress moves (default {BATCH:,})")

    def handle(self, *args, **options):
        actor = command_actor(options["user"])
        try:
            unit = unit_get_by_code_for(actor, options["unit"])
        except NotFound:
            raise CommandError(f"No unit with code {options['unit']} in your scope.") from None
        started = time.perf_counter()
        parsed = read_member_file(options["file"])
        if parsed.file_errors:
            for error in parsed.file_errors:
                self.stderr.write(f"{options['file']}: {error}")
            import_refused_record(actor=actor, unit=unit, name=options["file"].name,
                                  reason=" ".join(e.message for e in parsed.file_errors))
            raise CommandError("The file was refused; nothing was imported.")
        try:
            plan = import_plan(actor=actor, unit=unit, parsed=parsed)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        del parsed  # the plan holds what applying needs; a province's parsed rows are hundreds of MB
        self._report_plan(plan, unit, time.perf_counter() - started, options["verbosity"])
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        if options["strict"] and plan.rejections:
            raise CommandError(f"{len(plan.rejected_lines):,} rows were rejected and --strict was given: "
                               "nothing was imported.")
        if not plan.rows:
            self.stdout.write("Nothing to write.")
            return
        started = time.perf_counter()
        try:
            # The batch (the import's record, for its page and its undo) commits with the members
            # or not at all: a killed or failed import leaves nothing behind but its plan's audit row.
            with transaction.atomic():
                batch = batch_start_command(actor=actor, unit=unit, name=options["file"].name, plan=plan)
                result = import_apply(actor=actor, unit=unit, plan=plan, progress=ProgressBar(self.stderr),
                                      record_to=batch, batch_size=options["batch_size"])
        except (ValidationError, PermissionDenied, NotFound) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            import_failed_record(actor=actor, unit=unit, name=options["file"].name, reason=message)
            raise CommandError(message) from exc
        self.stdout.write(f"Imported in {time.perf_counter() - started:.1f} s: {len(result.created_ids):,} members "
                          f"created, {len(result.updated_ids):,} updated, {result.audit_rows:,} audit rows written.")
        self.stdout.write(f"Import #{batch.pk}. To undo it while no later change touched its members: "
                          f"dangvien undo-import {batch.pk}")

    def _report_plan(self, plan: ImportPlan, unit: Unit, seconds: float, verbosity: int) -> None:
        counts = plan.counts
        self.stdout.write(f"{plan.total_rows:,} rows read and checked in {seconds:.1f} s for {unit.name} "
                          f"({unit.code}): {counts['new']:,} new, {counts['updated']:,} updated, "
                          f"{counts['unchanged']:,} unchanged, {counts['rejected']:,} rejected.")
        if plan.rejections:
            self.stdout.write("Rejected rows:")
            for r in plan.rejections:
                self.stdout.write(f"  line {r.line}" + (f", {r.column}" if r.column else "") + f": {r.message}")
        if plan.warnings:
            self.stdout.write(f"Rows imported with warnings ({len(plan.warned_lines):,}):")
            for w in plan.warnings:
                self.stdout.write(f"  line {w.line}" + (f", {w.column}" if w.column else "") + f": {w.message}")
        if verbosity >= 2:
            for row in plan.rows:
                if row.action == "updated":
                    changes = "; ".join(f"{name}: {old!s} → {new!s}" for name, (old, new) in row.changes.items())
                    self.stdout.write(f"  line {row.line} updates member {row.member_id}: {changes}")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)
