"""Status-list entries for new cards: which list, which index.

Each card gets its own entry in a token status list (draft-ietf-oauth-status-list), drawn at random
among the list's free entries and never handed out again: a verifier that fetches the list learns
the status of every card at once, and an index says nothing about when its card was issued or who
holds the neighbouring entries (issuing in order would let anyone who saw two cards tell which
cards were issued between them, and watch them).

Why lists of 2^20 entries (settings.DANGVIEN["STATUS_LIST_SIZE"]): 256 KiB of two-bit entries before
compression, a few KiB after it while most cards are valid; a province of 141,794 cards fills 14% of
one, and the 5.6 million members of the nation about eight lists at the 3/4 fill threshold
(STATUS_LIST_FILL) after which a new list opens. Drawing stays cheap to that point: at 3/4 full, a
random draw is free one time in four, and draws are checked a batch at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction

from dangvien.credentials.models import Card, StatusList
from dangvien.credentials.status_selectors import status_list_uri

# Where random indexes come from: the system's CSPRNG; a test may put a seeded random.Random here.
random_source: Any = secrets.SystemRandom()
# Indexes looked up in one query (SQLite's parameter limit is 999 in old versions).
LOOKUP_BATCH = 900


def _open_list() -> StatusList:
    """The list new entries come from, locked until the caller's transaction ends; a new one when
    none is open."""
    found = StatusList.objects.select_for_update().filter(full=False).order_by("pk").first()
    if found is not None:
        return found
    size = int(settings.DANGVIEN["STATUS_LIST_SIZE"])
    if size <= 0 or size % 4:
        raise ValueError("STATUS_LIST_SIZE must be a positive multiple of 4 (four 2-bit entries a byte).")
    status_list = StatusList.objects.create(uri=f"pending:{secrets.token_hex(8)}", size=size)
    status_list.uri = status_list_uri(status_list.pk)
    status_list.save(update_fields=["uri"])
    return status_list


def _capacity(status_list: StatusList) -> int:
    """Entries still to hand out before the list counts as full."""
    return max(0, int(status_list.size * float(settings.DANGVIEN["STATUS_LIST_FILL"])) - status_list.used)


def _free_draws(status_list: StatusList, count: int) -> list[int]:
    """`count` distinct random indexes of the list that no card holds."""
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        # Draw a little more than the free share needs, so that one round usually suffices.
        free_share = max(0.05, 1 - (status_list.used + len(chosen)) / status_list.size)
        candidates = []
        for _ in range(int(wanted / free_share * 1.2) + 4):
            index = random_source.randrange(status_list.size)
            if index not in seen:
                seen.add(index)
                candidates.append(index)
        taken: set[int] = set()
        for batch in _batches(candidates, LOOKUP_BATCH):
            taken.update(Card.objects.filter(status_list=status_list, status_index__in=batch)
                         .values_list("status_index", flat=True))
        chosen.extend(index for index in candidates if index not in taken)
    return chosen[:count]


def _batches(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def entries_draw(count: int) -> list[tuple[StatusList, int]]:
    """`count` fresh (status list, index) entries, from the open list and then new ones. Call
    inside the transaction that stores the cards: the list stays locked until it ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entries_draw runs inside the transaction that stores the cards.")
    entries: list[tuple[StatusList, int]] = []
    while len(entries) < count:
        status_list = _open_list()
        room = min(count - len(entries), _capacity(status_list))
        entries.extend((status_list, index) for index in _free_draws(status_list, room))
        status_list.used += room
        status_list.full = _capacity(status_list) == 0
        status_list.save(update_fields=["used", "full"])
    return entries
