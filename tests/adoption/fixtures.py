"""Adoption rows in bulk for the report tests: members, their logins, their handbook use and their
cells' held meetings, each written by one INSERT ... SELECT (over a counter for the members), on
SQLite and PostgreSQL alike. Rows, not the services: the report is what these tests test (the
services have their own tests); meetings are inserted as HELD directly because the meetings'
services (minutes approval) belong to the meetings app and are tested there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from dangvien.accounts.models import User
from dangvien.adoption.models import MemberActivity
from dangvien.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangvien.members.models import ON_ROLL_STATUSES, Member, Status
from dangvien.org.models import Unit

# A usable password hash (its value never checked: nobody logs in with these logins).
USABLE = "md5$adoption$0123456789abcdef0123456789abcdef"
ACTIVATED = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


def _sql_value(value: Any, params: list[Any]) -> str:
    if value is None:
        return "NULL"  # an untyped NULL parameter is text to PostgreSQL, which a typed column refuses
    params.append(value)
    return "%s"


def bulk_members(unit: Unit | int, count: int, *, status: str = Status.OFFICIAL,
                 has_smartphone: bool | None = True) -> range:
    """`count` members in `unit` (the same person's data, no unique field set); returns their ids."""
    unit_id = unit if isinstance(unit, int) else unit.pk
    if not count:
        return range(0)
    template = Member(unit_id=unit_id, status=status, has_smartphone=has_smartphone, full_name="Nguyễn Văn An",
                      family_name="Nguyễn", middle_name="Văn", given_name="An", search_name=" nguyen van an ",
                      sort_key="an", sex="M", birth_year=1970, admission_date=dt.date(2000, 1, 1),
                      official_date=dt.date(2001, 1, 1))
    fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
    params: list[Any] = [count]
    values = [_sql_value(f.get_db_prep_save(f.pre_save(template, add=True), connection), params) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Member._meta.db_table} ({columns}) "
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
            f"SELECT {', '.join(values)} FROM seq", params)
    # One statement's ids are consecutive (PostgreSQL's sequence may start past rolled-back rows).
    last = Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = range(last - count + 1, last + 1)
    assert Member.objects.filter(pk__gte=ids.start, pk__lte=last, unit_id=unit_id).count() == count
    return ids


def bulk_accounts(members: range, *, activated_at: dt.datetime | None = ACTIVATED, is_active: bool = True,
                  usable: bool = True) -> None:
    """One login for each member of `members` (ids from bulk_members): registered when active with a
    usable password (activated_at set); `usable=False`: registered by a secretary, waiting for its code."""
    if not members:
        return
    q = connection.ops.quote_name
    password = USABLE if usable else "!unusable"
    params: list[Any] = [password, False, False, is_active]
    stamp = _sql_value(connection.ops.adapt_datetimefield_value(ACTIVATED), params)
    member = "m.id"
    activated = _sql_value(connection.ops.adapt_datetimefield_value(activated_at) if usable else None, params)
    params += [members.start, members.stop - 1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(User._meta.db_table)} (password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined, member_id, activated_at) "
            f"SELECT %s, %s, 'a' || CAST(m.id AS VARCHAR(20)), '', '', '', %s, %s, {stamp}, {member}, {activated} "
            f"FROM {Member._meta.db_table} m WHERE m.id BETWEEN %s AND %s", params)


def bulk_activity(members: range, *, year: int, months: int) -> None:
    """Handbook use in `year` (the months' bits) for each member of `members`, in their cell while on the roll."""
    if not members:
        return
    q = connection.ops.quote_name
    statuses = sorted(ON_ROLL_STATUSES)
    marks = ", ".join(["%s"] * len(statuses))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(MemberActivity._meta.db_table)} (member_id, year, months, unit_id) "
            f"SELECT m.id, %s, %s, CASE WHEN m.status IN ({marks}) THEN m.unit_id END FROM {Member._meta.db_table} m "
            "WHERE m.id BETWEEN %s AND %s", [year, months, *statuses, members.start, members.stop - 1])


def held_meeting(unit: Unit, starts_at: dt.datetime, *, status: str = MeetingStatus.HELD,
                 kind: str = MeetingKind.REGULAR) -> Meeting:
    """A meeting row as the meetings app leaves it once its minutes are approved (test setup only:
    minutes_approve is the meetings app's service)."""
    token = f"t{Meeting.objects.count() + 1}-{unit.pk}-{starts_at:%Y%m%d%H%M}"
    return Meeting.objects.create(unit=unit, kind=kind, topic="Sinh hoạt chi bộ", place="Hội trường",
                                  starts_at=starts_at, status=status, registered_at=starts_at - dt.timedelta(days=20),
                                  checkin_token=token, held_at=starts_at if status == MeetingStatus.HELD else None)
