"""Rows built once for many tests (a class's or a module's): in a transaction rolled back after them,
each test running in a savepoint of it (pytest-django's `db`), as Django's TestCase.setUpTestData.

Before building, PostgreSQL is vacuumed: the rows that earlier tests on this worker rolled back are
dead rows until then, and every whole-table read of the shared tests walks through them (tests/postgres.py).
After building, PostgreSQL's deferred foreign key checks of the rows are run once: Django's TestCase
runs them at each test's end, in its savepoint, where they come back after the rollback (1.5 s a test
over the campaign's 141,794 members)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection, transaction

from tests.postgres import vacuum

T = TypeVar("T")


def built_once(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """For a wide fixture: `yield from built_once(django_db_blocker, build)`."""
    with django_db_blocker.unblock():
        vacuum()
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            built = build()
            connection.check_constraints()
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
