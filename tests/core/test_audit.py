"""The keyed, sealed audit trail and `dangvien audit verify`.

Tampering is done with raw SQL, as an intruder with database access would, bypassing the model's
append-only save(). The pytest-django `db` fixture never runs on_commit callbacks: rows stay pending
until a test seals them (audit_seal) or runs the callbacks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from dangvien.core.audit import (
    GENESIS,
    _block_row,
    _block_start,
    audit_check,
    audit_record,
    audit_seal,
    audit_verify,
    entry_mac,
    jsonable,
)
from dangvien.core.audit_keys import audit_keyring
from dangvien.core.models import AuditEntry, AuditPending, AuditSeal, AuditSealHead
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


def _verify_command(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def _keys_on_file() -> dict[str, bytes]:
    data = json.loads(settings.AUDIT_KEYS_FILE.read_text())
    return {k: bytes.fromhex(v) for k, v in data["keys"].items()}


def _hand_mac(key: bytes, entry: AuditEntry) -> str:
    """The row's MAC computed here from the documented recipe: HMAC-SHA256 of the canonical JSON of
    [seq, time (UTC, microseconds), actor id, actor name, action, object type, object id, unit path,
    before, after]."""
    content = [entry.seq, entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"), entry.actor_id,
               entry.actor_username, entry.action, entry.object_type, entry.object_id, entry.unit_path,
               entry.before, entry.after]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _covered(block: AuditSeal) -> list[int]:
    return [seq for first, last in block.runs for seq in range(first, last + 1)]


# --- recording -----------------------------------------------------------------------------------


def test_record_keys_the_row_and_leaves_it_pending():
    admin = system_admin()
    first, second = _write(2, actor=admin)
    assert second.seq > first.seq
    assert first.key_id == second.key_id == audit_keyring().current == "k1"
    key = _keys_on_file()["k1"]
    for entry in (first, second):
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.mac == _hand_mac(key, stored) == entry.mac
    assert first.mac != second.mac
    assert first.actor_id == admin.pk and first.actor_username == "sysadmin"
    assert first.unit_path == "0001"
    # Nothing sealed inside the transaction: both rows wait for the seal that follows the commit.
    assert sorted(AuditPending.objects.values_list("seq", flat=True)) == [first.seq, second.seq]
    assert not AuditSeal.objects.exists()


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
    # Everything must survive a JSON round trip unchanged, or the stored row would not verify.
    assert json.loads(json.dumps(jsonable(value))) == jsonable(value)


def test_the_keys_file_is_made_on_first_use_private(tmp_path, settings):
    settings.AUDIT_KEYS_FILE = tmp_path / "sub" / "keys.json"
    keyring = audit_keyring()
    assert settings.AUDIT_KEYS_FILE.stat().st_mode & 0o777 == 0o600
    data = json.loads(settings.AUDIT_KEYS_FILE.read_text())
    assert data["current"] == "k1" and list(data["keys"]) == ["k1"] and len(bytes.fromhex(data["keys"]["k1"])) == 32
    assert audit_keyring() == keyring  # made once, then read


# --- sealing ---------------------------------------------------------------------------------------


def test_a_committed_transaction_is_sealed_in_one_block(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = _write(3)
    assert len(callbacks) == 1  # one seal for the transaction, however many rows it wrote
    block = AuditSeal.objects.get()
    assert (block.number, block.count, block.total, block.prev_hash) == (1, 3, 3, GENESIS)
    assert block.runs == [[rows[0].seq, rows[2].seq]]
    assert block.key_id == "k1"
    key = _keys_on_file()["k1"]
    message = (_block_start(1, GENESIS, 3, 3, block.sealed_at)
               + b"".join(b"%d:%s\n" % (r.seq, r.mac.encode()) for r in rows))
    assert block.hash == hmac.new(key, message, hashlib.sha256).hexdigest()
    assert not AuditPending.objects.exists()
    head = AuditSealHead.objects.get()
    assert (head.number, head.hash, head.total) == (1, block.hash, 3)
    assert audit_verify() == (3, None)


def test_a_rolled_back_write_leaves_nothing_to_seal(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _write(2)
            raise RuntimeError("the service failed after its audit row")
    assert callbacks == []
    assert not AuditEntry.objects.exists() and not AuditPending.objects.exists()


def test_seals_chain_in_order_and_large_seals_are_bounded_blocks():
    _write(2)
    assert audit_seal() == 2
    _write(5)
    assert audit_seal(batch=2) == 5
    blocks = list(AuditSeal.objects.order_by("number"))
    assert [(b.number, b.count, b.total) for b in blocks] == [(1, 2, 2), (2, 2, 4), (3, 2, 6), (4, 1, 7)]
    assert [b.prev_hash for b in blocks] == [GENESIS, *(b.hash for b in blocks[:-1])]
    assert audit_seal() == 0  # nothing left
    assert audit_verify() == (7, None)


def test_a_late_commit_with_lower_numbers_is_sealed_in_a_later_block():
    """A long transaction (an import) takes its numbers early and commits late: its rows are sealed
    after rows with higher numbers, in a block whose runs interleave with the others'."""
    early = _write(1)[0]
    AuditPending.objects.filter(seq=early.seq).delete()  # as if not committed yet
    later = _write(3)
    audit_seal()
    AuditPending.objects.create(seq=early.seq, mac=early.mac)  # "commits" now
    last = _write(1)[0]
    audit_seal()
    first_block, second_block = AuditSeal.objects.order_by("number")
    assert _covered(first_block) == [r.seq for r in later]
    assert second_block.runs == [[early.seq, early.seq], [last.seq, last.seq]]
    report = audit_check()
    assert (report.rows, report.sealed, report.blocks, report.pending, report.problem) == (5, 5, 2, 0, None)
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [early.seq])
    assert str(audit_verify()[1]) == f"row seq={early.seq}: missing (sealed in block 2)"


# --- verifying: intact -------------------------------------------------------------------------------


def test_empty_log_verifies():
    assert audit_verify() == (0, None)
    assert "audit trail intact: 0 rows verified (0 sealed in 0 blocks, 0 waiting for a seal)" in _verify_command()


def test_intact_trail_verifies_sealed_and_pending_rows():
    _write(4)
    audit_seal()
    _write(3)
    assert audit_verify() == (7, None)
    assert "audit trail intact: 7 rows verified (4 sealed in 1 block, 3 waiting for a seal)" in _verify_command()


def test_json_key_order_does_not_matter():
    """PostgreSQL's jsonb stores object keys in its own order (shorter keys first); the row must
    still verify after the round trip."""
    after = {"zeta_long_key": 1, "a": {"yy": 2, "b": [3, {"z": 1, "c": 2}]}, "mid": "Hà"}
    entry = audit_record(actor=None, action="x", object_type="y", object_id=1, before=after, after=after)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.after == after
    if connection.vendor == "postgresql":
        assert list(stored.after) != list(after)  # the premise: the database really reordered them
    audit_seal()
    assert audit_verify() == (1, None)


def test_mac_is_independent_of_key_order():
    key = audit_keyring().current_key
    entry = audit_record(actor=None, action="x", object_type="y", object_id=1, after={"b": 1, "a": 2})
    entry.after = {"a": 2, "b": 1}
    assert entry_mac(entry, key) == entry.mac
    entry.after = {"a": 2, "b": 3}
    assert entry_mac(entry, key) != entry.mac


# --- verifying: changed rows ----------------------------------------------------------------------


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "pending"])
def test_altered_after_names_exactly_that_row(sealed):
    rows = _write(5)
    if sealed:
        audit_seal()
    target = rows[2]
    changed = _raw(f"UPDATE core_auditentry SET after = {_json_param()} WHERE seq = %s",
                   [json.dumps({"n": 999, "name": "Hà 3"}), target.seq])
    assert changed == 1
    count, problem = audit_verify()
    assert problem is not None
    assert (problem.seq, problem.entry_id) == (target.seq, target.pk)
    assert "altered" in problem.reason
    assert count == 2  # the rows before it are good
    with pytest.raises(CommandError) as exc:
        _verify_command()
    assert f"row seq={target.seq} (id={target.pk}): content does not match its MAC (altered)" in str(exc.value)
    assert "after 2 good rows" in str(exc.value)


@pytest.mark.parametrize("column", ["action", "object_id", "actor_username", "unit_path", "mac"])
def test_altering_any_column_is_detected(column):
    rows = _write(4)
    audit_seal()
    _raw(f"UPDATE core_auditentry SET {column} = %s WHERE seq = %s", ["x" * 10, rows[1].seq])
    problem = audit_verify()[1]
    assert problem is not None and problem.seq == rows[1].seq and "altered" in problem.reason


def test_a_row_pointed_at_another_key_is_detected():
    rows = _write(2)
    _raw("UPDATE core_auditentry SET key_id = %s WHERE seq = %s", ["k9", rows[1].seq])
    problem = audit_verify()[1]
    assert str(problem) == (f"row seq={rows[1].seq} (id={rows[1].pk}): keyed with 'k9', a key the keys file "
                            "does not hold (altered)")


def test_altered_timestamp_is_detected():
    rows = _write(3)
    audit_seal()
    _raw("UPDATE core_auditentry SET at = %s WHERE seq = %s", [rows[1].at + dt.timedelta(seconds=1), rows[1].seq])
    assert audit_verify()[1].seq == rows[1].seq


def _forged(message: bytes, method: str) -> str:
    """What an attacker without the key can compute: a plain SHA-256, or an HMAC under a key of
    their own."""
    if method == "sha256":
        return hashlib.sha256(message).hexdigest()
    return hmac.new(b"the attacker's own key, not ours", message, hashlib.sha256).hexdigest()


def _rewrite_the_chain(method: str) -> None:
    """Recompute every block's hash over the rows as they now are, relink the chain, move the head."""
    prev = GENESIS
    for block in AuditSeal.objects.order_by("number"):
        macs = dict(AuditEntry.objects.filter(seq__in=_covered(block)).values_list("seq", "mac"))
        message = (_block_start(block.number, prev, block.count, block.total, block.sealed_at)
                   + b"".join(_block_row(seq, macs[seq]) for seq in _covered(block)))
        new_hash = _forged(message, method)
        _raw("UPDATE core_auditseal SET prev_hash = %s, hash = %s WHERE number = %s", [prev, new_hash, block.number])
        prev = new_hash
    _raw("UPDATE core_auditsealhead SET hash = %s", [prev])


@pytest.mark.parametrize("method", ["sha256", "wrong key"])
def test_a_rewritten_row_with_a_recomputed_chain_is_named(world, method):
    """The attack the old SHA-256 chain could not see: change who registered a member, recompute
    the row's MAC and every block after it (plain SHA-256, or a key of the attacker's own), rewrite
    the head."""
    audit_seal()
    _write(3)
    audit_seal()
    registration = AuditEntry.objects.filter(action="member.registered").order_by("seq").first()
    assert registration is not None and registration.actor_id == world.admin.pk
    registration.actor_id, registration.actor_username = world.officer_b.pk, world.officer_b.username
    content = [registration.seq, registration.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
               registration.actor_id, registration.actor_username, registration.action, registration.object_type,
               registration.object_id, registration.unit_path, registration.before, registration.after]
    forged_mac = _forged(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
                         method)
    _raw("UPDATE core_auditentry SET actor_id = %s, actor_username = %s, mac = %s WHERE seq = %s",
         [world.officer_b.pk, world.officer_b.username, forged_mac, registration.seq])
    _rewrite_the_chain(method)
    problem = audit_verify()[1]
    assert (problem.seq, problem.entry_id) == (registration.seq, registration.seq)
    assert problem.reason == "content does not match its MAC (altered)"


# --- verifying: deleted and inserted rows -----------------------------------------------------------


def test_deleted_sealed_row_is_named_with_its_block():
    rows = _write(6)
    audit_seal()
    assert _raw("DELETE FROM core_auditentry WHERE seq = %s", [rows[3].seq]) == 1
    count, problem = audit_verify()
    assert (count, problem.seq, problem.entry_id) == (3, rows[3].seq, None)
    with pytest.raises(CommandError, match=rf"row seq={rows[3].seq}: missing \(sealed in block 1\)"):
        _verify_command()


def test_deleted_first_and_last_sealed_rows_are_named():
    rows = _write(3)
    audit_seal()
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [rows[-1].seq])
    assert str(audit_verify()[1]) == f"row seq={rows[-1].seq}: missing (sealed in block 1)"
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [rows[0].seq])
    count, problem = audit_verify()
    assert (count, str(problem)) == (0, f"row seq={rows[0].seq}: missing (sealed in block 1)")


def test_deleted_pending_row_is_named():
    rows = _write(3)
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [rows[1].seq])
    assert str(audit_verify()[1]) == f"row seq={rows[1].seq}: missing (it was waiting for a seal)"
    assert audit_seal() == 3  # sealed from its pending mark all the same: its block names it
    assert str(audit_verify()[1]) == f"row seq={rows[1].seq}: missing (sealed in block 1)"


def test_a_pending_mark_with_another_mac_is_caught_before_and_after_the_seal():
    rows = _write(2)
    _raw("UPDATE core_auditpending SET mac = %s WHERE seq = %s", ["0" * 64, rows[0].seq])
    assert str(audit_verify()[1]) == (f"row seq={rows[0].seq} (id={rows[0].pk}): its pending mark holds another "
                                      "MAC (changed before its seal)")
    audit_seal()  # the block seals the MAC of the mark, not the row's
    assert str(audit_verify()[1]) == "block 1: its rows or its header do not match its hash (rewritten)"


def test_a_pending_row_deleted_with_its_mark_before_the_seal_goes_unnoticed():
    """The window the design leaves open (docs/architecture.md): between a commit and its seal, a
    row deleted together with its pending mark leaves no trace. On-commit sealing keeps it short."""
    rows = _write(3)
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [rows[1].seq])
    _raw("DELETE FROM core_auditpending WHERE seq = %s", [rows[1].seq])
    assert audit_verify() == (2, None)


def test_row_inserted_outside_the_log_is_caught():
    """A forged row: the intruder has no key, so its MAC is whatever they make up."""
    rows = _write(2)
    audit_seal()
    forged = AuditEntry(seq=rows[-1].seq + 10, at=rows[-1].at, actor_username="intruder", action="x",
                        object_type="y", object_id="1", before=None, after=None, key_id="k1", mac="0" * 64)
    forged.save(force_insert=True)  # a new row: the model allows appending, as an INSERT would
    count, problem = audit_verify()
    assert count == 2
    assert str(problem) == f"row seq={forged.seq} (id={forged.seq}): not in any seal and not pending (inserted outside the log)"


def test_row_inserted_with_a_pending_mark_is_caught_by_its_mac():
    rows = _write(1)
    forged = AuditEntry(seq=rows[-1].seq + 1, at=rows[-1].at, actor_username="intruder", action="x",
                        object_type="y", object_id="1", before=None, after=None, key_id="k1", mac=rows[0].mac)
    forged.save(force_insert=True)
    AuditPending.objects.create(seq=forged.seq, mac=forged.mac)
    audit_seal()  # sealed with the others: the seal does not vouch for a MAC, verification checks it
    problem = audit_verify()[1]
    assert (problem.seq, problem.reason) == (forged.seq, "content does not match its MAC (altered)")


def test_a_row_whose_pending_mark_was_deleted_is_caught():
    rows = _write(2)
    _raw("DELETE FROM core_auditpending WHERE seq = %s", [rows[0].seq])
    assert str(audit_verify()[1]) == (f"row seq={rows[0].seq} (id={rows[0].pk}): not in any seal and not pending "
                                      "(its pending mark or its block was deleted)")


def test_a_row_sealed_twice_or_sealed_and_pending_is_caught():
    rows = _write(2)
    audit_seal()
    AuditPending.objects.create(seq=rows[0].seq, mac=rows[0].mac)
    assert str(audit_verify()[1]) == f"row seq={rows[0].seq} (id={rows[0].pk}): sealed in block 1 and still marked pending"
    audit_seal()
    assert str(audit_verify()[1]) == f"row seq={rows[0].seq} (id={rows[0].pk}): sealed more than once (blocks 1 and 2)"


# --- verifying: blocks and head --------------------------------------------------------------------


def _three_blocks() -> list[AuditEntry]:
    rows = []
    for _ in range(3):
        rows += _write(2)
        audit_seal()
    return rows


def test_deleted_middle_block_is_named():
    _three_blocks()
    _raw("DELETE FROM core_auditseal WHERE number = 2", [])
    assert str(audit_verify()[1]) == "block 2: missing (block 3 follows block 1)"


def test_deleted_last_block_is_caught_by_the_head():
    _three_blocks()
    _raw("DELETE FROM core_auditseal WHERE number = 3", [])
    assert str(audit_verify()[1]) == "the seal head records block 3, the chain ends at block 2 (blocks deleted from the end)"


def test_a_head_with_another_hash_is_caught():
    _three_blocks()
    _raw("UPDATE core_auditsealhead SET hash = %s", ["a" * 64])
    assert str(audit_verify()[1]) == "the seal head's hash is not that of block 3 (rewritten)"


def test_deleted_head_is_caught():
    _three_blocks()
    _raw("DELETE FROM core_auditsealhead", [])
    assert str(audit_verify()[1]) == "the seal head is missing"


def test_a_block_with_a_changed_hash_or_runs_is_caught():
    rows = _three_blocks()
    _raw("UPDATE core_auditseal SET hash = %s WHERE number = 3", ["f" * 64])
    _raw("UPDATE core_auditsealhead SET hash = %s", ["f" * 64])
    assert str(audit_verify()[1]) == "block 3: its rows or its header do not match its hash (rewritten)"
    _raw("UPDATE core_auditseal SET prev_hash = %s WHERE number = 2", ["e" * 64])
    assert str(audit_verify()[1]) == "block 2: prev_hash does not match the hash of the block before it"
    # Dropping a row from a block's runs: the runs no longer hold the count.
    _raw(f"UPDATE core_auditseal SET runs = {_json_param()} WHERE number = 1", [json.dumps([[rows[0].seq, rows[0].seq]])])
    assert str(audit_verify()[1]) == "block 1: its runs do not hold the 2 rows it counts"


def test_missing_keys_file_is_reported(settings, tmp_path):
    _write(1)
    settings.AUDIT_KEYS_FILE = tmp_path / "gone.json"
    problem = audit_verify()[1]
    assert str(problem) == f"the audit keys file {tmp_path / 'gone.json'} is missing: nothing can be verified without it"
    assert not (tmp_path / "gone.json").exists()  # verification never makes a key


# --- keys ------------------------------------------------------------------------------------------


def test_rows_and_blocks_under_old_and_new_keys_verify_after_a_rotation(settings, tmp_path):
    settings.AUDIT_KEYS_FILE = tmp_path / "keys.json"
    old = _write(2)
    audit_seal()
    out = StringIO()
    call_command("audit", "rotate-key", stdout=out)
    assert "audit key k2 is now current; kept for verification: k1" in out.getvalue()
    new = _write(2)
    audit_seal()
    assert [r.key_id for r in old + new] == ["k1", "k1", "k2", "k2"]
    assert list(AuditSeal.objects.order_by("number").values_list("key_id", flat=True)) == ["k1", "k2"]
    keys = _keys_on_file()
    assert sorted(keys) == ["k1", "k2"] and keys["k1"] != keys["k2"]
    assert settings.AUDIT_KEYS_FILE.stat().st_mode & 0o777 == 0o600
    assert audit_verify() == (4, None)
    # The old key is what makes the old rows verify.
    data = json.loads(settings.AUDIT_KEYS_FILE.read_text())
    del data["keys"]["k1"]
    settings.AUDIT_KEYS_FILE.write_text(json.dumps(data))
    problem = audit_verify()[1]
    assert str(problem) == f"row seq={old[0].seq} (id={old[0].pk}): keyed with 'k1', a key the keys file does not hold (altered)"


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
