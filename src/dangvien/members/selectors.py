"""Every read of the member registry, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dangvien.accounts.permissions import Perm, scope_paths, scope_q
from dangvien.core.errors import NotFound
from dangvien.core.text import fold
from dangvien.members.models import Member, MemberEvent


def _visible_q(actor: Any) -> Q:
    """Members in the actor's MEMBER_VIEW subtrees, members transferred to those subtrees and not yet
    received, and the actor's own record."""
    paths = scope_paths(actor, Perm.MEMBER_VIEW)
    if paths is None:
        return Q()
    q = scope_q(actor, Perm.MEMBER_VIEW, "unit__path")
    if paths:
        q |= scope_q(actor, Perm.MEMBER_VIEW, "pending_unit__path")
    if getattr(actor, "member_id", None):
        q |= Q(pk=actor.member_id)
    return q


def members_visible_to(actor: Any) -> QuerySet[Member]:
    if not getattr(actor, "is_authenticated", False):
        return Member.objects.none()
    return Member.objects.filter(_visible_q(actor))


def member_is_visible(actor: Any, member: Member) -> bool:
    return members_visible_to(actor).filter(pk=member.pk).exists()


def member_get_for(actor: Any, member_id: int) -> Member:
    """The member if the actor may see it; NotFound otherwise (out of scope looks like absent)."""
    member = members_visible_to(actor).select_related("unit", "pending_unit").filter(pk=member_id).first()
    if member is None:
        raise NotFound("No such member.")
    return member


@dataclass(frozen=True)
class MemberFilter:
    query: str = ""
    unit: Any = None  # a Unit the actor may see: restrict to its subtree
    status: str = ""
    order: str = "name"  # name | -name | birth | -birth | admission | -admission


ORDERINGS = {
    "name": ["sort_key", "id"],
    "-name": ["-sort_key", "-id"],
    "birth": ["birth_year", "date_of_birth", "id"],
    "-birth": ["-birth_year", "-date_of_birth", "-id"],
    "admission": ["admission_date", "id"],
    "-admission": ["-admission_date", "-id"],
}


def search_q(query: str) -> Q:
    """Each word of the query must start a word of the name (accents, case and tone placement
    ignored); digits match the citizen ID, profile or card number from their start."""
    q = Q()
    text = query.strip()
    if not text:
        return q
    compact = text.replace(" ", "").upper()
    if compact.isdigit() or (compact[:6].isdigit() and len(compact) > 6):
        return (Q(citizen_id__startswith=compact) | Q(profile_number__startswith=compact)
                | Q(card_number__startswith=compact) | Q(old_id_number__startswith=compact))
    # Last word first: it is usually the given name, the rarest part, so on a scan the database
    # (which tests the terms in order) rejects most rows on the first test (docs/benchmarks.md).
    for word in reversed(fold(text).split(" ")):
        q &= Q(search_name__contains=f" {word}")
    return q


def member_list(actor: Any, flt: MemberFilter) -> QuerySet[Member]:
    from dangvien.org.models import subtree_filter

    qs = members_visible_to(actor)
    if flt.unit is not None:
        qs = qs.filter(**subtree_filter(flt.unit.path, "unit__path"))
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.query:
        qs = qs.filter(search_q(flt.query))
    return qs.select_related("unit").order_by(*ORDERINGS.get(flt.order, ORDERINGS["name"]))


def member_history(actor: Any, member_id: int) -> QuerySet[MemberEvent]:
    member = member_get_for(actor, member_id)
    return member.events.select_related("unit", "actor").order_by("effective_date", "id")
