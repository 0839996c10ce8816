"""The hash-chained audit log and `dangvien audit verify`.

Tampering is done with raw SQL, as an intruder with database access would, bypassing the model's
append-only save()."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dangvien.core.audit import GENESIS, _digest, audit_record, audit_verify, jsonable
from dangvien.core.models import AuditChainHead, AuditEntry
from tests.factories import system_admin

pytestmark = pytest.mark.django_db


def _write(n: int, actor=None) -> list[AuditEntry]:
    return [
        audit_record(actor=actor, action="test.write", object_type="thing", object_id=i,
                     before={"n": i - 1}, after={"n": i, "name": f"Hà {i}"}, unit_path="0001")
        for i in range(1, n + 1)
    ]


def _raw(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _json_param() -> str:
    # PostgreSQL will not put a text parameter into a jsonb column without a cast.
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def _verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


# --- recording -----------------------------------------------------------------------------------


def test_record_chains_rows_and_moves_the_head():
    admin = system_admin()
    first, second = _write(2, actor=admin)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert len(first.hash) == 64 and first.hash != second.hash
    assert first.actor_id == admin.pk and first.actor_username == "sysadmin"
    assert first.unit_path == "0001"
    head = AuditChainHead.objects.get(id=1)
    assert (head.seq, head.hash) == (2, second.hash)


def test_record_without_actor_is_by_system():
    entry = audit_record(actor=None, action="x", object_type="y", object_id=1)
    assert entry.actor_id is None
    assert entry.actor_username == "system"
    assert entry.before is None and entry.after is None


def test_jsonable_stores_dates_models_and_other_values_as_json():
    admin = system_admin()
    value = {"d": dt.date(2025, 7, 1), "t": dt.datetime(2025, 7, 1, 8, 30, tzinfo=dt.UTC), "user": admin,
             "tuple": (1, "a"), "dec": Decimal("1.50"), 3: None, "flag": True}
    assert jsonable(value) == {"d": "2025-07-01", "t": "2025-07-01T08:30:00+00:00", "user": admin.pk,
                               "tuple": [1, "a"], "dec": "1.50", "3": None, "flag": True}
    # Everything must survive a JSON round trip unchanged, or the stored row would not hash the same.
    assert json.loads(json.dumps(jsonable(value))) == jsonable(value)


# --- verifying -----------------------------------------------------------------------------------


def test_empty_log_verifies():
    assert audit_verify() == (0, None)
    assert "audit chain intact: 0 rows verified" in _verify_command()


def test_intact_chain_verifies():
    _write(7)
    assert audit_verify() == (7, None)
    assert "audit chain intact: 7 rows verified" in _verify_command()


def test_intact_chain_verifies_across_batches(monkeypatch):
    """Verification streams rows in batches; a chain longer than one batch must still link up, and
    a gap at a batch boundary must still be found."""
    from dangvien.core import audit

    monkeypatch.setattr(audit, "_BATCH", 5)
    rows = _write(12)
    assert audit_verify() == (12, None)
    _raw("DELETE FROM core_auditentry WHERE id = %s", [rows[5].pk])
    assert audit_verify()[1].seq == 6


def test_altered_after_names_exactly_that_row():
    rows = _write(5)
    target = rows[2]
    changed = _raw(f"UPDATE core_auditentry SET after = {_json_param()} WHERE id = %s",
                   [json.dumps({"n": 999, "name": "Hà 3"}), target.pk])
    assert changed == 1
    count, problem = audit_verify()
    assert problem is not None
    assert (problem.seq, problem.entry_id) == (3, target.pk)
    assert "altered" in problem.reason
    assert count == 2  # the rows before it are good
    with pytest.raises(CommandError) as exc:
        _verify_command()
    assert f"row seq=3 (id={target.pk})" in str(exc.value)
    assert "after 2 good rows" in str(exc.value)


@pytest.mark.parametrize("column", ["action", "object_id", "actor_username", "unit_path", "prev_hash"])
def test_altering_any_column_is_detected(column):
    rows = _write(4)
    _raw(f"UPDATE core_auditentry SET {column} = %s WHERE id = %s", ["x" * 10, rows[1].pk])
    problem = audit_verify()[1]
    assert problem is not None and problem.seq == 2


def test_altered_timestamp_is_detected():
    rows = _write(3)
    _raw("UPDATE core_auditentry SET at = %s WHERE id = %s",
         [rows[1].at + dt.timedelta(seconds=1), rows[1].pk])
    assert audit_verify()[1].seq == 2


def test_row_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next_row():
    rows = _write(4)
    entry = AuditEntry.objects.get(pk=rows[1].pk)
    entry.after = {"n": 42}
    new_hash = _digest(entry)
    _raw(f"UPDATE core_auditentry SET after = {_json_param()}, hash = %s WHERE id = %s",
         [json.dumps({"n": 42}), new_hash, entry.pk])
    problem = audit_verify()[1]
    assert (problem.seq, problem.entry_id) == (3, rows[2].pk)
    assert "prev_hash" in problem.reason


def test_deleted_middle_row_is_named_as_missing():
    rows = _write(6)
    assert _raw("DELETE FROM core_auditentry WHERE id = %s", [rows[3].pk]) == 1
    count, problem = audit_verify()
    assert (count, problem.seq, problem.entry_id) == (3, 4, None)
    assert "missing" in problem.reason
    with pytest.raises(CommandError, match=r"row seq=4: missing \(next present row is seq=5\)"):
        _verify_command()


def test_deleted_first_row_is_named_as_missing():
    rows = _write(3)
    _raw("DELETE FROM core_auditentry WHERE id = %s", [rows[0].pk])
    count, problem = audit_verify()
    assert (count, problem.seq) == (0, 1)
    assert "missing" in problem.reason


def test_deleted_last_row_is_caught_by_the_chain_head():
    rows = _write(5)
    _raw("DELETE FROM core_auditentry WHERE id = %s", [rows[-1].pk])
    count, problem = audit_verify()
    assert count == 4
    assert problem.seq == 5
    assert "chain head records 5 rows" in problem.reason
    with pytest.raises(CommandError, match="row seq=5"):
        _verify_command()


def test_deleted_last_rows_and_head_are_caught():
    _write(3)
    _raw("DELETE FROM core_auditchainhead", [])
    count, problem = audit_verify()
    assert count == 3 and problem is not None
    assert "head is missing" in problem.reason


def test_row_added_outside_the_log_is_caught():
    """A forged row with a correct hash, inserted without moving the head."""
    rows = _write(2)
    forged = AuditEntry(seq=3, at=rows[-1].at, actor_username="intruder", action="x", object_type="y",
                        object_id="1", before=None, after=None, prev_hash=rows[-1].hash)
    forged.hash = _digest(forged)
    forged.save()  # a new row: the model allows appending, as an INSERT would
    count, problem = audit_verify()
    assert count == 3
    assert problem.seq == 3 and "outside the log" in problem.reason


def test_json_key_order_does_not_matter():
    """PostgreSQL's jsonb stores object keys in its own order (shorter keys first); the chain must
    still verify after the round trip."""
    after = {"zeta_long_key": 1, "a": {"yy": 2, "b": [3, {"z": 1, "c": 2}]}, "mid": "Hà"}
    entry = audit_record(actor=None, action="x", object_type="y", object_id=1, before=after, after=after)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.after == after
    if connection.vendor == "postgresql":
        assert list(stored.after) != list(after)  # the premise: the database really reordered them
    assert audit_verify() == (1, None)


def test_digest_is_independent_of_key_order():
    entry = audit_record(actor=None, action="x", object_type="y", object_id=1, after={"b": 1, "a": 2})
    entry.after = {"a": 2, "b": 1}
    assert _digest(entry) == entry.hash
    entry.after = {"a": 2, "b": 3}
    assert _digest(entry) != entry.hash


# --- append-only at the model level -------------------------------------------------------------


def test_saving_an_existing_entry_is_refused():
    entry = _write(1)[0]
    entry.after = {"n": 2}
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).after == {"n": 1, "name": "Hà 1"}


def test_deleting_an_entry_is_refused():
    entry = _write(1)[0]
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert audit_verify() == (1, None)
