"""Writes to accounts and role assignments: permission-checked, in one transaction, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import ROLE_MANAGE, forget_grants, has_role, require, scope_for
from dangvien.core.audit import audit_record


def role_check_grant(actor: Any, role: str, unit: Any) -> None:
    """Raise unless `actor` may grant (or revoke) `role` at `unit`; forms call it to show errors early."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    if role == Role.ADMIN:
        if not has_role(actor, Role.ADMIN):
            raise ValidationError({"role": [_("Only a system administrator can appoint another.")]})
        if unit is not None:
            raise ValidationError({"unit": [_("A system administrator is not bound to a unit.")]})
        return
    if unit is None:
        raise ValidationError({"unit": [_("This role is bound to a unit.")]})
    if role in (Role.CELL_SECRETARY, Role.MEMBER) and not unit.holds_members:
        raise ValidationError({"unit": [_("This role is bound to a cell.")]})
    require(actor, ROLE_MANAGE, unit)


def user_create(*, actor: Any, username: str, password: str, full_name: str = "", member: Any = None) -> User:
    with transaction.atomic():
        if not has_role(actor, Role.ADMIN) and member is None:
            raise ValidationError({"username": [_("Only a system administrator creates staff accounts.")]})
        # Accounts for members are made by whoever manages roles in the member's unit; elsewhere the
        # member is reported absent, as every out-of-scope record is.
        if member is not None and not scope_for(actor, ROLE_MANAGE).covers(member.unit):
            raise ValidationError({"member": [_("No such member.")]})
        if User.objects.filter(username=username).exists():
            raise ValidationError({"username": [_("This login name is taken.")]})
        user = User(username=username, first_name=full_name[:150], member=member)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(actor=actor, action="user.create", object_type="user", object_id=user.pk,
                     after={"username": username, "member": member})
        return user


def role_grant(*, actor: Any, user: User, role: str, unit: Any) -> RoleAssignment:
    with transaction.atomic():
        role_check_grant(actor, role, unit)
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
        if created:
            audit_record(actor=actor, action="role.grant", object_type="user", object_id=user.pk,
                         after={"role": role, "unit": unit}, unit_path=unit.path if unit else "")
        forget_grants(user)
        return assignment


def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    with transaction.atomic():
        role_check_grant(actor, assignment.role, assignment.unit)
        audit_record(actor=actor, action="role.revoke", object_type="user", object_id=assignment.user_id,
                     before={"role": assignment.role, "unit": assignment.unit},
                     unit_path=assignment.unit.path if assignment.unit else "")
        assignment.delete()
        forget_grants(assignment.user)


def user_set_password(*, actor: Any, user: User, password: str) -> User:
    """A user changes their own password (the form has checked the old one and the rules); an
    administrator may set anyone's. The session that made the change stays logged in (the view
    keeps its hash)."""
    with transaction.atomic():
        if getattr(actor, "pk", None) != user.pk and not has_role(actor, Role.ADMIN):
            raise PermissionDenied(_("You can only change your own password."))
        user.set_password(password)
        user.save(update_fields=["password"])
        # Which account and who: never the password or its hash.
        audit_record(actor=actor, action="user.password_changed", object_type="user", object_id=user.pk)
        return user
