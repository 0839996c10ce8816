"""Year-end evaluations and party fees: recorded by the cell through the member services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.members.models import Classification, FeePayment, MemberEvaluation
from dangvien.members.services import classification_for, evaluation_record, fee_payment_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("score", "expected"), [
    ("100", Classification.EXCELLENT), ("90", Classification.EXCELLENT), ("89.9", Classification.GOOD),
    ("70", Classification.GOOD), ("69.5", Classification.COMPLETED), ("50", Classification.COMPLETED),
    ("49.9", Classification.NOT_COMPLETED), ("0", Classification.NOT_COMPLETED),
])
def test_classification_follows_qd_366(score, expected):
    assert classification_for(Decimal(score)) == expected


def test_the_thresholds_are_settings(settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "EVALUATION_EXCELLENT": 95, "EVALUATION_GOOD": 80,
                         "EVALUATION_COMPLETED": 60}
    assert classification_for(Decimal("92")) == Classification.GOOD
    assert classification_for(Decimal("55")) == Classification.NOT_COMPLETED


def test_the_secretary_records_and_corrects_an_evaluation(world):
    member = world.member_a1
    first = evaluation_record(actor=world.secretary_a1, member=member, year=2025, score="86.5", note="Tốt")
    assert (first.score, first.classification, first.recorded_by) == (Decimal("86.5"), "good", world.secretary_a1)
    corrected = evaluation_record(actor=world.secretary_a1, member=member, year=2025, score=91)
    assert corrected.pk == first.pk and MemberEvaluation.objects.filter(member=member).count() == 1
    assert corrected.classification == Classification.EXCELLENT
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id, entry.unit_path) == (
        "member.evaluation_record", str(member.pk), world.cell_a1.path)
    assert entry.before == {"score": "86.5", "classification": "good"}
    assert entry.after == {"year": 2025, "score": "91.0", "classification": "excellent"}


@pytest.mark.parametrize(("year", "score", "field"), [
    (2025, "100.5", "score"), (2025, "-1", "score"), (2025, "tám mươi", "score"),
    (2027, "80", "year"),  # today is 21/11/2026
    (2009, "80", "year"),  # member_a1 was admitted in 2010
])
def test_a_wrong_evaluation_changes_nothing(world, year, score, field):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        evaluation_record(actor=world.secretary_a1, member=world.member_a1, year=year, score=score)
    assert list(error.value.message_dict) == [field]
    assert MemberEvaluation.objects.count() == 0 and AuditEntry.objects.count() == before


def test_only_the_cell_and_its_committee_record(world):
    with pytest.raises(PermissionDenied):  # sees the member, may not record
        evaluation_record(actor=world.card_officer_a, member=world.member_a1, year=2025, score=80)
    with pytest.raises(NotFound):  # another cell's member: absent
        evaluation_record(actor=world.secretary_a1, member=world.member_a2, year=2025, score=80)
    with pytest.raises(NotFound):
        fee_payment_record(actor=world.member_user_a1, member=world.member_b1, month=dt.date(2026, 10, 1), amount=1)
    with pytest.raises(PermissionDenied):  # a member does not record their own fees
        fee_payment_record(actor=world.member_user_a1, member=world.member_a1, month=dt.date(2026, 10, 1),
                           amount=30000)
    evaluation_record(actor=world.officer_a, member=world.member_a2, year=2025, score=72)
    assert FeePayment.objects.count() == 0 and MemberEvaluation.objects.count() == 1


def test_a_fee_is_one_row_a_month(world):
    paid = fee_payment_record(actor=world.secretary_a1, member=world.member_a1, month=dt.date(2026, 10, 17),
                              amount=30000)
    assert paid.month == dt.date(2026, 10, 1)  # the month, whatever day was given
    again = fee_payment_record(actor=world.secretary_a1, member=world.member_a1, month=dt.date(2026, 10, 1),
                               amount=35000, note="Điều chỉnh")
    assert again.pk == paid.pk and again.amount == 35000
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "member.fee_record"
    assert (entry.before, entry.after) == ({"month": "2026-10-01", "amount": 30000},
                                           {"month": "2026-10-01", "amount": 35000})


@pytest.mark.parametrize(("month", "amount", "field"), [
    (dt.date(2026, 10, 1), 0, "amount"),
    (dt.date(2026, 10, 1), 10_000_001, "amount"),
    (dt.date(2027, 12, 1), 30000, "month"),  # thirteen months ahead
    (dt.date(2010, 2, 1), 30000, "month"),  # before the admission (02/03/2010)
])
def test_a_wrong_fee_changes_nothing(world, month, amount, field):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        fee_payment_record(actor=world.secretary_a1, member=world.member_a1, month=month, amount=amount)
    assert list(error.value.message_dict) == [field]
    assert FeePayment.objects.count() == 0 and AuditEntry.objects.count() == before


def test_a_fee_twelve_months_ahead_is_accepted(world):
    fee_payment_record(actor=world.secretary_a1, member=world.member_a1, month=dt.date(2027, 11, 1), amount=30000)
    assert FeePayment.objects.get().month == dt.date(2027, 11, 1)
