"""Reads of generic jobs, scoped like every read: an actor sees the jobs they started, and those over
a subtree where they hold the permission the job's kind needs (the owning app passes that scope)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.core.errors import NotFound
from dangvien.core.scope import Scope
from dangvien.jobs.models import Job


def jobs_visible_to(actor: Any, scope: Scope, *, kind: str) -> QuerySet[Job]:
    if not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    own = Q(actor_id=actor.pk) if getattr(actor, "pk", None) else Q(pk__in=[])  # the system operator has no id
    return Job.objects.filter(kind=kind).filter(own | scope.q("unit_path"))


def job_get_for(actor: Any, scope: Scope, job_id: int, *, kind: str) -> Job:
    job = jobs_visible_to(actor, scope, kind=kind).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job
