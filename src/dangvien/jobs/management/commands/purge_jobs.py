"""`dangvien purge-jobs [--days N]`: run daily (cron or a systemd timer), next to purge-imports."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from dangvien.core.cli import SystemActor
from dangvien.core.scope import Scope
from dangvien.jobs.services import job_results_purge


class Command(BaseCommand):
    help = ("Delete the result files of background jobs finished more than DANGVIEN['JOB_RESULT_DAYS'] days "
            "ago (or --days): an export holds citizen IDs.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.DANGVIEN["JOB_RESULT_DAYS"])

    def handle(self, *args, **options):
        # The operator at the server shell acts everywhere.
        purged = job_results_purge(actor=SystemActor(), scope=Scope.all(), older_than=dt.timedelta(days=options["days"]))
        self.stdout.write(f"{purged} job result file(s) deleted.")
