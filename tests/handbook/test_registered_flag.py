"""Member.handbook_registered, the flag the database keeps from the logins (handbook migration 0003):
after every kind of change to a login, and after a member save that writes a stale value, the flag
says exactly what handbook.counting's rule over the logins says. Runs on both databases, so a later
migration that dropped a trigger (Django rebuilds a SQLite table to alter a column) fails here."""

from __future__ import annotations

import pytest
from django.db import connection

from dangvien.accounts.models import User
from dangvien.handbook.counting import has_registered_account, registered_member_q
from dangvien.members.models import Member
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def flagged() -> set[int]:
    return set(Member.objects.filter(registered_member_q()).values_list("pk", flat=True))


def by_the_logins() -> set[int]:
    return set(Member.objects.filter(has_registered_account()).values_list("pk", flat=True))


def assert_flags(expected: set[int]) -> None:
    assert flagged() == expected
    assert by_the_logins() == expected  # the rule over the logins, read the slow way, agrees


@pytest.fixture
def two(world) -> tuple[Member, Member]:
    return make_member(world.cell_a1, full_name="Lê Thị Hoa"), make_member(world.cell_a2, full_name="Trần Văn Bình")


def login(member: Member | None, username: str = "hoa", password: str | None = "mat-khau-dai-42") -> User:
    user = User(username=username, member=member)
    user.set_password(password)  # None: no usable password (a login that waits for its code)
    user.save()
    return user


def test_the_world_starts_agreeing(world):
    # build_world's member login (member_user_a1) was made through the factories, not a service.
    assert flagged() == by_the_logins() == {world.member_a1.pk}


def test_a_login_with_a_password_registers_its_member_and_one_without_does_not(world, two):
    hoa, binh = two
    login(hoa)
    waiting = login(binh, username="binh", password=None)
    assert_flags({world.member_a1.pk, hoa.pk})
    waiting.set_password("mat-khau-dai-43")  # the member set a password with the secretary's code
    waiting.save()
    assert_flags({world.member_a1.pk, hoa.pk, binh.pk})


def test_closing_reopening_resetting_moving_and_deleting_a_login(world, two):
    hoa, binh = two
    user = login(hoa)
    User.objects.filter(pk=user.pk).update(is_active=False)  # an administrator closes it (a bulk update)
    assert_flags({world.member_a1.pk})
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert_flags({world.member_a1.pk, hoa.pk})
    user.refresh_from_db()
    user.set_unusable_password()
    user.save()
    assert_flags({world.member_a1.pk})
    user.set_password("mat-khau-moi-44")
    user.save()
    user.member = binh  # linked to the wrong member, then corrected
    user.save()
    assert_flags({world.member_a1.pk, binh.pk})
    user.member = None
    user.save()
    assert_flags({world.member_a1.pk})
    user.member = hoa
    user.save()
    assert_flags({world.member_a1.pk, hoa.pk})
    user.delete()
    assert_flags({world.member_a1.pk})


def test_a_member_save_with_a_stale_flag_does_not_undo_a_registration(world, two):
    hoa, _ = two
    stale = Member.objects.get(pk=hoa.pk)
    login(hoa)  # registers while `stale` is held in memory with handbook_registered False
    assert stale.handbook_registered is False
    stale.phone = "0912345678"
    stale.save()  # writes every column, the stale flag with them
    assert_flags({world.member_a1.pk, hoa.pk})
    Member.objects.filter(pk=hoa.pk).update(handbook_registered=False)
    Member.objects.filter(pk=world.member_b1.pk).update(handbook_registered=True)
    assert_flags({world.member_a1.pk, hoa.pk})


def test_a_login_written_by_sql_registers_its_member(world, two):
    """The triggers follow writes that no Python code sees (an administrator's SQL, a restore)."""
    hoa, _ = two
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined, activated_at, member_id) VALUES ('x', %s, 'sql', '', '', '', %s, %s, %s, %s, %s)",
            [False, False, True, "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", hoa.pk])
    assert_flags({world.member_a1.pk, hoa.pk})
