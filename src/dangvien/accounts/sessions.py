"""Django's database sessions (SESSION_ENGINE), the session row read by a prepared query.

Every request of a logged-in user reads its session first: the read is compiled once
(core/prepared.py) instead of at every request, the rest is Django's own store (the table, the
format, expiry and clean-up, the login's key rotation). A session written before the login backend
became accounts/backends.py's is read as that backend's (the same backend, the user read faster).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from dangvien.accounts.backends import BACKEND, DJANGO_BACKEND
from dangvien.core.prepared import Prepared

_SESSION = Prepared(lambda key: Session.objects.filter(session_key=key)
                    .values_list("session_key", "session_data", "expire_date"), takes=(str,))


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        # As Django's: the live session of this key, or none (and the key forgotten). The expiry
        # is compared here, so that the read's one value is the key.
        rows = _SESSION(self.session_key) if self.session_key else []
        if rows and rows[0][2] > timezone.now():
            key, data, expires = rows[0]
            return Session(session_key=key, session_data=data, expire_date=expires)
        self._session_key = None
        return None

    def load(self) -> dict[str, Any]:
        data = super().load()
        if data.get(BACKEND_SESSION_KEY) == DJANGO_BACKEND:
            data[BACKEND_SESSION_KEY] = BACKEND
        return data
