"""A population extract snapshot: one file from the national population database, dated and
loaded once. Its rows live in the snapshot store (population.store), not in these tables; the
services never change a loaded snapshot (a new extract is a new snapshot)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    taken_on = models.DateField(_("taken on"))
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)  # the same file is never loaded twice
    rows = models.PositiveIntegerField(_("rows loaded"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    backend = models.CharField(max_length=20)  # the store holding its rows: duckdb or postgresql
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-taken_on", "-pk"]
        verbose_name = _("population snapshot")
        verbose_name_plural = _("population snapshots")

    def __str__(self) -> str:
        return f"{self.name} ({self.taken_on:%d/%m/%Y})"
