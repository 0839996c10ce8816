"""Unit paths and scopes over them: where a permission holds.

A unit's path is its materialized path in the unit tree, SEGMENT digits a level (`0001` the province,
`00010003` its third commune, ...). Paths hold digits only, so a subtree is the range
[path, next sibling's path) under any collation, on SQLite and PostgreSQL alike, and one indexed range
query reads it.

A Scope says where an actor holds one permission: everywhere, in some subtrees, and/or on their own
member record ("self": the handbook and meetings let a member act on their own record). It is a plain
value: accounts.permissions.scope_for builds it from the actor's roles; selectors and services ask it
`covers(unit)` and filter with `q(field)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Q

SEGMENT = 4  # digits a level
MAX_CHILDREN = 10**SEGMENT - 2  # the last segment value is kept free so a successor path exists


def subtree_upper_bound(path: str) -> str:
    """The smallest path after every descendant of `path`: its next sibling's path."""
    return str(int(path) + 1).zfill(len(path))


def subtree_filter(path: str, field: str = "path") -> dict[str, str]:
    """Filter kwargs selecting `path` and all its descendants as an index range."""
    return {f"{field}__gte": path, f"{field}__lt": subtree_upper_bound(path)}


def ancestor_paths(path: str) -> list[str]:
    """The paths of the unit itself and every unit above it, top first."""
    return [path[:end] for end in range(SEGMENT, len(path) + 1, SEGMENT)]


class HasPath(Protocol):
    path: str


# Matches every row. Not Q(): `Q(x) | Q()` is just Q(x) in Django, so an "everywhere" filter ORed
# with another condition would silently narrow it. The negated empty set compiles to no condition.
_EVERY_ROW = ~Q(pk__in=[])
_NO_ROW = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    everywhere: bool = False
    paths: tuple[str, ...] = ()  # subtree tops, none inside another, sorted
    member_id: int | None = None  # the actor's own member record, where the permission holds on it

    @classmethod
    def over(cls, paths: Iterable[str], *, member_id: int | None = None) -> Scope:
        """The scope of these subtrees (a path inside another adds nothing and is dropped)."""
        kept: list[str] = []
        for path in sorted(set(paths)):
            if not any(path.startswith(top) for top in kept):
                kept.append(path)
        return cls(paths=tuple(kept), member_id=member_id)

    @classmethod
    def all(cls) -> Scope:
        return cls(everywhere=True)

    @classmethod
    def none(cls) -> Scope:
        return cls()

    def __bool__(self) -> bool:
        """Whether the permission holds anywhere at all."""
        return self.everywhere or bool(self.paths) or self.member_id is not None

    @property
    def has_units(self) -> bool:
        """Whether the permission holds over some units (not just the actor's own record)."""
        return self.everywhere or bool(self.paths)

    def covers_path(self, path: str) -> bool:
        return self.everywhere or any(path.startswith(top) for top in self.paths)

    def covers(self, unit: HasPath) -> bool:
        """Whether the unit lies in the scope's subtrees."""
        return self.covers_path(unit.path)

    def covers_member(self, member: Any) -> bool:
        """Whether the member record is in scope: by its unit, or as the actor's own record."""
        return (self.member_id is not None and member.pk == self.member_id) or self.covers(member.unit)

    def q(self, field: str = "path") -> Q:
        """A filter on `field` (a unit path) selecting the scope's subtrees. Safe to OR and AND:
        everywhere is a condition that matches every row, nowhere one that matches none."""
        if self.everywhere:
            return _EVERY_ROW
        q = _NO_ROW
        for path in self.paths:
            q |= Q(**subtree_filter(path, field))
        return q

    def own_q(self, field: str = "pk") -> Q:
        """A filter on `field` (a member id) selecting the actor's own record, if the scope holds it."""
        return Q(**{field: self.member_id}) if self.member_id is not None else _NO_ROW
