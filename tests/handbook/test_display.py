"""Large text and high contrast: kept in a cookie, and on the server for a logged-in user."""

from __future__ import annotations

import pytest
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.handbook.models import DisplayPreference
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def html_class(response) -> str:
    head = response.content.decode().split("<head>", 1)[0]
    return head.split('class="', 1)[1].split('"', 1)[0] if 'class="' in head else ""


def test_before_logging_in_the_choice_is_a_cookie(world):
    client = Client()
    assert html_class(client.get("/handbook/activate/")) == ""
    response = client.post("/handbook/display/", {"toggle": "large", "next": "/handbook/activate/"})
    assert response.status_code == 302 and response["Location"] == "/handbook/activate/"
    assert response.cookies["dv_display"].value == "large"
    assert html_class(client.get("/handbook/activate/")) == "text-large"
    client.post("/handbook/display/", {"toggle": "contrast", "next": "/accounts/login/"})
    assert html_class(client.get("/accounts/login/")) == "text-large contrast-high"
    client.post("/handbook/display/", {"toggle": "large"})
    assert html_class(client.get("/accounts/login/")) == "contrast-high"
    assert DisplayPreference.objects.count() == 0


def test_a_users_choice_follows_them_to_another_device(world):
    phone = Client()
    phone.force_login(world.member_user_a1)
    before = AuditEntry.objects.count()
    phone.post("/handbook/display/", {"toggle": "large", "next": "/handbook/"})
    stored = DisplayPreference.objects.get(user=world.member_user_a1)
    assert (stored.large_text, stored.high_contrast) == (True, False)
    assert AuditEntry.objects.count() == before + 1
    assert html_class(phone.get("/handbook/")) == "text-large"
    # Another phone, never used before: the choice comes back at login.
    other = Client()
    assert html_class(other.get("/accounts/login/")) == ""
    response = other.post("/accounts/login/", {"username": "dv_a1", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/handbook/"
    assert html_class(response) == "text-large"


def test_the_buttons_say_whether_they_are_on(world):
    client = Client()
    client.cookies["dv_display"] = "contrast"
    html = client.get("/accounts/login/").content.decode()
    assert 'value="large" aria-pressed="false"' in html and 'value="contrast" aria-pressed="true"' in html


def test_the_return_address_stays_on_this_site(world):
    response = Client().post("/handbook/display/", {"toggle": "large", "next": "https://example.org/"})
    assert response["Location"] == "/"


def test_only_a_post_changes_it(world):
    assert Client().get("/handbook/display/").status_code == 405
