"""Writers and sealers on PostgreSQL, with real threads, each on its own connection: no writer
waits for another's audit row, and every committed row ends up sealed exactly once.

(Not collected on SQLite, tests/core/conftest.py: SQLite runs one write transaction at a time
whatever the audit does.)"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from dangvien.core import audit
from dangvien.core.audit import audit_check, audit_record, audit_seal
from dangvien.core.models import AuditEntry, AuditPending, AuditSeal, AuditSealHead

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, *args, name: str | None = None) -> threading.Thread:
    def run():
        try:
            target(*args)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def _write(name: str) -> AuditEntry:
    return audit_record(actor=None, action="test.write", object_type="thing", object_id=name)


def _every_row_sealed_once() -> None:
    report = audit_check()
    assert report.problem is None
    assert (report.rows, report.sealed, report.pending) == (AuditEntry.objects.count(),) * 2 + (0,)
    assert not AuditPending.objects.exists()


def test_a_writer_does_not_wait_for_an_open_transaction_that_wrote_audit_rows():
    """The old chain locked its head until the writer's commit: a 35-second import held every
    other writer for 35 seconds. Now a second writer commits while the first is still open."""
    written, release = threading.Event(), threading.Event()

    def long_transaction():
        with transaction.atomic():
            _write("long")
            written.set()
            release.wait(30)

    long = _in_thread(long_transaction)
    try:
        assert written.wait(10)
        started = time.monotonic()
        quick = _in_thread(_write, "quick")
        quick.join(10)
        took = time.monotonic() - started
        assert not quick.is_alive(), "the second writer waited for the first one's transaction"
        assert took < 5
        # Committed and sealed while the long transaction is still open.
        assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["quick"]
        assert not AuditPending.objects.exists()
    finally:
        release.set()
        long.join(30)
    _every_row_sealed_once()


def test_rows_committed_while_a_sealer_holds_the_head_are_sealed_by_it(monkeypatch):
    """A writer whose sealer finds the head locked leaves its rows to the sealer holding it; that
    sealer looks again after releasing the head, so nothing stays pending."""
    AuditSealHead.objects.get_or_create(id=1)  # made by migration 0002; a transactional test's flush deletes it
    holding, release = threading.Event(), threading.Event()
    seal_block = audit._seal_block

    def slow_seal_block(head, batch):
        sealed = seal_block(head, batch)
        if threading.current_thread().name == "first-sealer" and not holding.is_set():
            holding.set()
            release.wait(30)  # still holding the head's lock
        return sealed

    monkeypatch.setattr(audit, "_seal_block", slow_seal_block)
    seal_committed = audit._seal_committed
    monkeypatch.setattr(audit, "_seal_committed", lambda: None)
    first = _write("first")  # committed, left pending: the first sealer's work
    monkeypatch.setattr(audit, "_seal_committed", seal_committed)

    sealer = _in_thread(audit_seal, name="first-sealer")
    try:
        assert holding.wait(10)
        started = time.monotonic()
        writer = _in_thread(_write, "during")
        writer.join(10)
        assert not writer.is_alive() and time.monotonic() - started < 5  # its seal did not wait for the head
        during = AuditEntry.objects.get(object_id="during")
        assert AuditPending.objects.filter(seq=during.seq).exists()  # left to the sealer holding the head
    finally:
        release.set()
        sealer.join(30)
    # Sealed by the first sealer after it let go of the head: nobody sealed again.
    assert list(AuditSeal.objects.order_by("number").values_list("runs", flat=True)) == [
        [[first.seq, first.seq]], [[during.seq, during.seq]]]
    _every_row_sealed_once()


def test_concurrent_writers_every_row_sealed_exactly_once():
    def writer(name: str) -> None:
        for i in range(25):
            with transaction.atomic():
                _write(f"{name}-{i}")
                if i % 5 == 0:
                    audit.audit_record_many(actor=None, entries=[
                        {"action": "test.many", "object_type": "thing", "object_id": f"{name}-{i}-{j}"}
                        for j in range(20)])

    threads = [_in_thread(writer, f"w{n}") for n in range(4)]
    for thread in threads:
        thread.join(120)
    assert AuditEntry.objects.count() == 4 * (25 + 5 * 20)
    # A sealer stops after a few passes for others' rows (audit.SEAL_TOP_UPS); what the last one left
    # goes to the next seal, here the backstop `dangvien audit seal` runs.
    audit_seal()
    _every_row_sealed_once()
    # Each block covers rows once (checked above); the chain's blocks hold all of them.
    assert sum(AuditSeal.objects.values_list("count", flat=True)) == 4 * (25 + 5 * 20)
