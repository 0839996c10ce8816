"""`dangvien campaign <action>`: the card exchange campaign at the shell.

- `create --unit CODE --name NAME --start DATE --deadline DATE`: a campaign, its snapshot taken today;
- `step ID --step NAME FILE [--date dd/mm/yyyy] [--dry-run]`: record a step for the members a file
  lists (campaign/steps_file.py), all or nothing, every refused row by line; exit status 1 when
  anything is refused;
- `refresh ID`, `close ID`.

Each action is a subparser and a `_<action>` method; another module adds one the same way (its
parser in add_arguments, its runner in ACTIONS)."""

from __future__ import annotations

import datetime as dt
import pathlib
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from dangvien.accounts.cli import command_actor
from dangvien.campaign.cli_report import add_report_parser, run_report
from dangvien.campaign.models import STEPS, Campaign
from dangvien.campaign.selectors import campaign_get_for
from dangvien.campaign.services import campaign_close, campaign_create, campaign_refresh
from dangvien.campaign.steps_file import steps_file_record
from dangvien.core.errors import NotFound
from dangvien.org.selectors import unit_get_by_code_for

SHOWN_REJECTIONS = 500


def _day(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _add_step_parser(actions: Any) -> None:
    step = actions.add_parser("step", help="record a pipeline step for the members a file lists (all or nothing)")
    step.add_argument("campaign", type=int, help="the campaign's number")
    step.add_argument("--step", required=True, choices=STEPS, help="the step done")
    step.add_argument("file", type=pathlib.Path, help="CSV, XLSX or Parquet: Số CCCD (or Số thẻ đảng), Ngày, Ghi chú")
    step.add_argument("--date", type=_day, help="the day of the rows without one, dd/mm/yyyy (default: today)")
    step.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    step.add_argument("--user", help="act as this user, within their scope (default: system administrator)")


def _add_create_parser(actions: Any) -> None:
    create = actions.add_parser("create", help="a campaign over a unit, its eligibility snapshot taken today")
    create.add_argument("--unit", required=True, help="code of the unit the campaign covers")
    create.add_argument("--name", required=True)
    create.add_argument("--start", required=True, type=_day, help="dd/mm/yyyy")
    create.add_argument("--deadline", required=True, type=_day, help="dd/mm/yyyy")
    create.add_argument("--headline-step", default="confirmed", choices=STEPS,
                        help="the step the headline figure counts as completed (default: confirmed)")
    create.add_argument("--precision", type=int, default=2, help="decimals in the percentages, 0 to 3")
    create.add_argument("--user", help="act as this user, within their scope (default: system administrator)")


def _add_campaign_parser(actions: Any, name: str, text: str) -> None:
    action = actions.add_parser(name, help=text)
    action.add_argument("campaign", type=int, help="the campaign's number")
    action.add_argument("--user", help="act as this user, within their scope (default: system administrator)")


class Command(BaseCommand):
    help = "The chip card exchange campaign: create, record a step from a file, refresh against the roll, close."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        _add_create_parser(actions)
        _add_step_parser(actions)
        _add_campaign_parser(actions, "refresh", "add members registered since the snapshot, mark those who left")
        _add_campaign_parser(actions, "close", "close the campaign: no step may be recorded any more")
        add_report_parser(actions)
        # More actions: add their parser here and their runner to ACTIONS.

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ACTIONS[options["action"]](options, self.stdout)
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "Not permitted.") from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None


def _campaign(actor: Any, number: int) -> Campaign:
    try:
        return campaign_get_for(actor, number)
    except NotFound:
        raise CommandError(f"No campaign {number} in your scope.") from None


def _create(options: dict[str, Any], stdout: OutputWrapper) -> None:
    actor = command_actor(options["user"])
    try:
        unit = unit_get_by_code_for(actor, options["unit"])
    except NotFound:
        raise CommandError(f"No unit with code {options['unit']} in your scope.") from None
    campaign = campaign_create(actor=actor, unit=unit, name=options["name"], start=options["start"],
                               deadline=options["deadline"], headline_step=options["headline_step"],
                               precision=options["precision"])
    counted = campaign.participants.filter(eligible=True).count()
    stdout.write(f"Campaign {campaign.pk}: {campaign.name} over {unit.code}, {counted:,} eligible members "
                 f"(snapshot of {campaign.snapshot_date:%d/%m/%Y}).")


def _step(options: dict[str, Any], stdout: OutputWrapper) -> None:
    actor = command_actor(options["user"])
    campaign = _campaign(actor, options["campaign"])
    started = time.perf_counter()
    result = steps_file_record(actor=actor, campaign=campaign, step=options["step"], path=options["file"],
                               day=options["date"], dry_run=options["dry_run"])
    elapsed = time.perf_counter() - started
    if not result.ok:
        for error in result.errors[:SHOWN_REJECTIONS]:
            stdout.write(f"{options['file']}: " + (f"line {error.line}: " if error.line else "") + error.message)
        if len(result.errors) > SHOWN_REJECTIONS:
            stdout.write(f"... and {len(result.errors) - SHOWN_REJECTIONS:,} more.")
        raise CommandError(f"{len(result.errors):,} problems in {result.rows:,} rows; nothing was recorded.")
    verb = "would be recorded (dry run: nothing written)" if result.dry_run else "recorded"
    stdout.write(f"{options['step']}: {result.recorded:,} members {verb} from {result.rows:,} rows in {elapsed:.1f} s.")


def _refresh(options: dict[str, Any], stdout: OutputWrapper) -> None:
    actor = command_actor(options["user"])
    result = campaign_refresh(actor=actor, campaign=_campaign(actor, options["campaign"]))
    stdout.write(f"{result.joined:,} joined, {result.left:,} left, {result.moved:,} moved, "
                 f"{result.returned:,} returned.")


def _close(options: dict[str, Any], stdout: OutputWrapper) -> None:
    actor = command_actor(options["user"])
    campaign = campaign_close(actor=actor, campaign=_campaign(actor, options["campaign"]))
    stdout.write(f"Campaign {campaign.pk} closed on {campaign.closed_on:%d/%m/%Y}.")


# action -> its runner (options, stdout).
ACTIONS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "create": _create, "step": _step, "refresh": _refresh, "close": _close, "report": run_report}
