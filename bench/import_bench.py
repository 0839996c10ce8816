"""Benchmark of the member import at province scale (a script, not a test).

    .venv/bin/python bench/import_bench.py                     # SQLite under /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/import_bench.py

Never touches var/ or the database DATABASE_URL names: SQLite runs in $DANGVIEN_IMPORT_BENCH_VAR
(default /tmp/dangvien-import-bench, recreated), PostgreSQL in a `dangvien_import_bench` database
created next to the one DATABASE_URL names and dropped at the end (--keep keeps it).

Steps:
  1. migrate and generate the demo province (141,794 members by default);
  2. export the province's register to CSV and to XLSX (timed: the export target is 20 s);
  3. for each file: delete every member and history event (the units stay: an empty province tree),
     then import the file end to end -- read, plan, apply, exactly what `dangvien import-members`
     does -- in a fresh child process, which reports each phase's time and its own peak memory
     (ru_maxrss), so the figure is the import's alone;
  4. two bare bulk inserts (`core.bulk.bulk_insert`: COPY on PostgreSQL, executemany on SQLite), each
     in one transaction, in the import's batches of 5,000 members, as the units of the ratios:
     - every row the last import wrote: its members, their history events and their audit rows,
       read back from the database, deleted and inserted again;
     - the member rows of the generated province (the generator's rows);
  5. re-plan the CSV against the now full province (every row matches: the unchanged path).
Targets (issue 3): import ≤ 60 s, ≤ 3x the bare insert, export ≤ 20 s, peak memory ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchdb import ROOT, describe_database, postgres_admin, prepare_environment  # noqa: E402  (bench/ is on sys.path)

BENCH_DB = "dangvien_import_bench"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _empty_the_province() -> None:
    """Every member and what belongs to them gone (the demo's evaluations, fees and the other apps'
    member rows too, which would hold the members by their foreign keys), the units kept."""
    from django.db import connection, transaction

    from dangvien.accounts.models import User
    from dangvien.demo.generator import _delete_all, _delete_member_records
    from dangvien.members.models import FeePayment, Member, MemberEvaluation, MemberEvent

    with transaction.atomic():
        User.objects.filter(member__isnull=False).update(member=None)
        _delete_member_records()
        for model in (MemberEvent, MemberEvaluation, FeePayment, Member):
            _delete_all(model)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE members_member, members_memberevent")


# --- the child: one import, end to end, in a fresh process ---------------------------------------


def child_import(path: str, unit_code: str) -> None:
    _setup_django()
    from django.db import connection, transaction

    from dangvien.core.cli import SystemActor
    from dangvien.imports.batches import batch_start_command
    from dangvien.imports.reading import read_member_file
    from dangvien.imports.services import import_apply, import_plan
    from dangvien.org.models import Unit

    actor, unit = SystemActor(), Unit.objects.get(code=unit_code)
    connection.ensure_connection()
    marks = [time.perf_counter()]
    parsed = read_member_file(Path(path))
    marks.append(time.perf_counter())
    peaks = {"read": _memory()["VmHWM"]}
    plan = import_plan(actor=actor, unit=unit, parsed=parsed)
    marks.append(time.perf_counter())
    peaks["plan"] = _memory()["VmHWM"]
    rows, file_errors = len(parsed.rows), [str(e) for e in parsed.file_errors]
    del parsed  # as the command does: the plan holds what the apply needs
    batches: list[float] = []
    with transaction.atomic():  # as `dangvien import-members` does: the batch record commits with the import
        batch = batch_start_command(actor=actor, unit=unit, name=Path(path).name, plan=plan)
        result = import_apply(actor=actor, unit=unit, plan=plan, record_to=batch,
                              progress=lambda d, t: batches.append(time.perf_counter()))
    marks.append(time.perf_counter())
    memory = _memory()
    peaks["apply"] = memory["VmHWM"]
    print(json.dumps({
        "read": marks[1] - marks[0], "plan": marks[2] - marks[1], "apply": marks[3] - marks[2],
        "total": marks[3] - marks[0], "rows": rows, "file_errors": file_errors,
        "counts": plan.counts, "created": len(result.created_ids), "updated": len(result.updated_ids),
        "audit_rows": result.audit_rows, "batches": len(batches), "batch_id": batch.pk,
        "rejections": [f"{r.line} {r.column}: {r.message}" for r in plan.rejections[:5]],
        # The child's own peak (VmHWM). Not getrusage's ru_maxrss: on Linux a process started by
        # fork and exec keeps the high-water mark of the pre-exec image, that is the bench's parent
        # process with the generated province in memory (the figures before November 2026 were it).
        "maxrss_mb": memory["VmHWM"],
        # The peak so far at the end of each phase, and the end's split: the process's own memory
        # (anon) and the file pages it maps (SQLite maps up to 256 MB of the database, mmap_size).
        "peak_after_mb": peaks, "rss_anon_mb": memory["RssAnon"], "rss_file_mb": memory["RssFile"],
    }))


def child_undo(batch_id: str) -> None:
    """Undo an import whole (what `dangvien undo-import N` does), timed, in a fresh process."""
    _setup_django()
    from dangvien.core.cli import SystemActor
    from dangvien.imports.models import ImportBatch
    from dangvien.imports.undo import import_undo

    batch = ImportBatch.objects.get(pk=int(batch_id))
    started = time.perf_counter()
    result = import_undo(actor=SystemActor(), batch=batch)
    print(json.dumps({"seconds": time.perf_counter() - started, "deleted": result.deleted,
                      "restored": result.restored, "audit_rows": result.audit_rows,
                      "maxrss_mb": _memory()["VmHWM"]}))


def _memory() -> dict[str, float]:
    """VmHWM, RssAnon and RssFile of this process in MB (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmHWM", "RssAnon", "RssFile")}


def _run_child(*args: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=os.environ.copy())
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the run ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=141_794)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child-import", nargs=2, metavar=("FILE", "UNIT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-undo", metavar="BATCH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(*args.child_import)
        return
    if args.child_undo:
        child_undo(args.child_undo)
        return

    vendor = prepare_environment(var_default="/tmp/dangvien-import-bench", var_env="DANGVIEN_IMPORT_BENCH_VAR", bench_db=BENCH_DB,
                                 keep_sqlite=False)
    _setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    from dangvien.accounts.models import User
    from dangvien.core.bulk import bulk_insert
    from dangvien.demo.generator import generate
    from dangvien.imports.reading import read_member_file
    from dangvien.imports.services import import_plan
    from dangvien.members.models import Member
    from dangvien.org.models import Unit

    results: dict[str, dict] = {}
    workdir = Path(os.environ["DANGVIEN_VAR"]) / "files"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        call_command("migrate", verbosity=0)
        database = describe_database(vendor, connection)
        started = time.perf_counter()
        summary = generate(members=args.members, seed=args.seed, reset=True)
        print(f"generated {summary.members:,} members in {time.perf_counter() - started:.1f} s", flush=True)
        province = Unit.objects.get(pk=summary.province_id)
        admin = User.objects.get(username="admin")
        files = _export(admin, province, workdir, results)

        columns = [f.attname for f in Member._meta.concrete_fields]
        rows = [dict(zip(columns, values, strict=True)) for values in Member.objects.values_list(*columns)]

        for fmt, path in files.items():
            _empty_the_province()
            figures = _run_child("--child-import", str(path), province.code)
            results[f"import_{fmt}"] = figures
            peaks = ", ".join(f"{phase} {mb:.0f}" for phase, mb in figures["peak_after_mb"].items())
            print(f"import {fmt}: {figures['total']:.1f} s (read {figures['read']:.1f}, plan {figures['plan']:.1f}, "
                  f"apply {figures['apply']:.1f}); {figures['counts']}; peak {figures['maxrss_mb']:.0f} MB "
                  f"(after {peaks}; at the end {figures['rss_anon_mb']:.0f} MB own, "
                  f"{figures['rss_file_mb']:.0f} MB mapped files)", flush=True)

        results["bare_all"] = _bare_insert_of_the_import()
        print(f"bare bulk insert of every row the import wrote ({results['bare_all']['rows']}): "
              f"{results['bare_all']['seconds']:.1f} s", flush=True)

        # The rows are back as the last import wrote them (same ids, version 1): undo that import.
        results["undo"] = _run_child("--child-undo", str(results["import_xlsx"]["batch_id"]))
        print(f"undo of the XLSX import: {results['undo']['deleted']:,} members deleted in "
              f"{results['undo']['seconds']:.1f} s", flush=True)

        _empty_the_province()
        started = time.perf_counter()
        with transaction.atomic():
            for start in range(0, len(rows), 5000):  # the generator's batches
                bulk_insert(Member, rows[start:start + 5000])
        bare = time.perf_counter() - started
        results["bare"] = {"seconds": bare, "rows": len(rows)}
        print(f"bare bulk insert of {len(rows):,} member rows: {bare:.1f} s", flush=True)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE members_member")

        started = time.perf_counter()
        parsed = read_member_file(files["csv"])
        plan = import_plan(actor=admin, unit=province, parsed=parsed)
        results["replan"] = {"seconds": time.perf_counter() - started, "counts": plan.counts}
        print(f"re-plan of the CSV against the full province: {results['replan']['seconds']:.1f} s, "
              f"{plan.counts}", flush=True)
    finally:
        connection.close()
        if vendor == "postgresql" and not args.keep:
            postgres_admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
    _report(results, database, args)


def _bare_insert_of_the_import() -> dict:
    """Read back every row the last import wrote (members, their events, their audit rows), delete
    them and time a bare bulk insert of them, in the import's batches, in one transaction."""
    from django.db import connection, transaction

    from dangvien.core.bulk import bulk_insert
    from dangvien.core.models import AuditEntry
    from dangvien.members.models import Member, MemberEvent

    def read(model, queryset) -> list[dict]:
        columns = [f.attname for f in model._meta.concrete_fields]
        return [dict(zip(columns, values, strict=True)) for values in queryset.values_list(*columns)]

    members = read(Member, Member.objects.order_by("id"))
    events = read(MemberEvent, MemberEvent.objects.order_by("id"))
    # The import's audit rows are the last member.registered rows, one per member.
    audit = read(AuditEntry, AuditEntry.objects.filter(action="member.registered").order_by("-seq")[:len(members)])
    audit.reverse()
    assert sorted(int(a["object_id"]) for a in audit) == [m["id"] for m in members]
    _empty_the_province()
    with connection.cursor() as cursor:  # audit rows are append-only for the ORM; the bench deletes them in SQL
        cursor.execute("DELETE FROM core_auditentry WHERE seq BETWEEN %s AND %s", [audit[0]["seq"], audit[-1]["seq"]])
    # The import's batches: 5,000 members, then their events, then their audit rows.
    batch_of = {m["id"]: index // 5000 for index, m in enumerate(members)}
    batches = [([], [], []) for _ in range(len(members) // 5000 + 1)]
    for m in members:
        batches[batch_of[m["id"]]][0].append(m)
    for e in events:
        batches[batch_of[e["member_id"]]][1].append(e)
    for a in audit:
        batches[batch_of[int(a["object_id"])]][2].append(a)
    started = time.perf_counter()
    with transaction.atomic():
        for batch_members, batch_events, batch_audit in batches:
            bulk_insert(Member, batch_members)
            bulk_insert(MemberEvent, batch_events)
            bulk_insert(AuditEntry, batch_audit)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": f"{len(members):,} members, {len(events):,} events, {len(audit):,} audit rows",
            "count": len(members) + len(events) + len(audit)}


def _export(admin, province, workdir: Path, results: dict) -> dict[str, Path]:
    from dangvien.imports.export import export_register

    files = {}
    for fmt in ("csv", "xlsx"):
        path = workdir / f"province.{fmt}"
        started = time.perf_counter()
        count = export_register(actor=admin, unit=province, path=path, fmt=fmt)
        seconds = time.perf_counter() - started
        results[f"export_{fmt}"] = {"seconds": seconds, "rows": count, "bytes": path.stat().st_size}
        print(f"export {fmt}: {count:,} rows, {path.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s", flush=True)
        files[fmt] = path
    return files


def _report(results: dict, database: str, args) -> None:
    bare, bare_all = results["bare"]["seconds"], results["bare_all"]["seconds"]
    lines = [
        f"Database: {database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.platform()}",
        "",
        "| measurement | seconds | read | plan | apply | × bare insert (members) "
        "| × bare insert (all rows written) | peak memory | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|:-:|",
    ]
    for fmt in ("csv", "xlsx"):
        r = results[f"export_{fmt}"]
        met = "yes" if r["seconds"] <= 20 else "**no**"
        lines.append(f"| export {fmt.upper()}: {r['rows']:,} rows, {r['bytes'] / 1e6:.1f} MB | {r['seconds']:.1f} "
                     f"| | | | | | | ≤ 20 s | {met} |")
    for fmt in ("csv", "xlsx"):
        r = results[f"import_{fmt}"]
        c = r["counts"]
        ratio = r["total"] / bare
        met = "yes" if r["total"] <= 60 and ratio <= 3 and r["maxrss_mb"] <= 1024 else "**no**"
        lines.append(
            f"| import {fmt.upper()} into the empty province: {r['rows']:,} rows → {c['new']:,} new, "
            f"{c['rejected']:,} rejected; {r['audit_rows']:,} audit rows | {r['total']:.1f} | {r['read']:.1f} "
            f"| {r['plan']:.1f} | {r['apply']:.1f} | {ratio:.1f}× | {r['total'] / bare_all:.1f}× | {r['maxrss_mb']:.0f} MB "
            f"| ≤ 60 s, ≤ 3×, ≤ 1 GB | {met} |")
    lines.append(f"| bare bulk insert of the {results['bare']['rows']:,} member rows (the unit of the ratio) "
                 f"| {bare:.1f} | | | | 1× | | | | |")
    lines.append(f"| bare bulk insert of every row the import wrote: {results['bare_all']['rows']} "
                 f"| {bare_all:.1f} | | | | | 1× | | | |")
    r = results["undo"]
    lines.append(f"| undo of the XLSX import (`dangvien undo-import`): {r['deleted']:,} members deleted with their "
                 f"events, {r['audit_rows']:,} audit rows | {r['seconds']:.1f} | | | | {r['seconds'] / bare:.1f}× "
                 f"| {r['seconds'] / bare_all:.1f}× | {r['maxrss_mb']:.0f} MB | | |")
    r = results["replan"]
    lines.append(f"| re-read + plan of the CSV against the full province: {r['counts']['unchanged']:,} unchanged, "
                 f"{r['counts']['rejected']:,} rejected | {r['seconds']:.1f} | | | | | | | | |")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"database": database, "results": results}, indent=2))


if __name__ == "__main__":
    main()
