"""The throwaway database every benchmark runs in (shared by the scripts in bench/)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def prepare_environment(*, var_default: str, var_env: str, bench_db: str, keep_sqlite: bool,
                        keep_postgres: bool = False) -> str:
    """Point Django at the benchmark database before it is imported; return the vendor.

    SQLite: a fresh folder (`$var_env`, default `var_default`), never the project's var/.
    PostgreSQL (DATABASE_URL=postgres://...): a database `bench_db` on the same server, recreated;
    the one DATABASE_URL names is never touched. keep_postgres: reuse `bench_db` if it exists (a
    script that checks its own data, so a long load is made once).
    """
    url = os.environ.get("DATABASE_URL", "")
    os.environ["DANGVIEN_VAR"] = os.environ.get(var_env, var_default)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
    os.environ.setdefault("DANGVIEN_SECRET_KEY", "benchmark-only-not-secret")
    sys.path.insert(0, str(ROOT / "src"))
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        # CREATE/DROP DATABASE run from the maintenance database of the same server.
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{bench_db}"))
        if not (keep_postgres and postgres_has_database(bench_db)):
            postgres_admin(f'DROP DATABASE IF EXISTS "{bench_db}"', f'CREATE DATABASE "{bench_db}"')
        return "postgresql"
    if url:
        raise SystemExit("DATABASE_URL must be a postgres:// URL (or unset for SQLite)")
    var = Path(os.environ["DANGVIEN_VAR"])
    if var.exists() and not keep_sqlite:
        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    return "sqlite"


def postgres_admin(*statements: str) -> None:
    """Run statements on the maintenance database of the server DATABASE_URL points at."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def postgres_has_database(name: str) -> bool:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def describe_database(vendor: str, connection) -> str:
    """The database and its version, for the heading of a results table."""
    if vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0]
