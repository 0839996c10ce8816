"""Password reset by email for every user (the console backend by default); members without
email use a secretary's code (tests/handbook)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from dangvien.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = "mot-mat-khau-Moi-2026"


def test_the_console_backend_is_the_default():
    import os
    import subprocess
    import sys

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangvien.settings'; django.setup();"
            "from django.conf import settings as s; print(s.EMAIL_BACKEND)")
    env = {k: v for k, v in os.environ.items() if k != "DANGVIEN_EMAIL_HOST"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "django.core.mail.backends.console.EmailBackend"


def test_an_officer_resets_the_password_by_email(world):
    world.officer_a.email = "xa_a@example.org"
    world.officer_a.save()
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/password/reset/", {"email": "xa_a@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["xa_a@example.org"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    before = AuditEntry.objects.count()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password(NEW)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor_id, entry.after) == ("user.password_set", world.officer_a.pk,
                                                           {"usable_password": True})
    # The link is spent.
    again = client.get(link, follow=True)
    assert "This link does not work any more" in again.content.decode()


def test_an_unknown_address_gets_the_same_page_and_no_mail(world):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_the_login_page_offers_reset_and_activation(world):
    html = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in html and 'href="/handbook/activate/"' in html
