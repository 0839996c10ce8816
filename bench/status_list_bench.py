"""Benchmark: the status list for 5.6 million cards (issue 13: the signed token <= 300 KB), a script.

    .venv/bin/python bench/status_list_bench.py [--cards 5600000] [--size 8388608] [--rates 1,2,3,5]

No database: the list is what credentials/status_list.py makes of the card statuses. The cards get
distinct random indexes in a list of `--size` entries (2^23: random indexes need room, and unused
entries read "valid", which hides the number of cards); for each rate, that share of the cards is
not valid (four revoked for one suspended), at random. Measured for each:
  - the signed token (status_list_token: pack, DEFLATE at level 9, COSE_Sign1 ES256): bytes and time;
  - the baselines, in the same run: the packed list before compression (2 bits a card: the size
    without the draft's compression), and a revocation list as a CRL would carry it (the sorted
    indexes of the cards not valid, 4 bytes each, zlib level 9);
  - the verifier's side: reading the token back (signature, inflate) and the lookups a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import struct
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
os.environ.setdefault("DANGVIEN_SECRET_KEY", "benchmark-only-not-secret")

TARGET_BYTES = 300 * 1000  # 300 KB, counted in thousands (the stricter reading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5_600_000)
    parser.add_argument("--size", type=int, default=2**23)
    parser.add_argument("--rates", default="1,2,3,5", help="percent of the cards not valid, comma-separated")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    import django

    django.setup()
    # The keys: cred-chip's keys.py once merged (a keyring in a temporary KEYS_DIR); until then the
    # tests' stand-in, which signs with the same P-256 ECDSA.
    from tests.credentials._keys_standin import KeyRole, make_keys

    from dangvien.credentials import status_list

    keys = make_keys("bench")
    signer = keys.signer(KeyRole.STATUS)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    indexes = rng.sample(range(args.size), args.cards)
    print(f"{args.cards:,} cards at random indexes of a {args.size:,}-entry list "
          f"({time.perf_counter() - started:.1f} s to draw); Python {platform.python_version()}, "
          f"zlib {zlib.ZLIB_RUNTIME_VERSION}, {os.cpu_count()} CPUs")
    print()
    print("| not valid | token bytes | pack + sign s | raw packed bytes | token / raw | CRL-like bytes | "
          "token / CRL-like | read back s | lookups / s | target | met |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|")
    now = dt.datetime.now(dt.UTC)
    for rate in (float(r) for r in args.rates.split(",")):
        not_valid = indexes[: int(args.cards * rate / 100)]
        entries = [(i, status_list.CardStatus.SUSPENDED if n % 5 == 4 else status_list.CardStatus.REVOKED)
                   for n, i in enumerate(not_valid)]
        started = time.perf_counter()
        packed = status_list.pack_entries(args.size, entries)
        token = status_list.status_list_token(packed, uri="https://thedangvien.gov.vn/cards/status/1",
                                              signer=signer, issued_at=now, ttl=dt.timedelta(hours=1))
        issue_s = time.perf_counter() - started
        crl = zlib.compress(b"".join(struct.pack(">I", i) for i in sorted(not_valid)), 9)
        started = time.perf_counter()
        read = status_list.read_status_list_token(token, trust=keys.trust)
        read_s = time.perf_counter() - started
        assert read.packed == packed
        probes = rng.sample(range(args.size), 200_000)
        started = time.perf_counter()
        for i in probes:
            read.status(i)
        lookups = len(probes) / (time.perf_counter() - started)
        print(f"| {rate:g}% ({len(not_valid):,}) | {len(token):,} | {issue_s:.2f} | {len(packed):,} | "
              f"{len(token) / len(packed):.3f} | {len(crl):,} | {len(token) / len(crl):.2f} | {read_s:.3f} | "
              f"{lookups:,.0f} | {TARGET_BYTES:,} | {'yes' if len(token) <= TARGET_BYTES else 'no'} |")


if __name__ == "__main__":
    main()
