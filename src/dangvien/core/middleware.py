import time


class ServerTimingMiddleware:
    """Adds a Server-Timing header (total server time in ms), which benchmarks and browsers read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
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
