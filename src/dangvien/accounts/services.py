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


def user_create(*, actor: Any, username: str, password: str | None, full_name: str = "",
                member: Any = None) -> User:
    """A new login. `password` None: no usable password (the account cannot log in until one is set)."""
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
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(actor=actor, action="user.create", object_type="user", object_id=user.pk,
                     after={"username": username, "member": member})
        return user


# What an administrator may change on an account (the admin's user form). Roles go through
# role_grant/role_revoke, the password through user_password_set; Django's groups and per-model
# permissions are not used (docs/roles.md).
USER_FIELDS = frozenset({"username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser",
                         "member"})


def _require_admin(actor: Any) -> None:
    if not has_role(actor, Role.ADMIN):
        raise PermissionDenied(_("Only a system administrator may change accounts."))


def user_update(*, actor: Any, user: User, changes: dict[str, Any]) -> User:
    """Change an account's fields (USER_FIELDS), as the stored row holds them now: the audit row has
    the old and new value of each field that really changed. Returns the saved user."""
    if unknown := set(changes) - USER_FIELDS:
        raise ValueError(f"user_update: fields {sorted(unknown)} are not changed here")
    with transaction.atomic():
        _require_admin(actor)
        stored = User.objects.select_for_update().get(pk=user.pk)
        changed = {name: value for name, value in changes.items() if getattr(stored, name) != value}
        if not changed:
            return stored
        before = {name: getattr(stored, name) for name in changed}
        for name, value in changed.items():
            setattr(stored, name, value)
        stored.full_clean(exclude=["password"])
        stored.save(update_fields=list(changed))
        audit_record(actor=actor, action="user.update", object_type="user", object_id=stored.pk,
                     before=before, after=changed)
        forget_grants(stored)  # is_active and is_superuser decide what it may do
        return stored


def user_password_set(*, actor: Any, user: User, password: str | None) -> User:
    """Set an account's password (None: disable password login): a user their own (the password
    page has checked the old one), an administrator anyone's. The audit row says whether a password
    was usable before and after, never the password or its hash."""
    with transaction.atomic():
        if getattr(actor, "pk", None) != user.pk or password is None:
            _require_admin(actor)
        stored = User.objects.select_for_update().get(pk=user.pk)
        before = {"usable_password": stored.has_usable_password()}
        if password is None:
            stored.set_unusable_password()
        else:
            stored.set_password(password)
        stored.save(update_fields=["password", "activated_at"])
        audit_record(actor=actor, action="user.password_set", object_type="user", object_id=stored.pk,
                     before=before, after={"usable_password": stored.has_usable_password()})
        return stored


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
