"""Import of a province-scale population extract (script, not a test).

    .venv/bin/python bench/population_bench.py --rows 2600000                # SQLite setup: DuckDB store
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien .venv/bin/python bench/population_bench.py

Writes a synthetic extract of --rows citizens (population.generator's citizens, no members needed)
as CSV and as Parquet under the benchmark folder, then for each, in the same run:
  - baseline: DuckDB's bare read_csv / read_parquet of the same file into a table (no checks, no
    normalization);
  - the import: `snapshot_import` (SHA-256, core.tabular reading, checks, normalization, hometown
    mapping, the store's load, the audit row), timed end to end, and the rows per second.
Prints a Markdown table with the ratio import / baseline. Never touches var/ or the database in
DATABASE_URL (bench/benchdb.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import time
from pathlib import Path

from benchdb import describe_database, postgres_admin, prepare_environment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_600_000)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL benchmark database")
    args = parser.parse_args()
    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    vendor = prepare_environment(var_default="/tmp/dangvien-population-bench", var_env="DANGVIEN_BENCH_VAR",
                                 bench_db="dangvien_population_bench", keep_sqlite=False)
    import django

    django.setup()
    import duckdb
    import numpy as np
    from django.core.management import call_command
    from django.db import connection

    from dangvien.core.cli import SystemActor
    from dangvien.population.generator import _citizens, _write
    from dangvien.population.services import snapshot_import

    call_command("migrate", verbosity=0)
    steps = StepLog()
    store_log = logging.getLogger("dangvien.population.store")
    store_log.addHandler(steps)
    store_log.setLevel(logging.INFO)
    var = Path(os.environ["DANGVIEN_VAR"])
    extract, parquet = var / "extract.csv", var / "extract.parquet"
    started = time.perf_counter()
    citizens = _citizens(np.random.default_rng(1), random.Random(1), args.rows, set())
    _write(citizens, extract)
    _write(citizens, parquet)
    del citizens
    generated = time.perf_counter() - started
    size_mb = extract.stat().st_size / 1e6

    lines = []
    for path, reader in ((extract, "read_csv('{}', all_varchar = true)"), (parquet, "read_parquet('{}')")):
        started = time.perf_counter()
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {reader.format(path)}")
        baseline = time.perf_counter() - started
        con.close()
        started = time.perf_counter()
        snapshot = snapshot_import(actor=SystemActor(), path=path, name=f"bench {path.suffix}").snapshot
        imported = time.perf_counter() - started
        kind = path.suffix[1:]
        lines.append(f"| baseline: DuckDB {reader.split('(')[0]} into a table | {baseline:.1f} | "
                     f"{args.rows / baseline:,.0f} | 1.0 |")
        lines.append(f"| snapshot_import of the {kind} ({snapshot.rows:,} loaded, {snapshot.rejected:,} rejected) | "
                     f"{imported:.1f} | {args.rows / imported:,.0f} | {imported / baseline:.1f} |")
        lines.extend(steps.lines(kind))

    print(f"\n{args.rows:,} rows, {size_mb:.0f} MB CSV (generated in {generated:.1f} s); "
          f"{describe_database(vendor, connection)}, store {snapshot.backend}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average before the run {load_before}\n")
    print("| step | seconds | rows/s | × baseline |")
    print("|---|---:|---:|---:|")
    print("\n".join(lines))
    if vendor == "postgresql" and not args.keep:
        connection.close()
        postgres_admin('DROP DATABASE IF EXISTS "dangvien_population_bench"')


class StepLog(logging.Handler):
    """The store's own timing of its steps (PostgreSQL: copy, indexes, attach, analyze), as table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "step"):
            self.records.append(record)

    def lines(self, kind: str) -> list[str]:
        lines = []
        for record in self.records:
            waited = record.waited
            note = f" (of which {waited:.1f} s waiting for the reading and normalizing)" if waited else ""
            lines.append(f"| &nbsp;&nbsp;{kind}: store step {record.step}{note} | {record.seconds:.1f} | | |")
        self.records.clear()
        return lines


if __name__ == "__main__":
    main()
