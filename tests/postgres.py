"""PostgreSQL housekeeping for the suite.

A test that writes tens of thousands of rows and rolls them back (the press figures: 141,794 and
57,597 members) leaves them in the tables as dead rows, which autovacuum did not clear during the
run, and every later scan reads through them: the scope matrix, which reads whole tables twice a
request, took 508 s of test time after them against 67 s without. The fixtures that build rows for
many tests (tests/shared.py) therefore vacuum first.

A vacuum records the emptied tables as empty, and PostgreSQL keeps, for the rest of the session, a
plan made for an empty table where it caches plans: the foreign key checks' (and PL/pgSQL's). One
made on an empty members table scans the table for each row checked, and the next bulk module's
141,794 participants took 555 s. The suite's connections therefore plan those each time
(`plan_cache_mode = force_custom_plan`, from `custom_plans`), with the table's real size.
"""

from __future__ import annotations

from django.db import connection


def vacuum() -> None:
    """VACUUM ANALYZE the test database on PostgreSQL (outside any transaction; nothing on SQLite,
    whose rolled-back rows leave no dead rows behind)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def custom_plans(sender, connection, **kwargs) -> None:
    """A connection_created receiver: no generic plans kept for the session (above)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
