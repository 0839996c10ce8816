"""`dangvien demo-fieldwork --seed S`: the working groups, tasks, home visits and difficulties of the
demo province's campaign (run by `make demo` after `demo-campaign`)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangvien.fieldwork.demo import DemoFieldworkError, demo_fieldwork_create


class Command(BaseCommand):
    help = ("Form the demo campaign's working groups (the province's, which takes on the communes furthest "
            "behind, and one per commune), with tasks, home visits made and planned, and two difficulties.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026, as demo-data)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_fieldwork_create(seed=options["seed"])
        except (DemoFieldworkError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{summary.groups} working groups, {summary.tasks['open']} open tasks and {summary.tasks['done']} done, "
            f"{summary.visits_made} home visits made and {summary.visits_planned} planned, "
            f"{summary.difficulties} difficulties, in {time.perf_counter() - started:.1f} s.")
        self.stdout.write("The provincial working group took on: " + ", ".join(summary.lagging) + ".")
