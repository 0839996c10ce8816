"""Benchmark: one pipeline step for 10,000 members from a file (issue 10: <= 10 s), a script, not a test.

    .venv/bin/python bench/campaign_step_bench.py                 # SQLite under /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/campaign_step_bench.py

Never touches var/ or the database DATABASE_URL names: SQLite runs in $DANGVIEN_CAMPAIGN_BENCH_VAR
(default /tmp/dangvien-campaign-bench), PostgreSQL in a `dangvien_campaign_bench` database.

Steps:
  1. migrate; `demo-data --members N` (a demo province); a campaign over it (its snapshot);
  2. a CSV step file of 10,000 eligible members (`Số CCCD`, `Ngày`), as the police team sends it;
  3. timed, each a fresh run on its own members: `dangvien campaign step ID --step declared FILE`
     (call_command in this process: read the file, resolve the citizen IDs in the actor's scope,
     lock and check every participant, write the step records, the participants, 10,000 audit
     rows, commit, seal); then `--step photographed` on the same file;
  4. the baseline, in the same run: the bare `StepRecord.objects.bulk_create` of the same 10,000
     rows (rolled back), best of 3. The ratio is the command's time over it.
The "compared" step is not benched: it adds one query over the reconciliation's matches
(campaign/blocking.py), a few hundred milliseconds for 10,000 members.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchdb import describe_database, prepare_environment  # noqa: E402  (bench/ is on sys.path)

BENCH_DB = "dangvien_campaign_bench"


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=30_000, help="size of the demo province")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the step file")
    args = parser.parse_args()
    vendor = prepare_environment(var_default="/tmp/dangvien-campaign-bench", var_env="DANGVIEN_CAMPAIGN_BENCH_VAR",
                                 bench_db=BENCH_DB, keep_sqlite=False)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from dangvien.campaign.models import Participant, Step, StepRecord
    from dangvien.campaign.services import campaign_create
    from dangvien.core.cli import SystemActor
    from dangvien.org.models import Unit

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("demo-data", "--members", str(args.members), "--seed", "2026", verbosity=0, stdout=io.StringIO())
    print(f"demo province of {args.members:,} members in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    actor = SystemActor()
    province = Unit.objects.get(parent=None)
    import datetime as dt

    from dangvien.members.validation import today
    campaign = campaign_create(actor=actor, unit=province, name="Bench", start=today() - dt.timedelta(days=60),
                               deadline=today() + dt.timedelta(days=60))
    eligible = list(Participant.objects.filter(campaign=campaign, eligible=True).order_by("?")
                    .values_list("pk", "member__citizen_id")[:args.rows])
    if len(eligible) < args.rows:
        raise SystemExit(f"only {len(eligible):,} eligible members: raise --members")
    folder = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    step_file = folder / "buoc.csv"
    day = (today() - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    with step_file.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["STT", "Số CCCD", "Ngày"])
        writer.writerows([number, citizen_id, day] for number, (_pk, citizen_id) in enumerate(eligible, start=1))

    def timed_command(step: str) -> float:
        out = io.StringIO()
        began = time.perf_counter()
        call_command("campaign", "step", str(campaign.pk), "--step", step, str(step_file), stdout=out)
        seconds = time.perf_counter() - began
        print(out.getvalue().strip(), file=sys.stderr)
        return seconds

    declared = timed_command(Step.DECLARED)
    photographed = timed_command(Step.PHOTOGRAPHED)
    assert StepRecord.objects.filter(step=Step.PHOTOGRAPHED).count() == args.rows

    def baseline() -> float:
        rows = [StepRecord(participant_id=pk, step=Step.CONFIRMED, day=today(), note="") for pk, _id in eligible]
        began = time.perf_counter()
        try:
            with transaction.atomic():
                StepRecord.objects.bulk_create(rows, batch_size=1000)
                seconds = time.perf_counter() - began
                raise _Rollback
        except _Rollback:
            return seconds

    base = min(baseline() for _ in range(3))
    database = describe_database(vendor, connection)
    print(f"\n{database}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; {args.rows:,} rows of {args.members:,} members\n")
    print("| Measure | Seconds | / baseline |")
    print("|---|---:|---:|")
    print(f"| baseline: bare bulk_create of {args.rows:,} StepRecords | {base:.2f} | 1.0 |")
    for name, seconds in (("`campaign step --step declared FILE`", declared),
                          ("`campaign step --step photographed FILE`", photographed)):
        print(f"| {name} | {seconds:.2f} | {seconds / base:.1f} |")
    if vendor == "postgresql":
        connection.close()
        from benchdb import postgres_admin

        postgres_admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


if __name__ == "__main__":
    main()
