"""Reads behind the published status lists (status_views.py).

The statuses live in the card tables (cred-cards' models); this module is the one interface the
status list endpoint reads through, so that it can be built and tested before and apart from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.module_loading import import_string

from dangvien.core.errors import NotFound

# cred-cards' selector (the contract's name); settings.DANGVIEN["STATUS_LIST_SOURCE"] may name another.
DEFAULT_SOURCE = "dangvien.credentials.selectors.status_list_bytes"


def status_list_statuses(list_id: str) -> bytes | None:
    """The packed statuses of list `list_id` (2 bits a card, as status_list.pack lays them out), or
    None when there is no such list. Public data: the list names no one (random indexes)."""
    source = cast(Callable[[str], bytes | None],
                  import_string(settings.DANGVIEN.get("STATUS_LIST_SOURCE", DEFAULT_SOURCE)))
    try:
        return source(list_id)
    except (ObjectDoesNotExist, NotFound):
        return None


def status_list_uri(list_id: str | int) -> str:
    """Where verifiers fetch list `list_id`: what a credential carries (its status reference) and the
    token's `sub`. Built from DANGVIEN["PUBLIC_URL"], which must therefore never change for issued cards."""
    base = settings.DANGVIEN.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("credentials:status_list", args=[str(list_id)])
