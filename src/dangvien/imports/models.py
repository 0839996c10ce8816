"""A stored import: the uploaded file, its checked plan (counts, rejections, a sample of changes),
once confirmed the background task's progress and result, and what undoing it needs (the members
it created, and the values it replaced on the members it updated). The batch is its own long job
(jobs.models.LongJob: progress, sign of life, stall), for the import and then for its undo."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangvien.jobs.models import LongJob

SAMPLE_ROWS = 200  # changes shown on the preview page; the file itself holds the rest


class BatchStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PLANNED = "planned", _("Checked, waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("File refused")
    EXPIRED = "expired", _("Not confirmed in time")
    UNDO_QUEUED = "undo_queued", _("Undo queued")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class BatchSource(models.TextChoices):
    WEB = "web", _("Web page")
    COMMAND = "command", _("Command line")


class ImportBatch(LongJob):
    # A worker is at it (or should be) while the import or its undo is queued or running.
    LIVE = frozenset({BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.UNDO_QUEUED, BatchStatus.UNDOING})

    # Empty for an import run at the server shell by the system operator (`import-members` without --user).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=BatchSource.choices, default=BatchSource.WEB)
    original_name = models.CharField(max_length=255)
    # Empty for a command-line import: the file stays where the operator keeps it.
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(max_length=16, choices=BatchStatus.choices, default=BatchStatus.UPLOADED)
    count_new = models.PositiveIntegerField(default=0)
    count_updated = models.PositiveIntegerField(default=0)
    count_unchanged = models.PositiveIntegerField(default=0)
    count_rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True)  # [{"line", "column", "message"}]
    # Rows written with something doubtful (planning.RowWarning): counted apart from the rejections.
    count_warned = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)  # [{"line", "column", "message"}]
    changes_sample = models.JSONField(default=list, blank=True)  # [{"line", "action", "name", "fields"}]
    result_created = models.PositiveIntegerField(default=0)
    result_updated = models.PositiveIntegerField(default=0)
    # For undo, written in the import's own transaction: the ids of the members it created, as
    # [first, last] runs (ids are reserved in blocks, so a province is a few dozen runs).
    created_ranges = models.JSONField(default=list, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    undo_error = models.TextField(blank=True)  # why the last undo was refused
    planned_at = models.DateTimeField(null=True, blank=True)

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
    def ran(self) -> bool:
        """The import was applied (it may since have been undone, or be being undone)."""
        return self.status in {BatchStatus.DONE, BatchStatus.UNDO_QUEUED, BatchStatus.UNDOING, BatchStatus.UNDONE}

    @property
    def created_count(self) -> int:
        return sum(last - first + 1 for first, last in self.created_ranges)


class ImportedUpdate(models.Model):
    """A member an import updated: the values it replaced and the version it left, so that the
    import can be undone while no later change touched the member (every write bumps `version`)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="updates")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()  # the member's version right after the import
    before = models.JSONField()  # field -> stored value before the import (JSON form, as in audit rows)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "member"], name="imported_update_once")]

    def __str__(self) -> str:
        return f"import {self.batch_id}: member {self.member_id} (version {self.version})"
