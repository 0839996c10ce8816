"""Every write of the adoption app: the record of a member's handbook use, and keeping those records
in the member's cell when the member moves.

Neither is audited: a month's bit is its own dated record of the member's own use (like a
document's read receipt), and moving the rows with a member is part of the member's change, which
is audited by the member service that made it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dangvien.adoption.models import MemberActivity
from dangvien.adoption.periods import month_bit
from dangvien.members.hooks import MemberChange
from dangvien.members.models import ON_ROLL_STATUSES, Member


def member_activity_record(*, actor: Any, day: dt.date | None = None) -> bool:
    """The actor's member used the handbook on `day` (today by default): set that month's bit on
    the member's row of the year, creating it. One statement whatever the state (an upsert), so
    two requests at once cannot lose a bit or make a second row; the row's cell is the member's while
    on the roll (none once off it). No permission is needed: it records the actor's own use. Returns
    whether there was a member to record."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        return False
    day = day or timezone.localdate()
    table, members = connection.ops.quote_name(MemberActivity._meta.db_table), Member._meta.db_table
    statuses = sorted(ON_ROLL_STATUSES)
    # The ORM's upsert (bulk_create(update_conflicts=...)) can only overwrite a column, not OR a bit in.
    sql = (f"INSERT INTO {table} (member_id, year, months, unit_id) "
           f"SELECT m.id, %s, %s, CASE WHEN m.status IN ({', '.join(['%s'] * len(statuses))}) THEN m.unit_id END "
           f"FROM {members} m WHERE m.id = %s "
           f"ON CONFLICT (member_id, year) DO UPDATE SET months = {table}.months | excluded.months, "
           "unit_id = excluded.unit_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [day.year, month_bit(day), *statuses, member_id])
    return True


def activity_follow_member(change: MemberChange) -> None:
    """A member hook (members.hooks): the member moved or changed status, so their handbook-use
    rows count in their new cell, or nowhere once they left the roll. Runs in the member service's
    transaction."""
    member = change.member
    unit = member.unit_id if member.status in ON_ROLL_STATUSES else None
    if unit == (change.unit_before if change.status_before in ON_ROLL_STATUSES else None):
        return  # still counted in the same cell (exempted, back from a temporary transfer...): nothing to move
    MemberActivity.objects.filter(member_id=member.pk).update(unit_id=unit)
