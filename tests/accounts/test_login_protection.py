"""Login throttling (django-axes), the password change page, idle sessions and the security headers."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from dangvien.core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return client.get("/api/members").status_code == 200


def test_the_sixth_try_is_refused_even_with_the_right_password(world):
    client = Client()
    for _ in range(4):
        response = attempt(client, world.officer_a.username, "wrong-password")
        assert response.status_code == 200 and not logged_in(client)
    # The fifth failure locks, and says so.
    assert attempt(client, world.officer_a.username, "wrong-password").status_code == 429
    response = attempt(client, world.officer_a.username, PASSWORD)
    assert response.status_code == 429
    assert "15" in response.content.decode()  # says for how long
    assert not logged_in(client)


def test_the_lock_holds_the_account_from_another_address_and_the_address_for_another_account(world):
    for _ in range(5):
        attempt(Client(), world.officer_a.username, "wrong-password", address="10.0.0.1")
    # The account, from elsewhere.
    other_place = Client()
    assert attempt(other_place, world.officer_a.username, PASSWORD, address="10.9.9.9").status_code == 429
    assert not logged_in(other_place)
    # The address, for another account.
    same_place = Client()
    assert attempt(same_place, world.officer_b.username, PASSWORD, address="10.0.0.1").status_code == 429
    assert not logged_in(same_place)
    # A third party elsewhere is untouched.
    bystander = Client()
    assert attempt(bystander, world.officer_b.username, PASSWORD, address="10.7.7.7").status_code == 302
    assert logged_in(bystander)


def test_the_lock_ends_after_the_cool_off(world):
    for _ in range(5):
        attempt(Client(), world.officer_a.username, "wrong-password")
    client = Client()
    assert attempt(client, world.officer_a.username, PASSWORD).status_code == 429
    # Fifteen minutes later (the attempts' clock moved back rather than the whole test's).
    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - dt.timedelta(minutes=16))
    assert attempt(client, world.officer_a.username, PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_success_before_the_limit_starts_the_count_again(world):
    client = Client()
    for _ in range(4):
        attempt(client, world.officer_a.username, "wrong-password")
    assert attempt(client, world.officer_a.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        attempt(client, world.officer_a.username, "wrong-password")
    assert attempt(client, world.officer_a.username, PASSWORD).status_code == 302


# --- password change ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer_a", "secretary_a1", "member_user_a1", "admin"])
def test_every_user_changes_their_password(world, role):
    user = getattr(world, role)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    before = AuditEntry.objects.count()
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-Passphrase-42", "new_password2": "a-new-Passphrase-42"})
    assert response.status_code == 302
    assert logged_in(client)  # the session that changed it stays in
    user.refresh_from_db()
    assert user.check_password("a-new-Passphrase-42")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_id, entry.actor_id) == ("user.password_set", str(user.pk), user.pk)
    assert "Passphrase" not in str(entry.after) and "pbkdf2" not in str(entry.after)


def test_a_wrong_old_password_changes_nothing(world):
    client = Client()
    client.force_login(world.officer_a)
    before = AuditEntry.objects.count()
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "not-it", "new_password1": "a-new-Passphrase-42", "new_password2": "a-new-Passphrase-42"})
    assert response.status_code == 200
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password(PASSWORD) and AuditEntry.objects.count() == before


def test_the_password_page_needs_a_login():
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- idle sessions ----------------------------------------------------------------------------


def idle_for(client: Client, minutes: int) -> None:
    from dangvien.accounts.middleware import LAST_SEEN

    session = client.session
    session[LAST_SEEN] -= minutes * 60
    session.save()


def test_an_officer_is_logged_out_after_thirty_idle_minutes(world):
    client = Client()
    client.force_login(world.officer_a)
    assert client.get("/members/").status_code == 200
    idle_for(client, 29)
    assert client.get("/members/").status_code == 200  # and the clock starts again
    idle_for(client, 31)
    response = client.get("/members/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert client.get("/api/members").status_code == 401


def test_a_member_stays_longer(world):
    client = Client()
    client.force_login(world.member_user_a1)
    client.get(f"/members/{world.member_a1.pk}/")
    idle_for(client, 60)
    assert client.get(f"/members/{world.member_a1.pk}/").status_code == 200
    idle_for(client, 121)
    assert client.get(f"/members/{world.member_a1.pk}/").status_code == 302


def test_sessions_end_with_the_browser(world, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    response = attempt(client, world.officer_a.username, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie


# --- headers and logs ---------------------------------------------------------------------------


def test_headers_on_pages_api_and_login(world):
    client = Client()
    client.force_login(world.officer_a)
    for url in ["/members/", "/api/members", "/api/docs", LOGIN, "/units/"]:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert "no-store" in response["Cache-Control"], url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "Server-Timing" not in response, url


def test_the_api_docs_page_has_no_inline_script(world):
    client = Client()
    client.force_login(world.officer_a)
    html = client.get("/api/docs").content.decode()
    for chunk in html.split("<script")[1:]:
        attributes = chunk.split(">", 1)[0]
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes


def test_https_setting_turns_on_hsts_redirect_and_secure_cookies():
    import os
    import subprocess
    import sys

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangvien.settings'; django.setup();"
            "from django.conf import settings as s;"
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DANGVIEN_HTTPS": "true"},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "31536000", "True", "True"]


def test_a_403_is_logged_without_a_traceback(world, caplog):
    client = Client()
    client.force_login(world.secretary_a1)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(f"/members/{world.member_a1.pk}/edit/")
    assert response.status_code == 403
    from dangvien.core.logging import NoClientErrorTraceback

    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(NoClientErrorTraceback().filter(r) for r in records)
    assert all(r.exc_info is None for r in records)
