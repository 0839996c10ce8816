import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.accounts.permissions import Perm, can
from dangvien.accounts.services import role_grant, role_revoke, user_create
from dangvien.core.models import AuditEntry


def test_commune_officer_appoints_secretary_in_own_subtree(world):
    before = AuditEntry.objects.count()
    user = user_create(actor=world.admin, username="bithu2", password="x-long-password-1")
    role_grant(actor=world.officer_a, user=user, role=Role.CELL_SECRETARY, unit=world.cell_a2)
    assert can(user, Perm.MEMBER_VIEW, world.cell_a2)
    assert not can(user, Perm.MEMBER_VIEW, world.cell_a1)
    assert AuditEntry.objects.count() == before + 2


def test_officer_cannot_grant_outside_subtree(world):
    user = user_create(actor=world.admin, username="x1", password="x-long-password-1")
    with pytest.raises(PermissionDenied):
        role_grant(actor=world.officer_a, user=user, role=Role.COMMITTEE_OFFICER, unit=world.commune_b)
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_only_admin_appoints_admin_and_secretary_needs_cell(world):
    user = user_create(actor=world.admin, username="x2", password="x-long-password-1")
    with pytest.raises(ValidationError):
        role_grant(actor=world.province_officer, user=user, role=Role.ADMIN, unit=None)
    with pytest.raises(ValidationError) as exc:
        role_grant(actor=world.officer_a, user=user, role=Role.CELL_SECRETARY, unit=world.org_a)
    assert "unit" in exc.value.message_dict


def test_revoke_removes_access(world):
    assignment = world.secretary_a1.role_assignments.get()
    role_revoke(actor=world.officer_a, assignment=assignment)
    world.secretary_a1.refresh_from_db()
    assert not can(world.secretary_a1, Perm.MEMBER_VIEW, world.cell_a1)


def test_member_account_for_visible_member_only(world):
    user = user_create(actor=world.officer_a, username="dv_a2", password="x-long-password-1", member=world.member_a2)
    assert user.member == world.member_a2
    with pytest.raises(ValidationError):
        user_create(actor=world.officer_a, username="dv_b1", password="x-long-password-1", member=world.member_b1)
