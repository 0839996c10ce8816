"""The cell secretary's handbook page: account states, codes, assisted registration, the
no-smartphone mark, and the forms for evaluations and fees."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.core.models import AuditEntry
from dangvien.handbook.selectors import AccountState, cell_roster
from dangvien.handbook.services import (
    account_register_assisted,
    activation_code_issue,
    member_mark_no_smartphone,
)
from dangvien.members.models import EventKind, FeePayment, Member, MemberEvaluation, Status
from tests.factories import make_member
from tests.handbook.conftest import ACTIVATE, NEW_PASSWORD, with_code

pytestmark = pytest.mark.django_db


def secretary(world) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(world.secretary_a1)
    return client


def test_assisted_registration_creates_the_account_and_the_member_sets_the_password(world, newcomer):
    issued = account_register_assisted(actor=world.secretary_a1, member=newcomer)
    user = User.objects.get(member=newcomer)
    assert user.username == issued.username == newcomer.citizen_id and issued.has_account
    assert not user.has_usable_password()
    assert RoleAssignment.objects.get(user=user).role == Role.MEMBER
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.object_id) == ("handbook.register_assisted", world.secretary_a1.pk,
                                                               str(user.pk))
    assert Client().post(ACTIVATE, with_code(issued.code)).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    with pytest.raises(ValidationError):
        account_register_assisted(actor=world.secretary_a1, member=newcomer)
    assert User.objects.filter(member=newcomer).count() == 1


def test_no_code_for_a_member_who_does_not_use_the_handbook(world):
    exempted = make_member(world.cell_a1, full_name="Đinh Văn Hùng", birth=dt.date(1940, 1, 2), status=Status.EXEMPTED)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        activation_code_issue(actor=world.secretary_a1, member=exempted)
    with pytest.raises(ValidationError):
        account_register_assisted(actor=world.secretary_a1, member=exempted)
    assert AuditEntry.objects.count() == before and not User.objects.filter(member=exempted).exists()


def test_marking_no_smartphone_is_a_contact_change_in_the_history(world, newcomer):
    member = member_mark_no_smartphone(actor=world.secretary_a1, member=newcomer, expected_version=newcomer.version)
    assert member.has_smartphone is False and member.version == newcomer.version + 1
    event = member.events.order_by("-pk").first()
    assert (event.kind, event.details, event.actor_id) == (EventKind.CORRECTED, {"fields": ["has_smartphone"]},
                                                           world.secretary_a1.pk)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.before == {"has_smartphone": None} and entry.after["has_smartphone"] is False


def test_the_roster_counts_like_the_press(world, newcomer):
    """Accounts in use of the members who use the handbook, and of the target without the members
    who have no smartphone (Tuyên Quang's 84% and 104%)."""
    cell = world.cell_a1
    no_phone = make_member(cell, full_name="Ksor H'Bơ", sex="F", birth=dt.date(1950, 6, 1))
    member_mark_no_smartphone(actor=world.secretary_a1, member=no_phone, expected_version=no_phone.version)
    make_member(cell, full_name="Đinh Văn Hùng", birth=dt.date(1940, 1, 2), status=Status.EXEMPTED)
    coded = make_member(cell, full_name="Phạm Thị Lan", sex="F", birth=dt.date(1985, 3, 3))
    activation_code_issue(actor=world.secretary_a1, member=coded)
    removed = make_member(cell, full_name="Hoàng Văn Nam", birth=dt.date(1988, 7, 7))
    Member.objects.filter(pk=removed.pk).update(status=Status.REMOVED)  # off the roll (test setup only)
    evaluation_record_for = MemberEvaluation.objects.create(member=world.member_a1, year=2025, score=91,
                                                            classification="excellent")
    FeePayment.objects.create(member=world.member_a1, month=dt.date(2026, 1, 1), amount=30000)
    FeePayment.objects.create(member=world.member_a1, month=dt.date(2026, 2, 1), amount=30000)
    FeePayment.objects.create(member=world.member_a1, month=dt.date(2025, 12, 1), amount=30000)  # last year

    roster = cell_roster(world.secretary_a1, cell)
    states = {row.member.full_name: row.state for row in roster.rows}
    assert states == {"Nguyễn Thị Hà": AccountState.ACTIVE, "Rơ Mah Hlin": AccountState.NONE,
                      "Ksor H'Bơ": AccountState.NO_SMARTPHONE, "Đinh Văn Hùng": AccountState.NOT_A_USER,
                      "Phạm Thị Lan": AccountState.CODE_ISSUED}
    assert (roster.users, roster.active, roster.target) == (4, 1, 3)
    assert (roster.percent(roster.users), roster.percent(roster.target)) == ("25%", "33%")
    ha = next(row for row in roster.rows if row.member.pk == world.member_a1.pk)
    assert (ha.username, ha.evaluation_year, ha.classification, ha.fee_months_this_year) == (
        "dv_a1", evaluation_record_for.year, "excellent", 2)


def test_the_cell_page_lists_the_members_and_their_actions(world, newcomer):
    client = secretary(world)
    response = client.get("/handbook/cell/")
    assert response.status_code == 302 and response["Location"] == f"/handbook/cell/{world.cell_a1.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Accounts in use: <strong>1</strong> of 2 members who use the handbook (50%)." in html
    assert "Account in use (login dv_a1)" in html and "No account yet" in html
    assert f'action="/handbook/members/{newcomer.pk}/register/"' in html
    assert f'action="/handbook/members/{world.member_a1.pk}/register/"' not in html  # has an account


def test_the_code_slip_shows_the_code_once(world, newcomer):
    client = secretary(world)
    response = client.post(f"/handbook/members/{newcomer.pk}/code/")
    assert response.status_code == 200
    shown = re.search(r'<dd class="code">(\d{4} \d{4})</dd>', response.content.decode())[1]
    assert newcomer.citizen_id in response.content.decode()  # the login name it will have
    assert Client().post(ACTIVATE, with_code(shown)).status_code == 302


def test_the_evaluation_and_fee_forms(world):
    client = secretary(world)
    member = world.member_a1
    page = client.get(f"/handbook/members/{member.pk}/evaluation/")
    assert page.status_code == 200 and 'value="2025"' in page.content.decode()  # the year just ended
    response = client.post(f"/handbook/members/{member.pk}/evaluation/", {"year": 2025, "score": "92", "note": ""})
    assert response.status_code == 302
    assert MemberEvaluation.objects.get(member=member).classification == "excellent"
    response = client.post(f"/handbook/members/{member.pk}/fees/", {"month": "13/2026", "amount": "30000"})
    assert response.status_code == 400 and "Enter the month as mm/yyyy" in response.content.decode()
    response = client.post(f"/handbook/members/{member.pk}/fees/", {"month": "2027-12", "amount": "30000"})
    assert response.status_code == 400
    response = client.post(f"/handbook/members/{member.pk}/fees/", {"month": "12/2027", "amount": "30000"})
    assert response.status_code == 400 and "Fees are paid at most 12 months ahead." in response.content.decode()
    assert FeePayment.objects.count() == 0
    response = client.post(f"/handbook/members/{member.pk}/fees/", {"month": "11/2026", "amount": "30000"})
    assert response.status_code == 302 and FeePayment.objects.get().amount == 30000
    messages = client.get(response["Location"]).content.decode()
    assert "Nguyễn Thị Hà paid 30.000 VND for 11/2026." in messages


def test_a_stale_no_smartphone_click_changes_nothing(world, newcomer):
    client = secretary(world)
    response = client.post(f"/handbook/members/{newcomer.pk}/no-smartphone/", {"version": newcomer.version + 1},
                           follow=True)
    assert response.status_code == 200
    assert Member.objects.get(pk=newcomer.pk).has_smartphone is None
