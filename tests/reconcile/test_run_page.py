"""The run page: an officer starts a reconciliation of their unit as a background job and follows
its progress (the jobs partial); the finished run shows its counts. Scoped like every page."""

from __future__ import annotations

import pytest
from django.test import Client

from dangvien.jobs.models import Job, JobStatus
from dangvien.reconcile.models import Run
from dangvien.reconcile.runs import JOB_KIND
from dangvien.reconcile.selectors import RUN_JOB_KIND
from dangvien.reconcile.tasks import run_reconciliation
from tests.reconcile.conftest import load_snapshot, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _queue_only(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued: the test runs it
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_page_names_the_engines_kind_of_job():
    assert RUN_JOB_KIND == JOB_KIND


def test_an_officer_runs_a_reconciliation_and_follows_it(world):
    a1, a2 = world.member_a1, world.member_a2
    snapshot = load_snapshot([person(a1.citizen_id, "Nguyễn Thị Hà", "09/08/1975", "Nữ"),
                              person(a2.citizen_id, "Trần Văn Đức", "01/01/1990", "Nam")])
    client = Client()
    client.force_login(world.officer_a)
    page = client.get(f"/reconcile/runs/new/?unit={world.commune_a.pk}")
    assert page.status_code == 200 and snapshot.name in page.content.decode()
    response = client.post("/reconcile/runs/new/", {"unit": world.commune_a.pk, "snapshot": snapshot.pk})
    job = Job.objects.get(kind=JOB_KIND)
    assert response.status_code == 302 and response["Location"] == f"/reconcile/runs/{job.pk}/"
    assert (job.status, job.unit_path, job.actor_id) == (JobStatus.QUEUED, world.commune_a.path, world.officer_a.pk)
    html = client.get(f"/reconcile/runs/{job.pk}/").content.decode()
    assert f'data-job-progress="/reconcile/runs/{job.pk}/progress.json"' in html  # the jobs partial polls
    assert client.get(f"/reconcile/runs/{job.pk}/progress.json").json()["finished"] is False

    run_reconciliation.call(job.pk)  # what the worker runs

    assert client.get(f"/reconcile/runs/{job.pk}/progress.json").json()["finished"] is True
    html = client.get(f"/reconcile/runs/{job.pk}/").content.decode()
    run = Run.objects.get(job=job)
    assert run.count_members == 2 and run.count_exact == 2
    assert 'id="run-counts"' in html and f"?unit={world.commune_a.pk}" in html
    # Commune B's officer neither sees the job nor may start one in commune A.
    client.force_login(world.officer_b)
    assert client.get(f"/reconcile/runs/{job.pk}/").status_code == 404
    assert client.post("/reconcile/runs/new/", {"unit": world.commune_a.pk, "snapshot": snapshot.pk}).status_code == 404
    client.force_login(world.secretary_a1)
    assert client.get(f"/reconcile/runs/new/?unit={world.cell_a1.pk}").status_code == 403
    assert Job.objects.filter(kind=JOB_KIND).count() == 1
