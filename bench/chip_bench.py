"""Chip images built and signed per second (script, not a test; issue 13's target: 141,794 cards
in at most 60 s on 2 cores).

    .venv/bin/python bench/chip_bench.py                       # a sample of 20,000 cards
    .venv/bin/python bench/chip_bench.py --count 141794        # the whole province

In the same run, on the same worker processes (default 2):
  - baseline: bare ECDSA P-256 signatures (cryptography, 100-byte messages), as many as cards;
  - chip images: `lds.chip_image` for each card, EF.COM, DG1, DG2 (an 18 KB JPEG portrait),
    DG11, DG12, DG13 and the signed EF.SOD, from the card's data (made from its index).
Prints a Markdown table: seconds, images (or signatures) per second, the ratio to the baseline,
and the time projected for 141,794 cards; then the CPU seconds the workers spent (process time,
which other programs on the machine do not inflate), the rate per CPU second, and the time that
projects for 141,794 cards on as many idle cores as processes. Keys in a temporary folder; no
database is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

PROVINCE = 141_794
PASSPHRASE = "chip bench"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Ksor", "Rơ Châm", "Đinh", "Võ", "Siu"]
GIVEN = ["Văn An", "Thị Hồng Đào", "Đức Thắng", "H'Bơ", "Minh Châu", "Quốc Việt", "Thị Ngọc Ánh"]

_portrait: bytes = b""


def portrait(seed: int = 1) -> bytes:
    """A 413 x 531 JPEG (35 x 45 mm at 300 dpi) of gradient and noise, about 18 KB: a card portrait's size."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (413, 531))
    image.putdata([((x // 2 + rng.randrange(64)) % 256, (y // 3 + rng.randrange(64)) % 256, 150)
                   for y in range(531) for x in range(413)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=30)
    return buffer.getvalue()


def card(index: int):
    from dangvien.credentials.lds import ChipData

    family, given = FAMILY[index % len(FAMILY)], GIVEN[index % len(GIVEN)]
    born = dt.date(1950 + index % 50, 1 + index % 12, 1 + index % 28)
    return ChipData(
        card_number=f"GL-{index:07d}", full_name=f"{family} {given}", family_name=family, given_names=given,
        sex="MF"[index % 2], date_of_birth=born, birth_year=born.year, citizen_id=f"064{index:09d}",
        place_of_birth="Xã Ia Grai, Gia Lai", address=f"{index % 300} Hùng Vương, Phường Pleiku, Gia Lai",
        nationality="VNM", issuing_authority="Ban Tổ chức Trung ương", issued_on=dt.date(2026, 11, 20),
        expires_on=None, admission_date=dt.date(1975 + index % 50, 5, 19),
        official_date=dt.date(1976 + index % 50, 5, 19), committee_code="GL.PK",
        status_list_uri="https://the.example/cards/status/1", status_index=index * 7 % 2**20,
        reissue_count=index % 3, portrait_jpeg=_portrait)


def _setup(keys_dir: str, portrait_bytes: bytes) -> None:
    """Each worker: Django's settings, the chip signer loaded (decrypted) once, before any timing."""
    global _portrait
    _portrait = portrait_bytes
    os.environ["DANGVIEN_KEYS_DIR"] = keys_dir
    os.environ["DANGVIEN_KEY_PASSPHRASE"] = PASSPHRASE
    import django

    django.setup()
    from dangvien.credentials.keys import KeyRole, signer_for

    signer_for(KeyRole.CHIP)
    card(0)


def build_images(bounds: tuple[int, int]) -> tuple[int, float]:
    """Bytes written and the CPU seconds this process spent on them."""
    from dangvien.credentials.keys import KeyRole, signer_for
    from dangvien.credentials.lds import chip_image

    cpu = time.process_time()
    signer = signer_for(KeyRole.CHIP)
    written = 0
    for index in range(*bounds):
        written += sum(len(v) for v in chip_image(card(index), signer).values())
    return written, time.process_time() - cpu


def bare_signatures(bounds: tuple[int, int]) -> tuple[int, float]:
    from dangvien.credentials.keys import KeyRole, signer_for

    cpu = time.process_time()
    signer = signer_for(KeyRole.CHIP)
    message = bytes(100)
    for _ in range(*bounds):
        signer.sign(message)
    return 0, time.process_time() - cpu


def _slices(count: int, parts: int) -> list[tuple[int, int]]:
    size = -(-count // parts)
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000, help=f"cards to build (the province: {PROVINCE})")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="dangvien-chip-bench-") as folder:
        os.environ["DANGVIEN_VAR"] = folder
        keys_dir = str(Path(folder) / "keys")
        import django

        django.setup()
        from dangvien.credentials.keys import keys_init

        keys_init(authorities=["TW"], passphrase=PASSPHRASE, directory=Path(keys_dir))
        jpeg = portrait()
        slices = _slices(args.count, args.processes * 8)
        rows = []
        with multiprocessing.get_context("fork").Pool(args.processes, _setup, (keys_dir, jpeg)) as pool:
            pool.map(bare_signatures, _slices(args.processes * 200, args.processes))  # workers started and warm
            for label, work in (("baseline: bare ECDSA P-256 signatures (cryptography)", bare_signatures),
                                ("chip images: EF.COM, DG1, DG2, DG11, DG12, DG13, EF.SOD built and signed",
                                 build_images)):
                started = time.perf_counter()
                results = pool.map(work, slices)
                rows.append((label, time.perf_counter() - started, sum(r[0] for r in results),
                             sum(r[1] for r in results)))
    baseline = rows[0][1]
    print(f"{args.count:,} cards, {args.processes} processes, portrait {len(jpeg):,} bytes; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average before {load_before}")
    print()
    print("| measurement | seconds | per second | × baseline | projected for 141,794 | CPU seconds "
          "| per CPU second | projected for 141,794 on idle cores |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, seconds, written, cpu in rows:
        rate = args.count / seconds
        extra = f" ({written / args.count / 1024:.1f} KB a card)" if written else ""
        print(f"| {label}{extra} | {seconds:.2f} | {rate:,.0f} | {seconds / baseline:.1f} | {PROVINCE / rate:.1f} s "
              f"| {cpu:.2f} | {args.count / cpu:,.0f} | {PROVINCE / (args.count / cpu) / args.processes:.1f} s |")


if __name__ == "__main__":
    main()
