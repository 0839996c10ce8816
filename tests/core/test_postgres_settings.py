"""PostgreSQL as production runs it (settings.py, docs/architecture.md "Databases"); collected on
PostgreSQL only (conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from dangvien.core.audit import _seal_head_locked
from dangvien.core.models import AuditSealHead
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



def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # real transactions: the setting is a transaction's
def test_a_seal_of_its_own_commits_without_waiting_for_the_disk():
    # core/audit.py: the head is locked by a read that also turns synchronous_commit off for that
    # transaction only (a seal's commit need not wait for the disk: the writers' commits did).
    with transaction.atomic():
        assert _synchronous_commit() == "on"
        assert _seal_head_locked(relaxed_commit=False).number >= 0
        assert _synchronous_commit() == "on"
    with transaction.atomic():
        head = _seal_head_locked(relaxed_commit=True)
        assert (head.id, head.number) == (1, AuditSealHead.objects.get(id=1).number)
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == "on"  # for that transaction only
