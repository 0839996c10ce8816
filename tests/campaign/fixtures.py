"""Campaign rows in bulk for the report tests: members and participants written by one INSERT ...
SELECT each over a counter, on SQLite and PostgreSQL alike. A fixture of rows, not a path through
the services: the report is what these tests test (the services have their own tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from dangvien.campaign.models import Campaign, Participant
from dangvien.members.models import Member, Status
from dangvien.org.models import Unit

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


def _sql_value(value: Any, params: list[Any]) -> str:
    if value is None:
        return "NULL"  # an untyped NULL parameter is text to PostgreSQL, which a date column refuses
    params.append(value)
    return "%s"


def bulk_members(unit: Unit, count: int) -> None:
    """`count` official members in `unit` (the same person's data, no unique field set)."""
    if not count:
        return
    template = Member(unit=unit, status=Status.OFFICIAL, full_name="Nguyễn Văn An", family_name="Nguyễn",
                      middle_name="Văn", given_name="An", search_name="nguyen van an", sort_key="an",
                      sex="M", birth_year=1970, admission_date=dt.date(2000, 1, 1),
                      official_date=dt.date(2001, 1, 1), card_number=None)
    fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
    params: list[Any] = [count]
    values = [_sql_value(f.get_db_prep_save(f.pre_save(template, add=True), connection), params) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Member._meta.db_table} ({columns}) "
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
            f"SELECT {', '.join(values)} FROM seq", params)


def bulk_participants(campaign: Campaign, unit: Unit, *, stages: list[tuple[int, int]], hold: str = "") -> None:
    """Participants for the members of `unit` that have none yet: `stages` lists (count, stage) in
    order (the first `count` members at that stage, ...); the members left over are not added."""
    table = Participant._meta.db_table
    start = 0
    for count, stage in stages:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (campaign_id, member_id, unit_id, eligible, exclusion, stage, stage_on, hold, "
                "hold_note, hold_since, care, joined_on, left_on, departure, version) "
                "SELECT %s, m.id, m.unit_id, %s, '', %s, NULL, %s, '', NULL, '', %s, NULL, '', 1 "
                f"FROM (SELECT id, unit_id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM {Member._meta.db_table} "
                "WHERE unit_id = %s) AS m WHERE m.rn > %s AND m.rn <= %s",
                [campaign.pk, True, stage, hold, campaign.start, unit.pk, start, start + count])
        start += count


def bare_campaign(unit: Unit, **fields: Any) -> Campaign:
    """A campaign row without a snapshot (the tests add the participants they need)."""
    return Campaign.objects.create(**{"name": "Đổi thẻ đảng viên 2026", "unit": unit, "start": START,
                                      "deadline": DEADLINE, "snapshot_date": START, **fields})
