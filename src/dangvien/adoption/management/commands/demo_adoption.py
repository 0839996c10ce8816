"""`dangvien demo-adoption --seed S --password P [--replace]`: handbook accounts and their use in the demo
province (run by `make demo` after `demo-meetings`)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dangvien.adoption.demo import DemoAdoptionError, demo_adoption_create


class Command(BaseCommand):
    help = ("Give the demo province's members handbook accounts and months of handbook use, many in the communes "
            "that run their meetings in the app, few in the mountain communes that hardly do (the same --seed as "
            "demo-meetings gives each commune the same habit). Every account's password is --password.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026, as demo-data)")
        parser.add_argument("--password", required=True, help="the password of every account made (the demo's)")
        parser.add_argument("--replace", action="store_true", help="delete the accounts an earlier run made first")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_adoption_create(seed=options["seed"], password=options["password"],
                                           replace=options["replace"])
        except DemoAdoptionError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        shares = [registered / members for _name, registered, members in summary.communes if members]
        share = 100 * summary.registered / summary.members if summary.members else 0
        self.stdout.write(
            f"{summary.registered:,}/{summary.members:,} = {share:.0f}% of the members on the roll hold a handbook "
            f"account (per commune from {100 * min(shares, default=0):.0f}% to {100 * max(shares, default=0):.0f}%); "
            f"{summary.activity_rows:,} rows of handbook use; {summary.removed:,} logins of an earlier demo removed; "
            f"in {elapsed:.1f} s. A member logs in with the citizen ID and the demo password.")
