import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangvien.core.audit import audit_verify
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.members import services
from dangvien.members.models import EventKind, Status


def test_recognize_official_writes_history_and_audit(world):
    m = world.member_a2
    m = services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 9, 2))
    assert m.status == Status.OFFICIAL
    assert [e.kind for e in m.events.all()] == [EventKind.ADMITTED, EventKind.RECOGNIZED_OFFICIAL]
    assert audit_verify()[1] is None


def test_officer_cannot_touch_other_subtree(world):
    m = world.member_b1
    with pytest.raises(NotFound):
        services.member_record_death(actor=world.officer_a, member=m, expected_version=m.version,
                                     date=dt.date(2026, 1, 1))


def test_stale_edit_refused(world):
    m = world.member_a1
    services.member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes={"phone": "0912345678"})
    with pytest.raises(StaleEdit):
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"hometown": "Xã Chư Sê"})


def test_deceased_cannot_become_official(world):
    m = world.member_a2
    m = services.member_record_death(actor=world.officer_a, member=m, expected_version=m.version, date=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 10, 1))
    assert "status" in exc.value.message_dict
