import unicodedata

from django.http import HttpResponse
from django.test import RequestFactory

from dangvien.core.middleware import NFCInputMiddleware, ServerTimingMiddleware


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
