"""A new kind of job, defined in this file as a new app would define it, gets progress, a sign of
life, stall detection, "stop waiting" and a result file from the jobs app alone (the recipe in
docs/architecture.md, "Jobs"): no code of the import app is involved."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation
from django_tasks import task

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.jobs.models import Job, JobStatus
from dangvien.jobs.progress import live_progress, progress_payload, progress_reporter
from dangvien.jobs.selectors import job_get_for, jobs_visible_to
from dangvien.jobs.services import JobResult, job_abandon, job_run, job_start
from dangvien.jobs.views import result_response
from dangvien.members.permissions import MEMBER_MANAGE

KIND = "tests.count"
seen_while_running: list[tuple[int, int]] = []


def _count(job: Job, report) -> JobResult:
    """Count to params["to"] in one transaction, as a job that writes would, reporting each step
    (and looking at it from elsewhere, asked to "observe"); refuse when asked to; the count is the
    result file."""
    total = job.params["to"]
    with transaction.atomic():
        for done in range(1, total + 1):
            report(done, total)
            if done == 1 and job.params.get("observe"):
                seen_while_running.append(_as_a_web_process_sees_it(job.pk))
        if job.params.get("refuse"):
            raise ValidationError("Counting is not allowed today.")
    return JobResult(name="count.txt", file=io.BytesIO(" ".join(map(str, range(1, total + 1))).encode()))


def _as_a_web_process_sees_it(job_id: int) -> tuple[int, int]:
    """The job's progress as another process reads it while the job's transaction is open."""
    if connection.vendor != "postgresql":
        job = live_progress(Job.objects.get(pk=job_id))  # SQLite: the row has 0 of 0; the shared file cache has more
        return job.progress_done, job.progress_total
    observer = connections.create_connection("default")
    try:
        with observer.cursor() as cursor:
            cursor.execute("SELECT progress_done, progress_total FROM jobs_job WHERE id = %s", [job_id])
            done, total = cursor.fetchone()
            return done, total
    finally:
        observer.close()


@task()
def count(job_id: int) -> None:
    job_run(job_id, _count)


@pytest.fixture(autouse=True)
def _queue_only(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued: the test runs it
    settings.MEDIA_ROOT = tmp_path / "media"
    seen_while_running.clear()
    with translation.override("en"):  # messages are asserted in English
        yield


def _start(world, **params) -> Job:
    actor = world.officer_a
    return job_start(actor=actor, scope=scope_for(actor, MEMBER_MANAGE), kind=KIND, unit_path=world.commune_a.path,
                     task=count, params={"to": 3, **params})


def _quiet_for(job: Job, minutes: int, status: str | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(progress_at=timezone.now() - dt.timedelta(minutes=minutes),
                                         **({"status": status} if status else {}))


@pytest.mark.django_db(transaction=True)  # the PostgreSQL reporter writes through its own connection
def test_a_job_runs_shows_its_progress_and_delivers_its_file(world):
    job = _start(world, observe=True)
    assert (job.status, job.in_progress, job.percent, job.actor_id) == (JobStatus.QUEUED, True, 0, world.officer_a.pk)

    count.call(job.pk)  # what the worker runs

    assert seen_while_running == [(1, 3)]  # another process saw the first step before the job committed
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total, job.percent) == (JobStatus.DONE, 3, 3, 100)
    assert job.started_at and job.finished_at and not job.error
    response = result_response(job)
    assert b"".join(response.streaming_content) == b"1 2 3"
    assert 'filename="count.txt"' in response["Content-Disposition"]
    actions = list(AuditEntry.objects.filter(object_type="job", object_id=str(job.pk))
                   .order_by("seq").values_list("action", "before", "after"))
    assert actions == [("job.start", None, {"kind": KIND, "status": "queued", "params": {"to": 3, "observe": True}}),
                       ("job.done", {"status": "running"}, {"kind": KIND, "status": "done", "result": "count.txt"})]
    count.call(job.pk)  # a second run finds nothing to claim
    assert AuditEntry.objects.filter(object_type="job", object_id=str(job.pk)).count() == 2


def test_a_refusal_fails_the_job_with_its_reason(world):
    job = _start(world, refuse=True)
    count.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.result_name) == (JobStatus.FAILED, "Counting is not allowed today.", "")
    entry = AuditEntry.objects.get(object_type="job", action="job.failed")
    assert entry.after == {"kind": KIND, "status": "failed", "error": "Counting is not allowed today."}
    with pytest.raises(NotFound):
        result_response(job)


def test_a_job_nobody_runs_stalls_and_may_be_given_up(world):
    job = _start(world)
    officer = world.officer_a
    scope = scope_for(officer, MEMBER_MANAGE)
    assert not live_progress(job).stalled
    with pytest.raises(ValidationError, match="not stalled"):
        job_abandon(actor=officer, scope=scope, job=job)

    _quiet_for(job, settings.DANGVIEN["JOB_STALLED_MINUTES"] + 1)
    job = live_progress(Job.objects.get(pk=job.pk))
    assert job.stalled and progress_payload(job)["finished"] is True
    other = world.officer_b
    with pytest.raises(PermissionDenied):  # another commune's officer
        job_abandon(actor=other, scope=scope_for(other, MEMBER_MANAGE), job=job)

    job = job_abandon(actor=officer, scope=scope, job=job)
    assert job.status == JobStatus.FAILED and "nothing was changed" in job.error and not job.in_progress
    entry = AuditEntry.objects.get(object_type="job", action="job.abandoned")
    assert (entry.before, entry.after) == ({"status": "queued"}, {"kind": KIND, "status": "failed"})
    count.call(job.pk)  # a worker that turns up later finds nothing to run
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED and seen_while_running == []


@pytest.mark.django_db(transaction=True)  # the PostgreSQL reporter writes through its own connection
def test_each_report_is_a_sign_of_life(world):
    job = _start(world)
    _quiet_for(job, 60, JobStatus.RUNNING)
    assert live_progress(Job.objects.get(pk=job.pk)).stalled
    report, close = progress_reporter(Job, job.pk)
    try:
        report(2, 5)
        alive = live_progress(Job.objects.get(pk=job.pk))
        assert (alive.stalled, alive.progress_done, alive.progress_total, alive.percent) == (False, 2, 5, 40)
        assert progress_payload(alive) == {"status": "running", "status_label": "Running", "done": 2, "total": 5,
                                           "percent": 40, "finished": False, "text": "2 of 5 done"}
    finally:
        close()
    if connection.vendor != "postgresql":
        # On SQLite the sign of life is in the progress cache: gone with it, the job is quiet again.
        assert live_progress(Job.objects.get(pk=job.pk)).stalled


def test_the_page_partial_shows_the_bar_then_the_stalled_state(world):
    job = _start(world)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress_done=1, progress_total=4)
    request = RequestFactory().get("/")
    context = {"prefix": "count", "progress_url": "/count/1/progress.json", "abandon_url": "/count/1/abandon/",
               "bar": True, "status_id": "count-status"}
    html = render_to_string("jobs/_progress.html", {"job": live_progress(Job.objects.get(pk=job.pk)), **context},
                            request=request)
    assert '<progress id="count-progress" max="100" value="25"' in html and "1 of 4 done" in html
    assert 'data-job-progress="/count/1/progress.json"' in html and 'http-equiv="refresh"' in html
    assert "Stop waiting" not in html

    _quiet_for(job, settings.DANGVIEN["JOB_STALLED_MINUTES"] + 1)
    html = render_to_string("jobs/_progress.html", {"job": live_progress(Job.objects.get(pk=job.pk)), **context},
                            request=request)
    assert "No sign of progress" in html and 'action="/count/1/abandon/"' in html and "Stop waiting" in html
    assert "data-job-progress" not in html and 'http-equiv="refresh"' not in html  # it no longer polls


def test_jobs_are_seen_by_their_starter_and_within_the_scope(world):
    job = _start(world)
    for actor, sees in [(world.officer_a, True), (world.province_officer, True), (world.officer_b, False),
                        (world.secretary_a1, False)]:
        scope = scope_for(actor, MEMBER_MANAGE)
        assert (job in jobs_visible_to(actor, scope, kind=KIND)) == sees, actor
        assert not jobs_visible_to(actor, scope, kind="tests.other").exists()
    with pytest.raises(NotFound):
        job_get_for(world.officer_b, scope_for(world.officer_b, MEMBER_MANAGE), job.pk, kind=KIND)
    with pytest.raises(PermissionDenied):  # may not start one outside the scope
        job_start(actor=world.officer_b, scope=scope_for(world.officer_b, MEMBER_MANAGE), kind=KIND,
                  unit_path=world.commune_a.path, task=count, params={"to": 1})


def test_old_result_files_are_purged(world):
    job = _start(world)
    count.call(job.pk)
    job.refresh_from_db()
    stored = job.result_file.path
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    fresh = _start(world)
    count.call(fresh.pk)
    out = StringIO()
    call_command("purge-jobs", stdout=out)
    assert "1 job result file(s) deleted." in out.getvalue()
    job.refresh_from_db()
    assert not job.result_file and job.result_name == "count.txt"
    assert not pathlib.Path(stored).exists()
    assert Job.objects.get(pk=fresh.pk).result_file
    assert AuditEntry.objects.filter(object_type="job", action="job.result_purged", object_id=str(job.pk)).exists()
