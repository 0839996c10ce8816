"""The home-visit worklist and recording a visit with the steps done at the member's home."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.campaign.models import Care, Participant, Step, StepRecord
from dangvien.campaign.services import participant_step
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.models import AuditEntry
from dangvien.fieldwork.models import HomeVisit, Outcome
from dangvien.fieldwork.selectors import visit_worklist
from dangvien.fieldwork.services import home_visit_record, visit_policy_set

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def _names(actor, field, unit=None):
    return [p.member.full_name for p in visit_worklist(actor, field.campaign, unit)]


def test_the_worklist_holds_the_elderly_the_exempted_and_the_sick(field):
    w = field.world
    # Sorted by cell, then by given name: cell A1 (Lan, Tám), then cell A2 (Mai, Mười), then B.
    assert _names(w.province_officer, field) == ["Trần Thị Lan", "Lê Văn Tám", "Đỗ Thị Mai", "Hồ Văn Mười",
                                                 "Ngô Thị Bảy"]
    young = field.participant(field.young)
    Participant.objects.filter(pk=young.pk).update(care=Care.SICK)
    assert "Phạm Văn Lộc" in _names(w.province_officer, field)


def test_the_worklist_is_scoped_and_filtered_by_unit(field):
    w = field.world
    assert _names(w.card_officer_a, field) == ["Trần Thị Lan", "Lê Văn Tám", "Đỗ Thị Mai", "Hồ Văn Mười"]
    assert _names(w.officer_b, field) == ["Ngô Thị Bảy"]
    assert _names(w.secretary_a1, field) == ["Trần Thị Lan", "Lê Văn Tám"]
    assert _names(w.province_officer, field, w.cell_a2) == ["Đỗ Thị Mai", "Hồ Văn Mười"]


def test_completed_and_departed_members_leave_the_worklist(field):
    w = field.world
    lan = field.participant(field.elderly)
    Participant.objects.filter(pk=lan.pk).update(stage=4)  # confirmed: the headline step
    Participant.objects.filter(pk=field.participant(field.exempted).pk).update(left_on=DAY)
    assert _names(w.card_officer_a, field) == ["Lê Văn Tám", "Hồ Văn Mười"]


def test_the_age_threshold_is_the_campaigns_setting(field):
    w = field.world
    visit_policy_set(actor=w.province_officer, campaign=field.campaign, elderly_age=80)
    # Lan is 78, Tám 75: no longer listed for age; Bảy (80) and exempted Mai stay.
    assert _names(w.province_officer, field) == ["Đỗ Thị Mai", "Ngô Thị Bảy"]
    with pytest.raises(ValidationError) as error:
        visit_policy_set(actor=w.province_officer, campaign=field.campaign, elderly_age=30)
    assert "elderly_age" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        visit_policy_set(actor=w.officer_a, campaign=field.campaign, elderly_age=70)


def test_a_visit_records_the_declaration_and_the_photo_in_one_transaction(field):
    w = field.world
    lan = field.participant(field.elderly)
    audit_before = AuditEntry.objects.count()
    result = home_visit_record(actor=w.card_officer_a, participant=lan, expected_version=lan.version,
                               visited_on=DAY, outcome=Outcome.PHOTO_TAKEN, steps=[Step.PHOTOGRAPHED, Step.DECLARED],
                               note="Chụp ảnh tại nhà")
    lan.refresh_from_db()
    assert (lan.stage, lan.stage_on, lan.version) == (2, DAY, 3)
    assert list(StepRecord.objects.filter(participant=lan).values_list("step", "day", "recorded_by")) == [
        ("declared", DAY, w.card_officer_a.pk), ("photographed", DAY, w.card_officer_a.pk)]
    visit = HomeVisit.objects.get(participant=lan)
    assert (visit.visited_on, visit.outcome, visit.group_id, visit.recorded_by_id, visit.planned_on) == (
        DAY, "photo_taken", field.group.pk, w.card_officer_a.pk, None)
    assert result.visit == visit and result.plan is None
    # Two steps and the visit: three audit rows.
    assert AuditEntry.objects.count() == audit_before + 3
    assert AuditEntry.objects.order_by("-seq").first().action == "fieldwork.home_visit"


def test_a_refused_step_undoes_the_whole_visit(field):
    w = field.world
    lan = field.participant(field.elderly)
    # The declaration is already on record (the police entered it): ticking it again is refused,
    # and with it the visit and the care mark sent in the same submission.
    participant_step(actor=w.card_officer_a, participant=lan, expected_version=1, step=Step.DECLARED, day=DAY)
    lan.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        home_visit_record(actor=w.card_officer_a, participant=lan, expected_version=lan.version, visited_on=DAY,
                          outcome=Outcome.DATA_COLLECTED, steps=[Step.DECLARED], care=Care.SICK)
    assert "steps" in error.value.message_dict
    lan.refresh_from_db()
    assert (lan.stage, lan.care, lan.version) == (1, "", 2)
    assert not HomeVisit.objects.exists()


def test_an_outcome_that_says_data_was_collected_needs_the_step(field):
    w = field.world
    lan = field.participant(field.elderly)
    with pytest.raises(ValidationError) as error:
        home_visit_record(actor=w.card_officer_a, participant=lan, expected_version=1, visited_on=DAY,
                          outcome=Outcome.DATA_COLLECTED)
    assert list(error.value.message_dict) == ["outcome"]
    assert not HomeVisit.objects.exists() and not StepRecord.objects.exists()


def test_plan_then_visit_fills_the_plan_and_a_new_day_is_the_next_visit(field):
    w = field.world
    tam = field.participant(field.turns_75_today)
    planned = home_visit_record(actor=w.card_officer_a, participant=tam, expected_version=1,
                                planned_on=dt.date(2026, 11, 21))
    assert planned.visit is None and planned.plan.planned_on == dt.date(2026, 11, 21)
    row = visit_worklist(w.card_officer_a, field.campaign).get(pk=tam.pk)
    assert (row.planned_on, row.last_outcome) == (dt.date(2026, 11, 21), None)
    # Nobody at home on the day: the visit is recorded against the plan, and the next one planned.
    done = home_visit_record(actor=w.card_officer_a, participant=tam, expected_version=1,
                             visited_on=dt.date(2026, 11, 21), outcome=Outcome.NOT_AT_HOME,
                             planned_on=dt.date(2026, 11, 25))
    assert done.visit.pk == planned.plan.pk
    assert (done.visit.planned_on, done.visit.visited_on) == (dt.date(2026, 11, 21), dt.date(2026, 11, 21))
    assert HomeVisit.objects.filter(participant=tam).count() == 2
    row = visit_worklist(w.card_officer_a, field.campaign).get(pk=tam.pk)
    assert (row.planned_on, row.last_visited_on, row.last_outcome) == (
        dt.date(2026, 11, 25), dt.date(2026, 11, 21), "not_at_home")


def test_marking_care_bumps_the_version(field):
    w = field.world
    loc = field.participant(field.young)
    result = home_visit_record(actor=w.card_officer_a, participant=loc, expected_version=1, care=Care.DISABLED)
    assert (result.participant.care, result.participant.version) == ("disabled", 2)
    assert result.visit is None and result.plan is None
    with pytest.raises(StaleEdit):
        home_visit_record(actor=w.card_officer_a, participant=loc, expected_version=1, care=Care.SICK)


@pytest.mark.parametrize(("kwargs", "field_name"), [
    ({}, "__all__"),
    ({"visited_on": dt.date(2026, 11, 22), "outcome": Outcome.NOT_AT_HOME}, "visited_on"),  # tomorrow
    ({"visited_on": dt.date(2026, 9, 30), "outcome": Outcome.NOT_AT_HOME}, "visited_on"),  # before the start
    ({"visited_on": DAY}, "outcome"),
    ({"outcome": Outcome.NOT_AT_HOME}, "visited_on"),
    ({"planned_on": dt.date(2026, 11, 20)}, "planned_on"),  # yesterday
    ({"steps": [Step.DECLARED]}, "steps"),  # no visit day
    ({"visited_on": DAY, "outcome": Outcome.OTHER, "steps": [Step.COMPARED]}, "steps"),
    ({"care": "dying"}, "care"),
])
def test_bad_visits_are_refused_with_the_field_and_nothing_changes(field, kwargs, field_name):
    w = field.world
    lan = field.participant(field.elderly)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        home_visit_record(actor=w.card_officer_a, participant=lan, expected_version=1, **kwargs)
    assert field_name in error.value.message_dict
    assert (HomeVisit.objects.count(), StepRecord.objects.count(), AuditEntry.objects.count()) == (0, 0, audit_before)


def test_who_may_record_visits(field):
    w = field.world
    lan, bay = field.participant(field.elderly), field.participant(field.elderly_b)
    # A cell secretary sees the member but is in no group working there.
    with pytest.raises(PermissionDenied):
        home_visit_record(actor=w.secretary_a1, participant=lan, expected_version=1, planned_on=DAY.replace(day=30))
    # The card officer's group works in commune A, and the officer cannot see commune B at all.
    with pytest.raises(NotFound):
        home_visit_record(actor=w.card_officer_a, participant=bay, expected_version=1, planned_on=DAY.replace(day=30))
    # Commune B's committee officer records visits in their subtree without a group.
    result = home_visit_record(actor=w.officer_b, participant=bay, expected_version=1, planned_on=DAY.replace(day=30))
    assert result.plan.group is None
    assert not mail.outbox
