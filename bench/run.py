"""Benchmarks of the member registry at the scale of one province (scripts, not tests).

    .venv/bin/python bench/run.py --members 141794                       # SQLite under /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/run.py --members 141794

Never touches var/ or the database in DATABASE_URL: SQLite runs in $DANGVIEN_BENCH_VAR
(default /tmp/dangvien-bench, recreated), PostgreSQL in a `dangvien_bench` database created next to
the one DATABASE_URL names and dropped at the end (--keep keeps it).

It generates the province (timed), then measures, logged in as the province officer, with p50/p95
over repeated runs and each p50 also as a multiple of a baseline measured in the same process (a
primary-key fetch), so that figures compare across machines:
  - search by an unaccented full name (50 names from the data), selector: count + first page;
  - the member list, pages 1 and 500 (selector: count + slice), and the /members/ page if present;
  - the unit tree with counts for the whole province (selector), and the /units/ page if present.
Results print as a Markdown table; --json writes them too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

# The page timings read the Server-Timing header, which the site sends only when asked (settings.py).
os.environ.setdefault("DANGVIEN_SERVER_TIMING", "true")

from benchdb import describe_database, postgres_admin, prepare_environment  # noqa: E402  (bench/ is on sys.path)

BENCH_DB = "dangvien_bench"
TARGETS_MS = {"generate": 120_000, "search": 50, "list": 100, "tree": 200}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50, p95


def _time(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _server_ms(client, url: str) -> float | None:
    """Server time of one request from its Server-Timing header; None if the page is not there."""
    response = client.get(url)
    if response.status_code != 200:
        return None
    header = response.headers.get("Server-Timing", "")
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name == "app" and params.startswith("dur="):
            return float(params[4:])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=141_794)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per list/tree measurement")
    parser.add_argument("--queries", type=int, default=50, help="distinct names searched")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="SQLite only: reuse the data of an earlier --keep run instead of generating")
    args = parser.parse_args()

    vendor = prepare_environment(var_default="/tmp/dangvien-bench", var_env="DANGVIEN_BENCH_VAR", bench_db=BENCH_DB,
                                 keep_sqlite=args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from dangvien.accounts.models import User
    from dangvien.core.text import fold
    from dangvien.demo.generator import generate
    from dangvien.members.models import Member
    from dangvien.members.selectors import MemberFilter, MemberPages, member_list, unit_tree_with_counts

    results: dict[str, dict] = {}
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # pages need the manifest, as deployed
        database = describe_database(vendor, connection)
        if args.reuse and Member.objects.exists():
            print("reusing the existing data", flush=True)
        else:
            started = time.perf_counter()
            summary = generate(members=args.members, seed=args.seed, reset=True)
            elapsed = (time.perf_counter() - started) * 1000
            results["generate"] = {"p50": elapsed, "p95": elapsed, "n": 1, "target": TARGETS_MS["generate"],
                                   "what": f"demo-data: {summary.members:,} members, {summary.events:,} events, "
                                           f"{sum(summary.units.values()):,} units"}
            print(f"generated in {elapsed / 1000:.1f} s", flush=True)
        with connection.cursor() as cursor:
            # The steady state a bulk load reaches soon anyway (autovacuum on PostgreSQL, which also
            # enables index-only scans; PRAGMA optimize on SQLite).
            cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
        officer = User.objects.get(username="tinh")
        page_size = 50
        rng = random.Random(1)
        ids = list(Member.objects.values_list("id", flat=True))
        members_total = len(ids)

        baseline = _time(lambda: Member.objects.get(pk=rng.choice(ids)), repeat=200, warmup=20)
        base_p50 = statistics.median(baseline)
        results["baseline"] = {"p50": base_p50, "p95": _percentiles(baseline)[1], "n": len(baseline),
                               "what": "Member.objects.get(pk=...) (the unit of the ratio column)"}

        names = [fold(n) for n in Member.objects.filter(pk__in=rng.sample(ids, args.queries))
                 .values_list("full_name", flat=True)]

        # MemberPages: the paging the page and the API use (ids first, then the page's rows).
        def search(query: str) -> None:
            pages = MemberPages(member_list(officer, MemberFilter(query=query)))
            pages.count()
            pages[:page_size]

        for q in names[:3]:
            search(q)  # warm-up
        search_samples = []
        for _ in range(3):
            for q in names:
                start = time.perf_counter()
                search(q)
                search_samples.append((time.perf_counter() - start) * 1000)
        _record(results, "search", search_samples, "search", f"selector: {len(names)} unaccented full names "
                "(\"nguyen van an\"), count + first page, 3 rounds")

        given = [n.split(" ")[-1] for n in names[:20]]
        samples = []
        for _ in range(3):
            for q in given:
                start = time.perf_counter()
                search(q)
                samples.append((time.perf_counter() - start) * 1000)
        _record(results, "search_given", samples, "search", "selector: one word (a given name, many hits), "
                "count + first page")

        def list_page(number: int) -> None:
            pages = MemberPages(member_list(officer, MemberFilter()))
            pages.count()
            pages[(number - 1) * page_size:number * page_size]

        _record(results, "list_1", _time(lambda: list_page(1), args.repeat), "list",
                "selector: member_list, count + page 1 (50 rows, Vietnamese name order)")
        last_page = min(500, (members_total + page_size - 1) // page_size)
        _record(results, "list_500", _time(lambda: list_page(last_page), args.repeat), "list",
                f"selector: member_list, count + page {last_page}")
        _record(results, "tree", _time(lambda: unit_tree_with_counts(officer), args.repeat), "tree",
                "selector: unit_tree_with_counts, whole province")

        client = Client()
        client.force_login(officer)
        pages = {
            "page_members_search": ("/members/?q=" + names[0].replace(" ", "+"), "search"),
            "page_members_1": ("/members/?page=1", "list"),
            f"page_members_{last_page}": (f"/members/?page={last_page}", "list"),
            "page_units": ("/units/", "tree"),
        }
        for key, (url, target) in pages.items():
            if _server_ms(client, url) is None:
                print(f"{url}: not available (no 200 with a Server-Timing header), skipped", flush=True)
                continue
            samples = [_server_ms(client, url) or 0.0 for _ in range(args.repeat)]
            if key == "page_members_search":  # every name once, not the same one again
                samples = [_server_ms(client, "/members/?q=" + q.replace(" ", "+")) or 0.0 for q in names]
                url = f"/members/?q=<{len(names)} names>"
            _record(results, key, samples, target, f"page: GET {url} (Server-Timing app;dur)")
    finally:
        connection.close()
        if vendor == "postgresql" and not args.keep:
            postgres_admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')

    _report(results, database, args)


def _record(results: dict, key: str, samples: list[float], target: str, what: str) -> None:
    p50, p95 = _percentiles(samples)
    results[key] = {"p50": p50, "p95": p95, "n": len(samples), "target": TARGETS_MS[target], "what": what}
    print(f"{key}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)


def _report(results: dict, database: str, args) -> None:
    base = results["baseline"]["p50"]
    lines = [
        f"Database: {database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.platform()}",
        "",
        "| measurement | p50 ms | p95 ms | p50 / baseline | target | met | n |",
        "|---|---:|---:|---:|---:|:-:|---:|",
    ]
    for key, r in results.items():
        target = r.get("target")
        met = "" if target is None else ("yes" if r["p95"] <= target else "**no**")
        tgt = "" if target is None else (f"{target / 1000:.0f} s" if target >= 10_000 else f"{target} ms")
        lines.append(f"| {key}: {r['what']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p50'] / base:.0f}× | {tgt} "
                     f"| {met} | {r['n']} |")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"database": database, "results": results}, indent=2))


if __name__ == "__main__":
    main()
