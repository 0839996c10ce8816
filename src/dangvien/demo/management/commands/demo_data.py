"""`dangvien demo-data --members N --seed S [--reset]`: the synthetic province of Gia Lai."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dangvien.accounts.models import Role
from dangvien.demo.generator import DEFAULT_PASSWORD, DemoDataExists, generate


class Command(BaseCommand):
    help = ("Generate a deterministic synthetic province (Gia Lai, its 135 real communes) with N members "
            "and demo logins. The same --members and --seed give the same names, IDs and tree.")

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=141_794, help="number of members (default: 141,794)")
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026)")
        parser.add_argument("--reset", action="store_true",
                            help="delete all members, events and units first (the demo logins are reset)")
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"password of every demo login (default: {DEFAULT_PASSWORD})")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = generate(members=options["members"], seed=options["seed"], password=options["password"],
                               reset=options["reset"])
        except (DemoDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        units = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.units.items()))
        statuses = ", ".join(f"{n} {status}" for status, n in summary.statuses.most_common())
        self.stdout.write(f"Generated {summary.members} members and {summary.events} history events "
                          f"in {elapsed:.1f} s.")
        self.stdout.write(f"Units: {units}.")
        self.stdout.write(f"Statuses: {statuses}.")
        self.stdout.write("")
        rows = [("username", "password", "role", "unit")] + [
            (login.username, options["password"], str(Role(login.role).label), login.unit or "*")
            for login in summary.logins
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(f"Member handbook: dangvien (a member) lands on /handbook/; bithu sees the cell's accounts "
                          f"at /handbook/cell/ ({summary.evaluations} year-end evaluations and {summary.fees} party "
                          f"fee payments recorded in that cell).")
        if summary.activation:
            name, citizen_id, born, card = summary.activation
            self.stdout.write(f"Activation at /handbook/activate/: {name}, citizen ID {citizen_id}, born "
                              f"{born:%d/%m/%Y}, party card {card}.")
