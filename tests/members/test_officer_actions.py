"""What the member page offers before a form is filled: an event that cannot apply yet says when it
can; the events that end membership stand apart and ask for confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from dangvien.members import services
from dangvien.members.models import Status
from tests.clock import at
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def probationer(world):
    # Admitted on 01/06/2026: the probation ends on 01/06/2027, after the suite's today.
    return make_member(world.cell_a1, full_name="Đỗ Văn Tân", birth=dt.date(1998, 3, 3), status=Status.PROBATIONARY,
                       admission=dt.date(2026, 6, 1), official=None)


@pytest.fixture
def officer(client, world):
    client.force_login(world.officer_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_recognition_before_the_probation_ends_says_from_when(officer, probationer):
    member = probationer
    earliest = services.earliest_official_date(member)
    page = officer.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert f"(from {earliest:%d/%m/%Y})" in page
    assert reverse("members:event", args=[member.pk, "recognize-official"]) not in page
    form = officer.get(reverse("members:event", args=[member.pk, "recognize-official"])).content.decode()
    assert f"it becomes possible on {earliest:%d/%m/%Y}" in form


def test_recognition_after_the_probation_is_an_ordinary_action(officer, world, probationer, clock):
    member = probationer
    clock.move_to(at(services.earliest_official_date(member)))
    officer.force_login(world.officer_a)  # months passed: a new session
    page = officer.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert reverse("members:event", args=[member.pk, "recognize-official"]) in page
    assert services.member_event_not_before(member, "recognized_official") is None


@pytest.mark.parametrize("slug", ["remove", "record-death"])
def test_ending_membership_stands_apart_and_asks_first(officer, world, slug):
    member = world.member_a1
    page = officer.get(reverse("members:detail", args=[member.pk])).content.decode()
    link = reverse("members:event", args=[member.pk, slug])
    assert f'btn-danger" href="{link}"' in page
    form = officer.get(link).content.decode()
    with translation.override("en"):
        assert 'data-confirm="' in form and escape(member.full_name) in form.split('data-confirm="')[1][:200]
    assert 'class="btn btn-danger"' in form


def test_harmless_actions_ask_nothing(officer, world):
    form = officer.get(reverse("members:event", args=[world.member_a1.pk, "exempt"])).content.decode()
    # As attributes: the page carries the site's script and style sheet inline, which name both.
    assert 'data-confirm="' not in form and 'class="btn btn-danger"' not in form
