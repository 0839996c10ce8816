"""Accounts changed in the admin go through the accounts services: checked, in one transaction,
audited with the values before and after (never a password or its hash)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dangvien.accounts.models import User
from dangvien.accounts.services import user_password_set, user_update
from dangvien.core.models import AuditEntry

NEW_PASSWORD = "a-long-new-password-42"


def _inline(user: User) -> dict[str, object]:
    """The role assignments' inline as the change page sends it back, unchanged."""
    data: dict[str, object] = {"role_assignments-TOTAL_FORMS": user.role_assignments.count(),
                               "role_assignments-INITIAL_FORMS": user.role_assignments.count(),
                               "role_assignments-MIN_NUM_FORMS": 0, "role_assignments-MAX_NUM_FORMS": 1000}
    for i, assignment in enumerate(user.role_assignments.order_by("pk")):
        data.update({f"role_assignments-{i}-id": assignment.pk, f"role_assignments-{i}-user": user.pk,
                     f"role_assignments-{i}-role": assignment.role, f"role_assignments-{i}-unit": assignment.unit_id})
    return data


def test_a_user_changed_in_the_admin_is_audited_with_before_and_after(client, world):
    user = world.officer_b
    client.force_login(world.admin)
    # The last seq, not the count: on PostgreSQL the sequence keeps the numbers earlier tests used.
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    data = {"username": "xa_b", "first_name": "Lan", "last_name": "", "email": "lan@example.org", "is_active": "on",
            "member": "", "groups": "1", **_inline(user)}  # a group sent anyway is not a field any more
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.first_name, user.email, user.groups.count()) == ("Lan", "lan@example.org", 0)
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.action, entry.actor_id, entry.object_id) == ("user.update", world.admin.pk, str(user.pk))
    assert entry.before == {"first_name": "", "email": ""}
    assert entry.after == {"first_name": "Lan", "email": "lan@example.org"}


def test_a_user_created_in_the_admin_goes_through_the_service(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "bithu9", "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "role_assignments-TOTAL_FORMS": 0, "role_assignments-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="bithu9")
    assert user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert entry.actor_id == world.admin.pk and entry.after == {"username": "bithu9", "member": None}


def test_a_password_set_in_the_admin_is_audited_without_the_password(client, world):
    user = world.officer_b
    client.force_login(world.admin)
    response = client.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.password_set")
    assert (entry.actor_id, entry.object_id) == (world.admin.pk, str(user.pk))
    assert (entry.before, entry.after) == ({"usable_password": True}, {"usable_password": True})
    assert NEW_PASSWORD not in str(entry.after) and user.password not in str(entry.after)


@pytest.mark.django_db
def test_only_an_administrator_changes_accounts(world):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        user_update(actor=world.province_officer, user=world.officer_b, changes={"is_superuser": True})
    with pytest.raises(PermissionDenied):
        user_password_set(actor=world.province_officer, user=world.officer_b, password=NEW_PASSWORD)
    world.officer_b.refresh_from_db()
    assert not world.officer_b.is_superuser and AuditEntry.objects.count() == before
    unchanged = user_update(actor=world.admin, user=world.officer_b, changes={"is_active": True})
    assert unchanged.is_active and AuditEntry.objects.count() == before  # nothing changed, nothing written
    with pytest.raises(ValueError, match="password"):
        user_update(actor=world.admin, user=world.officer_b, changes={"password": "x"})
