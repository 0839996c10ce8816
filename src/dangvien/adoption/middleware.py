"""Who is active: a member's login that makes any request counts the member as having used the
handbook in that month (docs/adoption.md). The month is kept in the session, so the database is
written at most once a session and month, not once a request."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.utils import timezone

from dangvien.adoption.services import member_activity_record

SESSION_KEY = "dangvien_adoption_month"
log = logging.getLogger("dangvien.adoption")


class MemberActivityMiddleware:
    """After the authentication and the idle-session check (a session that just expired is not a use)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "member_id", None):
            today = timezone.localdate()
            month = f"{today:%Y-%m}"
            if request.session.get(SESSION_KEY) != month:
                try:
                    member_activity_record(actor=user, day=today)
                except DatabaseError:
                    # A busy database must not cost the member their page: the next request retries.
                    log.warning("handbook use of user %s not recorded", user.pk, exc_info=True)
                else:
                    request.session[SESSION_KEY] = month
        return self.get_response(request)
