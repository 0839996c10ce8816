"""`dangvien meetings remind`: remind the invitees of the meetings starting within
DANGVIEN["MEETING_REMINDER_HOURS"] (24 h), each invitee once. Safe to run from cron as often as
wanted (every 15 minutes, say): an invitee already reminded is not reminded again, and two runs at
once remind once (services.reminders_send)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangvien.meetings.services import reminders_send


class Command(BaseCommand):
    help = "Cell meetings: `remind` sends one reminder to each invitee of the meetings starting within 24 hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send(actor=None)
        self.stdout.write(f"{sent} invitations reminded")
