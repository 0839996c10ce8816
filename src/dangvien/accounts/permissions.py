"""What each role may do, and where. Every selector and service asks here.

A grant is (permission, unit path): the permission holds in that unit's whole subtree. A system
administrator holds every permission everywhere. A member's access to their own record is not a
unit grant; members/selectors.py adds it.
"""

from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment


class Perm(enum.StrEnum):
    UNIT_VIEW = "unit.view"
    UNIT_MANAGE = "unit.manage"
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"  # lifecycle events and data corrections
    MEMBER_EDIT_CONTACT = "member.edit_contact"  # phone, residence, smartphone flag
    CARD_MANAGE = "card.manage"  # card-exchange work (the cards app)
    ROLE_MANAGE = "role.manage"
    AUDIT_VIEW = "audit.view"


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.COMMITTEE_OFFICER: frozenset({
        Perm.UNIT_VIEW, Perm.UNIT_MANAGE, Perm.MEMBER_VIEW, Perm.MEMBER_MANAGE,
        Perm.MEMBER_EDIT_CONTACT, Perm.ROLE_MANAGE, Perm.AUDIT_VIEW,
    }),
    Role.CELL_SECRETARY: frozenset({Perm.UNIT_VIEW, Perm.MEMBER_VIEW, Perm.MEMBER_EDIT_CONTACT}),
    # Card-exchange work in its subtree; the rest of the profile read-only.
    Role.CARD_OFFICER: frozenset({Perm.UNIT_VIEW, Perm.MEMBER_VIEW, Perm.CARD_MANAGE}),
    Role.MEMBER: frozenset(),
}

ALL = None  # scope sentinel: every unit


class _Grants:
    def __init__(self, assignments: list[tuple[str, str | None]]):
        self.roles = {role for role, _ in assignments}
        self.is_admin = Role.ADMIN in self.roles
        self.paths: dict[Perm, list[str]] = {}
        for role, path in assignments:
            if path is None:
                continue
            for perm in ROLE_PERMS.get(role, ()):
                self.paths.setdefault(perm, []).append(path)
        # Drop paths already covered by an ancestor path, so scope filters stay short.
        for perm, paths in self.paths.items():
            kept: list[str] = []
            for path in sorted(set(paths)):
                if not any(path.startswith(k) for k in kept):
                    kept.append(path)
            self.paths[perm] = kept
        self.everywhere: frozenset[Perm] = frozenset()


def _covering_every_root(paths: dict[Perm, list[str]]) -> frozenset[Perm]:
    """Permissions granted on every top-level unit (an officer of the only province) hold
    everywhere: their scope filters can then be dropped, which spares each query a per-row scope
    test. Asked per request, so a province added later narrows the scope at once."""
    from dangvien.org.models import SEGMENT, Unit

    if not any(len(p) == SEGMENT for granted in paths.values() for p in granted):
        return frozenset()  # no grant on a top-level unit: nothing to ask
    roots = set(Unit.objects.filter(depth=0).values_list("path", flat=True))
    return frozenset(perm for perm, granted in paths.items() if roots and roots <= set(granted))


def grants(actor: Any) -> _Grants:
    """The actor's grants, loaded once and cached on the user object (one query per request)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _Grants([])
    cached = getattr(actor, "_dangvien_grants", None)
    if cached is None:
        rows = RoleAssignment.objects.filter(user_id=actor.pk).values_list("role", "unit__path")
        cached = _Grants(list(rows))
        if actor.is_superuser:
            cached.is_admin = True
        cached.everywhere = _covering_every_root(cached.paths)
        actor._dangvien_grants = cached
    return cached


def forget_grants(actor: Any) -> None:
    if hasattr(actor, "_dangvien_grants"):
        del actor._dangvien_grants


def scope_paths(actor: Any, perm: Perm) -> list[str] | None:
    """Unit paths whose subtrees `perm` covers; None means everywhere."""
    g = grants(actor)
    return ALL if g.is_admin or perm in g.everywhere else g.paths.get(perm, [])


def scope_q(actor: Any, perm: Perm, field: str = "path") -> Q:
    """A filter on `field` (a unit path) matching the subtrees where `perm` holds.

    Everywhere is the empty Q(). Beware OR: `Q(x) | Q()` is just Q(x) in Django, so a caller that
    ORs another condition with this filter must test `scope_paths(...) is ALL` first.
    """
    from dangvien.org.models import subtree_filter

    paths = scope_paths(actor, perm)
    if paths is ALL:
        return Q()
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**subtree_filter(path, field))
    return q


def can(actor: Any, perm: Perm, unit: Any) -> bool:
    """Whether `perm` holds at `unit` (None: at the top, above every province, which only a system
    administrator reaches, even where an officer's grants cover every province there is)."""
    if unit is None:
        return grants(actor).is_admin
    paths = scope_paths(actor, perm)
    return paths is ALL or any(unit.path.startswith(p) for p in paths)


def require(actor: Any, perm: Perm, unit: Any) -> None:
    if not can(actor, perm, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


def has_role(actor: Any, role: str) -> bool:
    return role in grants(actor).roles or (role == Role.ADMIN and grants(actor).is_admin)
