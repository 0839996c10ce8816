"""`dangvien reconcile --unit CODE [--snapshot NAME] [--export FILE.csv] [--user USERNAME]`."""

from __future__ import annotations

import csv
import pathlib
import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from dangvien.accounts.cli import command_actor
from dangvien.core.cli import ProgressBar
from dangvien.core.errors import NotFound
from dangvien.org.selectors import unit_get_by_code_for
from dangvien.population.models import Snapshot
from dangvien.reconcile.runs import export_rows, reconciliation_run


class Command(BaseCommand):
    help = ("Match the members on the roll under a unit against a population extract snapshot (the latest "
            "by default): exact by citizen ID, else probabilistic; store the run, its matches and "
            "discrepancies; optionally export one CSV row per member.")

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="code of the unit whose subtree is reconciled")
        parser.add_argument("--snapshot", help="name of the snapshot (default: the latest taken)")
        parser.add_argument("--export", type=pathlib.Path, help="write the results to this CSV file")
        parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")

    def handle(self, *args, **options):
        actor = command_actor(options["user"])
        try:
            unit = unit_get_by_code_for(actor, options["unit"])
        except NotFound:
            raise CommandError(f"No unit with code {options['unit']} in your scope.") from None
        snapshots = Snapshot.objects.all()
        snapshot = (snapshots.filter(name=options["snapshot"]) if options["snapshot"] else snapshots).first()
        if snapshot is None:
            raise CommandError(f"No snapshot named {options['snapshot']}." if options["snapshot"]
                               else "No population snapshot is loaded (dangvien population import FILE).")
        started = time.perf_counter()
        try:
            run = reconciliation_run(actor=actor, unit=unit, snapshot=snapshot, progress=ProgressBar(self.stderr))
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Run {run.pk}: {run.count_members:,} members against {snapshot.name} in "
            f"{time.perf_counter() - started:.1f} s: {run.count_exact:,} exact, {run.count_auto:,} matched "
            f"automatically, {run.count_review:,} to review, {run.count_none:,} not found; "
            f"{run.count_discrepancies:,} discrepancies.")
        if options["export"]:
            with options["export"].open("w", newline="", encoding="utf-8") as out:
                csv.writer(out).writerows(export_rows(actor=actor, run=run))
            self.stdout.write(f"Wrote {run.count_members:,} members to {options['export']}.")
