"""Signed checkpoints of the seal chain, kept outside the database.

A checkpoint is the head of the seal chain (block number, its hash, the rows sealed, the time)
signed with the Ed25519 key of core.audit_keys: one JSON line appended to settings.AUDIT_CHECKPOINTS
and logged on `dangvien.audit.checkpoint`, so that a log handler can ship it to another machine.
Someone who can write to the database, even with the HMAC key, cannot then take back what was
sealed before a checkpoint that has left the server: verification finds the block it names gone or
changed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangvien.core.audit import GENESIS, ChainProblem, audit_seal, canonical_json
from dangvien.core.audit_keys import load_public_key, signing_key
from dangvien.core.models import AuditSealHead

logger = logging.getLogger("dangvien.audit.checkpoint")


@dataclass(frozen=True)
class SignedCheckpoint:
    block: int
    hash: str
    rows: int
    at: str
    where: str  # "line 3 of /path/file.jsonl", for messages


def audit_checkpoint() -> dict[str, Any]:
    """Seal what is pending, then sign the head and export it; return the checkpoint."""
    audit_seal()
    head = _durable_head()
    block, block_hash, rows = (head.number, head.hash, head.total) if head else (0, GENESIS, 0)
    payload = {"block": block, "hash": block_hash, "rows": rows,
               "at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")}
    signature = signing_key().sign(_signed_bytes(payload))
    checkpoint = {**payload, "signature": base64.b64encode(signature).decode()}
    line = json.dumps(checkpoint, separators=(",", ":"))
    path = Path(settings.AUDIT_CHECKPOINTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    logger.info("%s", line)
    return checkpoint


def _durable_head() -> AuditSealHead | None:
    """The head, once it and every block before it are on disk: seals commit without waiting for
    the disk (core.audit._seal_block), and a checkpoint must never name a block a crash can take back.
    Rewriting the head under its lock in a transaction that commits synchronously flushes the log up
    to that commit."""
    with transaction.atomic():
        head = AuditSealHead.objects.select_for_update().filter(id=1).first()
        if head is not None:
            head.save(update_fields=["number"])
    return head


def _signed_bytes(payload: dict[str, Any]) -> bytes:
    return canonical_json(["audit-checkpoint", payload["block"], payload["hash"], payload["rows"], payload["at"]])


def checkpoints_read(path: Path | None, public_key: Path | None) -> tuple[dict[int, SignedCheckpoint], ChainProblem | None]:
    """The checkpoints of a file by block number, each signature checked; or the first line that
    is not a checkpoint we signed. path None: settings.AUDIT_CHECKPOINTS if it exists (none yet is
    no finding); public_key None: the public half of the signing key file."""
    if path is None:
        path = Path(settings.AUDIT_CHECKPOINTS)
        if not path.exists():
            return {}, None
    if not path.exists():
        return {}, ChainProblem(None, None, f"the checkpoints file {path} does not exist")
    key = _verifying_key(public_key)
    if key is None:
        return {}, ChainProblem(None, None, f"no public key to check the checkpoints of {path} with "
                                            f"({settings.AUDIT_SIGNING_KEY} does not exist): give --public-key")
    found: dict[int, SignedCheckpoint] = {}
    with path.open() as file:
        for number, text in enumerate(file, start=1):
            if not text.strip():
                continue
            where = f"line {number} of {path}"
            checkpoint = _checkpoint(text, where, key)
            if checkpoint is None:
                return {}, ChainProblem(None, None, "not a checkpoint signed with this key (forged or altered)",
                                        checkpoint=where)
            earlier = found.get(checkpoint.block)
            if earlier is not None and (earlier.hash, earlier.rows) != (checkpoint.hash, checkpoint.rows):
                return {}, ChainProblem(None, None, f"names block {checkpoint.block} with another hash than "
                                                    f"{earlier.where}", checkpoint=where)
            found[checkpoint.block] = checkpoint
    return found, None


def _checkpoint(text: str, where: str, key: Ed25519PublicKey) -> SignedCheckpoint | None:
    try:
        data = json.loads(text)
        checkpoint = SignedCheckpoint(block=int(data["block"]), hash=str(data["hash"]), rows=int(data["rows"]),
                                      at=str(data["at"]), where=where)
        key.verify(base64.b64decode(data["signature"], validate=True), _signed_bytes(data))
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidSignature):
        return None
    return checkpoint


def _verifying_key(public_key: Path | None) -> Ed25519PublicKey | None:
    if public_key is not None:
        return load_public_key(public_key)
    if not Path(settings.AUDIT_SIGNING_KEY).exists():
        return None
    return signing_key().public_key()
