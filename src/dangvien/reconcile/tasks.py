"""Background task of the reconcile app (Django's Tasks API; `dangvien db_worker` runs it): a
reconciliation run queued by runs.reconciliation_start, as a generic job (jobs.services.job_run:
progress, sign of life, failure recorded and audited)."""

from __future__ import annotations

from django_tasks import task

from dangvien.jobs.models import Job
from dangvien.jobs.progress import Progress
from dangvien.jobs.services import JobResult, job_run
from dangvien.org.models import Unit
from dangvien.population.models import Snapshot


def _run(job: Job, report: Progress) -> JobResult | None:
    from dangvien.reconcile.runs import reconciliation_run  # runs queues this task: imported when run

    unit = Unit.objects.get(pk=job.params["unit_id"])
    snapshot = Snapshot.objects.get(pk=job.params["snapshot_id"])
    reconciliation_run(actor=job.actor, unit=unit, snapshot=snapshot, progress=report, job=job)
    return None


@task()
def run_reconciliation(job_id: int) -> None:
    job_run(job_id, _run)
