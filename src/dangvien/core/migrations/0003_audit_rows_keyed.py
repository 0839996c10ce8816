"""Key the existing audit rows and leave them pending for the first seal (`dangvien audit seal`, or
the next audited write; migrate runs a seal at its end, core.apps).

The old hash chain is checked first: keying rows would vouch for them, so a chain that does not
verify stops the migration (set DANGVIEN_AUDIT_ACCEPT_BROKEN_CHAIN=1 to key it anyway, once the
break is understood; the migration prints it). The chain's own check is frozen here, as it was in
core.audit before this migration."""

import hashlib
import os

from django.db import migrations

GENESIS = "0" * 64
_BATCH = 5000


def _timestamp(at):
    import datetime as dt

    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _old_chain_problem(AuditEntry, AuditChainHead, canonical_json):
    """The first break of the SHA-256 chain (0001's schema), or None."""
    expected_seq, prev_hash, count, last = 1, GENESIS, 0, 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:_BATCH])
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return f"row seq={expected_seq}: missing (next present row is seq={entry.seq})"
            if entry.prev_hash != prev_hash:
                return f"row seq={entry.seq}: prev_hash does not match the row before it"
            digest = hashlib.sha256(canonical_json([
                entry.seq, _timestamp(entry.at), entry.actor_id, entry.actor_username, entry.action,
                entry.object_type, entry.object_id, entry.unit_path, entry.before, entry.after, entry.prev_hash,
            ])).hexdigest()
            if digest != entry.hash:
                return f"row seq={entry.seq}: content does not match its hash (altered)"
            prev_hash, expected_seq, count = entry.hash, expected_seq + 1, count + 1
        last = batch[-1].seq
    head = AuditChainHead.objects.filter(id=1).first()
    if count and (head is None or (head.seq, head.hash) != (count, prev_hash)):
        return f"the chain head does not match its last row (seq={count})"
    return None


def key_existing_rows(apps, schema_editor):
    from dangvien.core.audit import canonical_json, row_mac
    from dangvien.core.audit_keys import audit_keyring

    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    if not AuditEntry.objects.exists():
        return
    problem = _old_chain_problem(AuditEntry, AuditChainHead, canonical_json)
    if problem:
        if os.environ.get("DANGVIEN_AUDIT_ACCEPT_BROKEN_CHAIN") != "1":
            raise RuntimeError(f"The audit hash chain does not verify ({problem}). Keying its rows would vouch "
                               "for them: find out what changed first; to key them anyway, run the migration "
                               "again with DANGVIEN_AUDIT_ACCEPT_BROKEN_CHAIN=1.")
        print(f"\n  The audit hash chain does not verify ({problem}); keying its rows anyway.")
    keyring = audit_keyring()
    key_id, key = keyring.current, keyring.current_key
    quote = schema_editor.connection.ops.quote_name
    entry, pending = quote(AuditEntry._meta.db_table), quote("core_auditpending")
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            batch = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:_BATCH])
            if not batch:
                break
            macs = [(e.seq, row_mac(key, e.seq, _timestamp(e.at), e.actor_id, e.actor_username, e.action,
                                    e.object_type, e.object_id, e.unit_path, e.before, e.after)) for e in batch]
            cursor.executemany(f"UPDATE {entry} SET key_id = %s, mac = %s WHERE seq = %s",
                               [(key_id, mac, seq) for seq, mac in macs])
            cursor.executemany(f"INSERT INTO {pending} (seq, mac) VALUES (%s, %s)", macs)
            last = batch[-1].seq


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_audit_seals"),
    ]

    operations = [
        migrations.RunPython(key_existing_rows, migrations.RunPython.noop),
    ]
