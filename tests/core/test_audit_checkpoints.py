"""Signed checkpoints: `dangvien audit checkpoint`, `public-key`, and what `verify` learns from them
that the database alone cannot tell (a truncated tail, a chain rewritten by someone holding the key)."""

from __future__ import annotations

import base64
import json
import logging
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection

from dangvien.core.audit import (
    GENESIS,
    _block_row,
    _block_start,
    _mac,
    audit_check,
    audit_record,
    audit_seal,
    audit_verify,
    canonical_json,
    entry_mac,
)
from dangvien.core.audit_keys import audit_keyring
from dangvien.core.models import AuditEntry, AuditSeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(settings, tmp_path):
    settings.AUDIT_CHECKPOINTS = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_SIGNING_KEY = tmp_path / "signing.pem"
    return settings


def _command(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def _block_of_writes(n: int = 2) -> list[AuditEntry]:
    rows = [audit_record(actor=None, action="test.write", object_type="thing", object_id=i, after={"n": i})
            for i in range(n)]
    audit_seal()
    return rows


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_checkpoint_signs_the_head_appends_and_logs_it(files, caplog):
    _block_of_writes()
    audit_record(actor=None, action="test.write", object_type="thing", object_id=9)  # pending: sealed first
    with caplog.at_level(logging.INFO, logger="dangvien.audit.checkpoint"):
        out = _command("checkpoint")
    block = AuditSeal.objects.order_by("-number").first()
    assert (block.number, block.total) == (2, 3)
    assert out == f"checkpoint: block 2, 3 rows sealed, hash {block.hash}\n"
    lines = files.AUDIT_CHECKPOINTS.read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["block"], line["hash"], line["rows"]) == (2, block.hash, 3)
    assert [r.getMessage() for r in caplog.records if r.name == "dangvien.audit.checkpoint"] == [lines[0]]
    assert files.AUDIT_SIGNING_KEY.stat().st_mode & 0o777 == 0o600
    # Anyone with the printed public key can check the signature (raises if it does not match).
    public = serialization.load_pem_public_key(_command("public-key").encode())
    public.verify(base64.b64decode(line["signature"]),
                  canonical_json(["audit-checkpoint", 2, block.hash, 3, line["at"]]))


def test_checkpoint_of_an_empty_trail(files):
    _command("checkpoint")
    line = json.loads(files.AUDIT_CHECKPOINTS.read_text())
    assert (line["block"], line["hash"], line["rows"]) == (0, GENESIS, 0)
    assert audit_verify() == (0, None)


def test_checkpoints_agreeing_with_the_chain_verify(files):
    _block_of_writes()
    _command("checkpoint")
    _block_of_writes()
    _command("checkpoint")
    assert "audit trail intact: 4 rows verified (4 sealed in 2 blocks, 0 waiting for a seal); " \
           "2 signed checkpoints agree" in _command("verify")


def test_a_truncated_tail_is_caught_by_a_checkpoint(files):
    """Delete the last block and its rows, and set the head back on the block before: the database
    is consistent again, and only the exported checkpoint still knows the trail was longer."""
    _block_of_writes()
    last_rows = _block_of_writes()
    _command("checkpoint")
    _raw("DELETE FROM core_auditentry WHERE seq >= %s", [last_rows[0].seq])
    _raw("DELETE FROM core_auditseal WHERE number = 2", [])
    first = AuditSeal.objects.get(number=1)
    _raw("UPDATE core_auditsealhead SET number = 1, hash = %s, total = 2", [first.hash])
    elsewhere = files.AUDIT_CHECKPOINTS.rename(files.AUDIT_CHECKPOINTS.with_name("shipped.jsonl"))
    assert audit_verify() == (2, None)  # without the checkpoint nothing shows
    count, problem = audit_verify(checkpoints=elsewhere)
    assert str(problem) == (f"checkpoint line 1 of {elsewhere}: names block 2 (4 rows), but the seal chain ends "
                            "at block 1: blocks deleted from the end")
    with pytest.raises(CommandError, match="blocks deleted from the end"):
        _command("verify", "--checkpoints", str(elsewhere))


def test_a_chain_rewritten_with_the_key_is_caught_by_a_checkpoint(files):
    """Someone holding the HMAC key can rewrite a row and re-key everything after it; what was
    sealed before an exported checkpoint still cannot change unseen."""
    rows = _block_of_writes()
    _command("checkpoint")
    _block_of_writes()
    keyring = audit_keyring()
    target = AuditEntry.objects.get(seq=rows[0].seq)
    target.after = {"n": 1000}
    new_mac = entry_mac(target, keyring.current_key)
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    _raw(f"UPDATE core_auditentry SET after = {cast}, mac = %s WHERE seq = %s",
         [json.dumps(target.after), new_mac, target.seq])
    prev = GENESIS
    for block in AuditSeal.objects.order_by("number"):
        seqs = [s for first, last in block.runs for s in range(first, last + 1)]
        macs = dict(AuditEntry.objects.filter(seq__in=seqs).values_list("seq", "mac"))
        message = _block_start(block.number, prev, block.count, block.total, block.sealed_at)
        new_hash = _mac(keyring.current_key, message + b"".join(_block_row(s, macs[s]) for s in seqs))
        _raw("UPDATE core_auditseal SET prev_hash = %s, hash = %s WHERE number = %s", [prev, new_hash, block.number])
        prev = new_hash
    _raw("UPDATE core_auditsealhead SET hash = %s", [prev])
    elsewhere = files.AUDIT_CHECKPOINTS.rename(files.AUDIT_CHECKPOINTS.with_name("shipped.jsonl"))
    assert audit_verify() == (4, None)  # the key holder's rewrite is invisible to the database alone
    problem = audit_verify(checkpoints=elsewhere)[1]
    assert str(problem) == (f"block 1: does not match the signed checkpoint (line 1 of {elsewhere}): "
                            "the block was rewritten")


def test_a_forged_checkpoint_is_refused(files):
    _block_of_writes()
    _command("checkpoint")
    _block_of_writes()
    _command("checkpoint")
    lines = files.AUDIT_CHECKPOINTS.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["rows"] = 5  # a checkpoint that would bless a different trail
    files.AUDIT_CHECKPOINTS.write_text("\n".join([lines[0], json.dumps(forged)]) + "\n")
    problem = audit_verify()[1]
    assert str(problem) == (f"checkpoint line 2 of {files.AUDIT_CHECKPOINTS}: not a checkpoint signed with this key "
                            "(forged or altered)")
    # Signed, but with another key.
    other = Ed25519PrivateKey.generate()
    payload = {k: forged[k] for k in ("block", "hash", "at")} | {"rows": 4}
    payload["signature"] = base64.b64encode(other.sign(canonical_json(
        ["audit-checkpoint", payload["block"], payload["hash"], 4, payload["at"]]))).decode()
    files.AUDIT_CHECKPOINTS.write_text("\n".join([lines[0], json.dumps(payload)]) + "\n")
    assert "line 2" in str(audit_verify()[1]) and "forged" in str(audit_verify()[1])


def test_verify_with_a_public_key_from_elsewhere(files, tmp_path):
    _block_of_writes()
    _command("checkpoint")
    public = tmp_path / "public.pem"
    public.write_text(_command("public-key"))
    files.AUDIT_SIGNING_KEY.unlink()  # the verifier's machine has only the public key
    assert "1 signed checkpoints agree" in _command("verify", "--public-key", str(public))
    with pytest.raises(CommandError, match="no public key to check the checkpoints"):
        _command("verify")
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(CommandError, match="forged or altered"):
        _command("verify", "--public-key", str(stranger))


def test_a_checkpoints_file_that_is_not_there(files, tmp_path):
    report = audit_check(checkpoints=tmp_path / "nowhere.jsonl")
    assert str(report.problem) == f"the checkpoints file {tmp_path / 'nowhere.jsonl'} does not exist"
