"""The handbook adoption report of a province (issue 12; a script, not a test; target ≤ 200 ms on
both databases). Results: docs/benchmarks.md, "Handbook adoption report".

    .venv/bin/python bench/adoption_bench.py                                     # SQLite (/tmp)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/adoption_bench.py

The data is written straight into the tables by SQL (INSERT ... SELECT over a counter: a recursive
CTE on SQLite, generate_series on PostgreSQL), not through the services: the report is what is
measured. A province of 100 communes × 10 grassroots organizations × 3 cells (3,000 cells, 4,101
units) and 140,000 members, each cell's members drawn by arithmetic on their number (the same rows on
both databases):
  - statuses: 5% exempted, 3% probationary, 1% temporarily out, 2% off the roll (transferred out),
    the rest official; 8% marked as without a smartphone, 62% with one, the rest not known;
  - accounts: per commune 55% to 95% of the members on the roll hold a login with a usable password
    (a few of them closed), activated over the 18 months before the report's month;
  - handbook use: per commune 40% to 90% of the registered members in each month of the year
    (one MemberActivity row a member and year, its months' bits);
  - meetings: every cell, every month of the year, a regular meeting held (status HELD) with a
    per-commune chance of 60% to 97%, else still scheduled; the committees meet monthly too.

Measured (p50 and p95 over --repeat runs, after two warm-up runs; and the CPU time of this process,
which on SQLite includes the database's work), against a baseline run in the same process: the one
raw GROUP BY of the members per cell, fetched to Python.
  - the report of the province and its communes for a month (the page and the API: adoption_report),
    for a quarter and for the year;
  - the report of every unit of the province for the month (adoption_report_tree: the XLSX);
  - the province's trend over the twelve months to the report's month (adoption_trend: its own page).
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

BENCH_DB = "dangvien_adoption_bench"
SHAPE = {"communes": 100, "orgs": 10, "cells": 3, "members": 140_000}
YEAR, MONTH = 2026, 11  # the report's month: the data covers January to November


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(fn: Callable[[], object], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds of each run; `cpu` gets this process's CPU milliseconds (on SQLite the
    database's work too: what the run costs whatever else the machine is doing)."""
    for _ in range(2):
        fn()
    samples = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return samples


def build() -> tuple[list[tuple], list[tuple]]:
    """Units as rows (id, kind, code, name, parent id, path, depth) and the cells as (unit id,
    members, first member id, commune number)."""
    units: list[tuple] = []
    cells: list[tuple] = []

    def add(kind: str, code: str, name: str, parent: tuple | None, number: int) -> tuple:
        path = (parent[5] if parent else "") + f"{number:04d}"
        row = (len(units) + 1, kind, code, name, parent[0] if parent else None, path, len(path) // 4 - 1)
        units.append(row)
        return row

    top = add("province", "P01", "Đảng bộ tỉnh Bench", None, 1)
    count = SHAPE["communes"] * SHAPE["orgs"] * SHAPE["cells"]
    each, extra = divmod(SHAPE["members"], count)
    first = 1
    for c in range(1, SHAPE["communes"] + 1):
        commune = add("commune", f"P01-{c:03d}", f"Đảng bộ xã {c:03d}", top, c)
        for o in range(1, SHAPE["orgs"] + 1):
            org = add("grassroots_committee", f"{commune[2]}-{o:02d}", f"Đảng bộ cơ sở {o:02d}", commune, o)
            for k in range(1, SHAPE["cells"] + 1):
                cell = add("cell", f"{org[2]}-{k}", f"Chi bộ {k}", org, k)
                n = each + (1 if len(cells) < extra else 0)
                cells.append((cell[0], n, first, c))
                first += n
    return units, cells


def _counter(vendor: str, largest: int) -> tuple[str, str, str]:
    """(WITH prefix, FROM item, WHERE bound) of a counter s.k from 1 to each cell's n."""
    if vendor == "postgresql":
        return "", "generate_series(1, c.n) AS s(k)", "TRUE"
    return (f"WITH RECURSIVE seq(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < {largest}) ",
            "seq AS s", "s.k <= c.n")


def load(units: list[tuple], cells: list[tuple], vendor: str) -> float:
    """Everything, in one transaction per table family; returns the seconds."""
    from django.db import connection, transaction

    from dangvien.accounts.models import User
    from dangvien.adoption.models import MemberActivity
    from dangvien.meetings.models import Meeting
    from dangvien.members.models import Member

    started = time.perf_counter()
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.copy("COPY org_unit (id, kind, code, name, parent_id, path, depth, sort_key) FROM STDIN") as copy:
                for row in units:
                    copy.write_row((*row, row[3]))
            cursor.execute("SELECT setval(pg_get_serial_sequence('org_unit', 'id'), %s)", [len(units)])
            cursor.execute("CREATE TEMP TABLE bench_cells (unit_id bigint, n bigint, first bigint, commune bigint)")
        else:
            cursor.executemany("INSERT INTO org_unit (id, kind, code, name, parent_id, path, depth, sort_key) "
                               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", [(*row, row[3]) for row in units])
            cursor.execute("CREATE TEMP TABLE bench_cells (unit_id bigint, n bigint, first bigint, commune bigint)")
        cursor.executemany("INSERT INTO bench_cells VALUES (%s, %s, %s, %s)", cells)
        prefix, series, bound = _counter(vendor, max(n for _, n, _, _ in cells))

        # Members: the columns of one template member, the status and smartphone by the number.
        template = Member(status="official", full_name="Nguyễn Văn An", family_name="Nguyễn", middle_name="Văn",
                          given_name="An", search_name=" nguyen van an ", sort_key="0041", sex="M", birth_year=1970,
                          admission_date=dt.date(2000, 1, 1), official_date=dt.date(2001, 1, 1))
        fields = [f for f in Member._meta.concrete_fields if f.attname not in ("id", "unit_id", "status",
                                                                               "has_smartphone")]
        params: list[object] = []
        values = []
        for f in fields:
            value = f.get_db_prep_save(f.pre_save(template, add=True), connection)
            if value is None:
                values.append("NULL")
            else:
                values.append("%s")
                params.append(value)
        spread = "((c.first + s.k) * 7919) % 1000"
        status = (f"CASE WHEN {spread} < 50 THEN 'exempted' WHEN {spread} < 80 THEN 'probationary' "
                  f"WHEN {spread} < 90 THEN 'temporarily_out' WHEN {spread} < 110 THEN 'transferred_out' "
                  "ELSE 'official' END")
        phone = "((c.first + s.k) * 104729) % 100"
        smartphone = f"CASE WHEN {phone} < 8 THEN FALSE WHEN {phone} < 70 THEN TRUE ELSE NULL END"
        columns = ", ".join(q(f.column) for f in fields)
        cursor.execute(
            f"INSERT INTO members_member (id, unit_id, status, has_smartphone, {columns}) "
            f"{prefix}SELECT c.first + s.k - 1, c.unit_id, {status}, {smartphone}, {', '.join(values)} "
            f"FROM bench_cells c CROSS JOIN {series} WHERE {bound}".replace("%", "%%").replace("%%s", "%s"), params)
        if vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('members_member', 'id'), %s)",
                           [SHAPE["members"]])

        # Accounts: per commune 55% to 95% of the members on the roll; activated over 18 months.
        registered_rate = "(55 + (c.commune * 37) % 41)"
        on_roll = "m.status IN ('official', 'probationary', 'exempted', 'temporarily_out')"
        picked = f"(CAST(m.id AS BIGINT) * 48271) % 100 < {registered_rate}"
        days = "((m.id * 31) % 540)"
        if vendor == "postgresql":
            stamp = f"TIMESTAMPTZ '{YEAR}-11-30 12:00:00+07' - {days} * INTERVAL '1 day'"
        else:
            stamp = f"datetime('{YEAR}-11-30 05:00:00', '-' || {days} || ' days')"
        active = "(m.id % 97 <> 0)"  # about 1% closed
        usable = "'md5$bench$0123456789abcdef0123456789abcdef'"
        cursor.execute(
            f"INSERT INTO {q(User._meta.db_table)} (password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined, member_id, activated_at) "
            f"SELECT {usable}, FALSE, 'b' || m.id, '', '', '', FALSE, {active}, {stamp}, m.id, {stamp} "
            f"FROM members_member m JOIN bench_cells c ON c.unit_id = m.unit_id WHERE {on_roll} AND {picked}")

        # Handbook use: 40% to 90% of the registered members a month, a member's months as bits.
        used_rate = "(40 + (c.commune * 53) % 51)"
        bits = " + ".join(f"CASE WHEN (CAST(m.id AS BIGINT) * {7 + 2 * i} + {i * 13}) % 100 < {used_rate} THEN {1 << (i - 1)} "
                          "ELSE 0 END" for i in range(1, MONTH + 1))
        cursor.execute(
            f"INSERT INTO {q(MemberActivity._meta.db_table)} (member_id, year, months, unit_id) "
            f"SELECT m.id, {YEAR}, {bits}, m.unit_id FROM members_member m JOIN bench_cells c ON c.unit_id = m.unit_id "
            f"JOIN {q(User._meta.db_table)} u ON u.member_id = m.id WHERE {on_roll}")
        cursor.execute(f"DELETE FROM {q(MemberActivity._meta.db_table)} WHERE months = 0")

        # Meetings: a regular meeting a cell and month, held with a per-commune chance of 60% to 97%;
        # a monthly committee meeting in every commune and organization, held.
        cursor.execute("CREATE TEMP TABLE bench_months (month int)")
        cursor.executemany("INSERT INTO bench_months VALUES (%s)", [(m,) for m in range(1, MONTH + 1)])
        held_rate = "(60 + (c.commune * 29) % 38)"
        if vendor == "postgresql":
            starts = f"make_timestamptz({YEAR}, b.month, 10, 19, 30, 0, 'Asia/Ho_Chi_Minh')"
        else:
            starts = f"printf('{YEAR}-%02d-10 12:30:00', b.month)"  # UTC, as Django stores it
        meeting = q(Meeting._meta.db_table)
        cursor.execute(
            f"INSERT INTO {meeting} (unit_id, kind, topic, place, starts_at, status, registered_at, checkin_token, "
            "cancelled_reason, version) "
            f"SELECT c.unit_id, 'regular', 'Sinh hoạt định kỳ', 'Hội trường', {starts}, "
            f"CASE WHEN (c.unit_id * 31 + b.month * 17) % 100 < {held_rate} THEN 'held' ELSE 'scheduled' END, "
            f"{starts}, 'bench-' || c.unit_id || '-' || b.month, '', 1 FROM bench_cells c CROSS JOIN bench_months b")
        cursor.execute(
            f"INSERT INTO {meeting} (unit_id, kind, topic, place, starts_at, status, registered_at, checkin_token, "
            "cancelled_reason, version) "
            f"SELECT u.id, 'committee', 'Họp cấp ủy', 'Trụ sở', {starts}, 'held', {starts}, "
            "'bench-' || u.id || '-' || b.month, '', 1 FROM org_unit u CROSS JOIN bench_months b "
            "WHERE u.kind <> 'cell'")
        cursor.execute("DROP TABLE bench_months")
        cursor.execute("DROP TABLE bench_cells")
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            for table in ("members_member", User._meta.db_table, MemberActivity._meta.db_table,
                          Meeting._meta.db_table, "org_unit"):
                cursor.execute(f"VACUUM ANALYZE {q(table)}")  # the visibility map: index-only scans
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _loaded(units: list[tuple]) -> bool:
    from dangvien.meetings.models import Meeting
    from dangvien.members.models import Member
    from dangvien.org.models import Unit

    return (Unit.objects.count() == len(units) and Member.objects.count() == SHAPE["members"]
            and Meeting.objects.exists())


def _baseline() -> Callable[[], object]:
    from django.db import connection

    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute("SELECT unit_id, COUNT(*) FROM members_member GROUP BY unit_id")
            return cursor.fetchall()
    return run


def measure(vendor: str, repeat: int) -> None:
    from django.db import connection

    import dangvien.wsgi  # noqa: F401  the served process's startup: views loaded, their objects frozen (wsgi.py)
    from dangvien.accounts.models import Role, RoleAssignment, User
    from dangvien.adoption.periods import Period
    from dangvien.adoption.reports import adoption_report, adoption_report_tree, adoption_trend
    from dangvien.org.models import Unit

    province = Unit.objects.get(code="P01")
    officer, _ = User.objects.get_or_create(username="bench-province")
    RoleAssignment.objects.get_or_create(user=officer, role=Role.COMMITTEE_OFFICER, unit=province)
    month, quarter, year = Period.month(YEAR, MONTH), Period.quarter(YEAR, 4), Period.year(YEAR)
    report = adoption_report(officer, province, month)
    figures = report.figures
    print(f"The province in {month.code}: members {figures.members:,}, registered {figures.registered:,}, "
          f"target {figures.target:,}, cells held {figures.cells_held:,}/{figures.cells:,}, "
          f"active {figures.active:,}, cells ≥ 50% active {figures.cells_half:,}, ≥ 80% {figures.cells_most:,}")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("province and its communes, a month (the page, the API)", lambda: adoption_report(officer, province, month)),
        ("province and its communes, a quarter", lambda: adoption_report(officer, province, quarter)),
        ("province and its communes, the year", lambda: adoption_report(officer, province, year)),
        ("every unit (4,101), a month (the XLSX)", lambda: adoption_report_tree(officer, province, month)),
        ("the province's trend, 12 months (the trend page, the API)", lambda: adoption_trend(officer, province, month)),
    ]
    print(f"\n{describe_database(vendor, connection)} · Python {platform.python_version()} · "
          f"{os.cpu_count()} cores · repeat {repeat} · load average {os.getloadavg()[0]:.2f}\n")
    print("| report | p50 ms | p95 ms | CPU p50 ms | raw GROUP BY p50 ms | ratio | ≤ 200 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    baseline = _baseline()
    for name, run in cases:
        base50, _ = _percentiles(_time(baseline, repeat))
        cpu: list[float] = []
        p50, p95 = _percentiles(_time(run, repeat, cpu))
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {statistics.median(cpu):.1f} | {base50:.1f} | "
              f"{p50 / base50:.2f}x | {'met' if p95 <= 200 else 'MISSED'} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="measure the data an earlier run left, if complete")
    options = parser.parse_args()
    vendor = prepare_environment(var_default="/tmp/dangvien-adoption-bench", var_env="DANGVIEN_BENCH_VAR",
                                 bench_db=BENCH_DB, keep_sqlite=options.reuse, keep_postgres=options.reuse)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    units, cells = build()
    if options.reuse and _loaded(units):
        print("Reused the data an earlier run loaded.")
    else:
        seconds = load(units, cells, vendor)
        print(f"Loaded {len(units):,} units, {len(cells):,} cells and their members, accounts, handbook use and "
              f"meetings in {seconds:.1f} s.")
    measure(vendor, options.repeat)


if __name__ == "__main__":
    main()
