"""Benchmark of the audit trail under concurrent writers, on PostgreSQL (a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/audit_contention.py

Never touches the database DATABASE_URL names: it runs in a database (--bench-db, default
`dangvien_audit_bench`) created next to it and dropped at the end (--keep keeps it); the audit keys
and checkpoints go to $DANGVIEN_AUDIT_BENCH_VAR (default /tmp/dangvien-audit-bench).

Today's design (the SHA-256 chain whose one-row head every audited write locks until its commit) is
the baseline, measured in the same run: a faithful copy of its append (core/audit.py before the
sealed trail) writes to tables of its own, and the services are pointed at it for the baseline
phases.

  (a) a member edit while a province import runs: the demo province (141,794 members) is generated
      and its register exported to CSV; every member outside the smallest commune is deleted; the
      CSV is imported into the province in a child process (read, plan, then apply in one
      transaction, as `dangvien import-members` does: the kept commune's rows are unchanged), while
      this process changes a kept member's temporary residence (members.services.
      member_update_contact, a field the export does not hold) every 0.5 s. Each edit's latency is
      classified by the import's phase. Target: every edit during the apply commits in ≤ 1 s.
  (b) 8 writer threads, each on its own connection, each editing members of its own commune as
      fast as it can for --seconds; audited writes a second, against the baseline. Target ≥ 5×.
  (c) `audit verify` over everything written, then after a changed, a deleted and an inserted row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchdb import ROOT, describe_database, postgres_admin, prepare_environment  # noqa: E402  (bench/ is on sys.path)

# What the edits change: the temporary residence, which the register export does not hold, so the
# import plans the kept commune's members as unchanged and never touches (or locks) them.
RESIDENCES = ("Tổ 1, thôn Plei Ku", "Tổ 2, thôn Plei Ku")


def _another_residence(member: Any) -> dict[str, str]:
    """A change for sure: an edit that changes nothing writes nothing (and no audit row)."""
    return {"temporary_residence": RESIDENCES[member.temporary_residence == RESIDENCES[0]]}


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


# --- the baseline: today's head-locked chain, copied --------------------------------------------------

_OLD: dict[str, Any] = {}


def old_models() -> tuple[Any, Any]:
    """core.AuditEntry and core.AuditChainHead as they were, in tables of their own."""
    if not _OLD:
        from django.conf import settings
        from django.db import models

        class OldAuditEntry(models.Model):
            seq = models.PositiveBigIntegerField(unique=True)
            at = models.DateTimeField()
            actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
            actor_username = models.CharField(max_length=150, blank=True)
            action = models.CharField(max_length=64)
            object_type = models.CharField(max_length=64)
            object_id = models.CharField(max_length=64)
            unit_path = models.CharField(max_length=64, blank=True, db_index=True)
            before = models.JSONField(null=True)
            after = models.JSONField(null=True)
            prev_hash = models.CharField(max_length=64)
            hash = models.CharField(max_length=64)

            class Meta:
                app_label = "core"
                db_table = "bench_old_auditentry"
                indexes = [models.Index(fields=["object_type", "object_id"], name="bench_old_audit_object_idx")]

            def __str__(self) -> str:
                return f"#{self.seq}"

        class OldAuditChainHead(models.Model):
            id = models.PositiveSmallIntegerField(primary_key=True, default=1)
            seq = models.PositiveBigIntegerField(default=0)
            hash = models.CharField(max_length=64, default="0" * 64)

            class Meta:
                app_label = "core"
                db_table = "bench_old_auditchainhead"

            def __str__(self) -> str:
                return f"head at {self.seq}"

        _OLD["entry"], _OLD["head"] = OldAuditEntry, OldAuditChainHead
    return _OLD["entry"], _OLD["head"]


def _old_digest(entry: Any) -> str:
    return _old_payload_digest([entry.seq, _old_timestamp(entry.at), entry.actor_id, entry.actor_username,
                                entry.action, entry.object_type, entry.object_id, entry.unit_path, entry.before,
                                entry.after, entry.prev_hash])


def _old_timestamp(at: Any) -> str:
    import datetime as dt

    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _old_payload_digest(payload: list[Any]) -> str:
    import hashlib

    from dangvien.core.audit import canonical_json

    return hashlib.sha256(canonical_json(payload)).hexdigest()


def old_audit_record(*, actor: Any, action: str, object_type: str, object_id: Any, before: dict | None = None,
                     after: dict | None = None, unit_path: str = "") -> Any:
    """core.audit.audit_record before the sealed trail, line for line."""
    from django.db import transaction
    from django.utils import timezone

    from dangvien.core.audit import jsonable

    AuditEntry, AuditChainHead = old_models()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        _note_lock_held()  # (the bench's measurement, not part of the copy)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            unit_path=unit_path,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            prev_hash=head.hash,
        )
        entry.hash = _old_digest(entry)
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
        return entry


LOCK_HELD: list[float] = []  # seconds each baseline write held the chain head, lock to commit


def _note_lock_held() -> None:
    from django.db import transaction

    locked = time.perf_counter()
    transaction.on_commit(lambda: LOCK_HELD.append(time.perf_counter() - locked))


def old_audit_record_many(*, actor: Any, entries: list[dict], json_safe: bool = False) -> int:
    """core.audit.audit_record_many before the sealed trail, line for line."""
    from django.db import transaction
    from django.utils import timezone

    from dangvien.core.audit import jsonable
    from dangvien.core.bulk import bulk_insert

    if not entries:
        return 0
    AuditEntry, AuditChainHead = old_models()
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or "system"
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        at = timezone.now()
        stamp = _old_timestamp(at)
        seq, prev_hash = head.seq, head.hash
        rows = []
        for item in entries:
            before, after = item.get("before"), item.get("after")
            row = {"seq": seq + 1, "at": at, "actor_id": actor_id, "actor_username": actor_username,
                   "action": item["action"], "object_type": item["object_type"],
                   "object_id": str(item["object_id"]), "unit_path": item.get("unit_path", ""),
                   "before": before if json_safe or before is None else jsonable(before),
                   "after": after if json_safe or after is None else jsonable(after), "prev_hash": prev_hash}
            row["hash"] = prev_hash = _old_payload_digest([
                row["seq"], stamp, actor_id, actor_username, row["action"], row["object_type"], row["object_id"],
                row["unit_path"], row["before"], row["after"], prev_hash])
            seq += 1
            rows.append(row)
        bulk_insert(AuditEntry, rows)
        head.seq, head.hash = seq, prev_hash
        head.save(update_fields=["seq", "hash"])
    return len(rows)


def use_audit(design: str) -> None:
    """Point every service at one design's append: "old" (the baseline) or "sealed" (core.audit)."""
    from dangvien.core import audit

    record = old_audit_record if design == "old" else audit.audit_record
    record_many = old_audit_record_many if design == "old" else audit.audit_record_many
    for name, module in list(sys.modules.items()):
        if name.startswith("dangvien.") and name != "dangvien.core.audit":
            if hasattr(module, "audit_record"):
                module.audit_record = record  # type: ignore[attr-defined]
            if hasattr(module, "audit_record_many"):
                module.audit_record_many = record_many  # type: ignore[attr-defined]


def _create_old_tables() -> None:
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in old_models():
            editor.create_model(model)


# --- the child: one import, in its own process -------------------------------------------------------


def child_import(path: str, unit_code: str, design: str) -> None:
    _setup_django()
    from django.db import connection, transaction

    from dangvien.core.cli import SystemActor
    from dangvien.core.models import AuditPending, AuditSeal
    from dangvien.imports import batches, services  # noqa: F401  (loaded, so that use_audit reaches them)
    from dangvien.imports.batches import batch_start_command
    from dangvien.imports.reading import read_member_file
    from dangvien.imports.services import import_apply, import_plan
    from dangvien.org.models import Unit

    use_audit(design)
    actor, unit = SystemActor(), Unit.objects.get(code=unit_code)
    connection.ensure_connection()
    blocks_before = AuditSeal.objects.count()
    started = time.perf_counter()
    plan = import_plan(actor=actor, unit=unit, parsed=read_member_file(Path(path)))
    _say({"event": "apply"})
    applying = time.perf_counter()
    with transaction.atomic():
        batch = batch_start_command(actor=actor, unit=unit, name=Path(path).name, plan=plan)
        result = import_apply(actor=actor, unit=unit, plan=plan, record_to=batch)
        committing = time.perf_counter()
    done = time.perf_counter()  # after the commit and, for the sealed trail, its on_commit seal
    _say({"event": "done", "read_plan": applying - started, "apply": committing - applying,
          "commit_and_seal": done - committing, "created": len(result.created_ids), "audit_rows": result.audit_rows,
          "counts": plan.counts, "blocks": AuditSeal.objects.count() - blocks_before,
          "pending": AuditPending.objects.count()})


def _say(message: dict) -> None:
    print(json.dumps(message), flush=True)


# --- (a) an edit during an import -----------------------------------------------------------------------


def _empty_all_but(keep_path: str) -> None:
    """Every member (with its history and import records) outside one subtree gone; the units stay."""
    from django.db import connection, transaction

    from dangvien.accounts.models import User
    from dangvien.members.models import Member

    with transaction.atomic():
        User.objects.filter(member__isnull=False).exclude(member__unit__path__startswith=keep_path).update(member=None)
        others = ("SELECT m.id FROM members_member m JOIN org_unit u ON u.id = m.unit_id "
                  "WHERE u.path NOT LIKE %s")
        with connection.cursor() as cursor:
            for table in ("members_memberevent", "imports_importedupdate"):
                cursor.execute(f"DELETE FROM {table} WHERE member_id IN ({others})", [keep_path + "%"])
            cursor.execute(f"DELETE FROM members_member WHERE id IN ({others})", [keep_path + "%"])
    assert not Member.objects.exclude(unit__path__startswith=keep_path).exists()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE members_member, members_memberevent")


def edits_during_import(design: str, csv: Path, province_code: str, commune_path: str, editor: Any) -> dict:
    """Import the province file in a child process; edit members of the kept commune meanwhile."""
    from dangvien.members.models import Member
    from dangvien.members.services import member_update_contact

    use_audit(design)
    _empty_all_but(commune_path)
    member_ids = list(Member.objects.filter(unit__path__startswith=commune_path).order_by("id")
                      .values_list("id", flat=True)[:50])
    events: list[tuple[float, dict]] = []
    child = subprocess.Popen([sys.executable, __file__, "--child-import", str(csv), province_code, design],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())

    def listen() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("{"):
                events.append((time.perf_counter(), json.loads(line)))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    edits: list[tuple[str, float]] = []  # (phase at the start of the edit, seconds)
    n = 0
    while child.poll() is None:
        phase = "apply" if any(e["event"] == "apply" for _, e in events) else "read+plan"
        member = Member.objects.get(pk=member_ids[n % len(member_ids)])
        started = time.perf_counter()
        member_update_contact(actor=editor, member=member, expected_version=member.version,
                              changes=_another_residence(member))
        edits.append((phase, time.perf_counter() - started))
        n += 1
        time.sleep(0.5)
    listener.join(10)
    if child.returncode != 0:
        raise SystemExit(f"the import child failed ({child.returncode})")
    done = next(e for _, e in events if e["event"] == "done")
    assert done["counts"]["updated"] == 0, "the import touched the commune the edits are in"
    during = [s for phase, s in edits if phase == "apply"]
    return {"design": design, "import": done, "edits": len(edits), "during_apply": during,
            "before_apply": [s for phase, s in edits if phase != "apply"]}


# --- (b) concurrent writers -----------------------------------------------------------------------------


def _network(latency: float) -> Any:
    """An execute wrapper that waits `latency` seconds before each statement: a database on
    another host, roughly (commits are not statements here, so they are not delayed)."""
    def wait_then_execute(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        time.sleep(latency)
        return execute(sql, params, many, context)

    return wait_then_execute


def _write_loop(ids: list[int], actor: Any, ready: Any, deadline: Any, latency: float) -> dict:
    """One writer on its own connection: edit members of its commune until the deadline."""
    from contextlib import nullcontext

    from django.db import connection

    from dangvien.members.models import Member
    from dangvien.members.services import member_update_contact

    latencies: list[float] = []
    try:
        connection.ensure_connection()
        ready.wait()
        n, cpu_started = 0, time.thread_time()
        with connection.execute_wrapper(_network(latency)) if latency else nullcontext():
            while time.monotonic() < deadline.value:
                member = Member.objects.get(pk=ids[n % len(ids)])
                started = time.perf_counter()
                member_update_contact(actor=actor, member=member, expected_version=member.version,
                                      changes=_another_residence(member))
                latencies.append(time.perf_counter() - started)
                n += 1
        return {"writes": n, "cpu": time.thread_time() - cpu_started, "latencies": latencies}
    except Exception as exc:  # reported by the caller: a failed writer must not pass for a slow one
        return {"error": repr(exc)}
    finally:
        connection.close()


def _process_writer(ids: list[int], actor: Any, ready: Any, deadline: Any, latency: float, out: Any) -> None:
    LOCK_HELD.clear()
    outcome = _write_loop(ids, actor, ready, deadline, latency)
    out.put({**outcome, "lock_held": list(LOCK_HELD)})


def writers(design: str, writers: int, seconds: float, communes: list[str], actor: Any, processes: bool = False,
            latency: float = 0.0) -> dict:
    """`writers` threads (or processes), each on its own connection editing members of its own
    commune until the deadline; audited writes a second over all of them."""
    import multiprocessing

    from django.db import connection

    from dangvien.core.models import AuditEntry
    from dangvien.members.models import Member

    use_audit(design)
    audit_table = old_models()[0] if design == "old" else AuditEntry
    rows_before = audit_table.objects.count()
    members = [list(Member.objects.filter(unit__path__startswith=path).order_by("id").values_list("id", flat=True)[:200])
               for path in communes[:writers]]
    if processes:
        connection.close()  # the children must not share this process's connection
        context = multiprocessing.get_context("fork")
        ready, deadline, out = context.Barrier(writers + 1), context.Value("d", float("inf")), context.Queue()
        pool = [context.Process(target=_process_writer, args=(ids, actor, ready, deadline, latency, out))
                for ids in members]
    else:
        ready, deadline, outcomes = threading.Barrier(writers + 1), _Box(float("inf")), []
        pool = [threading.Thread(target=lambda ids=ids: outcomes.append(_write_loop(ids, actor, ready, deadline, latency)))
                for ids in members]
    LOCK_HELD.clear()
    for worker in pool:
        worker.start()
    ready.wait()
    started = time.monotonic()
    deadline.value = started + seconds
    if processes:
        outcomes = [out.get() for _ in pool]
    for worker in pool:
        worker.join()
    elapsed = time.monotonic() - started
    if errors := [o["error"] for o in outcomes if "error" in o]:
        raise SystemExit(f"writers failed: {errors[:3]}")
    latencies = sorted(s for o in outcomes for s in o["latencies"])
    held = [s for o in outcomes for s in o["lock_held"]] if processes else list(LOCK_HELD)
    writes = sum(o["writes"] for o in outcomes)
    assert audit_table.objects.count() - rows_before == writes, "every edit must write one audit row"
    return {"design": design, "writers": writers, "processes": processes, "latency_ms": 1000 * latency,
            "writes": writes, "seconds": elapsed,
            "per_second": writes / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            # What bounds the rate: the writers' CPU a write (threads share one GIL), and for the
            # baseline how long each write held the chain head (one holder at a time).
            "cpu_ms": 1000 * sum(o["cpu"] for o in outcomes) / writes,
            "lock_held_ms": 1000 * statistics.mean(held) if held else None,
            "lock_busy": sum(held) / elapsed if held else None}


class _Box:
    def __init__(self, value: float):
        self.value = value


# --- (c) verification ------------------------------------------------------------------------------------


def verification() -> dict:
    """Verify everything; then change a row, delete the next one, insert a forged one (each put back
    before the next), verifying after each, as someone with database access would tamper."""
    from django.db import connection

    from dangvien.core.audit import audit_check, audit_seal
    from dangvien.core.models import AuditEntry

    audit_seal()
    started = time.perf_counter()
    report = audit_check()
    results: dict[str, Any] = {"intact": str(report), "problem": str(report.problem),
                               "seconds": time.perf_counter() - started}
    rows = AuditEntry.objects.order_by("seq")
    middle = rows.count() // 2  # with the import: one of its rows, in the middle of a block
    changed, deleted = rows.values_list("seq", flat=True)[middle:middle + 2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT after::text FROM core_auditentry WHERE seq = %s", [changed])
        (original,) = cursor.fetchone()
        cursor.execute("UPDATE core_auditentry SET after = jsonb_set(after, '{phone}', '\"0900000000\"') "
                       "WHERE seq = %s", [changed])
        results["changed"] = str(audit_check().problem)
        cursor.execute("UPDATE core_auditentry SET after = %s::jsonb WHERE seq = %s", [original, changed])
        saved = AuditEntry.objects.filter(seq=deleted).values().get()
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [deleted])
        results["deleted"] = str(audit_check().problem)
        AuditEntry(**saved).save(force_insert=True)
        last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        forged = AuditEntry(seq=last + 1000, at=saved["at"], actor_username="intruder", action="member.corrected",
                            object_type="member", object_id="1", key_id="k1", mac="0" * 64)
        forged.save(force_insert=True)
        results["inserted"] = str(audit_check().problem)
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [forged.seq])
    results["restored"] = str(audit_check())
    return results


# --- the run ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=141_794)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="length of each throughput run")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0],
                        help="(b) also with this wait before each statement, as with a database on another host")
    parser.add_argument("--skip-import", action="store_true", help="leave out (a), the import (for trying (b))")
    parser.add_argument("--processes", action="store_true",
                        help="(b) also with the writers in processes of their own (no shared GIL)")
    parser.add_argument("--bench-db", default="dangvien_audit_bench")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child-import", nargs=3, metavar=("FILE", "UNIT", "DESIGN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(*args.child_import)
        return

    vendor = prepare_environment(var_default="/tmp/dangvien-audit-bench", var_env="DANGVIEN_AUDIT_BENCH_VAR",
                                 bench_db=args.bench_db, keep_sqlite=False)
    if vendor != "postgresql":
        raise SystemExit("PostgreSQL only (DATABASE_URL=postgres://...): SQLite has one writer at a time.")
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from dangvien.accounts.models import User
    from dangvien.demo.generator import generate
    from dangvien.imports.export import export_register
    from dangvien.members.models import Member
    from dangvien.org.models import Unit, UnitKind

    results: dict[str, Any] = {}
    try:
        call_command("migrate", verbosity=0)
        _create_old_tables()
        database = describe_database(vendor, connection)
        started = time.perf_counter()
        summary = generate(members=args.members, seed=args.seed, reset=True)
        print(f"generated {summary.members:,} members in {time.perf_counter() - started:.1f} s", flush=True)
        province = Unit.objects.get(pk=summary.province_id)
        admin = User.objects.get(username="admin")
        csv = Path(os.environ["DANGVIEN_VAR"]) / "province.csv"
        export_register(actor=admin, unit=province, path=csv, fmt="csv")
        sizes = {u: Member.objects.filter(unit__path__startswith=u.path).count()
                 for u in Unit.objects.filter(kind=UnitKind.COMMUNE)}
        commune = min((u for u, size in sizes.items() if size >= 50), key=sizes.__getitem__)
        results["edited_commune"] = {"name": commune.name, "members": sizes[commune]}
        print(f"editing in {commune.name} ({sizes[commune]:,} members, kept) during the import", flush=True)

        for design in () if args.skip_import else ("old", "sealed"):
            r = results[f"import_{design}"] = edits_during_import(design, csv, province.code, commune.path, admin)
            print(f"(a) {design}: import apply {r['import']['apply']:.1f} s, commit+seal "
                  f"{r['import']['commit_and_seal']:.1f} s; {len(r['during_apply'])} edits during the apply, "
                  f"slowest {max(r['during_apply'], default=0):.2f} s", flush=True)

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        communes = [u.path for u in Unit.objects.filter(kind=UnitKind.COMMUNE).order_by("path")
                    if Member.objects.filter(unit__path__startswith=u.path).count() >= 100]
        runs = [(1, False), (args.threads, False)] + ([(args.threads, True)] if args.processes else [])
        for latency in args.latency_ms:
            for count, processes in runs:
                for design in ("old", "sealed"):
                    r = writers(design, count, args.seconds, communes, admin, processes, latency / 1000)
                    kind = "processes" if processes else "threads"
                    results[f"writers_{design}_{count}_{kind}_{latency:g}ms"] = r
                    held = (f"; head lock held {r['lock_held_ms']:.1f} ms a write, busy {100 * r['lock_busy']:.0f} %"
                            if r["lock_held_ms"] else "")
                    print(f"(b) {design}, {count} {kind}, +{latency:g} ms a statement: {r['writes']:,} writes in "
                          f"{r['seconds']:.1f} s = {r['per_second']:.0f}/s (p50 {r['p50_ms']:.1f} ms, p95 "
                          f"{r['p95_ms']:.1f} ms); CPU {r['cpu_ms']:.1f} ms a write{held}", flush=True)

        use_audit("sealed")
        results["verify"] = verification()
        for key, value in results["verify"].items():
            print(f"(c) {key}: {value}", flush=True)
    finally:
        connection.close()
        if not args.keep:
            postgres_admin(f'DROP DATABASE IF EXISTS "{args.bench_db}"')
    _report(results, database, args)


def _report(results: dict, database: str, args) -> None:
    kept = results["edited_commune"]
    lines = [f"Database: {database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.platform()}"]
    if "import_old" in results:
        lines += ["", f"(a) a member edit in {kept['name']} ({kept['members']:,} members, left out of the import: "
                      "unchanged rows) while the province import runs",
                  "", "| design | import apply | commit (+ seal) | audit rows | edits during the apply | slowest | median "
                      "| target ≤ 1 s | met |", "|---|---:|---:|---:|---:|---:|---:|---|:-:|"]
        for design, name in (("old", "today's chain (baseline)"), ("sealed", "sealed trail")):
            r = results[f"import_{design}"]
            during = r["during_apply"]
            slowest = max(during, default=0.0)
            lines.append(f"| {name} | {r['import']['apply']:.1f} s | {r['import']['commit_and_seal']:.1f} s "
                         f"| {r['import']['audit_rows']:,} | {len(during)} | {slowest:.2f} s "
                         f"| {statistics.median(during) if during else 0:.2f} s | | {'yes' if slowest <= 1 else '**no**'} |")
        sealed = results["import_sealed"]["import"]
        lines += ["", f"Import counts: {sealed['counts']}. The sealed import's commit and seal left "
                      f"{sealed['pending']:,} rows pending; {sealed['blocks']} seal blocks were written during the run."]
    lines += ["", "(b) audited member edits a second (each writer on its own connection, in its own commune)", "",
              "| writers | wait a statement | today's chain | sealed trail | ratio | target | met |",
              "|---|---:|---:|---:|---:|---|:-:|"]
    for key in [k.removeprefix("writers_old_") for k in results if k.startswith("writers_old_")]:
        old, new = results[f"writers_old_{key}"], results[f"writers_sealed_{key}"]
        ratio = new["per_second"] / old["per_second"]
        many = old["writers"] > 1
        kind = "processes" if old["processes"] else "threads"
        lines.append(f"| {old['writers']} {kind} | {old['latency_ms']:g} ms | {old['per_second']:.0f}/s (p50 "
                     f"{old['p50_ms']:.0f} ms; head lock busy {100 * (old['lock_busy'] or 0):.0f} %, held "
                     f"{old['lock_held_ms'] or 0:.1f} ms a write) | {new['per_second']:.0f}/s (p50 {new['p50_ms']:.0f} ms) "
                     f"| {ratio:.1f}× | {'≥ 5×' if many else ''} | {('yes' if ratio >= 5 else '**no**') if many else ''} |")
    lines += ["", "CPU a write in the writers' processes: " + ", ".join(
        f"{key.removeprefix('writers_').replace('_', ' ')} {r['cpu_ms']:.1f} ms"
        for key, r in results.items() if key.startswith("writers_"))]
    v = results["verify"]
    lines += ["", "(c) dangvien audit verify", "", f"- intact: {v['intact']} in {v['seconds']:.1f} s",
              f"- a changed row: {v['changed']}", f"- a deleted row: {v['deleted']}",
              f"- an inserted row: {v['inserted']}", f"- restored: {v['restored']}"]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"database": database, "results": results}, indent=2, default=str))


if __name__ == "__main__":
    main()
