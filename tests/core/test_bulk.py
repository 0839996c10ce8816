"""core.bulk.bulk_insert: plain rows stored as the ORM stores them, whether a row holds every column
(the fast path) or leaves some to their defaults."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangvien.core.bulk import bulk_insert, one_parameter, reserve_ids
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.factories import make_member, system_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    admin = system_admin()
    province = unit_create(actor=admin, kind=UnitKind.PROVINCE, code="GL", name="Tỉnh", parent=None)
    commune = unit_create(actor=admin, kind=UnitKind.COMMUNE, code="GL-A", name="Xã", parent=province)
    cell = unit_create(actor=admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-A-01", name="Chi bộ 1", parent=commune)
    return make_member(cell)


def test_full_rows_and_rows_with_defaults_store_the_same(member):
    MemberEvent.objects.all().delete()
    full = {"member_id": member.pk, "kind": EventKind.ADMITTED, "effective_date": dt.date(2010, 3, 2),
            "actor_id": None, "unit_id": member.unit_id, "from_status": "", "to_status": Status.PROBATIONARY,
            "decision": "", "note": "", "details": {}}
    partial = {k: v for k, v in full.items() if k not in ("actor_id", "decision", "note", "details", "from_status")}
    detailed = {**full, "details": {"fields": ["phone"], "tên": "Hoà"}, "note": "ghi chú"}
    ids = reserve_ids(MemberEvent, 3)
    before = timezone.now()
    bulk_insert(MemberEvent, [{**full, "id": ids[0]}, {**partial, "id": ids[1]}, {**detailed, "id": ids[2]}])
    events = list(MemberEvent.objects.order_by("id"))
    assert [e.pk for e in events] == ids
    for event in events[:2]:
        assert (event.kind, event.effective_date, event.actor_id, event.from_status, event.to_status, event.decision,
                event.note, event.details) == (EventKind.ADMITTED, dt.date(2010, 3, 2), None, "",
                                                Status.PROBATIONARY, "", "", {})
    assert events[2].details == {"fields": ["phone"], "tên": "Hoà"} and events[2].note == "ghi chú"
    # The auto_now_add column: the time of the run, the same for every row.
    assert len({e.recorded_at for e in events}) == 1 and events[0].recorded_at >= before.replace(microsecond=0)
    assert MemberEvent.objects.filter(recorded_at__gte=before - dt.timedelta(seconds=1)).count() == 3


def test_one_parameter_finds_what_an_in_list_finds(member):
    wanted = [member.citizen_id, "000000000000", "Hoà 'quoted' \"value\""]
    found = Member.objects.filter(citizen_id__in=one_parameter(wanted)).values_list("id", flat=True)
    assert list(found) == list(Member.objects.filter(citizen_id__in=wanted).values_list("id", flat=True)) == [member.pk]
    assert not Member.objects.filter(citizen_id__in=one_parameter([])).exists()
