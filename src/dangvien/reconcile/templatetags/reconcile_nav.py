"""The reconciliation's links on other apps' pages: the menu entry, and a member's state on the
member page (templates are not bound by the layers: base.html loads the apps' menu filters)."""

from typing import Any

from django import template

from dangvien.accounts.permissions import scope_for
from dangvien.reconcile.models import Match
from dangvien.reconcile.permissions import RECONCILE_VIEW
from dangvien.reconcile.selectors import member_match

register = template.Library()


@register.filter
def can_reconcile(user: Any) -> bool:
    """Whether the user sees reconciliation results anywhere (the menu then offers them)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return scope_for(user, RECONCILE_VIEW).has_units


@register.inclusion_tag("reconcile/_member_state.html")
def member_reconciliation(user: Any, member: Any) -> dict[str, Any]:
    """The member's current reconciliation result, for the member page (nothing when the user may
    not see it, or no run covered the member yet)."""
    match: Match | None = member_match(user, member) if can_reconcile(user) else None
    return {"match": match, "open_count": getattr(match, "open_count", 0), "member": member}
