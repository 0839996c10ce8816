"""`dangvien demo-adoption` on a small province of the demo generator (300 members, five communes): the
accounts are those the activation service makes, the adoption report shows them varying by commune as
the meetings' habits do, and a second `make demo` (reset, then this again) starts clean."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.adoption.demo import demo_adoption_create
from dangvien.adoption.models import MemberActivity
from dangvien.adoption.periods import Period
from dangvien.adoption.reports import adoption_report
from dangvien.core.models import AuditEntry
from dangvien.demo.generator import generate
from dangvien.handbook.selectors import cell_roster
from dangvien.members.models import Member
from dangvien.org.models import Unit
from tests.clock import TODAY

PASSWORD = "demo password 2026"


@pytest.fixture
def province(db):
    generate(members=300, seed=7, reset=True)
    return Unit.objects.get(depth=0)


def _made() -> User:
    return User.objects.filter(member__isnull=False, username__regex=r"^[0-9]{12}$").order_by("pk")


def test_the_accounts_are_the_activation_services_and_vary_by_commune(province) -> None:
    before = User.objects.filter(member__isnull=False).count()  # the demo's own member login
    out = StringIO()
    call_command("demo-adoption", "--seed", "7", "--password", PASSWORD, stdout=out)
    assert "of the members on the roll hold a handbook account" in out.getvalue()

    made = _made()
    assert made.count() > 30
    user = made.first()
    member = Member.objects.get(pk=user.member_id)
    assert user.username == member.citizen_id and user.check_password(PASSWORD)
    assert user.activated_at is not None and user.is_active
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id")) == [(Role.MEMBER, member.unit_id)]
    assert not made.filter(member__has_smartphone=False).exists()  # the cell left them out of the target
    assert AuditEntry.objects.filter(action="adoption.demo").count() == 1
    assert User.objects.filter(member__isnull=False).count() == before + made.count()

    tinh = User.objects.get(username="tinh")
    report = adoption_report(tinh, province, Period.month(TODAY.year, TODAY.month))
    figures = report.figures
    assert 0 < figures.registered < figures.members and figures.target <= figures.members
    assert 0 < figures.active <= figures.registered
    shares = [row.figures.registered / row.figures.members for row in report.rows if row.figures.members]
    assert len(shares) >= 3 and max(shares) - min(shares) > 0.25  # an "app" commune against a mountain one

    # The cell secretary's roster counts one cell as the report does (handbook.counting, one rule).
    cell = Unit.objects.get(pk=user.member.unit_id)
    roster = cell_roster(User.objects.get(username="admin"), cell)
    cell_report = adoption_report(tinh, cell, Period.month(TODAY.year, TODAY.month))
    assert roster.active == cell_report.figures.registered > 0


def test_a_second_run_is_refused_or_replaces_and_a_new_demo_starts_clean(province) -> None:
    first = demo_adoption_create(seed=7, password=PASSWORD)
    names = set(_made().values_list("username", flat=True))
    rows = MemberActivity.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("demo-adoption", "--seed", "7", "--password", PASSWORD, stdout=StringIO())
    assert set(_made().values_list("username", flat=True)) == names and MemberActivity.objects.count() == rows

    again = demo_adoption_create(seed=7, password=PASSWORD, replace=True)
    assert (again.registered, again.removed) == (first.registered, 0)
    assert set(_made().values_list("username", flat=True)) == names

    # `make demo` again: the reset unlinks the logins and drops their roles; this command then removes
    # them, so the new members' accounts get their citizen IDs again, not dv<id>.
    generate(members=300, seed=7, reset=True)
    third = demo_adoption_create(seed=7, password=PASSWORD)
    assert third.removed == len(names)
    assert not User.objects.filter(username__startswith="dv", member__isnull=False).exists()
    assert User.objects.filter(username="tinh").exists() and User.objects.filter(username="dangvien").exists()
