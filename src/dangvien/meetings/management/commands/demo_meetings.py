"""`dangvien demo-meetings --seed S [--replace]`: months of party meetings in the demo province (run
by `make demo` after `demo-fieldwork`)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangvien.meetings.demo import DemoMeetingsError, demo_meetings_create


class Command(BaseCommand):
    help = ("Give every cell and committee of the demo province six months of meetings, this month's and "
            "next month's schedule: attendance, minutes, opinions and open votes, with communes that hold "
            "nearly all their meetings in the app, some that do partly and mountain communes that hardly do. "
            "The same --seed at the same hour gives the same meetings.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026, as demo-data)")
        parser.add_argument("--replace", action="store_true", help="delete the province's meetings first")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_meetings_create(seed=options["seed"], replace=options["replace"])
        except DemoMeetingsError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(summary.kinds.items()))
        statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(summary.statuses.items()))
        marks = ", ".join(f"{n:,} {status}" for status, n in sorted(summary.attendance.items()))
        self.stdout.write(f"{sum(summary.kinds.values()):,} meetings ({kinds}; {statuses}) in {elapsed:.1f} s.")
        self.stdout.write(f"{summary.invitations:,} invitations; attendance {marks} ({summary.qr:,} by QR code); "
                          f"minutes {summary.minutes['approved']:,} approved and {summary.minutes['draft']:,} in "
                          f"draft, {summary.speeches:,} speeches, {summary.votes:,} open votes, {summary.comments} "
                          f"opinions; {summary.registered_late:,} regular meetings registered late.")
        if summary.month and summary.cells:
            shares = [held / total for _name, held, total in summary.communes if total]
            habits = ", ".join(f"{n} {habit}" for habit, n in sorted(summary.habits.items()))
            self.stdout.write(
                f"Cells that held a meeting in the app in {summary.month:%m/%Y}: {summary.cells_held:,}/"
                f"{summary.cells:,} = {100 * summary.cells_held / summary.cells:.0f}% (goal 80%); per commune "
                f"from {100 * min(shares):.0f}% to {100 * max(shares):.0f}% (communes: {habits}).")
        home = summary.home
        if home is not None:
            upcoming = f"{timezone.localtime(home.upcoming):%H:%M %d/%m/%Y}" if home.upcoming else "none"
            held = f"{timezone.localtime(home.held):%d/%m/%Y}" if home.held else "none"
            warned = "; ".join(f"{name} ({months} months)" for name, months in home.warned)
            self.stdout.write(f"{home.cell}: next meeting {upcoming}, last held {held}; absent without reason "
                              f"this year: {warned or 'nobody'}.")
