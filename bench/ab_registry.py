"""The registry benchmarks of bench/run.py, two versions of the code measured in pairs (a script, not a test).

    .venv/bin/python bench/ab_registry.py --before /tmp/before                 # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/ab_registry.py --before /tmp/before

`--before` is another checkout of the project with its own .venv (e.g. `git worktree add /tmp/before
c9c538a && make -C /tmp/before .venv/.dev`); this checkout is "after". Each side generates the same
province (same seed) into a database of its own (SQLite under $DANGVIEN_AB_VAR, default
/tmp/dangvien-ab; PostgreSQL databases dangvien_ab_before / dangvien_ab_after next to the one
DATABASE_URL names, which is never touched), then one worker process per side, each running its
own code, answers timing requests from this driver.

Why pairs: on a shared machine the load moves by several times within minutes, so two runs made
one after the other (or side by side) compare loads, not code. Here every measurement is made on
both sides back to back, in alternating order (before-after, then after-before), and the figure of
merit is the median of the per-pair ratios after/before, with a 95 % bootstrap interval: a load
change that lasts longer than one pair cancels out. Each pair is timed twice: wall time, and the
worker's CPU time (time.process_time), which a busy machine disturbs far less; on SQLite the worker
runs the queries too, so its CPU time is the whole cost, on PostgreSQL the server's share is not in it.

Measured as bench/run.py does: the selectors (search by an unaccented full name, by a given name,
the member list pages 1 and 500, the unit tree with counts) by wall time in the worker, and the
pages (/members/?q=, /members/?page=1 and 500, /units/) by their Server-Timing app duration.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchdb import ROOT, postgres_admin  # (bench/ is on sys.path)

SIDES = ("before", "after")


# --- the worker: runs under each side's own Python and code ----------------------------------------------


def worker() -> None:
    """Answer one JSON request a line: {"op": name, "arg": value} -> {"ms": float} (or names)."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from dangvien.accounts.models import User
    from dangvien.core.text import fold
    from dangvien.members.models import Member
    from dangvien.members.selectors import MemberFilter, MemberPages, member_list

    try:  # the tree's selector moved from org to members in the platform pass
        from dangvien.members.selectors import unit_tree_with_counts
    except ImportError:
        from dangvien.org.selectors import unit_tree_with_counts  # type: ignore[no-redef]

    officer = User.objects.get(username="tinh")
    client = Client()
    client.force_login(officer)
    page_size = 50

    def search(query: str) -> None:
        pages = MemberPages(member_list(officer, MemberFilter(query=query)))
        pages.count()
        pages[:page_size]

    def list_page(number: int) -> None:
        pages = MemberPages(member_list(officer, MemberFilter()))
        pages.count()
        pages[(number - 1) * page_size:number * page_size]

    def page(url: str) -> dict[str, float]:
        cpu = time.process_time()
        response = client.get(url)
        cpu = (time.process_time() - cpu) * 1000
        assert response.status_code == 200, (url, response.status_code)
        for part in response.headers.get("Server-Timing", "").split(","):
            name, _, params = part.strip().partition(";")
            if name == "app" and params.startswith("dur="):
                return {"ms": float(params[4:]), "cpu": cpu}
        raise SystemExit(f"{url}: no Server-Timing app duration (DANGVIEN_SERVER_TIMING must be on)")

    def timed(fn, arg) -> dict[str, float]:
        cpu, started = time.process_time(), time.perf_counter()
        fn(arg)
        return {"ms": (time.perf_counter() - started) * 1000, "cpu": (time.process_time() - cpu) * 1000}

    ops = {
        "search": lambda q: timed(search, q),
        "list": lambda n: timed(list_page, n),
        "tree": lambda _: timed(lambda _: unit_tree_with_counts(officer), None),
        "page": page,
    }
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "names":
            rng = random.Random(1)
            ids = list(Member.objects.order_by("id").values_list("id", flat=True))
            names = [fold(n) for n in Member.objects.filter(pk__in=rng.sample(ids, request["arg"]))
                     .order_by("id").values_list("full_name", flat=True)]
            answer: dict = {"names": names, "members": len(ids)}
        elif request["op"] == "analyze":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
            answer = {}
        else:
            answer = ops[request["op"]](request["arg"])
        print(json.dumps(answer), flush=True)


# --- the driver --------------------------------------------------------------------------------------------


def _environment(side: str, vendor: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangvien.settings",
           "DANGVIEN_SECRET_KEY": "benchmark-only-not-secret", "DANGVIEN_SERVER_TIMING": "true"}
    env["DANGVIEN_VAR"] = f"{os.environ.get('DANGVIEN_AB_VAR', '/tmp/dangvien-ab')}/{side}"
    if vendor == "postgresql":
        from urllib.parse import urlsplit, urlunsplit

        env["DATABASE_URL"] = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/dangvien_ab_{side}"))
    else:
        env.pop("DATABASE_URL", None)
    return env


def _generate(checkout: Path, env: dict[str, str], members: int, seed: str) -> float:
    """Migrate and generate the province with the side's own command; seconds taken by demo-data."""
    Path(env["DANGVIEN_VAR"]).mkdir(parents=True, exist_ok=True)
    command = [str(checkout / ".venv/bin/dangvien")]
    for args in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(command + args, env=env, cwd=checkout, check=True)
    started = time.perf_counter()
    subprocess.run(command + ["demo-data", "--reset", "--members", str(members), "--seed", seed, "--password",
                              "benchmark-only"], env=env, cwd=checkout, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


class Worker:
    def __init__(self, checkout: Path, env: dict[str, str]):
        self.process = subprocess.Popen([str(checkout / ".venv/bin/python"), __file__, "--worker"], env=env,
                                        cwd=checkout, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, op: str, arg=None) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, "arg": arg}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"a worker died ({op} {arg!r})")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


def _interval(ratios: list[float], rng: random.Random, draws: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval of the median ratio."""
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(draws))
    return medians[int(0.025 * draws)], medians[int(0.975 * draws) - 1]


def _measure(workers: dict[str, Worker], label: str, requests: list[tuple[str, object]], rounds: int,
             rng: random.Random) -> dict:
    for op, arg in requests[:2]:  # warm-up, both sides
        for side in SIDES:
            workers[side].ask(op, arg)
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    ratios: dict[str, list[float]] = {"ms": [], "cpu": []}
    for turn in range(rounds):
        for op, arg in requests:
            order = SIDES if turn % 2 == 0 else SIDES[::-1]
            pair = {side: workers[side].ask(op, arg) for side in order}
            for side in SIDES:
                samples[side].append(pair[side]["ms"])
            for measure in ratios:
                ratios[measure].append(pair["after"][measure] / max(pair["before"][measure], 1e-3))
    low, high = _interval(ratios["ms"], rng)
    cpu_low, cpu_high = _interval(ratios["cpu"], rng)
    result = {"what": label, "pairs": len(ratios["ms"]), "ratio": statistics.median(ratios["ms"]), "low": low,
              "high": high, "cpu_ratio": statistics.median(ratios["cpu"]), "cpu_low": cpu_low, "cpu_high": cpu_high,
              **{f"{side}_p50": statistics.median(samples[side]) for side in SIDES}}
    print(f"{label}: before {result['before_p50']:.1f} ms, after {result['after_p50']:.1f} ms, "
          f"after/before {result['ratio']:.2f} [{low:.2f}, {high:.2f}], CPU {result['cpu_ratio']:.2f} "
          f"[{cpu_low:.2f}, {cpu_high:.2f}]", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="a checkout of the earlier code with its .venv")
    parser.add_argument("--members", type=int, default=141_794)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--rounds", type=int, default=20, help="pairs per measurement (x the requests of a round)")
    parser.add_argument("--queries", type=int, default=20, help="distinct names searched")
    parser.add_argument("--reuse", action="store_true", help="keep the databases of an earlier run")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.before is None:
        parser.error("--before is required")
    url = os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    checkouts = {"before": args.before.resolve(), "after": ROOT}
    envs = {side: _environment(side, vendor) for side in SIDES}
    generated: dict[str, float] = {}
    if not args.reuse:
        for side in SIDES:
            if vendor == "postgresql":
                postgres_admin(f'DROP DATABASE IF EXISTS "dangvien_ab_{side}"', f'CREATE DATABASE "dangvien_ab_{side}"')
            else:
                subprocess.run(["rm", "-rf", envs[side]["DANGVIEN_VAR"]], check=True)
            generated[side] = _generate(checkouts[side], envs[side], args.members, args.seed)
            print(f"{side}: province generated in {generated[side]:.1f} s", flush=True)
    workers = {side: Worker(checkouts[side], envs[side]) for side in SIDES}
    rng = random.Random(7)
    try:
        for side in SIDES:
            workers[side].ask("analyze")
        names = workers["after"].ask("names", args.queries)
        assert names == workers["before"].ask("names", args.queries), "the two provinces differ"
        queries, members = names["names"], names["members"]
        last = min(500, (members + 49) // 50)
        given = [q.split(" ")[-1] for q in queries]
        plan = [
            ("search", "selector: unaccented full name, count + first page", [("search", q) for q in queries]),
            ("search_given", "selector: a given name (many hits), count + first page", [("search", q) for q in given]),
            ("list_1", "selector: member_list, count + page 1", [("list", 1)]),
            (f"list_{last}", f"selector: member_list, count + page {last}", [("list", last)]),
            ("tree", "selector: unit_tree_with_counts, whole province", [("tree", None)]),
            ("page_members_search", "page: /members/?q=<name> (Server-Timing)",
             [("page", "/members/?q=" + q.replace(" ", "+")) for q in queries]),
            ("page_members_1", "page: /members/?page=1 (Server-Timing)", [("page", "/members/?page=1")]),
            (f"page_members_{last}", f"page: /members/?page={last} (Server-Timing)", [("page", f"/members/?page={last}")]),
            ("page_units", "page: /units/ (Server-Timing)", [("page", "/units/")]),
        ]
        results = {}
        for key, label, requests in plan:
            rounds = max(1, args.rounds // len(requests)) if len(requests) > 1 else args.rounds
            results[key] = _measure(workers, label, requests, rounds, rng)
    finally:
        for each in workers.values():
            each.close()
    load = os.getloadavg()
    print(f"\n{vendor}, {args.members:,} members, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if generated:
        print(f"demo-data (one run each, not paired): before {generated['before']:.1f} s, after {generated['after']:.1f} s")
    print("\n| measurement | before p50 ms | after p50 ms | after / before, wall (95 % interval) "
          "| after / before, worker CPU (95 % interval) | pairs |")
    print("|---|---:|---:|---|---|---:|")
    for key, r in results.items():
        print(f"| {key} | {r['before_p50']:.1f} | {r['after_p50']:.1f} | {r['ratio']:.2f} ({r['low']:.2f}–{r['high']:.2f}) "
              f"| {r['cpu_ratio']:.2f} ({r['cpu_low']:.2f}–{r['cpu_high']:.2f}) | {r['pairs']} |")
    if args.json:
        args.json.write_text(json.dumps({"vendor": vendor, "generated": generated, "results": results}, indent=2))


if __name__ == "__main__":
    main()
