"""Difficulties raised by a unit to the provincial working group, answered and closed, with the
notices each side gets."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.fieldwork.models import Difficulty, DifficultyStatus
from dangvien.fieldwork.selectors import difficulties_visible_to
from dangvien.fieldwork.services import difficulty_answer, difficulty_close, difficulty_raise
from dangvien.notifications.models import Notification
from tests.clock import NOW

pytestmark = pytest.mark.django_db


def _raise(field, actor=None, unit=None):
    w = field.world
    return difficulty_raise(actor=actor or w.secretary_a1, campaign=field.campaign, unit=unit or w.cell_a1,
                            title="Đảng viên cao tuổi không đi lại được",
                            description="Ba đồng chí trên 85 tuổi cần chụp ảnh tại nhà.")


def test_a_raised_difficulty_goes_to_the_provincial_group_s_people(field):
    w = field.world
    found = _raise(field)
    assert (found.group_id, found.status, found.raised_by_id, found.unit_id) == (
        field.group.pk, DifficultyStatus.OPEN, w.secretary_a1.pk, w.cell_a1.pk)
    notices = Notification.objects.order_by("recipient__username")
    assert [(n.recipient.username, n.topic, n.link) for n in notices] == [
        ("the_a", "fieldwork.difficulty", f"/campaigns/{field.campaign.pk}/difficulties/#difficulty-{found.pk}"),
        ("tinh", "fieldwork.difficulty", f"/campaigns/{field.campaign.pk}/difficulties/#difficulty-{found.pk}")]
    assert notices[0].title == "Difficulty raised by Chi bộ Giáo viên 1: Đảng viên cao tuổi không đi lại được"


def test_without_a_provincial_group_the_province_s_officers_are_told(field):
    field.group.delete()
    found = _raise(field)
    assert found.group_id is None
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["tinh"]


def test_the_answer_goes_back_to_who_raised_it(field):
    w = field.world
    found = _raise(field)
    Notification.objects.all().delete()
    answered = difficulty_answer(actor=w.card_officer_a, difficulty=found,
                                 answer="Tổ công an xã sẽ đến tận nhà ngày 25/11.")
    assert (answered.status, answered.answered_by_id, answered.answered_at) == (
        DifficultyStatus.ANSWERED, w.card_officer_a.pk, NOW)
    notice = Notification.objects.get()
    assert (notice.recipient_id, notice.body) == (w.secretary_a1.pk, "Tổ công an xã sẽ đến tận nhà ngày 25/11.")
    # The secretary is in no group and no provincial officer: may not answer, may close.
    with pytest.raises(PermissionDenied):
        difficulty_answer(actor=w.secretary_a1, difficulty=found, answer="Cảm ơn")
    closed = difficulty_close(actor=w.secretary_a1, difficulty=found)
    assert closed.status == DifficultyStatus.CLOSED
    with pytest.raises(ValidationError):
        difficulty_answer(actor=w.province_officer, difficulty=found, answer="Muộn")


def test_raising_needs_a_unit_of_one_s_own_and_a_title(field):
    w = field.world
    with pytest.raises(PermissionDenied):
        _raise(field, actor=w.secretary_a1, unit=w.cell_a2)
    with pytest.raises(PermissionDenied):
        _raise(field, actor=w.member_user_a1)
    with pytest.raises(ValidationError) as error:
        difficulty_raise(actor=w.officer_a, campaign=field.campaign, unit=w.commune_a, title="  ")
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError):
        difficulty_answer(actor=w.province_officer, difficulty=_raise(field), answer="   ")
    assert Difficulty.objects.count() == 1 and Difficulty.objects.get().status == DifficultyStatus.OPEN


def test_who_sees_which_difficulty(field):
    w = field.world
    a = _raise(field)
    b = _raise(field, actor=w.officer_b, unit=w.commune_b)
    answered = difficulty_answer(actor=w.province_officer, difficulty=b, answer="Đã chỉ đạo.")

    def seen(user, status=""):
        return [d.pk for d in difficulties_visible_to(user, field.campaign, status)]

    assert seen(w.province_officer) == [b.pk, a.pk]
    assert seen(w.card_officer_a) == [b.pk, a.pk]  # a person of the provincial group
    assert seen(w.officer_a) == [a.pk]
    assert seen(w.officer_b) == [b.pk]
    assert seen(w.province_officer, DifficultyStatus.ANSWERED) == [answered.pk]
