"""Apps above the registry that keep their own rows in step with a member's unit and status (the
card campaign moves a participant with a transferred member) register a hook here.

Not a Django signal: the member services call every hook explicitly, inside their transaction and
after the member row is saved, so a hook's writes commit or roll back with the change, and a hook that
fails fails the change. The bulk writer calls them too, for the members whose unit or status it
changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dangvien.members.models import Member


@dataclass(frozen=True)
class MemberChange:
    actor: Any
    member: Member  # saved, with its new unit and status
    kind: str  # the history event's kind (EventKind)
    day: dt.date
    unit_before: int
    status_before: str

    @property
    def moved_or_status_changed(self) -> bool:
        return self.member.unit_id != self.unit_before or self.member.status != self.status_before


MemberHook = Callable[[MemberChange], None]
_HOOKS: list[MemberHook] = []


def register_member_hook(hook: MemberHook) -> MemberHook:
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def member_changed(change: MemberChange) -> None:
    """Run every registered hook on a change that moved a member or changed their status."""
    if not change.moved_or_status_changed:
        return
    for hook in _HOOKS:
        hook(change)
