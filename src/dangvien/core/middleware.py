import time

from django.utils.cache import add_never_cache_headers, patch_cache_control


class ServerTimingMiddleware:
    """Adds a Server-Timing header (total server time in ms), which benchmarks and browsers read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        return response


class PrivateResponsesMiddleware:
    """Pages and API answers carry personal data: no browser or proxy may keep a copy
    (`Cache-Control: no-store`). Static files are served before this runs (whitenoise), cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class NFCInputMiddleware:
    """Every text a browser sends (query string and form fields) reaches the views NFC-normalized:
    Vietnamese typed on some keyboards or pasted from documents arrives decomposed (NFD), which
    would neither match stored names nor compare equal to them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _nfc_querydict(request.GET)
        if request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            request.POST = _nfc_querydict(request.POST)
        return self.get_response(request)


def _nfc_querydict(data):
    import unicodedata

    if all(unicodedata.is_normalized("NFC", v) for values in data.lists() for v in values[1]):
        return data
    normalized = data.copy()
    for key, values in data.lists():
        normalized.setlist(key, [unicodedata.normalize("NFC", v) for v in values])
    normalized._mutable = False
    return normalized


class DatabaseBusyMiddleware:
    """A write that waited too long for the database's lock (SQLite allows one writer at a time, and
    a province import holds it for its whole transaction) is answered "busy, try again" (503 with
    Retry-After), not as a server error: the request's transaction was rolled back, nothing changed."""

    RETRY_AFTER_SECONDS = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import OperationalError

        if not isinstance(exception, OperationalError) or not _is_lock_wait(exception):
            return None
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        message = _("The database is busy with another large change (an import, for example). Nothing was "
                    "saved; please try again in a minute.")
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = render(request, "core/busy.html", {"message": message}, status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


def _is_lock_wait(exception) -> bool:
    # SQLite: "database is locked"; PostgreSQL with lock_timeout set: "canceling statement due to lock timeout".
    text = str(exception).lower()
    return "database is locked" in text or "lock timeout" in text
