"""Recording and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from dangvien.core.bulk import bulk_insert
from dangvien.core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Values as they are stored in before/after: dates as ISO strings, models as their pk."""
    # The common cases first, by exact type (a subclass may carry a pk, so it takes the long way):
    # an import converts a province's records, a few million values.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def _digest(entry: AuditEntry) -> str:
    return _payload_digest([
        entry.seq,
        _timestamp(entry.at),
        entry.actor_id,
        entry.actor_username,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.unit_path,
        entry.before,
        entry.after,
        entry.prev_hash,
    ])


def _timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


# Canonical JSON so that the hash does not depend on how a database returns JSON (jsonb reorders
# keys) or timestamps. One encoder for every row (json.dumps with options builds one a call).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(payload: Any) -> bytes:
    """The canonical JSON of an audit row's payload: sorted keys, no spaces, UTF-8 text as is.
    orjson writes exactly the bytes of the standard library's encoder with these options
    (tests/core/test_audit_json.py), several times faster; what orjson refuses (an integer over
    64 bits) goes to the standard library."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _CANONICAL.encode(payload).encode()


def _payload_digest(payload: list[Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    unit_path: str = "",
) -> AuditEntry:
    """Append one audit row. Call inside the service's transaction so the row and the change it
    describes commit together."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            unit_path=unit_path,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            prev_hash=head.hash,
        )
        entry.hash = _digest(entry)
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
        return entry


_ENTRY_KEYS = frozenset({"action", "object_type", "object_id", "before", "after", "unit_path"})


def audit_record_many(*, actor: Any, entries: list[dict], json_safe: bool = False) -> int:
    """Append many audit rows in one locked pass (a bulk import writes one per member): each entry
    holds the keyword arguments of audit_record but the actor. The rows get consecutive seq numbers
    and are chained in the order given, exactly as that many audit_record calls would chain them,
    but are inserted in bulk (COPY on PostgreSQL). Returns the number of rows written. Call inside
    the service's transaction, like audit_record.

    json_safe: the entries' before and after already hold only what jsonable returns, and are
    stored as given (it spares a bulk writer converting every value twice)."""
    if not entries:
        return 0
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or "system"
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        # One timestamp for the pass: the rows describe one operation, and it spares a clock read a row.
        at = timezone.now()
        stamp = _timestamp(at)
        seq, prev_hash = head.seq, head.hash
        rows = []
        for item in entries:
            if unknown := item.keys() - _ENTRY_KEYS:
                raise TypeError(f"audit_record_many: unknown entry keys {sorted(unknown)}")
            before, after = item.get("before"), item.get("after")
            row = {"seq": seq + 1, "at": at, "actor_id": actor_id, "actor_username": actor_username,
                   "action": item["action"], "object_type": item["object_type"],
                   "object_id": str(item["object_id"]), "unit_path": item.get("unit_path", ""),
                   "before": before if json_safe or before is None else jsonable(before),
                   "after": after if json_safe or after is None else jsonable(after), "prev_hash": prev_hash}
            # The payload of _digest, built from the row rather than from a model instance.
            row["hash"] = prev_hash = _payload_digest([
                row["seq"], stamp, actor_id, actor_username, row["action"], row["object_type"], row["object_id"],
                row["unit_path"], row["before"], row["after"], prev_hash])
            seq += 1
            rows.append(row)
        bulk_insert(AuditEntry, rows)
        head.seq, head.hash = seq, prev_hash
        head.save(update_fields=["seq", "hash"])
    return len(rows)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"row seq={self.seq}" + (f" (id={self.entry_id})" if self.entry_id is not None else "")
        return f"{where}: {self.reason}"


_BATCH = 5000


def _entries() -> Iterator[AuditEntry]:
    # Streamed in seq order with a bounded batch, so verifying millions of rows keeps memory flat.
    last = 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:_BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def audit_verify() -> tuple[int, ChainProblem | None]:
    """Check the whole chain; return (rows checked, first problem or None)."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for entry in _entries():
        if entry.seq != expected_seq:
            return count, ChainProblem(expected_seq, None, f"missing (next present row is seq={entry.seq})")
        if entry.prev_hash != prev_hash:
            return count, ChainProblem(entry.seq, entry.pk, "prev_hash does not match the row before it")
        if _digest(entry) != entry.hash:
            return count, ChainProblem(entry.seq, entry.pk, "content does not match its hash (altered)")
        prev_hash, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None and count:
        # The head is written with the first row; rows without it mean it was deleted, and with it
        # the record of how long the chain was.
        return count, ChainProblem(count, None, "the chain head is missing")
    if head and head.seq > count:
        return count, ChainProblem(count + 1, None, f"missing: the chain head records {head.seq} rows")
    if head and head.seq < count:
        return count, ChainProblem(head.seq + 1, None, f"added outside the log: the chain head records {head.seq} rows")
    if head and head.hash != prev_hash:
        return count, ChainProblem(count, None, "the last row's hash does not match the chain head")
    return count, None
