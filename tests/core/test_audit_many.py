"""audit_record_many: many rows in one bulk insert, keyed exactly as one audit_record call each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from dangvien.core.audit import audit_record, audit_record_many, audit_seal, audit_verify, entry_mac
from dangvien.core.audit_keys import audit_keyring
from dangvien.core.models import AuditEntry, AuditPending, AuditSeal
from tests.factories import system_admin

pytestmark = pytest.mark.django_db


def _entries(n: int, start: int = 1) -> list[dict]:
    return [{"action": "test.many", "object_type": "thing", "object_id": i, "unit_path": "0001",
             "before": None if i % 2 else {"n": i - 1}, "after": {"n": i, "name": f"Hoà {i}", "day": dt.date(2020, 1, i % 28 + 1)}}
            for i in range(start, start + n)]


def test_rows_are_numbered_in_order_keyed_and_pending():
    admin = system_admin()
    assert audit_record_many(actor=admin, entries=_entries(5)) == 5
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 5))
    assert [r.object_id for r in rows] == ["1", "2", "3", "4", "5"]
    # The MAC of each row as read back from the database (jsonb on PostgreSQL) matches.
    key = audit_keyring().current_key
    assert all(r.key_id == "k1" and entry_mac(r, key) == r.mac for r in rows)
    assert len({r.mac for r in rows}) == 5
    assert rows[2].after == {"n": 3, "name": "Hoà 3", "day": "2020-01-04"}  # jsonable, as audit_record stores
    assert rows[1].before == {"n": 1} and rows[0].before is None
    assert {r.actor_id for r in rows} == {admin.pk} and {r.actor_username for r in rows} == {"sysadmin"}
    assert sorted(AuditPending.objects.values_list("seq", flat=True)) == [r.seq for r in rows]
    assert audit_verify() == (5, None)


def test_mixes_with_single_appends_before_and_after():
    audit_record(actor=None, action="test.one", object_type="thing", object_id=0)
    audit_record_many(actor=None, entries=_entries(3))
    audit_record(actor=None, action="test.one", object_type="thing", object_id=99)
    assert list(AuditEntry.objects.order_by("seq").values_list("action", "object_id")) == [
        ("test.one", "0"), ("test.many", "1"), ("test.many", "2"), ("test.many", "3"), ("test.one", "99")]
    assert AuditEntry.objects.get(action="test.many", object_id="1").actor_username == "system"
    assert audit_verify() == (5, None)


def test_many_rows_in_one_pass_verify_and_seal_in_bounded_blocks():
    assert audit_record_many(actor=None, entries=_entries(250)) == 250
    assert AuditEntry.objects.count() == 250
    assert audit_verify() == (250, None)
    assert audit_seal(batch=100) == 250
    assert list(AuditSeal.objects.order_by("number").values_list("count", flat=True)) == [100, 100, 50]
    assert audit_verify() == (250, None)


def test_one_seal_after_the_commit_of_a_bulk_write(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        audit_record_many(actor=None, entries=_entries(3))
        audit_record_many(actor=None, entries=_entries(3, start=4))
    assert len(callbacks) == 1
    assert AuditSeal.objects.get().count == 6 and not AuditPending.objects.exists()


def test_nothing_to_write_touches_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert audit_record_many(actor=None, entries=[]) == 0
    assert callbacks == []
    assert not AuditEntry.objects.exists() and not AuditPending.objects.exists()
    assert audit_verify() == (0, None)


def test_an_unknown_key_is_refused_before_anything_is_written():
    with pytest.raises(TypeError, match="afer"):
        audit_record_many(actor=None, entries=[*_entries(2), {"action": "x", "object_type": "t", "object_id": 1,
                                                               "afer": {}}])
    assert not AuditEntry.objects.exists()


def test_rolled_back_with_the_surrounding_transaction():
    audit_record(actor=None, action="test.one", object_type="thing", object_id=0)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record_many(actor=None, entries=_entries(3))
        raise RuntimeError("the import failed after its audit rows")
    assert AuditEntry.objects.count() == 1
    assert AuditPending.objects.count() == 1
    assert audit_verify() == (1, None)


def test_a_row_altered_after_a_bulk_append_is_detected():
    audit_record_many(actor=None, entries=_entries(4))
    third = AuditEntry.objects.order_by("seq")[2].seq
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE core_auditentry SET after = {cast} WHERE seq = %s", ['{"n": 300}', third])
    count, problem = audit_verify()
    assert count == 2 and problem is not None and problem.seq == third and "altered" in problem.reason
