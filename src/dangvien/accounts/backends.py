"""The login backend: Django's ModelBackend (passwords, permissions), the logged-in user read by a
prepared query.

Every request of a logged-in user reads its user row (django.contrib.auth.get_user, through the
backend named in the session): the read is compiled once (core/prepared.py) instead of at every
request, as the session row (accounts/sessions.py) and the login's roles (accounts/permissions.py)
are.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from dangvien.accounts.models import User
from dangvien.core.prepared import Prepared, record_columns, record_from_row

BACKEND = "dangvien.accounts.backends.ModelBackend"
# The backend path sessions created before this backend name; accounts/sessions.py reads them as
# this one's, so an upgrade logs nobody out.
DJANGO_BACKEND = "django.contrib.auth.backends.ModelBackend"

_USER = Prepared(lambda pk: User.objects.filter(pk=pk).values_list(*record_columns(User)), takes=(int,))


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # As Django's: the user of this id, if it may log in (active); None otherwise. The id comes
        # from the session as an int (the primary key's to_python); int() for any other caller.
        rows = _USER(int(user_id))
        if not rows:
            return None
        user = record_from_row(User, rows[0])
        return user if self.user_can_authenticate(user) else None
