import unicodedata

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from dangvien.core.middleware import DatabaseBusyMiddleware, NFCInputMiddleware, ServerTimingMiddleware


def _echo(request):
    return HttpResponse(f"{request.GET.get('q', '')}|{request.POST.get('name', '')}")


def test_nfc_middleware_normalizes_query_and_form():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hà")
    request = RequestFactory().post(f"/?q={nfd}", {"name": nfd})
    body = NFCInputMiddleware(_echo)(request).content.decode()
    assert body == "Nguyễn Thị Hà|Nguyễn Thị Hà"
    assert body != f"{nfd}|{nfd}"
    assert unicodedata.is_normalized("NFC", body)


def test_server_timing_header():
    response = ServerTimingMiddleware(_echo)(RequestFactory().get("/"))
    assert response["Server-Timing"].startswith("app;dur=")


@pytest.mark.django_db
def test_a_write_that_waited_too_long_for_the_lock_is_answered_busy(client, world, monkeypatch, settings):
    from dangvien.members import services

    def locked(**kwargs):
        raise OperationalError("database is locked")  # what SQLite raises after its busy timeout

    monkeypatch.setattr(services, "member_update_contact", locked)
    client.force_login(world.officer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    member = world.member_a1
    response = client.post(f"/members/{member.pk}/contact/", {"version": member.version, "phone": "0912345678"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "The database is busy" in response.content.decode()
    api = client.patch(f"/api/members/{member.pk}/contact", {"version": member.version, "changes": {"phone": "0912345678"}},
                       content_type="application/json")
    assert api.status_code == 503 and "busy" in api.json()["detail"]


def test_other_database_errors_are_not_hidden():
    def broken(request):
        raise OperationalError("no such table: members_member")

    middleware = DatabaseBusyMiddleware(broken)
    assert middleware.process_exception(RequestFactory().get("/"), OperationalError("no such table: x")) is None
