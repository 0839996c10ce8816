"""The audit trail: append-only rows, each keyed with a secret held outside the database, sealed after
commit into a chain of keyed blocks (core.audit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete would skip the model's guards; refuse them too. (Someone with raw
    database access can still change rows: the rows' MACs and the seal chain are what detect that.)"""

    def update(self, **kwargs):
        raise RuntimeError("Audit entries are append-only.")

    def delete(self):
        raise RuntimeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    # Numbered by the database at insert, so writers take no lock. Not gap-free (PostgreSQL's sequence
    # skips the numbers of rolled-back transactions): a deleted row is found through the seal that
    # covers it, not through a gap.
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    # PROTECT: the actor is part of the keyed content, so a user who acted is deactivated, never deleted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    unit_path = models.CharField(max_length=64, blank=True, db_index=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    # HMAC-SHA256 of the row's content (seq included) under the audit key key_id, a key kept out of the
    # database (core.audit_keys): someone who can only write to the database cannot make a changed row
    # verify.
    key_id = models.CharField(max_length=32)
    mac = models.CharField(max_length=64)

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


class AuditPending(models.Model):
    """An audit row written but not sealed yet: inserted in the writer's transaction, deleted by
    the sealer in the transaction that writes the row's seal. It carries the row's MAC, so that the
    sealer reads this small table only, never the trail (and a row deleted before its seal is
    sealed all the same, and found missing)."""

    seq = models.BigIntegerField(primary_key=True)
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit row {self.seq} waiting for a seal"


class AuditSeal(models.Model):
    """A block of the seal chain: the rows it covers (their seq and MAC), keyed with the previous
    block's hash. Blocks are written in order by one sealer at a time (AuditSealHead's lock)."""

    number = models.PositiveBigIntegerField(primary_key=True)
    # The covered seqs as [first, last] runs of consecutive numbers (core.bulk.id_runs).
    runs = models.JSONField()
    count = models.PositiveIntegerField()
    # Rows sealed by this block and every block before it (a checkpoint names it).
    total = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"audit seal {self.number} ({self.count} rows)"


class AuditSealHead(models.Model):
    """One row: the last block. Its row lock is the sealer's (sealers skip it when it is held; no
    writer ever takes it), and it lets verification notice blocks deleted from the end."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    total = models.PositiveBigIntegerField(default=0)  # rows sealed, the last block's total

    def __str__(self) -> str:
        return f"audit seal head at block {self.number}"
