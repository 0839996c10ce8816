"""Shared pieces of the command-line tools."""

from __future__ import annotations


class SystemActor:
    """The operator at the server shell: a system administrator with no login of their own (audit
    rows name them "system", as for the demo generator)."""

    pk = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    member_id = None
