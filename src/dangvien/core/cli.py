"""Shared pieces of the command-line tools."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError


class SystemActor:
    """The operator at the server shell: a system administrator with no login of their own (audit
    rows name them "system", as for the demo generator)."""

    pk = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    member_id = None


def command_actor(username: str | None) -> Any:
    """Who a command acts as: the named active user, within their scope, else the system operator."""
    if not username:
        return SystemActor()
    from dangvien.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username}.")
    return user
