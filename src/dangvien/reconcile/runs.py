"""Reconciliation runs: match the members on the roll of a unit's subtree against a snapshot
(matching.py) and write the results, from the command line (`dangvien reconcile`) or as a
background job (`reconciliation_start`, tasks.py): the same code path.

The matching reads only; the results are written in one transaction at the end (a crash leaves
nothing): the run, one match per member (the members' earlier matches stop being current), the
discrepancies of the members linked without review, and one audit row for the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangvien.accounts.permissions import require, scope_for
from dangvien.core.audit import audit_record
from dangvien.core.bulk import bulk_insert, one_parameter, reserve_ids
from dangvien.core.scope import subtree_filter
from dangvien.jobs.models import Job
from dangvien.jobs.services import job_start
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.org.models import Unit
from dangvien.population.models import Snapshot
from dangvien.population.store import snapshot_store
from dangvien.reconcile.matching import Result, reconcile
from dangvien.reconcile.models import Band, Discrepancy, Match, Run
from dangvien.reconcile.permissions import RECONCILE_RUN, RECONCILE_VIEW
from dangvien.reconcile.sides import MEMBER_FIELDS, member_table

JOB_KIND = "reconcile.run"
Progress = Callable[[int, int], None]


def reconciliation_start(*, actor: Any, unit: Unit, snapshot: Snapshot) -> Job:
    """Queue a run over `unit`'s subtree as a background job (its page follows the job)."""
    from dangvien.reconcile.tasks import run_reconciliation  # the task module imports this one

    require(actor, RECONCILE_RUN, unit)
    return job_start(actor=actor, scope=scope_for(actor, RECONCILE_RUN), kind=JOB_KIND, unit_path=unit.path,
                     task=run_reconciliation, params={"unit_id": unit.pk, "snapshot_id": snapshot.pk})


def reconciliation_run(*, actor: Any, unit: Unit, snapshot: Snapshot, progress: Progress | None = None,
                       job: Job | None = None) -> Run:
    """Match every member on the roll of `unit`'s subtree against `snapshot` and store the run.
    `actor`: a user, or the system operator at the server shell (core.cli.SystemActor)."""
    require(actor, RECONCILE_RUN, unit)
    started = timezone.now()
    clock = time.perf_counter()
    rows = (Member.objects.filter(status__in=ON_ROLL_STATUSES, **subtree_filter(unit.path, "unit__path"))
            .order_by("pk").values_list(*MEMBER_FIELDS))
    members = member_table(rows.iterator(chunk_size=10_000))
    read_seconds = time.perf_counter() - clock
    result = reconcile(members, store=snapshot_store(), snapshot_id=snapshot.pk, progress=progress)
    clock = time.perf_counter()
    run = _store(actor=actor, unit=unit, snapshot=snapshot, job=job, started=started, result=result)
    # Where the run's time went, for the benchmark and the operators: the engine's steps, and the
    # reading of the members and the writing of the results around it.
    timings = {"read_members": round(read_seconds, 3), **result.engine.get("timings", {}),
               "write_results": round(time.perf_counter() - clock, 3)}
    run.engine = {**result.engine, "timings": timings}
    Run.objects.filter(pk=run.pk).update(engine=run.engine)
    return run


def _counts(result: Result) -> dict[str, int]:
    by_band = {band: 0 for band in Band.values}
    for outcome in result.outcomes:
        by_band[outcome.band] += 1
    return {"count_members": len(result.outcomes), "count_exact": by_band[Band.EXACT],
            "count_auto": by_band[Band.AUTO], "count_review": by_band[Band.REVIEW], "count_none": by_band[Band.NONE],
            "count_discrepancies": len(result.discrepancies)}


@transaction.atomic
def _store(*, actor: Any, unit: Unit, snapshot: Snapshot, job: Job | None, started: Any, result: Result) -> Run:
    counts = _counts(result)
    run = Run.objects.create(unit=unit, snapshot=snapshot, job=job, started_by_id=getattr(actor, "pk", None),
                             engine=result.engine,
                             finished_at=timezone.now(), **counts)
    Run.objects.filter(pk=run.pk).update(created_at=started)
    member_ids = [o.member_id for o in result.outcomes]
    # One parameter for all the members (Django binds an __in list value by value: 5 s for a province).
    Match.objects.filter(member_id__in=one_parameter(member_ids, sql_type="bigint"), current=True).update(current=False)
    match_ids = reserve_ids(Match, len(result.outcomes))
    match_of = {}
    rows = []
    for pk, outcome in zip(match_ids, result.outcomes, strict=True):
        match_of[outcome.member_id] = pk
        rows.append({"id": pk, "run_id": run.pk, "member_id": outcome.member_id, "current": True,
                     "band": outcome.band, "decision": "", "probability": outcome.probability,
                     "so_dinh_danh": outcome.so_dinh_danh, "candidates": outcome.candidates,
                     "decided_by_id": None, "decided_at": None, "reason": ""})
    bulk_insert(Match, rows)
    bulk_insert(Discrepancy, [
        {"match_id": match_of[d["member_id"]], "member_id": d["member_id"], "field": d["field"], "kind": d["kind"],
         "record_value": (d["record_value"] or "")[:255], "population_value": (d["population_value"] or "")[:255],
         "state": "open", "reason": "", "decided_by_id": None, "decided_at": None}
        for d in result.discrepancies])
    audit_record(actor=actor, action="reconcile.run", object_type="reconcile_run", object_id=run.pk,
                 unit_path=unit.path, before=None,
                 after={"snapshot": snapshot.name, "job": job.pk if job else None, **counts})
    return run


EXPORT_HEADER = ("member_id", "profile_number", "citizen_id", "so_dinh_danh", "band", "probability",
                 "discrepant_fields")


def export_rows(*, actor: Any, run: Run) -> Iterator[tuple]:
    """The run's CSV export: the header, then one row per member (discrepant fields as
    "field:kind" joined by ";"). Citizen IDs leave the system: audited like every register export."""
    require(actor, RECONCILE_VIEW, run.unit)
    fields: dict[int, list[str]] = {}
    for member_id, name, kind in (Discrepancy.objects.filter(match__run=run).order_by("member_id", "field")
                                  .values_list("member_id", "field", "kind").iterator(chunk_size=20_000)):
        fields.setdefault(member_id, []).append(f"{name}:{kind}")
    yield EXPORT_HEADER
    matches = (Match.objects.filter(run=run).order_by("member_id")
               .values_list("member_id", "member__profile_number", "member__citizen_id", "so_dinh_danh", "band",
                            "probability"))
    count = 0
    for member_id, profile, citizen_id, pid, band, probability in matches.iterator(chunk_size=20_000):
        count += 1
        yield (member_id, profile or "", citizen_id or "", pid or "", band,
               "" if probability is None else f"{probability:.6f}", ";".join(fields.get(member_id, [])))
    audit_record(actor=actor, action="reconcile.exported", object_type="reconcile_run", object_id=run.pk,
                 unit_path=run.unit.path, after={"rows": count})
