"""Who counts in the handbook's figures: the one rule behind the cell secretary's roster
(handbook.selectors.cell_roster) and the adoption report (dangvien.adoption), so that "registered"
and "target" mean the same on both pages.

- **Registered**: a member whose login is active and has a usable password, i.e. the member set one
  (activation, a secretary's code, a reset link): accounts.User.activated_at is set. An account a secretary registered that still waits
  for its code is not registered yet; an account an administrator closed no longer is. Counted over
  every member on the roll, as the press counts "accounts / all members".
- **Handbook user**: a member on the roll who uses the handbook (QĐ 339): official, probationary or
  temporarily transferred out; not exempted from activities.
- **Target**: the handbook users, leaving out those marked as having no smartphone
  (Member.has_smartphone is False; not known counts in the target). A member marked so who registered
  anyway, or an exempted member who kept an account, is registered but outside the target: so
  registered / target may pass 100% (Tuyên Quang's "104% of the target").
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from dangvien.accounts.models import User
from dangvien.handbook.models import HANDBOOK_STATUSES


def registered_q(prefix: str = "") -> Q:
    """Logins (through `prefix`, e.g. a member's "account__") that count as a member's registered
    handbook account: active, linked to a member, with a usable password (User.activated_at is set
    exactly while the password is usable). The users' partial index accounts_user_registered has
    this condition."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}member__isnull": False, f"{prefix}activated_at__isnull": False})


def registered_member_q(prefix: str = "") -> Q:
    """Members (through `prefix`) with a registered account: the same members as
    has_registered_account(), read from the member row's own flag, which the database keeps from the
    logins (Member.handbook_registered; handbook migration 0003), with its partial index by cell."""
    return Q(**{f"{prefix}handbook_registered": True})


def registered_accounts() -> QuerySet[User]:
    return User.objects.filter(registered_q())


def has_registered_account(member_field: str = "pk") -> Exists:
    """For member rows: whether the member (`member_field` of the outer row) has a registered account."""
    return Exists(registered_accounts().filter(member_id=OuterRef(member_field)))


def handbook_user_q(prefix: str = "") -> Q:
    """Members (through `prefix`, e.g. "member__") who use the handbook."""
    return Q(**{f"{prefix}status__in": HANDBOOK_STATUSES})


def no_smartphone_q(prefix: str = "") -> Q:
    """Members (through `prefix`) marked as having no smartphone (members' partial index's condition)."""
    return Q(**{f"{prefix}has_smartphone": False})


def in_target_q(prefix: str = "") -> Q:
    """Members (through `prefix`) in the handbook's target: users not marked as without a smartphone.
    A report may count it as the users less the users matching no_smartphone_q: the same members."""
    return handbook_user_q(prefix) & (Q(**{f"{prefix}has_smartphone": True})
                                      | Q(**{f"{prefix}has_smartphone__isnull": True}))


def in_target() -> ExpressionWrapper:
    """in_target_q as a column (an annotation or a grouping key)."""
    return ExpressionWrapper(in_target_q(), output_field=BooleanField())
