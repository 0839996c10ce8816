"""A stored import: the uploaded file, its checked plan (counts, rejections, a sample of changes)
and, once confirmed, the background task's progress and result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SAMPLE_ROWS = 200  # changes shown on the preview page; the file itself holds the rest


class BatchStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PLANNED = "planned", _("Checked, waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("File refused")


class ImportBatch(models.Model):
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/")
    status = models.CharField(max_length=16, choices=BatchStatus.choices, default=BatchStatus.UPLOADED)
    count_new = models.PositiveIntegerField(default=0)
    count_updated = models.PositiveIntegerField(default=0)
    count_unchanged = models.PositiveIntegerField(default=0)
    count_rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True)  # [{"line", "column", "message"}]
    changes_sample = models.JSONField(default=list, blank=True)  # [{"line", "action", "name", "fields"}]
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    result_created = models.PositiveIntegerField(default=0)
    result_updated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def writes_something(self) -> bool:
        return self.count_new + self.count_updated > 0

    @property
    def confirmable(self) -> bool:
        return self.status == BatchStatus.PLANNED and self.writes_something

    @property
    def in_progress(self) -> bool:
        return self.status in {BatchStatus.QUEUED, BatchStatus.RUNNING}

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0
