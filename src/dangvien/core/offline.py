"""Which answers the handbook's service worker may keep for offline reading.

Every page and API answer stays `Cache-Control: no-store` for the browser's HTTP cache (see
core.middleware.PrivateResponsesMiddleware): that cache outlives a logout and no code of ours can
empty it. A member's own pages are marked instead with OFFLINE_COPY_HEADER, whose value is the user's
id; the service worker copies only such answers into that user's Cache Storage, which it (and the
page's script) empties on logout and whenever another person is logged in on the phone."""

from __future__ import annotations

from typing import TypeVar

from django.http import HttpResponseBase

OFFLINE_COPY_HEADER = "X-Dangvien-Offline-Copy"

Response = TypeVar("Response", bound=HttpResponseBase)


def allow_offline_copy(response: Response, user_id: int | None) -> Response:
    """Marks a member's own answer as one the service worker may keep for `user_id` (None: a user
    not logged in, whose answers are never kept)."""
    if user_id is not None:
        response[OFFLINE_COPY_HEADER] = str(user_id)
    return response
