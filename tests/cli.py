"""The real `dangvien` command in child processes, on the database the suite runs on.

A child sees neither the test's transaction nor its frozen clock. On PostgreSQL it gets a database
of its own, `<test database>_<suffix>`, made and dropped here; on SQLite, the file under its var
directory, as in production. Its clock starts at tests.clock.NOW and runs on (tick=True), so the
child's "today" is the tests' today and the command can still measure time."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from psycopg import sql

from tests.clock import NOW

# `python -m dangvien ARGS`, in a child whose clock starts at the suite's "now".
_CHILD = (
    "import sys, time_machine\n"
    f"time_machine.travel({NOW.isoformat()!r}, tick=True).start()\n"
    "from dangvien.__main__ import main\n"
    "sys.argv[0] = 'dangvien'\n"
    "main()\n"
)


@dataclass(frozen=True)
class CliSite:
    """A var directory and the database its commands use (`database` None: SQLite under var_dir)."""

    var_dir: Path
    database: str | None = None

    @property
    def on_postgresql(self) -> bool:
        return self.database is not None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["DANGVIEN_VAR"] = str(self.var_dir)
        if self.database:
            env["DATABASE_URL"] = _url_of(self.database)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", _CHILD, *args]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), env=self.env(), capture_output=True, text=True, timeout=timeout)

    def scalar(self, query: str) -> Any:
        """The first column of the first row, read straight from the database (not through Django)."""
        with self._connect() as db:
            row = db.execute(query).fetchone()
        return row[0] if row else None

    def execute(self, query: str) -> None:
        with self._connect() as db:
            db.execute(query)

    def _connect(self) -> contextlib.AbstractContextManager[Any]:
        if self.database:
            return psycopg.connect(_url_of(self.database), autocommit=True)
        return contextlib.closing(sqlite3.connect(self.var_dir / "dangvien.sqlite3", isolation_level=None))


@contextlib.contextmanager
def cli_site(var_dir: Path, suffix: str, *, copy_of: CliSite | None = None) -> Iterator[CliSite]:
    """A site for child processes, empty or a copy of another one (database and secret key), removed
    afterwards. Call it with the test database set up (the `django_db_setup` fixture): its name is
    the prefix of the child's database."""
    var_dir.mkdir(parents=True, exist_ok=True)
    if copy_of is not None:
        # The audit rows' keys live in var/, not in the database.
        for name in ("secret_key", "audit_keys.json"):
            shutil.copyfile(copy_of.var_dir / name, var_dir / name)
    if connection.vendor != "postgresql":
        if copy_of is not None:
            source, target = sqlite3.connect(copy_of.var_dir / "dangvien.sqlite3"), sqlite3.connect(
                var_dir / "dangvien.sqlite3")
            with contextlib.closing(source), contextlib.closing(target):
                source.backup(target)
        yield CliSite(var_dir)
        return

    name = f"{connection.settings_dict['NAME']}_{suffix}"
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))  # a crashed run's
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if copy_of is not None:
        create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(copy_of.database))
    _admin(create)
    try:
        yield CliSite(var_dir, name)
    finally:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _url_of(database: str) -> str:
    """The suite's DATABASE_URL (server, user, options) naming another database."""
    return urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + database).geturl()


def _admin(statement: sql.Composable) -> None:
    # CREATE and DROP DATABASE run outside a transaction, from the server's maintenance database.
    with psycopg.connect(_url_of("postgres"), autocommit=True) as db:
        db.execute(statement)
