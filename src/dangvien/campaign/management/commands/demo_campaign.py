"""`dangvien demo-campaign --seed S [--replace]`: the demo province's card exchange campaign, in
progress (run by `make demo` after the reconciliation)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangvien.campaign.demo import DemoCampaignError, demo_campaign_create
from dangvien.campaign.demo_schedule import Pace
from dangvien.campaign.models import STEPS


class Command(BaseCommand):
    help = ("Start a card exchange campaign over the demo province ten weeks ago and bring it to today: "
            "communes done, on track and lagging, the discrepancies corrected since the reconciliation, every "
            "member's steps. The same --seed on the same day gives the same campaign.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", default="2026", help="random seed (default: 2026, as demo-data)")
        parser.add_argument("--replace", action="store_true", help="delete the demo campaign first if it exists")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_campaign_create(seed=options["seed"], replace=options["replace"])
        except (DemoCampaignError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        campaign = summary.campaign
        self.stdout.write(
            f"Campaign #{campaign.pk} “{campaign.name}”, {campaign.start:%d/%m/%Y} to {campaign.deadline:%d/%m/%Y}: "
            f"{summary.confirmed:,}/{summary.counted:,} members confirmed, in {time.perf_counter() - started:.1f} s.")
        self.stdout.write("Steps: " + ", ".join(f"{summary.steps[step]:,} {step.replace('_', ' ')}" for step in STEPS)
                          + ".")
        refused = f" ({summary.left_open} groups the member rules refused left open)" if summary.left_open else ""
        self.stdout.write(f"{summary.accepted:,} discrepancies corrected since the reconciliation{refused}; "
                          f"{summary.blocked:,} members still blocked before the comparison; "
                          f"{summary.holds} on hold; {summary.care} marked sick or disabled.")
        for pace in Pace:
            names = summary.paces.get(pace, [])
            shown = ", ".join(names) if len(names) <= 5 else f"{len(names)} communes"
            self.stdout.write(f"{pace.value.replace('_', ' ').capitalize()}: {shown or 'none'}.")
