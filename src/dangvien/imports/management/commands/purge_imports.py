"""`dangvien purge-imports [--days N]`: run daily (cron or a systemd timer)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from dangvien.core.cli import SystemActor
from dangvien.imports.batches import batches_purge


class Command(BaseCommand):
    help = ("Expire the checked imports nobody confirmed within DANGVIEN['IMPORT_UNCONFIRMED_DAYS'] days "
            "(or --days) and delete their uploaded files: a member list holds citizen IDs.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.DANGVIEN["IMPORT_UNCONFIRMED_DAYS"])

    def handle(self, *args, **options):
        expired = batches_purge(actor=SystemActor(), older_than=dt.timedelta(days=options["days"]))
        self.stdout.write(f"{expired} unconfirmed import(s) expired and their files deleted.")
