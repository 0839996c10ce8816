"""Members' pages speak Vietnamese by default."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

HANDBOOK_PREFIX = "/handbook/"


class HandbookLanguageMiddleware:
    """After LocaleMiddleware: on the handbook's pages, a browser's preferred language does not
    switch the page to English (many members' phones are set to English without them knowing);
    a language the user chose with the switch (its cookie) still does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(HANDBOOK_PREFIX) and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)
