"""The audit trail: append-only rows, each hash-chained to the one before it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete would skip the model's guards; refuse them too. (Someone with raw
    database access can still change rows: the hash chain is what detects that.)"""

    def update(self, **kwargs):
        raise RuntimeError("Audit entries are append-only.")

    def delete(self):
        raise RuntimeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    # seq is gap-free (assigned under the chain-head lock), so a deleted row shows as a gap even on
    # PostgreSQL, where the id sequence leaves gaps after rolled-back transactions.
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    # PROTECT: the actor is part of the hashed content, so a user who acted is deactivated, never deleted.
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

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit entries are append-only.")


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serializes appends, and it lets
    verification notice rows deleted from the end of the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at seq {self.seq}"
