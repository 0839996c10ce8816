"""Activation of a member's handbook account: with their papers or a secretary's code, throttled
per citizen ID and per client address, with one error for every wrong combination."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.core.models import AuditEntry
from dangvien.handbook.models import ActivationCode, ActivationFailure
from dangvien.handbook.services import activation_code_issue, code_digest
from dangvien.members.models import Status
from tests.factories import make_member
from tests.handbook.conftest import ACTIVATE, NEW_PASSWORD, identity, with_code

pytestmark = pytest.mark.django_db


def english() -> Client:
    # The handbook speaks Vietnamese whatever the browser asks; the language switch's cookie wins.
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def post(data, address="10.1.1.1", client=None):
    return (client or english()).post(ACTIVATE, data, REMOTE_ADDR=address)


def all_errors(response) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", "".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>',
                                                          response.content.decode(), re.S)))


def errors_of(response) -> list[str]:
    return re.findall(r'<ul class="errorlist nonfield" role="alert"><li>(.*?)</li>', response.content.decode())


def test_a_member_activates_with_their_papers_and_lands_on_the_handbook(world, newcomer):
    client = Client()
    response = post(identity(newcomer), client=client)
    assert response.status_code == 302 and response["Location"] == "/handbook/"
    user = User.objects.get(member=newcomer)
    assert user.username == newcomer.citizen_id  # members log in with their citizen ID
    assert user.check_password(NEW_PASSWORD) and user.first_name == "Rơ Mah Hlin"
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id")) == [
        (Role.MEMBER, world.cell_a1.pk)]
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.after) == (
        "handbook.activate", user.pk, {"username": newcomer.citizen_id, "member": newcomer.pk})
    page = client.get("/handbook/")  # logged in by the activation
    assert page.status_code == 200 and "Rơ Mah Hlin" in page.content.decode()


@pytest.mark.parametrize("changes", [
    {"date_of_birth": "01/05/1979"},  # a day off
    {"card_number": "05123457"},  # one digit off
    {"citizen_id": "064079000999"},  # nobody's
])
def test_every_wrong_combination_gets_the_same_answer_and_creates_nothing(world, newcomer, changes):
    right_form_wrong_date = post(identity(newcomer, date_of_birth="01/05/1979"), address="10.2.2.2")
    response = post(identity(newcomer, **changes))
    assert response.status_code == 400
    assert errors_of(response) == errors_of(right_form_wrong_date) == [
        "These details do not match a party member who can activate the handbook. Check your citizen ID, date of "
        "birth and party card number, or ask your cell secretary for a code."]
    assert not User.objects.filter(member=newcomer).exists()


def test_a_member_who_may_not_use_the_handbook_gets_the_same_answer(world, newcomer):
    exempted = make_member(world.cell_a1, full_name="Đinh Văn Hùng", birth=dt.date(1940, 1, 2), card_number="05999999",
                           status=Status.EXEMPTED)
    response = post(identity(exempted))
    wrong = post(identity(newcomer, card_number="00000000"), address="10.3.3.3")
    assert errors_of(response) == errors_of(wrong) and len(errors_of(response)) == 1
    assert not User.objects.filter(member=exempted).exists()


def test_a_weak_password_is_refused_before_the_papers_are_looked_at(world, newcomer):
    right = post(identity(newcomer, password1="12345678", password2="12345678"))
    wrong = post(identity(newcomer, card_number="00000000", password1="12345678", password2="12345678"))
    assert right.status_code == wrong.status_code == 400
    # The same errors whether the papers were right: nothing tells them apart.
    assert all_errors(right) == all_errors(wrong) == [
        "This password is too short. It must contain at least 10 characters.", "This password is too common.",
        "This password is entirely numeric."]
    assert not User.objects.filter(member=newcomer).exists()
    assert ActivationFailure.objects.count() == 0  # the papers were not tried


def test_the_papers_of_a_member_with_an_account_do_not_take_it_over(world):
    member = world.member_a1
    member.card_number = "05111111"
    member.save()
    response = post(identity(member))
    assert response.status_code == 400
    assert errors_of(response) == ["You already have an account: log in with your citizen ID. If you forgot the "
                                   "password, ask your cell secretary for a code."]
    world.member_user_a1.refresh_from_db()
    assert not world.member_user_a1.check_password(NEW_PASSWORD)
    assert ActivationFailure.objects.count() == 0  # right papers are not a failure


def test_both_passwords_must_match(world, newcomer):
    response = post(identity(newcomer, password2="something-else-42"))
    assert response.status_code == 400 and "The two passwords are not the same." in response.content.decode()
    assert not User.objects.filter(member=newcomer).exists()


def test_the_papers_must_all_be_given_without_a_code(world, newcomer):
    response = post(identity(newcomer, card_number=""))
    assert response.status_code == 400
    assert "Fill this in, or use a code from your cell secretary instead." in response.content.decode()


# --- throttling ---------------------------------------------------------------------------------------


def test_five_failures_for_one_citizen_id_lock_it_from_every_address(world, newcomer):
    for n in range(5):
        assert post(identity(newcomer, card_number="00000000"), address=f"10.9.0.{n}").status_code == 400
    # The right papers, from a sixth address: refused while the lock lasts.
    response = post(identity(newcomer), address="10.9.9.9")
    assert response.status_code == 429
    assert "Activation is locked for 15 minutes" in response.content.decode()
    assert not User.objects.filter(member=newcomer).exists()


def test_the_lock_ends_after_the_window(world, newcomer, clock):
    for n in range(5):
        post(identity(newcomer, card_number="00000000"), address=f"10.9.0.{n}")
    assert post(identity(newcomer), address="10.9.9.9").status_code == 429
    clock.shift(dt.timedelta(minutes=14))
    assert post(identity(newcomer), address="10.9.9.9").status_code == 429
    clock.shift(dt.timedelta(minutes=2))
    assert post(identity(newcomer), address="10.9.9.9").status_code == 302
    assert User.objects.filter(member=newcomer).exists()


def test_five_failures_from_one_address_lock_it_for_everyone(world, newcomer):
    for n in range(5):
        post(identity(newcomer, citizen_id=f"06407900{n:04d}"), address="10.4.4.4")
    assert post(identity(newcomer), address="10.4.4.4").status_code == 429
    # The same member from elsewhere is not held back: their citizen ID had no failure.
    assert post(identity(newcomer), address="10.5.5.5").status_code == 302


def test_wrong_codes_count_against_the_address(world, newcomer):
    for n in range(5):
        assert post(with_code(f"0000 000{n}"), address="10.6.6.6").status_code == 400
    issued = activation_code_issue(actor=world.secretary_a1, member=newcomer)
    assert post(with_code(issued.code), address="10.6.6.6").status_code == 429
    assert post(with_code(issued.code), address="10.7.7.7").status_code == 302


def test_a_success_starts_the_count_again(world, newcomer):
    for _ in range(4):
        post(identity(newcomer, card_number="00000000"), address="10.8.8.8")
    assert ActivationFailure.objects.count() == 8  # the citizen ID's and the address's
    assert post(identity(newcomer), address="10.8.8.8").status_code == 302
    assert ActivationFailure.objects.count() == 0


def test_the_throttle_keeps_no_citizen_id(world, newcomer):
    post(identity(newcomer, card_number="00000000"))
    keys = list(ActivationFailure.objects.values_list("key", flat=True))
    assert len(keys) == 2 and not any(newcomer.citizen_id in key for key in keys)


# --- codes ----------------------------------------------------------------------------------------------


def test_a_code_activates_once(world, newcomer):
    issued = activation_code_issue(actor=world.secretary_a1, member=newcomer)
    assert re.fullmatch(r"\d{4} \d{4}", issued.shown)
    assert issued.username == newcomer.citizen_id and not issued.has_account
    stored = ActivationCode.objects.get(member=newcomer)
    assert stored.digest == code_digest(issued.code) and issued.code not in stored.digest
    assert post(with_code(issued.shown)).status_code == 302  # typed with its space
    user = User.objects.get(member=newcomer)
    assert user.username == newcomer.citizen_id and user.check_password(NEW_PASSWORD)
    again = post(with_code(issued.code, password1="another-Pass-77", password2="another-Pass-77"), address="10.0.0.9")
    assert again.status_code == 400
    assert errors_of(again) == ["This code is wrong, already used or expired. Ask your cell secretary for a new one."]


def test_a_code_expires_after_a_week(world, newcomer, clock):
    issued = activation_code_issue(actor=world.secretary_a1, member=newcomer)
    clock.shift(dt.timedelta(days=7, minutes=1))
    assert post(with_code(issued.code)).status_code == 400
    assert not User.objects.filter(member=newcomer).exists()


def test_a_new_code_replaces_the_old_one(world, newcomer):
    first = activation_code_issue(actor=world.secretary_a1, member=newcomer)
    second = activation_code_issue(actor=world.secretary_a1, member=newcomer)
    assert post(with_code(first.code)).status_code == 400
    assert post(with_code(second.code), address="10.0.0.8").status_code == 302


def test_a_code_sets_a_new_password_on_an_account_that_exists(world):
    issued = activation_code_issue(actor=world.secretary_a1, member=world.member_a1)
    assert issued.has_account and issued.username == "dv_a1"
    before = AuditEntry.objects.count()
    client = Client()
    assert post(with_code(issued.code), client=client).status_code == 302
    world.member_user_a1.refresh_from_db()
    assert world.member_user_a1.check_password(NEW_PASSWORD)
    assert User.objects.filter(member=world.member_a1).count() == 1  # no second account
    actions = list(AuditEntry.objects.filter(seq__gt=AuditEntry.objects.order_by("seq")[before - 1].seq)
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["user.password_set", "handbook.password_set_with_code"]
    login = Client().post("/accounts/login/", {"username": "dv_a1", "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/"


def test_a_closed_account_is_not_reopened_by_a_code(world):
    issued = activation_code_issue(actor=world.secretary_a1, member=world.member_a1)
    User.objects.filter(pk=world.member_user_a1.pk).update(is_active=False)
    assert post(with_code(issued.code)).status_code == 400
    world.member_user_a1.refresh_from_db()
    assert not world.member_user_a1.check_password(NEW_PASSWORD)


def test_a_logged_in_user_is_sent_home(world):
    client = Client()
    client.force_login(world.member_user_a1)
    response = client.get(ACTIVATE)
    assert response.status_code == 302 and response["Location"] == "/"
