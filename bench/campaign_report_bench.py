"""The card exchange campaign's progress report at the scale of a province and of the nation
(issue 10; a script, not a test). Results: docs/benchmarks.md, "Campaign progress reports".

    .venv/bin/python bench/campaign_report_bench.py                       # a province on SQLite (/tmp)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/campaign_report_bench.py
    DATABASE_URL=postgres://... .venv/bin/python bench/campaign_report_bench.py --national

The data is written straight into the tables by SQL, not through the services: the units, one
campaign over the top unit, and one participant row per member (INSERT ... SELECT over a counter,
per-commune completion rates from 80 to 100%, about 1% on hold). The report reads the participant
rows only, so no member rows are made: the participants' member column holds a plain number, with
the foreign key checks off while loading (SQLite's PRAGMA, PostgreSQL's replica role). The tree:
  province: 1 province, 100 communes, 13 grassroots organizations each, 3 cells each (3,900 cells,
            5,301 units), 141,794 participants;
  national: a root over 34 provinces of 98 communes, 16 organizations each, 2 cells each (106,624 cells,
            163,303 units; about the country's 52,000 grassroots organizations), 5.6 million participants.

Measured (p50 and p95 over --repeat runs, after two warm-up runs), each against a baseline run in the
same process: the one raw GROUP BY of the same counts (unit, stage, hold) fetched to Python.
  - the report of the top unit and its children (campaign_report: the page and the API);
  - the report of every unit of the subtree (campaign_report_tree: the exports);
  - on --national, the same for one province as its own committee officer (a scoped actor).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable

from benchdb import describe_database, prepare_environment  # (bench/ is on sys.path)

BENCH_DB = "dangvien_campaign_bench"
PROVINCE = {"communes": 100, "orgs": 13, "cells": 3, "members": 141_794}
NATION = {"provinces": 34, "communes": 98, "orgs": 16, "cells": 2, "members": 5_600_000}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(2):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class Tree:
    """Units as rows (id, kind, code, name, parent id, path, depth) and the cells' member counts."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.cells: list[tuple[int, int, float]] = []  # (unit id, members, completion rate)

    def add(self, kind: str, code: str, name: str, parent: tuple | None, number: int) -> tuple:
        path = (parent[5] if parent else "") + f"{number:04d}"
        row = (len(self.rows) + 1, kind, code, name, parent[0] if parent else None, path, len(path) // 4 - 1)
        self.rows.append(row)
        return row


def _province(tree: Tree, parent: tuple | None, number: int, shape: dict, members: int, serial: int) -> tuple:
    top = tree.add("province", f"P{serial:02d}", f"Đảng bộ tỉnh {serial:02d}", parent, number)
    cells = shape["communes"] * shape["orgs"] * shape["cells"]
    each, extra = divmod(members, cells)
    made = 0
    for c in range(1, shape["communes"] + 1):
        commune = tree.add("commune", f"P{serial:02d}-{c:03d}", f"Đảng bộ xã {c:03d}", top, c)
        rate = 0.80 + 0.20 * ((c * 37) % 100) / 100  # 80% to 100%, varying by commune
        for o in range(1, shape["orgs"] + 1):
            org = tree.add("grassroots_committee", f"{commune[2]}-{o:02d}", f"Đảng bộ cơ sở {o:02d}", commune, o)
            for k in range(1, shape["cells"] + 1):
                cell = tree.add("cell", f"{org[2]}-{k}", f"Chi bộ {k}", org, k)
                count = each + (1 if made < extra else 0)
                made += 1
                tree.cells.append((cell[0], count, rate))
    return top


def build(national: bool) -> Tree:
    tree = Tree()
    if not national:
        _province(tree, None, 1, PROVINCE, PROVINCE["members"], 1)
        return tree
    root = tree.add("province", "VN", "Toàn quốc", None, 1)
    each, extra = divmod(NATION["members"], NATION["provinces"])
    for p in range(1, NATION["provinces"] + 1):
        _province(tree, root, p, NATION, each + (1 if p <= extra else 0), p)
    return tree


def load(tree: Tree, vendor: str) -> tuple[float, float]:
    """Units, then participants by one INSERT ... SELECT per batch of cells; returns (seconds, rows)."""
    from django.db import connection, transaction

    from dangvien.campaign.models import Campaign, Participant
    from dangvien.org.models import Unit

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
            with cursor.copy("COPY org_unit (id, kind, code, name, parent_id, path, depth, sort_key) FROM STDIN") as copy:
                for row in tree.rows:
                    copy.write_row((*row, row[3]))
            cursor.execute("SELECT setval(pg_get_serial_sequence('org_unit', 'id'), %s)", [len(tree.rows)])
        else:
            cursor.executemany("INSERT INTO org_unit (id, kind, code, name, parent_id, path, depth, sort_key) "
                               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", [(*row, row[3]) for row in tree.rows])
    root = Unit.objects.get(pk=1)
    campaign = Campaign.objects.create(name="Đổi thẻ đảng viên", unit=root, start=dt.date(2026, 10, 1),
                                       deadline=dt.date(2026, 12, 31), snapshot_date=dt.date(2026, 10, 1))
    table = Participant._meta.db_table
    largest = max(n for _, n, _ in tree.cells)
    first_member = 1
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("CREATE TEMP TABLE bench_cells (unit_id int, n int, rate float8, first int) ON COMMIT DROP")
        else:
            cursor.execute("CREATE TEMP TABLE bench_cells (unit_id int, n int, rate real, first int)")
        rows = []
        for unit_id, n, rate in tree.cells:
            rows.append((unit_id, n, rate, first_member))
            first_member += n
        cursor.executemany("INSERT INTO bench_cells VALUES (%s, %s, %s, %s)", rows)
        series = "generate_series(1, c.n) AS s(k)" if vendor == "postgresql" else "seq AS s"
        prefix = ("" if vendor == "postgresql" else
                  f"WITH RECURSIVE seq(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < {largest}) ")
        # Member k of a cell has completed when a spread of k (k × 7919 mod 1000, per mille) is below
        # the commune's rate: then at step 4 to 7, else at 0 to 3; one in 50 of the others on hold.
        # Deterministic: both databases get the same rows.
        done = "(s.k * 7919) %% 1000 < c.rate * 1000"
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, member_id, unit_id, eligible, exclusion, stage, hold, hold_note, "
            "care, joined_on, departure, version) "
            f"{prefix}SELECT %s, c.first + s.k - 1, c.unit_id, %s, '', "
            f"CASE WHEN {done} THEN 4 + s.k %% 4 ELSE s.k %% 4 END, "
            f"CASE WHEN NOT ({done}) AND s.k %% 50 = 0 THEN 'abroad' ELSE '' END, '', '', %s, '', 1 "
            f"FROM bench_cells c CROSS JOIN {series}" + ("" if vendor == "postgresql" else " WHERE s.k <= c.n"),
            [campaign.pk, True, campaign.start])
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")  # the visibility map: index-only scans
            cursor.execute("VACUUM ANALYZE org_unit")
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started, Participant.objects.filter(campaign=campaign).count()


def _loaded(tree: Tree) -> bool:
    """Whether the database holds this tree's units and one campaign with every member."""
    from dangvien.campaign.models import Campaign, Participant
    from dangvien.org.models import Unit

    members = sum(n for _, n, _ in tree.cells)
    return (Unit.objects.count() == len(tree.rows) and Campaign.objects.count() == 1
            and Participant.objects.count() == members)


def _clear() -> None:
    """What a partial earlier run left (on --reuse): the campaign's rows, the bench users and units."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("campaign_participant", "campaign_campaign", "accounts_roleassignment", "org_unit"):
            cursor.execute(f"DELETE FROM {table}")
    from dangvien.accounts.models import User

    User.objects.filter(username__startswith="bench-").delete()


def _baseline(campaign_id: int, unit_path: str | None) -> Callable[[], object]:
    from django.db import connection

    where = ("" if unit_path is None else
             " AND unit_id IN (SELECT id FROM org_unit WHERE path >= %s AND path < %s)")
    params: list[object] = [campaign_id]
    if unit_path is not None:
        from dangvien.core.scope import subtree_upper_bound

        params += [unit_path, subtree_upper_bound(unit_path)]

    def run() -> object:
        with connection.cursor() as cursor:
            # The partial report index's own condition ("eligible", not "eligible = 1"): SQLite reads that
            # index only for a query that repeats its terms.
            cursor.execute("SELECT unit_id, stage, hold, COUNT(*) FROM campaign_participant WHERE campaign_id = %s "
                           f"AND eligible AND left_on IS NULL{where} GROUP BY unit_id, stage, hold", params)
            return cursor.fetchall()
    return run


def measure(vendor: str, national: bool, repeat: int) -> None:
    from django.db import connection

    from dangvien.accounts.models import Role, RoleAssignment, User
    from dangvien.campaign.models import Campaign
    from dangvien.campaign.reports import campaign_report, campaign_report_tree
    from dangvien.org.models import Unit

    campaign = Campaign.objects.get()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    root = campaign.unit
    cases: list[tuple[str, Callable[[], object], Callable[[], object], float]] = []
    if national:
        cases.append(("nation: top and its 34 provinces", lambda: campaign_report(admin, campaign, root),
                      _baseline(campaign.pk, None), 2000))
        cases.append(("nation: every unit (163,303)", lambda: campaign_report_tree(admin, campaign, root),
                      _baseline(campaign.pk, None), 2000))
        province = Unit.objects.get(code="P07")
        officer, _ = User.objects.get_or_create(username="bench-province")
        RoleAssignment.objects.get_or_create(user=officer, role=Role.COMMITTEE_OFFICER, unit=province)
        cases.append(("a province (officer): top and communes", lambda: campaign_report(officer, campaign, province),
                      _baseline(campaign.pk, province.path), 200))
        cases.append(("a province (officer): every unit", lambda: campaign_report_tree(officer, campaign, province),
                      _baseline(campaign.pk, province.path), 200))
    else:
        officer, _ = User.objects.get_or_create(username="bench-province")
        RoleAssignment.objects.get_or_create(user=officer, role=Role.COMMITTEE_OFFICER, unit=root)
        cases.append(("province: top and its communes", lambda: campaign_report(officer, campaign, root),
                      _baseline(campaign.pk, None), 200))
        cases.append(("province: every unit (5,301)", lambda: campaign_report_tree(officer, campaign, root),
                      _baseline(campaign.pk, None), 200))
    print(f"\n{describe_database(vendor, connection)} · Python {platform.python_version()} · "
          f"{os.cpu_count()} cores · repeat {repeat}\n")
    print("| report | p50 ms | p95 ms | raw GROUP BY p50 ms | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, report, baseline, target in cases:
        base50, _ = _percentiles(_time(baseline, repeat))
        p50, p95 = _percentiles(_time(report, repeat))
        verdict = "met" if p50 <= target and p50 <= 2 * base50 else "MISSED"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {base50:.1f} | {p50 / base50:.2f}x | ≤ {target:.0f} ms "
              f"and ≤ 2x: {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--national", action="store_true", help="5.6 million participants, 34 provinces")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: measure the data an earlier run left, if complete (the national load is long)")
    options = parser.parse_args()
    vendor = prepare_environment(var_default="/tmp/dangvien-campaign-bench", var_env="DANGVIEN_BENCH_VAR",
                                 bench_db=BENCH_DB + ("_national" if options.national else ""), keep_sqlite=False,
                                 keep_postgres=options.reuse)
    if options.national and vendor != "postgresql":
        raise SystemExit("--national runs on PostgreSQL (DATABASE_URL=postgres://...)")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tree = build(options.national)
    if options.reuse and _loaded(tree):
        print(f"Reused the {len(tree.rows):,} units and participants an earlier run loaded.")
    else:
        _clear()
        seconds, rows = load(tree, vendor)
        print(f"Loaded {len(tree.rows):,} units and {rows:,} participants in {seconds:.1f} s.")
    measure(vendor, options.national, options.repeat)


if __name__ == "__main__":
    main()
