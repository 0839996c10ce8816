"""Benchmark of the reconciliation at province scale (a script, not a test).

    .venv/bin/python bench/reconcile_bench.py                  # SQLite under /tmp, DuckDB store
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/reconcile_bench.py

Never touches var/ or the database DATABASE_URL names: SQLite runs in $DANGVIEN_RECONCILE_BENCH_VAR
(default /tmp/dangvien-reconcile-bench), PostgreSQL in a `dangvien_reconcile_bench` database.
--keep reuses the demo province of an earlier run (SQLite) instead of generating it again.

Steps:
  1. migrate and generate the demo province (141,794 members by default);
  2. `dangvien population generate --members-from PROVINCE --apply-noise`: the extract (2.6 M rows),
     its ground truth, and the noise applied to the member records;
  3. `dangvien population import` of the extract, in a child process (timed, peak memory);
  4. `dangvien reconcile --unit PROVINCE --export FILE`, in a child process (timed end to end from
     the command's start, peak memory: ru_maxrss of the child);
  5. the results against the truth: precision of the links made without review (exact, auto),
     recall of auto + review (the member's person linked, or first among the review candidates),
     links made for members absent from the extract, the share sent to review; per noise kind.
Targets (issue 9): precision 100 %, recall >= 99.5 %, review <= 3 %, reconcile <= 60 s, peak <= 4 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from benchdb import ROOT, describe_database, prepare_environment  # noqa: E402  (bench/ is on sys.path)

BENCH_DB = "dangvien_reconcile_bench"
LINKED = ("exact", "auto")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def child(argv: list[str]) -> None:
    """Run one dangvien command in this fresh process; print its time and peak memory as JSON."""
    _setup_django()
    from django.core.management import call_command

    started, cpu = time.perf_counter(), os.times()
    call_command(*argv)
    seconds, cpu_after = time.perf_counter() - started, os.times()
    # CPU seconds of the process (all its threads): on a machine shared with other work the wall
    # time stretches with the load average, this much less.
    cpu_seconds = cpu_after.user + cpu_after.system - cpu.user - cpu.system
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 1),
                      "peak_mib": round(_peak_kib() / 1024), "load": [round(x, 1) for x in os.getloadavg()]}))


def _peak_kib() -> int:
    """This process's peak resident memory. Not ru_maxrss: Linux keeps it across exec, so a child
    would report its parent's peak (the generator's); VmHWM belongs to the process's own image."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _in_child(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(argv)], check=True, capture_output=True,
                         text=True, env=os.environ)
    sys.stderr.write(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bare_scan() -> dict:
    """The baseline of the same run: the bare scan of the snapshot's key columns from the store
    into one arrow table (what pass 2 reads once), with nothing done with them."""
    import pyarrow as pa

    from dangvien.population.models import Snapshot
    from dangvien.population.store import snapshot_store
    from dangvien.reconcile.matching import KEY_COLUMNS

    snapshot = Snapshot.objects.order_by("-pk").first()
    started = time.perf_counter()
    rows = pa.Table.from_batches(list(snapshot_store().scan(snapshot.pk, KEY_COLUMNS))).num_rows
    return {"seconds": round(time.perf_counter() - started, 2), "rows": rows}


def _truth(path: Path) -> dict[int, dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return {int(row["member_id"]): row for row in csv.DictReader(f)}


def _noise_of(row: dict[str, str]) -> str:
    """The member's noise kind; '+no_id' when the record also lost its citizen ID."""
    return (row.get("noise") or "none") + ("+no_id" if row.get("id_dropped") else "")


def score(truth_path: Path, export_path: Path, run_id: int) -> dict:
    """Compare the run with the truth (member_id -> true so_dinh_danh, '' when absent)."""
    from dangvien.reconcile.models import Match

    truth = _truth(truth_path)
    top = {m: (c[0]["so_dinh_danh"] if c else "") for m, c in
           Match.objects.filter(run_id=run_id, band="review").values_list("member_id", "candidates")}
    counts: Counter[str] = Counter()
    by_noise: dict[str, Counter[str]] = {}
    with export_path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            member_id = int(row["member_id"])
            if member_id not in truth:
                continue
            true_id = truth[member_id].get("so_dinh_danh", "")
            band, linked = row["band"], row["so_dinh_danh"]
            noise = by_noise.setdefault(_noise_of(truth[member_id]), Counter())
            counts["members"] += 1
            counts[band] += 1
            noise["members"] += 1
            noise[band] += 1
            if band in LINKED:
                counts["linked"] += 1
                if not true_id:
                    counts["linked_absent"] += 1
                    noise["wrong_link"] += 1
                elif linked == true_id:
                    counts["linked_right"] += 1
                else:
                    counts["linked_wrong"] += 1
                    noise["wrong_link"] += 1
            if not true_id:
                counts["absent"] += 1
                continue
            counts["present"] += 1
            found = (band in LINKED and linked == true_id) or (band == "review" and top.get(member_id) == true_id)
            counts["found"] += found
            noise["found"] += found
            noise["present"] += 1
    members = counts["members"] or 1
    return {
        "counts": dict(counts),
        "precision_pct": round(100 * counts["linked_right"] / (counts["linked"] or 1), 4),
        "recall_pct": round(100 * counts["found"] / (counts["present"] or 1), 3),
        "review_pct": round(100 * counts["review"] / members, 3),
        "absent_linked": counts["linked_absent"],
        "by_noise": {k: dict(v) for k, v in sorted(by_noise.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=141_794)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--noise-seed", default="9")
    parser.add_argument("--keep", action="store_true", help="reuse the demo province and extract of an earlier run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    vendor = prepare_environment(var_default="/tmp/dangvien-reconcile-bench", var_env="DANGVIEN_RECONCILE_BENCH_VAR",
                                 bench_db=BENCH_DB, keep_sqlite=args.keep)
    work = Path(os.environ["DANGVIEN_VAR"])
    extract, truth, export = work / "extract.parquet", work / "truth.csv", work / "reconcile.csv"
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from dangvien.demo.generator import generate
    from dangvien.members.models import Member
    from dangvien.org.models import Unit
    from dangvien.reconcile.models import Run

    call_command("migrate", verbosity=0)
    database = describe_database(vendor, connection)
    figures: dict = {"database": database, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    if not (args.keep and Member.objects.exists()):
        started = time.perf_counter()
        generate(members=args.members, seed=args.seed, reset=True)
        figures["demo_s"] = round(time.perf_counter() - started, 1)
    if not (args.keep and extract.exists() and truth.exists()):
        province = Unit.objects.get(parent=None).code
        started = time.perf_counter()
        call_command("population", "generate", "--members-from", province, "-o", str(extract), "--truth", str(truth),
                     "--noise-seed", args.noise_seed, "--apply-noise")
        figures["generate_s"] = round(time.perf_counter() - started, 1)
    province = Unit.objects.get(parent=None).code
    connection.close()  # the children write; SQLite allows one writer at a time

    from dangvien.population.models import Snapshot

    if not (args.keep and Snapshot.objects.exists()):  # --keep: the snapshot of the earlier run
        figures["import"] = _in_child(["population", "import", str(extract), "--snapshot", f"bench-{time.time():.0f}"])
    figures["baseline_scan"] = _bare_scan()
    figures["reconcile"] = _in_child(["reconcile", "--unit", province, "--export", str(export)])
    run = Run.objects.order_by("-pk").first()
    figures["run"] = {"members": run.count_members, "exact": run.count_exact, "auto": run.count_auto,
                      "review": run.count_review, "none": run.count_none, "discrepancies": run.count_discrepancies,
                      "timings": run.engine.get("timings"), "trained": run.engine.get("trained"),
                      "pass2": run.engine.get("pass2")}
    figures["quality"] = score(truth, export, run.pk)
    figures["reconcile_x_baseline"] = round(figures["reconcile"]["seconds"] / figures["baseline_scan"]["seconds"], 1)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    (work / "reconcile_bench.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
