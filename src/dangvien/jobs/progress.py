"""Progress, sign of life, stall and giving up, for any long job (a `LongJob` model: the generic
`Job`, or a record that keeps the job's fields itself, like an import batch).

The worker's side: `claim` takes a queued job once, `progress_reporter` reports how far it got,
`discard_file` drops an input file once it is no longer needed. The pages' side: `live_progress`
reads the progress and says whether the job is stalled, `progress_payload` is what a page's polling
script reads, and `stop_waiting` gives up on a stalled job.

Progress while the job writes: a job that writes runs in one transaction, so a progress row updated
on the same connection stays invisible to the page until commit. On PostgreSQL the reporter writes
through a second, autocommit connection (so the job's own transaction must not update the job's
row before its last progress report: the two would wait on each other). SQLite allows one writer at
a time, so a second connection would block behind the job's transaction; there the reporter writes
to the "progress" cache (files under var/, shared by the worker and the web processes on the one
machine an SQLite installation runs on), and `live_progress` reads it. Each report is also the
worker's sign of life (`progress_at`).

Stalled: a job in one of its LIVE statuses with no sign of life for DANGVIEN["JOB_STALLED_MINUTES"]
(no worker running, or one that was stopped). Giving up on it is safe because a job writes nothing
until it finishes (one transaction, or only its result file): a run that stopped changed nothing. If
the worker was only slow after all and finishes later, its outcome replaces the one giving up wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvien.core.errors import NotFound
from dangvien.jobs.models import LongJob

J = TypeVar("J", bound=LongJob)
Progress = Callable[[int, int], None]

# What a job's body may raise for a reason the officer should read (a refusal, a stale plan, a
# permission withdrawn meanwhile); anything else is a crash, logged with its trace.
EXPECTED_FAILURES = (ValidationError, NotFound, PermissionDenied)
STOPPED = gettext_lazy("The work stopped without finishing (no worker ran it, or the worker was stopped); "
                       "nothing was changed.")


def failure_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- the worker's side --------------------------------------------------------------------------


def claim(model: type[LongJob], pk: int, *, waiting: str, running: str, **fields: Any) -> bool:
    """Move the job from `waiting` to `running` (with `fields`), unless another run took it or it
    was given up meanwhile: whoever gets True runs it."""
    return bool(model._default_manager.filter(pk=pk, status=waiting).update(
        status=running, progress_at=timezone.now(), **fields))


def set_progress(model: type[LongJob], pk: int, done: int, total: int) -> None:
    """Progress written on the caller's connection (before the job's transaction begins)."""
    model._default_manager.filter(pk=pk).update(progress_done=done, progress_total=total,
                                                progress_at=timezone.now())


def progress_key(model: type[LongJob], pk: int) -> str:
    # The database's name too: test runs in parallel each number their jobs from 1.
    return f"job-progress:{connection.settings_dict['NAME']}:{model._meta.label_lower}:{pk}"


def progress_reporter(model: type[LongJob], pk: int) -> tuple[Progress, Callable[[], None]]:
    """A progress callback whose writes other connections see before the job's transaction
    commits (see the module docstring), and the function that releases it."""
    if connection.vendor != "postgresql":
        cache, key = caches["progress"], progress_key(model, pk)

        def forget() -> None:
            cache.delete(key)

        return (lambda done, total: cache.set(key, (done, total, timezone.now()))), forget
    side = connections.create_connection(DEFAULT_DB_ALIAS)  # autocommit: each update is visible at once
    table = side.ops.quote_name(model._meta.db_table)

    def report(done: int, total: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress_done = %s, progress_total = %s, progress_at = %s "  # noqa: S608
                           "WHERE id = %s", [done, total, timezone.now(), pk])

    return report, side.close


def discard_file(job: LongJob, field: str) -> None:
    """Delete a job's input file once it is no longer needed: a member list or a population extract
    holds citizen IDs, and is not kept on disk longer than the work needs it."""
    stored = getattr(job, field)
    if stored:
        stored.delete(save=False)
        type(job)._default_manager.filter(pk=job.pk).update(**{field: ""})


# --- the pages' side ----------------------------------------------------------------------------


def live_progress(job: J) -> J:
    """`job` with the progress of its run (SQLite: from the progress cache), and `job.stalled`:
    live with no sign of life for JOB_STALLED_MINUTES."""
    if job.in_progress and connection.vendor != "postgresql":
        found = caches["progress"].get(progress_key(type(job), job.pk))
        if found is not None:
            job.progress_done, job.progress_total, job.progress_at = found
    quiet_for = timezone.now() - (job.progress_at or job.created_at)
    job.stalled = job.in_progress and quiet_for > dt.timedelta(minutes=settings.DANGVIEN["JOB_STALLED_MINUTES"])
    return job


def progress_payload(job: LongJob, *, caption: str | None = None) -> dict[str, Any]:
    """What the progress script of templates/jobs/_progress.html reads (pass `job` through
    live_progress first). `caption` says what the numbers count, with %(done)s and %(total)s in it
    (default: "3 of 10 done")."""
    numbers = {"done": job.progress_done, "total": job.progress_total}
    text = (caption or _("%(done)s of %(total)s done")) % numbers
    return {"status": job.status, "status_label": str(job.get_status_display()),  # type: ignore[attr-defined]
            "done": job.progress_done, "total": job.progress_total, "percent": job.percent,
            "finished": not job.in_progress or job.stalled, "text": text}


def stop_waiting(job: LongJob, **ended: Any) -> None:
    """Give up waiting for a stalled job: set `ended` (its new status, and why) on it, provided it is
    still in the state it was read in. Call inside the caller's transaction, with its audit row."""
    job = live_progress(job)
    if not job.stalled:
        raise ValidationError(_("This work is not stalled: wait for it to finish."))
    if not type(job)._default_manager.filter(pk=job.pk, status=job.status).update(**ended):
        raise ValidationError(_("This work changed meanwhile: see its state below."))
