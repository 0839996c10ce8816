"""`dangvien demo-cards --seed S [--replace]`: the demo province's party cards (run by `make demo`
after the campaign)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangvien.credentials.demo import DemoCardsError, demo_cards_create


class Command(BaseCommand):
    help = ("Take a photo of and issue a party card to every demo member whose campaign pipeline reached "
            "“sent”, then suspend, re-issue and revoke a few. The same --seed gives the same cards.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026, as demo-data)")
        parser.add_argument("--replace", action="store_true", help="delete the demo cards first if they exist")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_cards_create(seed=options["seed"], replace=options["replace"])
        except (DemoCardsError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{summary.issued:,} party cards issued ({summary.photos:,} photos; {summary.without_photo} members "
            f"waiting for their photo) in {time.perf_counter() - started:.1f} s; first numbers: "
            f"{', '.join(summary.numbers)}.")
        self.stdout.write(f"{summary.suspended} suspended (reported lost), {summary.reissued} re-issued, "
                          f"{summary.revoked} revoked by hand, {summary.left} revoked as their members died or "
                          "were removed.")
