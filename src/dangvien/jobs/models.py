"""Long jobs: what every job the background worker runs keeps (progress, the worker's sign of life,
when it ran, why it failed), and the generic Job row for jobs that have no record of their own."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LongJob(models.Model):
    """The fields jobs/progress.py works on. Abstract: a job with a record of its own (an import
    batch) keeps them on that record, next to its own `status` field; any other job is a `Job`.

    A subclass names the statuses in which a worker is expected to be at it (`LIVE`): only then can
    the job be stalled. Its finished status is "done"."""

    LIVE: ClassVar[frozenset[str]] = frozenset()
    DONE: ClassVar[str] = "done"

    status = models.CharField(max_length=16)  # each concrete model declares it again, with its own choices
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_at = models.DateTimeField(null=True, blank=True)  # the worker's last sign of life
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    stalled = False  # set by jobs.progress.live_progress

    class Meta:
        abstract = True

    @property
    def in_progress(self) -> bool:
        return self.status in self.LIVE

    @property
    def percent(self) -> int:
        if self.status == self.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(LongJob):
    """A job with no record of its own (a report export, a reconciliation run): what it is, who
    started it and over which unit's subtree (who else may follow it), what its task needs, and the
    file it produced."""

    LIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})

    kind = models.CharField(max_length=64)  # "<app>.<what>", e.g. "reports.register_export"
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Empty for a job started at the server shell by the system operator.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    unit_path = models.CharField(max_length=64, blank=True)  # the subtree it works on; empty: everywhere
    params = models.JSONField(default=dict, blank=True)  # what its task needs, beyond the job itself
    result_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(max_length=255, blank=True)  # the name the download gets

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "unit_path"])]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"
