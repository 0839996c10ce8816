"""`dangvien demo-library [--seed S]`: the library's demo data on the demo province (after demo-data)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dangvien.library.demo import DemoLibraryExists, DemoMissing, describe, generate_library


class Command(BaseCommand):
    help = ("Publish demo documents (province and the demo commune), a study topic with its quiz, read receipts "
            "and quiz results on the province `dangvien demo-data` built.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = generate_library(seed=options["seed"])
        except (DemoMissing, DemoLibraryExists) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{describe(summary)} ({time.perf_counter() - started:.1f} s)")
