"""Working groups: who forms them, who is put in them, the units and tasks they get."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.fieldwork import selectors
from dangvien.fieldwork.models import GroupKind, Task, TaskStatus, WorkingGroup
from dangvien.fieldwork.services import (
    group_form,
    group_person_add,
    group_unit_assign,
    task_create,
    task_set_status,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 11, 30)


def test_a_commune_officer_forms_a_group_in_their_commune_only(field):
    w = field.world
    group = group_form(actor=w.officer_a, campaign=field.campaign, unit=w.commune_a, name="  Tổ công tác  xã ")
    assert (group.name, group.kind, group.unit_id) == ("Tổ công tác xã", GroupKind.COMMUNE, w.commune_a.pk)
    assert AuditEntry.objects.filter(action="fieldwork.group_formed", object_id=str(group.pk)).exists()
    with pytest.raises(PermissionDenied):
        group_form(actor=w.officer_a, campaign=field.campaign, unit=w.commune_b, name="Tổ B")
    with pytest.raises(PermissionDenied):
        group_form(actor=w.card_officer_a, campaign=field.campaign, unit=w.commune_a, name="Tổ A")
    with pytest.raises(ValidationError) as error:
        group_form(actor=w.officer_a, campaign=field.campaign, unit=w.cell_a1, name="Tổ chi bộ")
    assert "unit" in error.value.message_dict
    assert WorkingGroup.objects.count() == 2


def test_people_must_hold_a_role_that_sees_the_group_s_unit(field):
    w = field.world
    group = group_form(actor=w.officer_a, campaign=field.campaign, unit=w.commune_a, name="Tổ công tác xã")
    group_person_add(actor=w.officer_a, group=group, user=w.secretary_a1)
    with pytest.raises(ValidationError) as error:
        group_person_add(actor=w.officer_a, group=group, user=w.officer_b)  # commune B's officer
    assert "user" in error.value.message_dict
    with pytest.raises(ValidationError):
        group_person_add(actor=w.officer_a, group=group, user=w.member_user_a1)  # a member, no officer role
    with pytest.raises(ValidationError):
        group_person_add(actor=w.officer_a, group=group, user=w.secretary_a1)  # already in
    # The province's officer is above the commune: they may join its group.
    group_person_add(actor=w.officer_a, group=group, user=w.province_officer, role="leader")
    assert [(p.user.username, p.role) for p in selectors.group_people(group)] == [
        ("tinh", "leader"), ("bithu_a1", "member")]
    # Left to choose: commune A's officer and card officer (not commune B's, nor plain members).
    assert [u.username for u in selectors.candidates_for_group(group)] == ["the_a", "xa_a"]


def test_units_are_assigned_inside_the_group_s_unit_once(field):
    w = field.world
    with pytest.raises(ValidationError) as error:
        group_unit_assign(actor=w.province_officer, group=field.group, unit=w.cell_a1)  # inside commune A
    assert "already assigned" in error.value.message_dict["unit"][0]
    group_unit_assign(actor=w.province_officer, group=field.group, unit=w.cell_b1)
    assert [a.unit.code for a in selectors.group_units(field.group)] == ["GL-A", "GL-B-01"]
    commune = group_form(actor=w.officer_a, campaign=field.campaign, unit=w.commune_a, name="Tổ xã")
    with pytest.raises(ValidationError):
        group_unit_assign(actor=w.officer_a, group=commune, unit=w.cell_b1)
    with pytest.raises(PermissionDenied):
        group_unit_assign(actor=w.officer_a, group=field.group, unit=w.cell_a1)  # the province's group


def test_who_sees_which_group(field):
    w = field.world
    commune_b = group_form(actor=w.officer_b, campaign=field.campaign, unit=w.commune_b, name="Tổ xã B")

    def seen(user):
        return sorted(g.name for g in selectors.groups_visible_to(user, field.campaign))

    assert seen(w.province_officer) == ["Tổ công tác tỉnh", "Tổ xã B"]
    assert seen(w.card_officer_a) == ["Tổ công tác tỉnh"]  # a person of it
    assert seen(w.secretary_a1) == ["Tổ công tác tỉnh"]  # it works in the secretary's commune
    assert seen(w.officer_b) == ["Tổ xã B"]
    with pytest.raises(NotFound):
        selectors.group_get_for(w.officer_a, field.campaign, commune_b.pk)


def test_tasks_belong_to_a_group_person_and_are_listed_overdue_first(field, clock):
    w = field.world
    group = field.group
    with pytest.raises(ValidationError) as error:
        task_create(actor=w.province_officer, group=group, title="", owner=w.secretary_a1,
                    due_on=dt.date(2026, 11, 1), unit=w.commune_a)
    assert set(error.value.message_dict) == {"title", "owner", "due_on"}
    first = task_create(actor=w.province_officer, group=group, title="Thu ảnh chi bộ 1", owner=w.card_officer_a,
                        due_on=dt.date(2026, 11, 22), unit=w.cell_a1)
    second = task_create(actor=w.province_officer, group=group, title="Thăm nhà đảng viên cao tuổi",
                         owner=w.card_officer_a, due_on=DUE, unit=w.commune_a)
    third = task_create(actor=w.province_officer, group=group, title="Tổng hợp báo cáo", owner=w.province_officer,
                        due_on=dt.date(2026, 11, 25), unit=w.province)
    with pytest.raises(PermissionDenied):
        task_create(actor=w.officer_a, group=group, title="X", owner=w.card_officer_a, due_on=DUE, unit=w.commune_a)
    clock.shift(dt.timedelta(days=2))  # 23/11: the first task is overdue
    task_set_status(actor=w.card_officer_a, task=third, done=True)
    rows = list(selectors.tasks_for(w.card_officer_a, field.campaign))
    assert [(t.title, selectors.task_overdue(t)) for t in rows] == [
        ("Thu ảnh chi bộ 1", True), ("Thăm nhà đảng viên cao tuổi", False), ("Tổng hợp báo cáo", False)]
    assert Task.objects.get(pk=third.pk).done_on == dt.date(2026, 11, 23)
    assert [t.pk for t in selectors.tasks_for(w.secretary_a1, field.campaign)] == []
    with pytest.raises(PermissionDenied):
        task_set_status(actor=w.secretary_a1, task=first, done=True)
    reopened = task_set_status(actor=w.province_officer, task=third, done=False)
    assert (reopened.status, reopened.done_on) == (TaskStatus.OPEN, None)
    assert second.status == TaskStatus.OPEN


def test_a_group_person_without_roles_left_cannot_be_added(field):
    w = field.world
    stranger = make_user("nguoi_ngoai", "member", w.cell_a1)
    with pytest.raises(ValidationError):
        group_person_add(actor=w.province_officer, group=field.group, user=stranger)
