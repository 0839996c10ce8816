"""`dangvien population import FILE [--snapshot NAME] [--taken-on DATE] [--user USERNAME]`
and `dangvien population generate --members-from CODE -o FILE ...` (population/generator.py)."""

from __future__ import annotations

import datetime as dt
import pathlib
import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangvien.accounts.cli import command_actor
from dangvien.population.services import SnapshotRefused, snapshot_import

SHOWN_REJECTIONS = 200


def _day(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class _Bar:
    """tqdm on stderr, fed (done, total) after each batch."""

    def __init__(self, stream: Any):
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit=" rows", unit_scale=True, file=stream, mininterval=0.5)

    def __call__(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = ("Population extract snapshots. `import FILE`: load a CSV or Parquet extract as a new snapshot "
            "(rows with problems are listed by line and not loaded; the same file twice is refused). "
            "`generate`: write a synthetic extract for the members of a unit, with its ground truth.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("import", help="load an extract file as a snapshot")
        load.add_argument("file", type=pathlib.Path)
        load.add_argument("--snapshot", default="", help="the snapshot's name (default: the file's name)")
        load.add_argument("--taken-on", type=_day, help="the day the extract was taken, dd/mm/yyyy (default: today)")
        load.add_argument("--user", help="act as this user (default: system administrator)")
        load.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _import(self, options: dict[str, Any]) -> None:
        actor = command_actor(options["user"])
        started = time.perf_counter()
        bar = None if options["no_progress"] else _Bar(self.stderr._out)
        try:
            result = snapshot_import(actor=actor, path=options["file"], name=options["snapshot"],
                                     taken_on=options["taken_on"], progress=bar)
        except SnapshotRefused as exc:
            for error in exc.errors[:SHOWN_REJECTIONS]:
                self.stderr.write(f"{options['file']}: {error}")
            raise CommandError("The file was refused; nothing was loaded.") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar:
                bar.close()
        snapshot = result.snapshot
        self.stdout.write(f"Snapshot {snapshot.name} (#{snapshot.pk}, taken on {snapshot.taken_on:%d/%m/%Y}): "
                          f"{snapshot.rows:,} rows loaded, {snapshot.rejected:,} rejected, in "
                          f"{time.perf_counter() - started:.1f} s ({snapshot.backend}).")
        if result.rejections:
            self.stdout.write("Rejected rows:")
            for error in result.rejections[:SHOWN_REJECTIONS]:
                self.stdout.write(f"  line {error.line}" + (f", {error.column}" if error.column else "")
                                  + f": {error.message}")
            if len(result.rejections) > SHOWN_REJECTIONS:
                self.stdout.write(f"  ... and {len(result.rejections) - SHOWN_REJECTIONS:,} more problems.")
