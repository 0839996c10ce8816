"""Writes to generic jobs (`Job` rows): start one, run it (its task's body), give up on it, purge old
result files. The app that owns a kind of job checks its own permission by passing the actor's
scope for it (accounts.permissions.scope_for): this app sits below the others and knows none of
their permissions. Every write is audited ("job.*" rows, object "job").

How an app uses it (see docs/architecture.md, "Jobs"):

    @task()                                  # the app's tasks.py
    def export_register(job_id: int) -> None:
        job_run(job_id, write_the_register)  # body(job, report) -> JobResult | None

    job_start(actor=actor, scope=scope_for(actor, PERM), kind="reports.register_export",
              unit_path=unit.path, task=export_register, params={"format": "xlsx"})
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.core.audit import audit_record
from dangvien.core.scope import Scope
from dangvien.jobs.models import Job, JobStatus
from dangvien.jobs.progress import (
    EXPECTED_FAILURES,
    STOPPED,
    Progress,
    claim,
    failure_message,
    progress_reporter,
    stop_waiting,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """The file a job produced: `file` is read from its start and closed once stored."""

    name: str  # the name the download gets
    file: IO[bytes]


Body = Callable[[Job, Progress], JobResult | None]


def _require(scope: Scope, unit_path: str) -> None:
    # An empty path is a job over everything: only an actor whose scope is everywhere reaches it.
    if not scope.covers_path(unit_path):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _audit(actor: Any, job: Job, action: str, before: dict | None, after: dict) -> None:
    audit_record(actor=actor, action=action, object_type="job", object_id=job.pk, unit_path=job.unit_path,
                 before=before, after={"kind": job.kind, **after})


def job_start(*, actor: Any, scope: Scope, kind: str, unit_path: str, task: Any,
              params: dict[str, Any] | None = None) -> Job:
    """Queue a job of `kind` over `unit_path`'s subtree, run by `task` (a django-tasks task taking
    the job's id). `scope`: where the actor holds the permission this kind of job needs. Call it
    outside a transaction: the task is enqueued once the job's row is committed, so a worker always
    finds it."""
    _require(scope, unit_path)
    with transaction.atomic():
        job = Job.objects.create(kind=kind, actor_id=getattr(actor, "pk", None), unit_path=unit_path,
                                 params=params or {}, progress_at=timezone.now())
        _audit(actor, job, "job.start", None, {"status": job.status, "params": job.params})
    task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def job_run(job_id: int, body: Body) -> None:
    """A job's task body: claim the job (a job runs once), run `body(job, report)` (report after each
    round of work: it is the progress bar and the sign of life), keep the file it returns, and mark
    the job done; a refusal or a crash marks it failed with the reason. Audited either way."""
    if not claim(Job, job_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING, started_at=timezone.now(),
                 progress_done=0):
        return
    job = Job.objects.select_related("actor").get(pk=job_id)
    report, close = progress_reporter(Job, job_id)
    last = [0, 0]

    def tracked(done: int, total: int) -> None:
        last[:] = [done, total]
        report(done, total)

    try:
        result = body(job, tracked)
    except EXPECTED_FAILURES as exc:
        _job_failed(job, failure_message(exc))
        return
    except Exception as exc:  # a crash: record it for the officer, keep the trace in the log
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        _job_failed(job, _("The work stopped on an unexpected error: %(error)s.") % {"error": exc})
        return
    finally:
        close()
    _job_done(job, result, last[0], last[1])


def _job_done(job: Job, result: JobResult | None, done: int, total: int) -> None:
    if result is not None:
        with result.file:
            job.result_file.save(result.name, File(result.file), save=False)
        job.result_name = result.name[:255]
    # Not conditional on the status: a run given up on that finishes after all has the last word.
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, finished_at=timezone.now(), error="", progress_done=done,
            progress_total=total, result_file=job.result_file.name or "", result_name=job.result_name)
        _audit(job.actor, job, "job.done", {"status": JobStatus.RUNNING},
               {"status": JobStatus.DONE, "result": job.result_name})


def _job_failed(job: Job, message: str) -> None:
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message, finished_at=timezone.now())
        _audit(job.actor, job, "job.failed", {"status": JobStatus.RUNNING},
               {"status": JobStatus.FAILED, "error": message})


def job_abandon(*, actor: Any, scope: Scope, job: Job) -> Job:
    """Give up waiting for a stalled job ("stop waiting"): it is marked failed; a run that stopped
    wrote nothing (jobs/progress.py). `scope` as for job_start."""
    _require(scope, job.unit_path)
    before = job.status
    with transaction.atomic():
        stop_waiting(job, status=JobStatus.FAILED, error=str(STOPPED), finished_at=timezone.now())
        _audit(actor, job, "job.abandoned", {"status": before}, {"status": JobStatus.FAILED})
    job.refresh_from_db()
    return job


def job_results_purge(*, actor: Any, scope: Scope, older_than: dt.timedelta) -> int:
    """Delete the result files of jobs finished more than `older_than` ago (an export holds citizen
    IDs); the rows stay. It spans every unit, so only for whoever acts everywhere (the system
    operator, daily: `dangvien purge-jobs`). Returns how many files were deleted."""
    if not scope.everywhere:
        raise PermissionDenied(_("Only someone who acts everywhere may purge job results."))
    old = Job.objects.filter(finished_at__lt=timezone.now() - older_than).exclude(result_file="")
    purged = 0
    for job in old.iterator():
        job.result_file.delete(save=False)
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(result_file="")
            _audit(actor, job, "job.result_purged", {"result": job.result_name}, {"result": None})
        purged += 1
    return purged
