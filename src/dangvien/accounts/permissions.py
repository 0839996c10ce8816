"""What each role may do, and where. Every selector and service asks here.

Permission = what × where. Each app declares its permissions in its own `permissions.py`
(`register(...)`: the roles that hold it in their unit's subtree, and whether it also holds on the
actor's own member record); the accounts app loads every app's module at start-up. A grant is
(role, unit): the role's permissions hold in that unit's whole subtree. A system administrator holds
every permission everywhere.

`scope_for(actor, permission)` answers where as a core.scope.Scope; `can` and `require` ask it about
one unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.core.prepared import Prepared
from dangvien.core.scope import SEGMENT, Scope


@dataclass(frozen=True)
class Permission:
    name: str  # the constant's name, e.g. MEMBER_VIEW
    code: str  # e.g. "member.view"
    roles: frozenset[str] = field(compare=False)  # the roles that hold it in their unit's subtree
    own_record: bool = field(default=False, compare=False)  # also holds on the actor's own member record

    def __str__(self) -> str:
        return self.code


class _Registry:
    """Every app's permissions by name (`Perm.MEMBER_VIEW`), iterable like an enumeration."""

    def __init__(self) -> None:
        self._by_name: dict[str, Permission] = {}

    def add(self, permission: Permission) -> Permission:
        known = self._by_name.get(permission.name)
        if known is not None and known.code != permission.code:
            raise ValueError(f"Permission {permission.name} is registered twice with different codes.")
        self._by_name[permission.name] = permission
        return permission

    def __getattr__(self, name: str) -> Permission:
        try:
            return self._by_name[name]
        except KeyError:
            raise AttributeError(f"No permission {name} is registered.") from None

    def __iter__(self) -> Iterator[Permission]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


Perm = _Registry()


def register(name: str, code: str, *, roles: Iterable[str], own_record: bool = False) -> Permission:
    """Declare a permission: `roles` hold it in the subtree of the unit they are bound to; with
    `own_record`, every user also holds it on their own member record."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"Unknown roles {sorted(unknown)} for permission {name}.")
    return Perm.add(Permission(name=name, code=code, roles=frozenset(roles), own_record=own_record))


class _RolePermissions(Mapping[str, frozenset[Permission]]):
    """Role -> the permissions it holds, read from the registry (an administrator holds them all)."""

    def __getitem__(self, role: str) -> frozenset[Permission]:
        if role not in Role.values:
            raise KeyError(role)
        if role == Role.ADMIN:
            return frozenset(Perm)
        return frozenset(p for p in Perm if role in p.roles)

    def __iter__(self) -> Iterator[str]:
        return iter(Role.values)

    def __len__(self) -> int:
        return len(Role.values)


ROLE_PERMS = _RolePermissions()

# The permissions of the accounts app itself.
ROLE_MANAGE = register("ROLE_MANAGE", "role.manage", roles={Role.COMMITTEE_OFFICER})
AUDIT_VIEW = register("AUDIT_VIEW", "audit.view", roles={Role.COMMITTEE_OFFICER})


class _Grants:
    def __init__(self, assignments: list[tuple[str, str | None]]):
        self.roles = {role for role, _ in assignments}
        self.is_admin = Role.ADMIN in self.roles
        by_perm: dict[Permission, list[str]] = {}
        for role, path in assignments:
            if path is None:
                continue
            for perm in ROLE_PERMS.get(role, ()):
                by_perm.setdefault(perm, []).append(path)
        # Paths already covered by an ancestor path are dropped, so scope filters stay short.
        self.paths: dict[Permission, list[str]] = {
            perm: list(Scope.over(paths).paths) for perm, paths in by_perm.items()}
        self.everywhere: frozenset[Permission] = frozenset()


def _covering_every_root(paths: dict[Permission, list[str]]) -> frozenset[Permission]:
    """Permissions granted on every top-level unit (an officer of the only province) hold
    everywhere: their scope filters can then be dropped, which spares each query a per-row scope
    test. Asked per request, so a province added later narrows the scope at once."""
    if not any(len(p) == SEGMENT for granted in paths.values() for p in granted):
        return frozenset()  # no grant on a top-level unit: nothing to ask
    # The unit tree, through the grant's own link (accounts sits below org: docs/architecture.md).
    units = RoleAssignment._meta.get_field("unit").related_model
    roots = set(units._default_manager.filter(depth=0).values_list("path", flat=True))
    return frozenset(perm for perm, granted in paths.items() if roots and roots <= set(granted))


# Read on every request of every logged-in user: compiled once (core/prepared.py).
_ASSIGNMENTS = Prepared(lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("role", "unit__path"),
                        takes=(int,))


def grants(actor: Any) -> _Grants:
    """The actor's grants, loaded once and cached on the user object (one query per request)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _Grants([])
    cached = getattr(actor, "_dangvien_grants", None)
    if cached is None:
        # An unsaved actor (a command's system user) holds no assignment.
        cached = _Grants(_ASSIGNMENTS(actor.pk) if actor.pk is not None else [])
        if actor.is_superuser:
            cached.is_admin = True
        cached.everywhere = _covering_every_root(cached.paths)
        actor._dangvien_grants = cached
    return cached


def forget_grants(actor: Any) -> None:
    if hasattr(actor, "_dangvien_grants"):
        del actor._dangvien_grants


def scope_for(actor: Any, perm: Permission) -> Scope:
    """Where `perm` holds for the actor."""
    g = grants(actor)
    if g.is_admin or perm in g.everywhere:
        return Scope.all()
    own = getattr(actor, "member_id", None) if perm.own_record and getattr(actor, "is_active", False) else None
    return Scope(paths=tuple(g.paths.get(perm, ())), member_id=own)


def scope_q(actor: Any, perm: Permission, field: str = "path") -> Q:
    """A filter on `field` (a unit path) matching the subtrees where `perm` holds."""
    return scope_for(actor, perm).q(field)


def can(actor: Any, perm: Permission, unit: Any) -> bool:
    """Whether `perm` holds at `unit` (None: at the top, above every province, which only a system
    administrator reaches, even where an officer's grants cover every province there is)."""
    if unit is None:
        return grants(actor).is_admin
    return scope_for(actor, perm).covers(unit)


def require(actor: Any, perm: Permission, unit: Any) -> None:
    if not can(actor, perm, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


def has_role(actor: Any, role: str) -> bool:
    return role in grants(actor).roles or (role == Role.ADMIN and grants(actor).is_admin)


def is_officer(actor: Any) -> bool:
    """Whether the actor holds any role but member (officers, secretaries, administrators)."""
    held = grants(actor)
    return held.is_admin or bool(held.roles - {Role.MEMBER})
