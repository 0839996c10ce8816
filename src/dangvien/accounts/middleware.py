"""Sessions that end after a while without a request."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import grants

LAST_SEEN = "dangvien_last_seen"
# The last-seen time is written back at most this often (seconds): a write per request would make
# every page a database write.
TOUCH_EVERY = 60


def idle_limit_seconds(user) -> int:
    """Officers (any role but member) are logged out sooner than members."""
    officer = grants(user).is_admin or bool(grants(user).roles - {Role.MEMBER})
    return 60 * settings.DANGVIEN["OFFICER_IDLE_MINUTES" if officer else "MEMBER_IDLE_MINUTES"]


def start_the_clock(sender, request, user, **kwargs) -> None:
    """On login (connected in accounts.apps)."""
    # Stored with the login itself, so the first page after it writes no session.
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(LAST_SEEN, now)
            if now - seen > idle_limit_seconds(user):
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # answered 401 as any anonymous call
                query = urlencode({"next": request.get_full_path(), "expired": 1})
                return redirect(f"{reverse('accounts:login')}?{query}")
            if now - seen >= TOUCH_EVERY or LAST_SEEN not in request.session:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
