"""Permission = role (what) × unit subtree (where): grants, can/require/scope_q for each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import (
    ROLE_PERMS,
    Perm,
    can,
    forget_grants,
    grants,
    has_role,
    require,
    scope_for,
    scope_q,
)
from dangvien.core.scope import Scope
from dangvien.members.models import Member
from dangvien.org.models import Unit, UnitKind
from dangvien.org.services import unit_create
from tests.factories import make_user

ALL_UNITS = ["province", "commune_a", "commune_b", "org_a", "cell_a1", "cell_a2", "org_b"]


def visible_units(actor, perm: Perm) -> set[str]:
    return set(Unit.objects.filter(scope_q(actor, perm)).values_list("code", flat=True))


def where(world, actor, perm: Perm) -> set[str]:
    """The world's units (by attribute name) where `perm` holds for `actor`, according to can()."""
    return {name for name in ALL_UNITS if can(actor, perm, getattr(world, name))}


def test_role_permissions_are_as_designed():
    # Committee and card officers see, run and decide reconciliations (reconcile/permissions.py);
    # correcting a record from one still needs MEMBER_MANAGE.
    RECONCILE = {Perm.RECONCILE_VIEW, Perm.RECONCILE_RUN, Perm.RECONCILE_RESOLVE}
    # Everyone working on the card exchange sees its progress, records steps and raises difficulties
    # in their subtree; only committee officers run campaigns and form working groups
    # (campaign/permissions.py, fieldwork/permissions.py).
    CAMPAIGN_WORK = {Perm.CAMPAIGN_VIEW, Perm.CAMPAIGN_RECORD, Perm.FIELDWORK_RAISE}
    # The cell's handbook work and its yearly records (handbook/permissions.py, members/permissions.py).
    CELL_WORK = {Perm.HANDBOOK_CELL, Perm.EVALUATION_RECORD, Perm.FEE_RECORD}
    # Everyone reads the library of their subtree; committees publish and answer; committees and
    # cell secretaries count readers and study results (library/permissions.py).
    LIBRARY = {Perm.LIBRARY_VIEW, Perm.LIBRARY_PUBLISH, Perm.LIBRARY_STATS, Perm.FEEDBACK_ANSWER}
    # Committees and cell secretaries schedule and run meetings in their subtree; a member sees their
    # cell's meetings through their record, not a grant (meetings/permissions.py).
    MEETINGS = {Perm.MEETING_VIEW, Perm.MEETING_MANAGE}
    # Cards (credentials/permissions.py, which replaced members' CARD_MANAGE): whoever keeps the
    # members' records sees their cards; card officers issue, re-issue, take photos and export;
    # committee and card officers revoke, suspend and reinstate.
    CARDS_SEEN = {Perm.CARD_VIEW}
    # Committees and cell secretaries see the handbook adoption report of their subtree (adoption/permissions.py).
    ADOPTION = {Perm.ADOPTION_VIEW}
    assert ROLE_PERMS[Role.ADMIN] == frozenset(Perm)
    assert ROLE_PERMS[Role.COMMITTEE_OFFICER] == {
        Perm.UNIT_VIEW, Perm.UNIT_MANAGE, Perm.MEMBER_VIEW, Perm.MEMBER_MANAGE, Perm.MEMBER_EDIT_CONTACT,
        Perm.ROLE_MANAGE, Perm.AUDIT_VIEW, *RECONCILE, Perm.CAMPAIGN_MANAGE, Perm.FIELDWORK_MANAGE, *CAMPAIGN_WORK,
        *CELL_WORK, *LIBRARY, *MEETINGS, *CARDS_SEEN, Perm.CARD_REVOKE, *ADOPTION,
    }
    assert ROLE_PERMS[Role.CELL_SECRETARY] == {Perm.UNIT_VIEW, Perm.MEMBER_VIEW, Perm.MEMBER_EDIT_CONTACT,
                                               *CAMPAIGN_WORK, *CELL_WORK, Perm.LIBRARY_VIEW, Perm.LIBRARY_STATS,
                                               *MEETINGS, *CARDS_SEEN, *ADOPTION}
    assert ROLE_PERMS[Role.CARD_OFFICER] == {Perm.UNIT_VIEW, Perm.MEMBER_VIEW, *CARDS_SEEN, Perm.CARD_ISSUE,
                                             Perm.CARD_REVOKE, Perm.CARD_EXPORT, *RECONCILE, *CAMPAIGN_WORK,
                                             Perm.LIBRARY_VIEW}
    assert ROLE_PERMS[Role.MEMBER] == frozenset()  # a member reads the library through their record
    assert set(ROLE_PERMS) == set(Role.values)


# --- each role ---------------------------------------------------------------------------------


def test_commune_officer_holds_everything_but_issuing_cards_in_own_commune_only(world):
    officer = world.officer_a
    for perm in ROLE_PERMS[Role.COMMITTEE_OFFICER]:
        assert where(world, officer, perm) == {"commune_a", "org_a", "cell_a1", "cell_a2"}, perm
    # A committee decides on cards and revokes them; issuing and exporting are the card officers' work.
    assert where(world, officer, Perm.CARD_ISSUE) == where(world, officer, Perm.CARD_EXPORT) == set()
    assert visible_units(officer, Perm.UNIT_VIEW) == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}
    assert scope_for(officer, Perm.MEMBER_MANAGE) == Scope.over([world.commune_a.path])
    assert not can(officer, Perm.UNIT_MANAGE, None)  # nothing above the provinces


def test_province_officer_covers_the_province(world):
    assert where(world, world.province_officer, Perm.MEMBER_MANAGE) == set(ALL_UNITS)
    assert visible_units(world.province_officer, Perm.UNIT_VIEW) == set(Unit.objects.values_list("code", flat=True))


def test_cell_secretary_views_and_edits_contacts_in_own_cell(world):
    sec = world.secretary_a1
    assert where(world, sec, Perm.UNIT_VIEW) == {"cell_a1"}
    assert where(world, sec, Perm.MEMBER_VIEW) == {"cell_a1"}
    assert where(world, sec, Perm.MEMBER_EDIT_CONTACT) == {"cell_a1"}
    for perm in (Perm.MEMBER_MANAGE, Perm.UNIT_MANAGE, Perm.ROLE_MANAGE, Perm.AUDIT_VIEW, Perm.CARD_ISSUE,
                 Perm.CARD_REVOKE):
        assert where(world, sec, perm) == set(), perm
    assert where(world, sec, Perm.CARD_VIEW) == {"cell_a1"}  # the cell's cards, to read


def test_card_officer_reads_members_and_works_cards_only(world):
    card = world.card_officer_a
    assert where(world, card, Perm.MEMBER_VIEW) == {"commune_a", "org_a", "cell_a1", "cell_a2"}
    for perm in (Perm.CARD_VIEW, Perm.CARD_ISSUE, Perm.CARD_REVOKE, Perm.CARD_EXPORT):
        assert where(world, card, perm) == {"commune_a", "org_a", "cell_a1", "cell_a2"}, perm
    for perm in (Perm.MEMBER_MANAGE, Perm.MEMBER_EDIT_CONTACT, Perm.UNIT_MANAGE, Perm.ROLE_MANAGE):
        assert where(world, card, perm) == set(), perm


def test_member_role_grants_nothing(world):
    user = world.member_user_a1
    for perm in Perm:
        assert where(world, user, perm) == set(), perm
        assert visible_units(user, perm) == set()
        assert scope_for(user, perm).paths == () and not scope_for(user, perm).everywhere
    assert has_role(user, Role.MEMBER)
    assert not has_role(user, Role.ADMIN)


def test_admin_everywhere(world):
    for perm in Perm:
        assert where(world, world.admin, perm) == set(ALL_UNITS)
        assert can(world.admin, perm, None)
        assert scope_for(world.admin, perm).everywhere
        assert visible_units(world.admin, perm) == set(Unit.objects.values_list("code", flat=True))
    assert has_role(world.admin, Role.ADMIN)


def test_superuser_without_roles_is_admin(world):
    root = User.objects.create(username="root", is_superuser=True)
    assert can(root, Perm.MEMBER_MANAGE, world.cell_b1)
    assert can(root, Perm.UNIT_MANAGE, None)
    assert has_role(root, Role.ADMIN)


# --- users who get nothing -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "province_officer", "officer_a", "secretary_a1", "card_officer_a"])
def test_inactive_users_get_nothing(world, name):
    user = getattr(world, name)
    user.is_active = False
    user.save()
    user = User.objects.get(pk=user.pk)
    for perm in Perm:
        assert where(world, user, perm) == set(), perm
        assert not can(user, perm, None)
        assert visible_units(user, perm) == set()
    assert not has_role(user, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        require(user, Perm.UNIT_VIEW, world.cell_a1)


def test_inactive_superuser_gets_nothing(world):
    root = User.objects.create(username="root", is_superuser=True, is_active=False)
    assert not can(root, Perm.UNIT_VIEW, world.province)
    assert visible_units(root, Perm.UNIT_VIEW) == set()


def test_anonymous_and_none_get_nothing(world):
    for actor in (AnonymousUser(), None):
        assert where(world, actor, Perm.UNIT_VIEW) == set()
        assert not can(actor, Perm.UNIT_VIEW, None)
        assert visible_units(actor, Perm.UNIT_VIEW) == set()


def test_unit_role_without_a_unit_grants_nothing(world):
    user = make_user("lost", Role.COMMITTEE_OFFICER, None)
    assert where(world, user, Perm.MEMBER_MANAGE) == set()
    assert not can(user, Perm.MEMBER_MANAGE, None)
    assert visible_units(user, Perm.UNIT_VIEW) == set()


# --- several roles, nested and neighbouring grants -------------------------------------------


def test_several_roles_are_a_union(world):
    user = make_user("multi", Role.CELL_SECRETARY, world.cell_a1)
    RoleAssignment.objects.create(user=user, role=Role.CARD_OFFICER, unit=world.commune_b)
    forget_grants(user)
    assert where(world, user, Perm.MEMBER_VIEW) == {"cell_a1", "commune_b", "org_b"}
    assert where(world, user, Perm.MEMBER_EDIT_CONTACT) == {"cell_a1"}
    assert where(world, user, Perm.CARD_ISSUE) == {"commune_b", "org_b"}
    assert where(world, user, Perm.MEMBER_MANAGE) == set()
    assert visible_units(user, Perm.UNIT_VIEW) == {"GL-A-01-01", "GL-B", "GL-B-01"}
    members = set(Member.objects.filter(scope_q(user, Perm.MEMBER_VIEW, "unit__path")))
    assert members == {world.member_a1, world.member_b1}


def test_nested_grants_collapse_to_the_outer_path(world):
    user = make_user("nested", Role.COMMITTEE_OFFICER, world.commune_a)
    RoleAssignment.objects.create(user=user, role=Role.CELL_SECRETARY, unit=world.cell_a1)
    RoleAssignment.objects.create(user=user, role=Role.COMMITTEE_OFFICER, unit=world.org_a)
    forget_grants(user)
    g = grants(user)
    assert g.paths[Perm.MEMBER_VIEW] == [world.commune_a.path]
    assert g.paths[Perm.MEMBER_MANAGE] == [world.commune_a.path]
    assert g.roles == {Role.COMMITTEE_OFFICER, Role.CELL_SECRETARY}
    RoleAssignment.objects.create(user=user, role=Role.CARD_OFFICER, unit=world.commune_b)
    forget_grants(user)
    assert grants(user).paths[Perm.MEMBER_VIEW] == [world.commune_a.path, world.commune_b.path]


def test_neighbouring_paths_sharing_digits_are_not_collapsed(world):
    """Units numbered 1 and 10 under one parent have paths ...0001 and ...0010; neither covers the
    other, and a grant on one never reaches the other."""
    communes = [world.commune_a, world.commune_b]
    for i in range(3, 11):
        communes.append(unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code=f"GL-{i}", name=f"Xã {i}",
                                    parent=world.province))
    first, tenth = communes[0], communes[9]
    assert (first.path[-4:], tenth.path[-4:]) == ("0001", "0010")
    cell_10 = unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-10-01", name="Chi bộ 10",
                          parent=tenth)
    user = make_user("two", Role.COMMITTEE_OFFICER, first)
    RoleAssignment.objects.create(user=user, role=Role.COMMITTEE_OFFICER, unit=tenth)
    forget_grants(user)
    assert grants(user).paths[Perm.MEMBER_MANAGE] == [first.path, tenth.path]
    only_first = make_user("one", Role.COMMITTEE_OFFICER, first)
    assert not can(only_first, Perm.MEMBER_VIEW, tenth)
    assert not can(only_first, Perm.MEMBER_VIEW, cell_10)
    assert visible_units(only_first, Perm.UNIT_VIEW) == {"GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"}


# --- require, scope_q on members, caching ------------------------------------------------------


def test_require_raises_only_outside_the_grant(world):
    require(world.officer_a, Perm.MEMBER_MANAGE, world.cell_a2)  # no exception
    with pytest.raises(PermissionDenied):
        require(world.officer_a, Perm.MEMBER_MANAGE, world.cell_b1)
    with pytest.raises(PermissionDenied):
        require(world.secretary_a1, Perm.MEMBER_MANAGE, world.cell_a1)
    with pytest.raises(PermissionDenied):
        require(world.officer_a, Perm.UNIT_MANAGE, None)


def test_scope_q_on_member_unit_path(world):
    def members(actor):
        return set(Member.objects.filter(scope_q(actor, Perm.MEMBER_VIEW, "unit__path")))

    assert members(world.officer_a) == {world.member_a1, world.member_a2}
    assert members(world.officer_b) == {world.member_b1}
    assert members(world.secretary_a1) == {world.member_a1}
    assert members(world.member_user_a1) == set()
    assert members(world.admin) == {world.member_a1, world.member_a2, world.member_b1}


def test_grants_are_cached_until_forgotten(world, django_assert_num_queries):
    user = User.objects.get(pk=world.officer_a.pk)
    with django_assert_num_queries(1):
        can(user, Perm.MEMBER_VIEW, world.cell_a1)
        can(user, Perm.MEMBER_VIEW, world.cell_b1)
        scope_q(user, Perm.UNIT_VIEW)
    RoleAssignment.objects.create(user=user, role=Role.COMMITTEE_OFFICER, unit=world.commune_b)
    assert not can(user, Perm.MEMBER_VIEW, world.cell_b1)  # still the cached grants
    forget_grants(user)
    assert can(user, Perm.MEMBER_VIEW, world.cell_b1)


def test_officer_of_the_only_province_holds_everywhere_until_a_second_province_exists(world):
    from dangvien.accounts.permissions import forget_grants, scope_for
    from dangvien.org.models import UnitKind
    from dangvien.org.services import unit_create

    officer = world.province_officer
    assert scope_for(officer, Perm.MEMBER_VIEW).everywhere
    assert scope_for(world.officer_a, Perm.MEMBER_VIEW).paths == (world.commune_a.path,)
    # Reaching everywhere is not reaching the top: only an administrator creates a province.
    assert not can(officer, Perm.UNIT_MANAGE, None)

    other = unit_create(actor=world.admin, kind=UnitKind.PROVINCE, code="KT", name="Đảng bộ tỉnh Kon Tum", parent=None)
    forget_grants(officer)
    assert scope_for(officer, Perm.MEMBER_VIEW).paths == (world.province.path,)
    assert not can(officer, Perm.MEMBER_VIEW, other)
