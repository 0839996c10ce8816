"""accounts/backends.py: Django's ModelBackend with the logged-in user read by a prepared query;
sessions written under Django's own backend path still log in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.forms.models import model_to_dict
from django.test import Client

from dangvien.accounts.backends import BACKEND, DJANGO_BACKEND, ModelBackend
from dangvien.accounts.models import User
from dangvien.accounts.sessions import SessionStore
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_user_read_is_the_orms_row(world):
    user = User.objects.get(username="dv_a1")
    user.first_name, user.email = "Thảo", "thao@example.org"
    user.save()
    read = ModelBackend().get_user(user.pk)
    assert _fields(read) == _fields(User.objects.get(pk=user.pk))
    assert read.member_id == world.member_a1.pk and read.last_login == user.last_login
    assert model_to_dict(read)["username"] == "dv_a1" and not read._state.adding and read._state.db == "default"


def test_an_unknown_or_inactive_user_is_none(world):
    backend = ModelBackend()
    assert backend.get_user(10**9) is None
    assert backend.get_user(str(world.member_user_a1.pk)).pk == world.member_user_a1.pk  # as Django's
    User.objects.filter(username="dv_a1").update(is_active=False)
    assert backend.get_user(User.objects.get(username="dv_a1").pk) is None


def test_a_login_names_this_backend(world):
    assert settings.AUTHENTICATION_BACKENDS[-1] == BACKEND
    client = Client()
    assert client.post("/accounts/login/", {"username": "dv_a1", "password": PASSWORD}).status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    assert client.get("/handbook/").status_code == 200


def test_a_session_written_under_djangos_backend_still_logs_in(world):
    # What a login stored before this backend: Django's path, which AUTHENTICATION_BACKENDS no
    # longer lists (django.contrib.auth.get_user would log the user out).
    user = User.objects.get(username="dv_a1")
    assert DJANGO_BACKEND not in settings.AUTHENTICATION_BACKENDS
    store = SessionStore()
    store.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: DJANGO_BACKEND,
                  HASH_SESSION_KEY: user.get_session_auth_hash()})
    store.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    response = client.get("/handbook/")
    assert response.status_code == 200 and response.context["user"] == user
