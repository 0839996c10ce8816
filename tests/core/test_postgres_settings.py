"""PostgreSQL as production runs it (settings.py, docs/architecture.md "Databases"); collected on
PostgreSQL only (conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from dangvien.members.models import Member

pytestmark = pytest.mark.django_db


def test_postgresql_prepares_a_statement_run_twice_on_a_connection(world):
    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           ['%"members_member"."full_name" = $1%'])
            return cursor.fetchone()[0]

    names = ["Nguyễn Thị Hà", "Lê Thị Hoà", "Nguyễn Văn An"]
    seen = []
    for name in names:
        list(Member.objects.filter(full_name=name).values_list("pk"))
        seen.append(prepared())
    # Run twice (prepare_threshold=2), then prepared at the third run and kept: parsed once more.
    assert seen == [0, 0, 1]

