"""The DuckDB store (the SQLite setup's; made here on a file of the test's own, so it runs whatever the
database) opened by two processes: while one writes (a load), a reader in another waits
briefly for the lock, then gets a clear "busy" error; once the writer is done, it reads."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dangvien.population import store as store_module
from dangvien.population.store import DuckDBStore, StoreBusy

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN")
con.execute("CREATE TABLE IF NOT EXISTS held (x INT)")
print("holding", flush=True)
sys.stdin.readline()  # until the test says so
con.execute("COMMIT")
con.close()
"""


def test_a_reader_waits_then_is_told_the_store_is_busy(tmp_path, monkeypatch):
    path = tmp_path / "population.duckdb"
    store = DuckDBStore(path)
    assert store.count(1) == 0  # creates the file
    writer = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        monkeypatch.setattr(store_module, "BUSY_WAIT", 0.5)
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="population store is busy"):
            store.count(1)
        assert time.monotonic() - started >= 0.5  # it waited before giving up
        with pytest.raises(StoreBusy):
            store.drop(1)
    finally:
        writer.communicate("done\n", timeout=30)
    assert store.count(1) == 0  # the lock is gone: it reads again


def test_readers_share_the_file(tmp_path):
    path = tmp_path / "population.duckdb"
    store = DuckDBStore(path)
    assert store.count(1) == 0
    reader = subprocess.Popen([sys.executable, "-c", HOLD.replace("duckdb.connect(sys.argv[1])",
                               "duckdb.connect(sys.argv[1], read_only=True)").replace(
                               'con.execute("CREATE TABLE IF NOT EXISTS held (x INT)")', ""), str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "holding"
        assert store.count(1) == 0  # two read-only processes at once
    finally:
        reader.communicate("done\n", timeout=30)
