"""The production batch for the card maker (script, not a test; issue 13's target: 10,000 cards with
chip files, PDF faces, manifest, signed and encrypted, in at most 60 s on 2 cores).

    .venv/bin/python bench/batch_bench.py --count 10000 --workers 2

In the same run: (1) baseline: the chip images alone (lds.chip_image) for COUNT cards, one process;
(2) the PDF faces of the COUNT cards (faces.faces_pdf: fpdf2, the printed QR signed here, encoded
and turned into paths by WORKERS processes, `dangvien cards batch`'s default on 2 cores);
(3) the rest of the batch, given those faces: chip images + print fields + ZIP + manifest signed +
encrypted (batch.build_batch to a 3072-bit RSA maker); (2) + (3) is the full batch, what
batch_produce does after reading the cards. Wall and CPU seconds (process time: what other programs
on the shared machine do not inflate; the faces' worker processes included). Keys in a temporary folder; cards made from their index
(bench/chip_bench.py's), no database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _face_card(index: int, jpeg: bytes) -> SimpleNamespace:
    """What faces.py reads of a Card, without the database."""
    import chip_bench

    data = chip_bench.card(index)
    member = SimpleNamespace(full_name=data.full_name, date_of_birth=data.date_of_birth, birth_year=data.birth_year,
                             admission_date=data.admission_date, official_date=data.official_date)
    return SimpleNamespace(display_number=data.card_number, issued_on=data.issued_on, status_index=data.status_index,
                           authority=SimpleNamespace(name=data.issuing_authority, code=data.committee_code),
                           status_list=SimpleNamespace(uri=data.status_list_uri), portrait=SimpleNamespace(jpeg=jpeg),
                           member=member)


def _cpu() -> float:
    """This process's CPU seconds and its ended children's (the faces' workers, once joined)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(work):
    wall, cpu = time.perf_counter(), _cpu()
    result = work()
    return result, time.perf_counter() - wall, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="the faces' QR worker processes (1: none)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="dangvien-batch-bench-") as folder:
        os.environ.update(DANGVIEN_VAR=folder, DANGVIEN_KEYS_DIR=f"{folder}/keys", DANGVIEN_KEY_PASSPHRASE="bench")
        import django

        django.setup()
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        import chip_bench
        from dangvien.credentials import batch, faces
        from dangvien.credentials.keys import KeyRole, keys_init, signer_for
        from dangvien.credentials.lds import chip_image

        keys_init(authorities=["TW"], passphrase="bench", directory=Path(folder) / "keys")
        chip_bench._portrait = jpeg = chip_bench.portrait()
        chip, signer = signer_for(KeyRole.CHIP), signer_for(KeyRole.BATCH)
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Card maker")])
        now = dt.datetime.now(dt.UTC)
        maker = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                 .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
                 .sign(key, hashes.SHA256()))
        cards = [chip_bench.card(i) for i in range(args.count)]
        _, base_wall, base_cpu = _timed(lambda: [chip_image(c, chip) for c in cards])
        face_cards = [_face_card(i, jpeg) for i in range(args.count)]
        pdf, face_wall, face_cpu = _timed(lambda: faces.faces_pdf(face_cards, workers=args.workers))  # type: ignore[arg-type]
        built, batch_wall, batch_cpu = _timed(lambda: batch.build_batch(
            (batch.BatchCard(c.card_number, {"number": c.card_number}, c) for c in cards), batch_id=1, unit_code="GL",
            created_at=now, chip_signer=chip, batch_signer=signer, recipient=maker, faces_pdf=pdf))
    load_after = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    full_wall, full_cpu = face_wall + batch_wall, face_cpu + batch_cpu
    print(f"load average before: {load}, after: {load_after}; {args.count} cards, {args.workers} face workers; faces.pdf {len(pdf):,} bytes; "
          f"batch file {len(built.data):,} bytes\n")
    print("| step | wall s | CPU s | ratio to baseline (CPU) |\n|---|---:|---:|---:|")
    print(f"| baseline: chip images alone | {base_wall:.1f} | {base_cpu:.1f} | 1.00 |")
    print(f"| PDF faces (fpdf2; QR signed, encoded, drawn; {args.workers} workers) | {face_wall:.1f} | {face_cpu:.1f} | "
          f"{face_cpu / base_cpu:.2f} |")
    print(f"| rest of the batch (chip files, print fields, ZIP, manifest signed, encrypted) | {batch_wall:.1f} | "
          f"{batch_cpu:.1f} | {batch_cpu / base_cpu:.2f} |")
    print(f"| **full batch with faces** | {full_wall:.1f} | {full_cpu:.1f} | {full_cpu / base_cpu:.2f} |")


if __name__ == "__main__":
    main()
