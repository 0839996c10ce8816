"""Who a command-line tool acts as."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from dangvien.accounts.models import User
from dangvien.core.cli import SystemActor


def command_actor(username: str | None) -> Any:
    """The named active user, within their scope, else the system operator."""
    if not username:
        return SystemActor()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username}.")
    return user
