"""The throttle on activation: a few failures for one citizen ID, or from one client address, lock
further tries until the window has passed. Like the login's (django-axes), but keyed by the
citizen ID typed rather than a login name, which does not exist yet.

Citizen IDs are not stored here: a key is a keyed hash of the number (the same number always
gives the same key, and a stolen table gives no IDs back)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dangvien.handbook.models import ActivationFailure


def citizen_key(citizen_id: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"activation:{citizen_id}".encode(), hashlib.sha256)
    return "cid:" + digest.hexdigest()[:40]


def address_key(address: str) -> str:
    return "ip:" + address[:70]


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DANGVIEN["ACTIVATION_LOCK_MINUTES"])


def is_locked(keys: list[str]) -> bool:
    """Whether any key has reached the limit of failures within the window."""
    since = timezone.now() - _window()
    counts = (ActivationFailure.objects.filter(key__in=keys, at__gt=since).values("key")
              .annotate(n=Count("pk")).values_list("n", flat=True))
    return any(n >= settings.DANGVIEN["ACTIVATION_FAILURE_LIMIT"] for n in counts)


def record_failure(keys: list[str]) -> None:
    """Count a failure against each key, in a transaction of its own: the refused activation
    rolls back, the count must not. Rows that left the window go at the same time."""
    now = timezone.now()
    with transaction.atomic():
        ActivationFailure.objects.filter(key__in=keys, at__lte=now - _window()).delete()
        ActivationFailure.objects.bulk_create([ActivationFailure(key=key, at=now) for key in keys])


def clear(keys: list[str]) -> None:
    """A success starts the count again for its keys (as a successful login does)."""
    ActivationFailure.objects.filter(key__in=keys).delete()
