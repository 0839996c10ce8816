"""Benchmark: `dangvien demo-meetings` on the 20,000-member demo province (target <= 20 s), a script, not a test.

    .venv/bin/python bench/demo_meetings_bench.py                 # SQLite under /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/demo_meetings_bench.py

Never touches var/ or the database DATABASE_URL names: SQLite runs in $DANGVIEN_MEETINGS_DEMO_BENCH_VAR
(default /tmp/dangvien-meetings-demo-bench), PostgreSQL in a `dangvien_meetings_demo_bench` database.

Each round (the previous round's meetings deleted first, untimed): the baseline,
`demo.generator.generate(members=N, reset=True)` (the province's members and
histories through the bulk member writer: the other demo loader, same machine, same moment), then
`meetings.demo.demo_meetings_create(seed)` on it; each timed by wall clock and by this process's CPU
(time.process_time: the whole cost on SQLite, the client's share on PostgreSQL). The figure of merit
is the median over the rounds of the ratio meetings / members load (a shared machine's load moves the
wall times by several times; the ratio less).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from benchdb import describe_database, prepare_environment  # (bench/ is on sys.path)

BENCH_DB = "dangvien_meetings_demo_bench"


def _timed(call):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000, help="size of the demo province")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", default="2026")
    args = parser.parse_args()
    vendor = prepare_environment(var_default="/tmp/dangvien-meetings-demo-bench",
                                 var_env="DANGVIEN_MEETINGS_DEMO_BENCH_VAR", bench_db=BENCH_DB, keep_sqlite=False)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dangvien.demo.generator import generate
    from dangvien.meetings.demo import demo_meetings_create
    from dangvien.meetings.models import Meeting

    call_command("migrate", verbosity=0)
    rows = []
    for _ in range(args.rounds):
        Meeting.objects.all().delete()  # not timed: the baseline is the same work every round
        _province, base_wall, base_cpu = _timed(lambda: generate(members=args.members, seed=args.seed, reset=True))
        summary, wall, cpu = _timed(lambda: demo_meetings_create(seed=args.seed))
        rows.append((base_wall, base_cpu, wall, cpu))
        print(f"members load {base_wall:.1f} s (CPU {base_cpu:.1f} s); meetings {wall:.1f} s (CPU {cpu:.1f} s): "
              f"{sum(summary.kinds.values()):,} meetings, {summary.invitations:,} invitations, "
              f"{sum(summary.attendance.values()):,} attendance marks", flush=True)
    ratio = statistics.median(wall / base_wall for base_wall, _bc, wall, _c in rows)
    cpu_ratio = statistics.median(cpu / base_cpu for _bw, base_cpu, _w, cpu in rows)
    print()
    print(f"{describe_database(vendor, connection)}, {platform.python_implementation()} {platform.python_version()}, "
          f"{args.members:,} members, {args.rounds} rounds")
    print("| | wall (median, min–max) | CPU (median) |")
    print("|---|---|---|")
    for label, wall_index, cpu_index in (("members load (baseline)", 0, 1), ("demo-meetings", 2, 3)):
        walls = [r[wall_index] for r in rows]
        print(f"| {label} | {statistics.median(walls):.1f} s ({min(walls):.1f}–{max(walls):.1f}) | "
              f"{statistics.median(r[cpu_index] for r in rows):.1f} s |")
    print(f"| ratio demo-meetings / members load | {ratio:.2f} | {cpu_ratio:.2f} |")


if __name__ == "__main__":
    main()
