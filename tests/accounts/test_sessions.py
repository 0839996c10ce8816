"""accounts/sessions.py: Django's database sessions, read by a prepared query, as Django reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from dangvien.accounts.sessions import SessionStore
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_site_uses_it():
    assert settings.SESSION_ENGINE == "dangvien.accounts.sessions"


def test_a_live_session_is_read_back():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    again = SessionStore(session_key=store.session_key)
    assert again["answer"] == 42 and again.session_key == store.session_key


def test_an_expired_or_unknown_session_is_empty_and_its_key_forgotten(clock):
    store = SessionStore()
    store["answer"] = 42
    store.set_expiry(60)
    store.create()
    clock.shift(dt.timedelta(seconds=61))
    expired = SessionStore(session_key=store.session_key)
    assert expired.get("answer") is None and expired.session_key is None
    assert Session.objects.filter(session_key=store.session_key).exists()  # clearsessions removes it
    unknown = SessionStore(session_key="x" * 32)
    assert unknown.get("answer") is None and unknown.session_key is None


def test_a_login_survives_the_next_request_and_a_logout_ends_it(world):
    client = Client()
    assert client.post("/accounts/login/", {"username": "dv_a1", "password": PASSWORD}).status_code == 302
    assert client.get("/handbook/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/handbook/").status_code == 302
