"""core/prepared.py: a read compiled once returns what the ORM's own queryset returns, on SQLite and
PostgreSQL, and refuses what it cannot bind safely."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models
from django.db.models import Count, IntegerField, Q, Sum, Window
from django.db.models.functions import Cast, ExtractYear
from django.test.utils import isolate_apps

from dangvien.core.prepared import Prepared, record_columns, record_from_row
from dangvien.members.models import FeePayment, Member
from dangvien.members.services import fee_payment_record

pytestmark = pytest.mark.django_db


def _fees(member_id: int, year: int):
    return (FeePayment.objects.filter(member_id=member_id)
            .annotate(paid_year=Cast(ExtractYear("month"), IntegerField()))
            .annotate(year_total=Window(Sum("amount", filter=Q(paid_year=year))))
            .order_by("-month").values_list("month", "amount", "year_total"))


FEES = Prepared(_fees, takes=(int, int))


def test_the_rows_are_the_orms_own_with_each_call_its_values(world):
    for member, months in ((world.member_a1, [(2025, 12), (2026, 1), (2026, 2)]), (world.member_a2, [(2026, 3)])):
        for year, month in months:
            fee_payment_record(actor=world.admin, member=member, month=dt.date(year, month, 1), amount=30000)
    a1, a2 = world.member_a1.pk, world.member_a2.pk
    # Dates come back as dates (the converters ran on SQLite too), the year's sum per call.
    assert FEES(a1, 2026) == [(dt.date(2026, 2, 1), 30000, 60000), (dt.date(2026, 1, 1), 30000, 60000),
                              (dt.date(2025, 12, 1), 30000, 60000)]
    assert FEES(a1, 2025) == [(dt.date(2026, 2, 1), 30000, 30000), (dt.date(2026, 1, 1), 30000, 30000),
                              (dt.date(2025, 12, 1), 30000, 30000)]
    assert FEES(a2, 2026) == [(dt.date(2026, 3, 1), 30000, 30000)]
    assert FEES(world.member_b1.pk, 2026) == []
    for member_id, year in ((a1, 2026), (a1, 2025), (a2, 2026), (a2, 2024)):
        assert FEES(member_id, year) == list(_fees(member_id, year))


def test_a_value_may_be_used_twice_and_in_any_order(world):
    counted = Prepared(lambda low, high: Member.objects.filter(Q(pk__gte=low) & Q(pk__lte=high) & ~Q(pk=low))
                       .values("unit_id").annotate(n=Count("id")).order_by("unit_id").values_list("unit_id", "n"),
                       takes=(int, int))
    ids = sorted(Member.objects.values_list("pk", flat=True))
    low, high = ids[0], ids[-1]
    expected = list(Member.objects.filter(pk__gt=low, pk__lte=high).values("unit_id").annotate(n=Count("id"))
                    .order_by("unit_id").values_list("unit_id", "n"))
    assert counted(low, high) == expected and len(expected) > 1


@pytest.mark.parametrize("values", [("1",), (1.0,), (True,), (None,), (1, 2), ()])
def test_only_whole_numbers_and_as_many_as_declared(values):
    one = Prepared(lambda member_id: Member.objects.filter(pk=member_id).values_list("pk"), takes=(int,))
    with pytest.raises(TypeError, match=r"takes \(int\)"):
        one(*values)


def test_a_value_the_orm_adapts_is_refused_at_the_first_call(world):
    # The value becomes a string parameter: bound as it is, it would match nothing, silently.
    by_name = Prepared(lambda n: Member.objects.filter(full_name=str(n)).values_list("pk"), takes=(int,))
    with pytest.raises(ValueError, match="must reach the SQL as they are"):
        by_name(5)


def test_a_string_value(world):
    named = Prepared(lambda name: Member.objects.filter(full_name=name).values_list("pk"), takes=(str,))
    assert named("Nguyễn Thị Hà") == [(world.member_a1.pk,)]
    assert named("Lê Thị Hoà") == [(world.member_b1.pk,)]
    assert named("'; DROP TABLE members_member; --") == []  # a parameter, never SQL
    assert Member.objects.count() > 2


def test_a_date_cannot_be_a_value():
    with pytest.raises(TypeError, match="whole numbers and strings, not date"):
        Prepared(lambda day: FeePayment.objects.filter(month=day).values_list("pk"), takes=(dt.date,))


def test_columns_added_for_a_distinct_ordering_are_dropped_as_the_orm_drops_them(world):
    # DISTINCT with an ordering on a column not listed: the SQL selects that column too.
    units = Prepared(lambda low: Member.objects.filter(pk__gte=low).order_by("unit__path").distinct()
                     .values_list("unit_id"), takes=(int,))
    low = min(Member.objects.values_list("pk", flat=True))
    expected = list(Member.objects.filter(pk__gte=low).order_by("unit__path").distinct().values_list("unit_id"))
    assert units(low) == expected and all(len(row) == 1 for row in expected) and len(expected) > 1


@isolate_apps("django.contrib.sessions")  # an app whose ready() does nothing
def test_a_composite_primary_key_is_refused_at_the_first_call():
    # results_iter pairs a composite key's columns up into one value; the converters found once
    # would not: refused rather than rows of another shape.
    class Pair(models.Model):  # noqa: DJ008 (never shown)
        pk = models.CompositePrimaryKey("left", "right")
        left = models.IntegerField()
        right = models.IntegerField()

        class Meta:
            app_label = "sessions"
            managed = False

    pairs = Prepared(lambda low: Pair.objects.filter(left__gte=low).values_list("pk"), takes=(int,))
    with pytest.raises(ValueError, match="composite primary key"):
        pairs(1)


def test_a_record_read_is_the_orms_instance_and_leaves_the_callers_columns(world):
    members = Prepared(lambda member_id: Member.objects.filter(pk=member_id)
                       .values_list(*record_columns(Member), "unit__name"), takes=(int,))
    row = members(world.member_a1.pk)[0]
    member = record_from_row(Member, row)
    loaded = Member.objects.get(pk=world.member_a1.pk)
    assert [getattr(member, c) for c in record_columns(Member)] == [getattr(loaded, c) for c in record_columns(Member)]
    assert member.pk == loaded.pk and not member._state.adding and row[-1] == loaded.unit.name
    assert "id" in record_columns(Member) and "unit_id" in record_columns(Member)  # the attnames, as from_db takes
