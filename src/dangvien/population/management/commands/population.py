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
from dangvien.population.models import Snapshot
from dangvien.population.services import SnapshotRefused, file_sha256, snapshot_drop, snapshot_import

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
        load.add_argument("--replace", action="store_true",
                          help="(demo) keep the snapshot of that name when it holds this very file, else drop "
                               "it and load the file; refused while reconciliation runs use it")
        gen = actions.add_parser("generate", help="write a synthetic extract for the members of a unit")
        gen.add_argument("--members-from", required=True, metavar="CODE", help="code of the unit whose members to use")
        gen.add_argument("-o", "--output", required=True, type=pathlib.Path, help="the extract (.csv or .parquet)")
        gen.add_argument("--citizens", type=int, help="rows in all (default: 18.3 a member)")
        gen.add_argument("--truth", type=pathlib.Path, help="the ground truth CSV (member_id, so_dinh_danh, noise)")
        gen.add_argument("--noise-seed", type=int, default=2026)
        gen.add_argument("--apply-noise", action="store_true",
                         help="write the noise into the member records (audited corrections)")
        gen.add_argument("--user", help="act as this user (default: system administrator)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _generate(self, options: dict[str, Any]) -> None:
        from dangvien.core.errors import NotFound
        from dangvien.org.selectors import unit_get_by_code_for
        from dangvien.population.generator import generate_extract

        actor = command_actor(options["user"])
        try:
            unit = unit_get_by_code_for(actor, options["members_from"])
        except NotFound:
            raise CommandError(f"No unit with code {options['members_from']} in your scope.") from None
        started = time.perf_counter()
        result = generate_extract(unit=unit, out=options["output"], citizens=options["citizens"],
                                  truth=options["truth"], seed=options["noise_seed"],
                                  apply_noise=options["apply_noise"], actor=actor)
        noise = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.noise.items()))
        self.stdout.write(f"{options['output']}: {result.citizens:,} citizens for {result.members:,} members "
                          f"({result.absent:,} left out) in {time.perf_counter() - started:.1f} s. Noise"
                          f"{' applied' if options['apply_noise'] else ' (not applied)'}: {noise or 'none'}.")

    def _import(self, options: dict[str, Any]) -> None:
        actor = command_actor(options["user"])
        if options["replace"] and self._kept_or_dropped(actor, options):
            return
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

    def _kept_or_dropped(self, actor: Any, options: dict[str, Any]) -> bool:
        """--replace: True when the snapshot of that name holds this very file (nothing to do);
        else the snapshot of that name, if any, is dropped so that the file loads under it."""
        path = options["file"]
        name = (options["snapshot"] or path.stem).strip()
        current = Snapshot.objects.filter(name=name).first()
        if current is None:
            return False
        try:
            same = path.is_file() and file_sha256(path) == current.sha256
        except OSError:
            same = False
        if same:
            self.stdout.write(f"Snapshot {current.name} (#{current.pk}) holds this file already "
                              f"({current.rows:,} rows): kept.")
            return True
        try:
            snapshot_drop(actor=actor, snapshot=current)
        except SnapshotRefused as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Snapshot {current.name} (#{current.pk}) dropped, to be replaced by {path}.")
        return False
