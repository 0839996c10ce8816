"""`dangvien cards batch --unit CODE [--maker-cert PEM] -o FILE [--user USERNAME] [--no-faces] [--workers N]`: the
production batch of a unit's subtree for the card maker (credentials/batch.py describes the file):
every valid card not yet in a batch, their chip files, print fields and PDF faces, a signed manifest,
encrypted to the card maker's certificate (default: settings DANGVIEN['CARD_MAKER_CERT'])."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangvien.accounts.cli import command_actor
from dangvien.core.errors import NotFound
from dangvien.credentials.cli.progress import ProgressBar
from dangvien.org.selectors import unit_get_by_code_for

HELP = "Build the production batch of a unit's cards for the card maker (signed, encrypted)."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--unit", required=True, help="code of the unit whose subtree's cards go in the batch")
    parser.add_argument("--maker-cert", type=Path, help="the card maker's certificate (PEM, RSA 3072 bits or more)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the batch file to write (CMS, DER)")
    parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")
    parser.add_argument("--no-faces", action="store_true", help="leave the PDF card faces out")
    parser.add_argument("--workers", type=int, default=_cores(),
                        help="processes encoding the faces' QR codes besides this one (default: the usable "
                             "cores, %(default)s; 1: all in this process)")


def _cores() -> int:
    # The faces of 10,000 cards need two cores to fit in a minute (docs/benchmarks.md).
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    # Imported here: `dangvien cards verify` must not load the keys and PDF machinery it never uses.
    from dangvien.credentials.batch import BatchError
    from dangvien.credentials.faces import faces_pdf
    from dangvien.credentials.keys import KeysError
    from dangvien.credentials.production import batch_produce
    if options["workers"] < 1:
        raise CommandError(f"--workers must be 1 or more, not {options['workers']}.")
    cert_path = options["maker_cert"] or settings.DANGVIEN.get("CARD_MAKER_CERT")
    if not cert_path:
        raise CommandError("No card maker certificate: pass --maker-cert PEM or set DANGVIEN_CARD_MAKER_CERT.")
    try:
        recipient = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise CommandError(f"The card maker's certificate {cert_path} cannot be read: {exc}") from exc
    actor = command_actor(options["user"])
    try:
        unit = unit_get_by_code_for(actor, options["unit"])
    except NotFound as exc:
        raise CommandError(f"No unit {options['unit']} visible to {actor.username}.") from exc
    faces = None if options["no_faces"] else functools.partial(faces_pdf, workers=options["workers"])
    bar = ProgressBar(command.stderr, "cards")
    started = time.perf_counter()
    try:
        produced = batch_produce(actor=actor, unit=unit, recipient=recipient, start=bar.start, progress=bar.advance,
                                 faces=faces)
    except (BatchError, KeysError, PermissionDenied) as exc:
        raise CommandError(str(exc)) from exc
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
    output: Path = options["output"]
    output.write_bytes(produced.built.data)
    command.stdout.write(f"Batch {produced.batch.pk}: {produced.built.card_count} cards of {unit.code} to {output} "
                         f"({len(produced.built.data):,} bytes, manifest SHA-256 {produced.built.manifest_sha256}) "
                         f"in {time.perf_counter() - started:.1f} s.")
