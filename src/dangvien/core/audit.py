"""Recording, sealing and verifying the audit trail (docs/architecture.md, "Audit trail").

- Writers (audit_record, audit_record_many) take no lock: each row is numbered by the database
  sequence, keyed (HMAC-SHA256 of its content, seq included, under the current key of a keyring
  kept outside the database: core.audit_keys) and marked pending in the writer's own transaction.
- After the commit, a sealer (audit_seal) seals the pending rows, in seq order, into the next
  block of the seal chain: the block's HMAC covers the previous block's hash and each row's seq
  and MAC. Sealers never make writers wait: on PostgreSQL a sealer that finds the head locked
  leaves its rows to the sealer holding it.
- audit_check streams everything once and names the first problem: a row whose content does not
  match its MAC, a sealed row that is missing, a row neither sealed nor pending, a block out of the
  chain, a head or a signed checkpoint (core.audit_checkpoints) that disagrees with the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dangvien.core.audit_keys import Keyring, audit_keyring
from dangvien.core.bulk import bulk_insert, id_runs, reserve_ids
from dangvien.core.models import AuditEntry, AuditPending, AuditSeal, AuditSealHead
from dangvien.core.prepared import Prepared, record_columns, record_from_row

GENESIS = "0" * 64
# Rows a block seals at most: a province import (139,407 audit rows) is sealed in 7 blocks, each read,
# keyed and written in well under a second.
SEAL_BATCH = 20_000
# Passes a sealer makes, after draining the pending rows, for rows committed while it held the head.
SEAL_TOP_UPS = 2


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


def _timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


# Canonical JSON so that the MAC does not depend on how a database returns JSON (jsonb reorders
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


def _mac(key: bytes, message: bytes) -> str:
    return hmac.digest(key, message, "sha256").hex()


def row_mac(key: bytes, seq: int, stamp: str, actor_id: int | None, actor_username: str, action: str,
            object_type: str, object_id: str, unit_path: str, before: Any, after: Any) -> str:
    """The MAC of an audit row's content; `stamp` is _timestamp(at)."""
    return _mac(key, canonical_json([seq, stamp, actor_id, actor_username, action, object_type, object_id,
                                     unit_path, before, after]))


def entry_mac(entry: AuditEntry, key: bytes) -> str:
    return row_mac(key, entry.seq, _timestamp(entry.at), entry.actor_id, entry.actor_username, entry.action,
                   entry.object_type, entry.object_id, entry.unit_path, entry.before, entry.after)


def _block_start(number: int, prev_hash: str, count: int, total: int, sealed_at: dt.datetime) -> bytes:
    """What a block's HMAC covers before its rows ("audit-seal" keeps it apart from a row's content)."""
    return canonical_json(["audit-seal", number, prev_hash, count, total, _timestamp(sealed_at)])


def _block_row(seq: int, mac: str) -> bytes:
    return b"%d:%s\n" % (seq, mac.encode())


# --- recording -------------------------------------------------------------------------------------


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
    describes commit together; it is sealed after the commit."""
    keyring = audit_keyring()
    assert keyring is not None
    with transaction.atomic():
        entry = AuditEntry(
            seq=reserve_ids(AuditEntry, 1)[0],
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            unit_path=unit_path,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            key_id=keyring.current,
        )
        entry.mac = entry_mac(entry, keyring.current_key)
        entry.save(force_insert=True)
        AuditPending.objects.create(seq=entry.seq, mac=entry.mac)
        _seal_after_commit()
        return entry


_ENTRY_KEYS = frozenset({"action", "object_type", "object_id", "before", "after", "unit_path"})


def audit_record_many(*, actor: Any, entries: list[dict], json_safe: bool = False) -> int:
    """Append many audit rows (a bulk import writes one per member): each entry holds the keyword
    arguments of audit_record but the actor. The rows get increasing seq numbers in the order given
    and are inserted in bulk (COPY on PostgreSQL). Returns the number of rows written. Call inside
    the service's transaction, like audit_record.

    json_safe: the entries' before and after already hold only what jsonable returns, and are
    stored as given (it spares a bulk writer converting every value twice)."""
    if not entries:
        return 0
    for item in entries:
        if unknown := item.keys() - _ENTRY_KEYS:
            raise TypeError(f"audit_record_many: unknown entry keys {sorted(unknown)}")
    keyring = audit_keyring()
    assert keyring is not None
    key_id, key = keyring.current, keyring.current_key
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or "system"
    with transaction.atomic():
        # One timestamp for the pass: the rows describe one operation, and it spares a clock read a row.
        at = timezone.now()
        stamp = _timestamp(at)
        rows = []
        for seq, item in zip(reserve_ids(AuditEntry, len(entries)), entries, strict=True):
            before, after = item.get("before"), item.get("after")
            row = {"seq": seq, "at": at, "actor_id": actor_id, "actor_username": actor_username,
                   "action": item["action"], "object_type": item["object_type"],
                   "object_id": str(item["object_id"]), "unit_path": item.get("unit_path", ""),
                   "before": before if json_safe or before is None else jsonable(before),
                   "after": after if json_safe or after is None else jsonable(after), "key_id": key_id}
            row["mac"] = row_mac(key, seq, stamp, actor_id, actor_username, row["action"], row["object_type"],
                                 row["object_id"], row["unit_path"], row["before"], row["after"])
            rows.append(row)
        bulk_insert(AuditEntry, rows)
        bulk_insert(AuditPending, [{"seq": row["seq"], "mac": row["mac"]} for row in rows])
        _seal_after_commit()
    return len(rows)


def _seal_after_commit() -> None:
    """Seal the transaction's rows once it commits (once a transaction, however many rows it wrote).
    robust: the write has committed whatever the seal does; rows it leaves pending are sealed by
    the next seal."""
    if not any(hook[1] is _seal_committed for hook in connection.run_on_commit):  # (savepoints, func, robust)
        transaction.on_commit(_seal_committed, robust=True)


def _seal_committed() -> None:
    _seal(SEAL_BATCH, look_first=False)  # the transaction has just committed rows: no need to look


# --- sealing ---------------------------------------------------------------------------------------


def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Seal every committed row waiting for a seal, in seq order, `batch` rows a block; return how
    many rows this call sealed.

    One sealer at a time holds the head. On PostgreSQL a sealer that finds it held returns at once:
    the holder seals our rows too, because a holder stops only when a look for pending rows, made
    after it released the head, finds none; a row committed while it held the head is seen by that
    look. (Or after SEAL_TOP_UPS passes for such rows: then the next seal takes them.) On SQLite the
    sealer's transaction waits for the write lock, like any writer's."""
    return _seal(batch, look_first=True)


def _seal(batch: int, *, look_first: bool) -> int:
    # Each seal is a few round trips after every audited commit: they are counted (one statement
    # locks the head, one reads the rows, one writes the block) because under load each costs more
    # than the work it does.
    own_transaction = not connection.in_atomic_block
    sealed, top_ups = 0, 0
    while not look_first or _rows_to_seal(1):
        look_first = True
        with transaction.atomic():
            head = _seal_head_locked(relaxed_commit=own_transaction)
            if head is None:
                return sealed
            count = _seal_block(head, batch)
        sealed += count
        if count < batch:  # drained: what is pending now was committed while we held the head
            top_ups += 1
            if top_ups > SEAL_TOP_UPS:
                # Under a steady stream of writes the holder would seal everybody's rows for ever,
                # and its own request would wait as long: the next writer's seal (or `dangvien audit
                # seal`) takes over.
                return sealed
    return sealed


def _seal_head_locked(*, relaxed_commit: bool) -> AuditSealHead | None:
    """The head, locked, or None when another sealer holds it.

    relaxed_commit (PostgreSQL): the seal's commit does not wait for the disk. The writers' commits
    already did; a crash that loses a seal loses its block, its pending marks' deletion and the
    head's move together (what the log does not hold is a suffix of it), and the rows are sealed
    again. A checkpoint names only a head made durable first (audit_checkpoints._durable_head).
    Never inside a caller's transaction, whose commit is not ours to relax."""
    locked = _HEAD_LOCKED_RELAXED if relaxed_commit and connection.vendor == "postgresql" else _HEAD_LOCKED
    rows = locked()
    if not rows and not AuditSealHead.objects.filter(id=1).exists():
        # Migration 0002 made it; only a deleted head (a test's flush) gets here.
        AuditSealHead.objects.get_or_create(id=1)
        rows = locked()
    if not rows:
        return None
    return record_from_row(AuditSealHead, rows[0])


def _rows_to_seal(limit: int) -> list[tuple[int, str]]:
    """(seq, mac) of the first committed rows waiting for a seal, from their pending marks."""
    pending = _PENDING.get(limit)
    if pending is None:  # one compiled read for each limit asked (a look for one row, a block's batch)
        pending = _PENDING[limit] = Prepared(
            lambda: AuditPending.objects.order_by("seq").values_list("seq", "mac")[:limit], takes=())
    return pending()


# The seal's reads run after every audited commit: compiled once (core/prepared.py), as the
# handbook home's are. A seal that finds nothing pending took 1.03 ms of CPU with the ORM writing
# their SQL each time, 0.31 ms so (docs/benchmarks.md, "Audit trail under concurrent writers").


def _locked_head(*, relaxed: bool) -> Any:
    heads = AuditSealHead.objects.select_for_update(skip_locked=True).filter(id=1)
    if relaxed:  # the function's value is selected, or PostgreSQL would not run it
        return heads.annotate(relaxed=RawSQL("set_config('synchronous_commit', 'off', true)", ())).values_list(
            *record_columns(AuditSealHead), "relaxed")
    return heads.values_list(*record_columns(AuditSealHead))


_HEAD_LOCKED = Prepared(lambda: _locked_head(relaxed=False), takes=())
_HEAD_LOCKED_RELAXED = Prepared(lambda: _locked_head(relaxed=True), takes=())
_PENDING: dict[int, Prepared] = {}


def _seal_block(head: AuditSealHead, batch: int) -> int:
    rows = _rows_to_seal(batch)
    if not rows:
        return 0
    keyring = audit_keyring()
    assert keyring is not None
    number, total, sealed_at = head.number + 1, head.total + len(rows), timezone.now()
    message = [_block_start(number, head.hash, len(rows), total, sealed_at)]
    message.extend(_block_row(seq, mac) for seq, mac in rows)
    block = AuditSeal(number=number, runs=id_runs([seq for seq, _ in rows]), count=len(rows), total=total,
                      prev_hash=head.hash, hash=_mac(keyring.current_key, b"".join(message)),
                      key_id=keyring.current, sealed_at=sealed_at)
    _store_block(block)
    head.number, head.hash, head.total = block.number, block.hash, block.total
    return len(rows)


def _store_block(block: AuditSeal) -> None:
    """Insert the block, delete the pending marks of the rows it seals (exactly those: every number
    inside a run is a sealed row) and move the head; in one statement on PostgreSQL."""
    quote = connection.ops.quote_name
    seals, pending, heads = (quote(m._meta.db_table) for m in (AuditSeal, AuditPending, AuditSealHead))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH block AS (INSERT INTO {seals} (number, runs, count, total, prev_hash, hash, key_id, sealed_at) "
                f"VALUES (%s, %s::jsonb, %s, %s, %s, %s, %s, %s)), "
                f"marks AS (DELETE FROM {pending} p USING unnest(%s::bigint[], %s::bigint[]) AS r(first, last) "
                f"WHERE p.seq BETWEEN r.first AND r.last) "
                f"UPDATE {heads} SET number = %s, hash = %s, total = %s WHERE id = 1",
                [block.number, json.dumps(block.runs), block.count, block.total, block.prev_hash, block.hash,
                 block.key_id, block.sealed_at, [first for first, _ in block.runs], [last for _, last in block.runs],
                 block.number, block.hash, block.total])
            return
        block.save(force_insert=True)
        cursor.executemany(f"DELETE FROM {pending} WHERE seq BETWEEN %s AND %s", block.runs)
        cursor.execute(f"UPDATE {heads} SET number = %s, hash = %s, total = %s WHERE id = 1",
                       [block.number, block.hash, block.total])


# --- verifying -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """The first problem verification found: in a row (seq, entry_id: the row's primary key when the
    row is there), in a block, in a checkpoint, or in the trail as a whole."""

    seq: int | None
    entry_id: int | None
    reason: str
    block: int | None = None
    checkpoint: str = ""

    def __str__(self) -> str:
        if self.seq is not None:
            where = f"row seq={self.seq}" + (f" (id={self.entry_id})" if self.entry_id is not None else "")
        elif self.block is not None:
            where = f"block {self.block}"
        elif self.checkpoint:
            where = f"checkpoint {self.checkpoint}"
        else:
            return self.reason
        return f"{where}: {self.reason}"


@dataclass
class AuditReport:
    rows: int = 0  # rows found good (before the first row problem, when there is one)
    sealed: int = 0
    pending: int = 0
    blocks: int = 0
    checkpoints: int = 0
    problem: ChainProblem | None = None

    def __str__(self) -> str:
        blocks = "1 block" if self.blocks == 1 else f"{self.blocks:,} blocks"
        text = f"{self.rows:,} rows verified ({self.sealed:,} sealed in {blocks}, {self.pending:,} waiting for a seal)"
        return text + (f"; {self.checkpoints:,} signed checkpoints agree" if self.checkpoints else "")


def audit_verify(**options: Any) -> tuple[int, ChainProblem | None]:
    """(rows found good, first problem or None): audit_check in short."""
    report = audit_check(**options)
    return report.rows, report.problem


def audit_check(*, checkpoints: Path | None = None, public_key: Path | None = None) -> AuditReport:
    """Verify the whole trail in one pass over each table, memory flat whatever its length.

    checkpoints: a file of signed checkpoints (default settings.AUDIT_CHECKPOINTS, if it exists);
    public_key: the PEM public key they are checked with (default: that of the signing key file).

    Which problem is named when there are several: a row whose content does not match its MAC
    first (an attacker who changed a row and rewrote the chain above it is named by the row); then
    the block chain, its head and the checkpoints; then a row missing, unsealed or sealed twice;
    then a block whose HMAC does not match."""
    from dangvien.core.audit_checkpoints import checkpoints_read

    report = AuditReport()
    signed, report.problem = checkpoints_read(checkpoints, public_key)
    if report.problem:
        return report
    chain_problem = None
    try:
        with _snapshot():
            keyring = audit_keyring(create=False)
            if keyring is None and (AuditEntry.objects.exists() or AuditSeal.objects.exists()):
                report.problem = ChainProblem(None, None, f"the audit keys file {settings.AUDIT_KEYS_FILE} is "
                                                          "missing: nothing can be verified without it")
                return report
            chain_problem = _check_chain(signed, report)
            scan = _RowScan(keyring or Keyring("", {}), report)
            scan.run()
    except (DatabaseError, TypeError, ValueError):
        if chain_problem is None:
            raise
        report.problem = chain_problem  # blocks so damaged that their rows cannot even be walked
        return report
    report.problem = scan.altered or chain_problem or scan.row_problem or scan.block_problem
    return report


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent read of every table while sealers keep writing: REPEATABLE READ on
    PostgreSQL; on SQLite a deferred (read) transaction, which takes no write lock, instead of the
    project's BEGIN IMMEDIATE."""
    if connection.in_atomic_block:
        yield
        return
    sqlite_mode = getattr(connection, "transaction_mode", None)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    finally:
        if connection.vendor == "sqlite":
            connection.transaction_mode = sqlite_mode  # type: ignore[attr-defined]


def _check_chain(signed: dict[int, Any], report: AuditReport) -> ChainProblem | None:
    """The blocks in number order: consecutive, each linked to the one before, their runs and
    totals consistent; the head on the last block; every signed checkpoint on a block with its hash."""
    expected, prev_hash, total = 1, GENESIS, 0
    blocks = AuditSeal.objects.order_by("number").values_list("number", "prev_hash", "hash", "count", "total", "runs")
    for number, block_prev, block_hash, count, block_total, runs in blocks.iterator(chunk_size=2000):
        if number != expected:
            where = f"block {number} follows block {expected - 1}" if expected > 1 else f"the first block is {number}"
            return ChainProblem(None, None, f"missing ({where})", block=expected)
        if block_prev != prev_hash:
            return ChainProblem(None, None, "prev_hash does not match the hash of the block before it", block=number)
        if _runs_size(runs) != count:
            return ChainProblem(None, None, f"its runs do not hold the {count:,} rows it counts", block=number)
        if block_total != total + count:
            return ChainProblem(None, None, f"its running total {block_total:,} does not follow the block "
                                            f"before it ({total:,} + {count:,})", block=number)
        if (checkpoint := signed.get(number)) and (checkpoint.hash, checkpoint.rows) != (block_hash, block_total):
            return ChainProblem(None, None, f"does not match the signed checkpoint ({checkpoint.where}): "
                                            "the block was rewritten", block=number)
        prev_hash, total, expected = block_hash, block_total, expected + 1
    last = report.blocks = expected - 1
    head = AuditSealHead.objects.filter(id=1).first()
    if head is None and last:
        return ChainProblem(None, None, "the seal head is missing")
    if head is not None and head.number != last:
        ending = "blocks deleted from the end" if head.number > last else "a block added outside the sealer"
        return ChainProblem(None, None, f"the seal head records block {head.number}, the chain ends at "
                                        f"block {last} ({ending})")
    if head is not None and head.hash != prev_hash:
        return ChainProblem(None, None, f"the seal head's hash is not that of block {last} (rewritten)")
    beyond = [c for number, c in sorted(signed.items()) if number > last]
    if beyond:
        return ChainProblem(None, None, f"names block {beyond[0].block} ({beyond[0].rows:,} rows), but the "
                                        f"seal chain ends at block {last}: blocks deleted from the end",
                            checkpoint=beyond[0].where)
    report.checkpoints = len(signed)
    return None


def _runs_size(runs: Any) -> int | None:
    try:
        if not runs or any(last < first for first, last in runs):
            return None
        return sum(last - first + 1 for first, last in runs)
    except (TypeError, ValueError):
        return None


class _BlockCheck:
    """A block whose rows the scan is walking: its HMAC, fed row by row in seq order."""

    def __init__(self, number: int, runs: int, prev_hash: str, block_hash: str, key_id: str, count: int,
                 total: int, sealed_at: Any, keyring: Keyring):
        self.number, self.runs_left, self.hash = number, runs, block_hash
        key = keyring.keys.get(key_id)
        self.unknown_key = "" if key is not None else key_id
        self.hmac = hmac.new(key or b"", _block_start(number, prev_hash, count, total, _db_datetime(sealed_at)),
                             hashlib.sha256)

    def problem(self) -> ChainProblem | None:
        if self.unknown_key:
            return ChainProblem(None, None, f"keyed with {self.unknown_key!r}, a key the keys file does not hold",
                                block=self.number)
        if not hmac.compare_digest(self.hmac.hexdigest(), self.hash):
            return ChainProblem(None, None, "its rows or its header do not match its hash (rewritten)",
                                block=self.number)
        return None


def _db_datetime(value: Any) -> dt.datetime:
    """A timestamp read in raw SQL: PostgreSQL returns it aware; SQLite returns Django's UTC text
    (parsed, but naive, when the column is declared datetime)."""
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(value)
    assert parsed is not None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass
class _RowScan:
    """Walks the rows, the seqs the blocks cover and the pending marks side by side, in seq order."""

    keyring: Keyring
    report: AuditReport
    altered: ChainProblem | None = None
    row_problem: ChainProblem | None = None
    block_problem: ChainProblem | None = None

    def run(self) -> None:
        entries = _entry_rows()
        covered = _covered_seqs(self.keyring)
        pending = _pending_marks()
        row, cover, mark = next(entries, None), next(covered, None), next(pending, None)
        while row is not None or cover is not None or mark is not None:
            seq: int = min(x for x in (row[0] if row is not None else None, cover[0] if cover is not None else None,
                                       mark[0] if mark is not None else None) if x is not None)
            blocks: list[tuple[_BlockCheck, bool]] = []
            while cover is not None and cover[0] == seq:
                blocks.append((cover[1], cover[2]))
                cover = next(covered, None)
            pending_mac = mark[1] if mark is not None and mark[0] == seq else None
            if pending_mac is not None:
                mark = next(pending, None)
            here = row if row is not None and row[0] == seq else None
            if here is not None:
                row = next(entries, None)
            if self._check(seq, here, [block for block, _ in blocks], pending_mac):
                return
            mac = here[-1] if here is not None else ""  # (a covered row is there, or _check ended the scan)
            for block, block_done in blocks:
                block.hmac.update(_block_row(seq, mac))
                if block_done and self.block_problem is None:
                    self.block_problem = block.problem()

    def _check(self, seq: int, row: tuple | None, blocks: list[_BlockCheck], pending_mac: str | None) -> bool:
        """Check one seq (pending_mac: what its pending mark holds, if it has one); True when it ends
        the scan."""
        is_pending = pending_mac is not None
        if row is None:
            where = f"sealed in block {blocks[0].number}" if blocks else "it was waiting for a seal"
            self.row_problem = ChainProblem(seq, None, f"missing ({where})")
            return True
        if not blocks and not is_pending:
            if self._mac_problem(row) is not None:
                self.altered = ChainProblem(seq, seq, "not in any seal and not pending (inserted outside the log)")
            else:
                self.row_problem = ChainProblem(seq, seq, "not in any seal and not pending (its pending mark or "
                                                          "its block was deleted)")
            return True
        if (problem := self._mac_problem(row)) is not None:
            self.altered = ChainProblem(seq, seq, problem)
            return True
        if len(blocks) > 1:
            numbers = " and ".join(str(n) for n in sorted(b.number for b in blocks))
            self.row_problem = ChainProblem(seq, seq, f"sealed more than once (blocks {numbers})")
            return True
        if blocks and is_pending:
            self.row_problem = ChainProblem(seq, seq, f"sealed in block {blocks[0].number} and still marked pending")
            return True
        if is_pending and pending_mac != row[-1]:
            self.row_problem = ChainProblem(seq, seq, "its pending mark holds another MAC (changed before its seal)")
            return True
        self.report.rows += 1
        if blocks:
            self.report.sealed += 1
        else:
            self.report.pending += 1
        return False

    def _mac_problem(self, row: tuple) -> str | None:
        seq, at, actor_id, actor_username, action, object_type, object_id, unit_path, before, after, key_id, mac = row
        key = self.keyring.keys.get(key_id)
        if key is None:
            return f"keyed with {key_id!r}, a key the keys file does not hold (altered)"
        expected = row_mac(key, seq, _timestamp(at), actor_id, actor_username, action, object_type, object_id,
                           unit_path, before, after)
        if not hmac.compare_digest(expected, mac):
            return "content does not match its MAC (altered)"
        return None


_ENTRY_COLUMNS = ("seq", "at", "actor_id", "actor_username", "action", "object_type", "object_id", "unit_path",
                  "before", "after", "key_id", "mac")


def _entry_rows() -> Iterator[tuple]:
    return AuditEntry.objects.order_by("seq").values_list(*_ENTRY_COLUMNS).iterator(chunk_size=2000)


def _pending_marks() -> Iterator[tuple[int, str]]:
    return AuditPending.objects.order_by("seq").values_list("seq", "mac").iterator(chunk_size=5000)


def _covered_seqs(keyring: Keyring) -> Iterator[tuple[int, _BlockCheck, bool]]:
    """(seq, its block, whether it is the block's last row) for every seq a block covers, in seq
    order (a seq covered twice comes twice). The blocks' runs come from the database sorted by their
    first seq; only the blocks whose runs are under way are in memory."""
    active: list[tuple[int, int, int]] = []  # heap of (next seq, last seq of the run, block number)
    blocks: dict[int, _BlockCheck] = {}
    runs = _runs_by_first_seq()
    upcoming = next(runs, None)
    while active or upcoming is not None:
        if upcoming is not None and (not active or upcoming[0] <= active[0][0]):
            first, last, number, run_count, prev_hash, block_hash, key_id, count, total, sealed_at = upcoming
            if number not in blocks:
                blocks[number] = _BlockCheck(number, run_count, prev_hash, block_hash, key_id, count, total,
                                             sealed_at, keyring)
            heapq.heappush(active, (first, last, number))
            upcoming = next(runs, None)
            continue
        seq, last, number = heapq.heappop(active)
        block = blocks[number]
        block_done = False
        if seq < last:
            heapq.heappush(active, (seq + 1, last, number))
        else:
            block.runs_left -= 1
            if block.runs_left == 0:
                block_done = True
                del blocks[number]
        yield seq, block, block_done


def _runs_by_first_seq() -> Iterator[tuple]:
    """(first, last, block number, the block's run count, prev_hash, hash, key_id, count, total,
    sealed_at) for every run of every block, sorted by first seq (by the database: it may be more
    runs than fit in memory)."""
    quote = connection.ops.quote_name
    table = quote(AuditSeal._meta.db_table)
    header = "s.prev_hash, s.hash, s.key_id, s.count, s.total, s.sealed_at"
    if connection.vendor == "postgresql":
        sql = (f"SELECT (r.value->>0)::bigint, (r.value->>1)::bigint, s.number, jsonb_array_length(s.runs), {header} "
               f"FROM {table} s CROSS JOIN LATERAL jsonb_array_elements(s.runs) AS r(value) ORDER BY 1, 3")
    else:
        sql = (f"SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), s.number, "
               f"json_array_length(s.runs), {header} FROM {table} s, json_each(s.runs) r ORDER BY 1, 3")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(2000):
            yield from chunk
