"""Every read of the member registry, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import subtree_filter
from dangvien.core.text import search_words
from dangvien.members.models import FeePayment, Member, MemberEvaluation, MemberEvent
from dangvien.members.permissions import MEMBER_VIEW
from dangvien.org.models import Unit
from dangvien.org.rollup import rollup
from dangvien.org.selectors import UnitNode, tree_scope_q, tree_units_for, unit_tree


def _visible_q(actor: Any) -> Q:
    """Members in the actor's MEMBER_VIEW subtrees, members transferred to those subtrees and not yet
    received, and the actor's own record.

    The scope is a subquery of unit ids rather than a join on the unit's path: the database then
    tests each member by its own columns, which the covering indexes hold, so a deep page or a
    count never touches the unit table row by row.
    """
    scope = scope_for(actor, MEMBER_VIEW)
    if scope.everywhere:
        return Q()
    q = scope.own_q("pk")
    if scope.paths:
        units = Unit.objects.filter(scope.q("path")).values("id")
        q |= Q(unit_id__in=units) | Q(pending_unit_id__in=units)
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


def member_lock_for(actor: Any, member_id: int) -> Member:
    """The member row locked for a write (SELECT ... FOR UPDATE, inside the service's transaction),
    if the actor may see it: one query for the scope, the row and its units. NotFound otherwise."""
    member = (members_visible_to(actor).select_for_update(of=("self",)).select_related("unit", "pending_unit")
              .filter(pk=member_id).first())
    if member is None:
        raise NotFound(_("No such member."))
    return member


def member_ref(member_id: int) -> Member:
    """A member named by id only, for a service: the service reads the record itself, in scope and
    under its lock (member_lock_for), so the caller need not read it first."""
    return Member(pk=member_id)


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
    for word in reversed(search_words(text)):
        q &= Q(search_name__contains=f" {word}")
    return q


def member_list(actor: Any, flt: MemberFilter) -> QuerySet[Member]:
    qs = members_visible_to(actor)
    if flt.unit is not None:
        qs = qs.filter(unit_id__in=Unit.objects.filter(**subtree_filter(flt.unit.path)).values("id"))
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.query:
        qs = qs.filter(search_q(flt.query))
    return qs.select_related("unit").order_by(*ORDERINGS.get(flt.order, ORDERINGS["name"]))


def member_history(actor: Any, member_id: int) -> QuerySet[MemberEvent]:
    member = member_get_for(actor, member_id)
    return member.events.select_related("unit", "actor").order_by("effective_date", "id")


def member_evaluations(actor: Any, member_id: int) -> QuerySet[MemberEvaluation]:
    """The member's year-end evaluations, latest year first (NotFound out of scope)."""
    return MemberEvaluation.objects.filter(member=member_get_for(actor, member_id)).order_by("-year")


def member_fee_payments(actor: Any, member_id: int) -> QuerySet[FeePayment]:
    """The party fees the member paid, latest month first (NotFound out of scope)."""
    return FeePayment.objects.filter(member=member_get_for(actor, member_id)).order_by("-month")


class MemberPages:
    """A member list for a Paginator (or any slicing) that stays fast however deep the page.

    A slice first reads just the page's ids in list order, which the database answers from the
    covering index alone (an index-only scan that skips rows cheaply), then loads the full rows of
    those ids only. One OFFSET query over whole rows would read every skipped row.
    """

    def __init__(self, members: QuerySet[Member], columns: list[str] | None = None):
        self._members = members
        self._columns = columns

    def count(self) -> int:
        return self._members.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Member]:
        if not isinstance(window, slice):
            raise TypeError("MemberPages takes slices only")
        ids = list(self._members.values_list("id", flat=True)[window])
        rows = Member.objects.filter(pk__in=ids).select_related("unit")
        if self._columns:
            rows = rows.only(*self._columns)
        by_id = {member.pk: member for member in rows}
        return [by_id[pk] for pk in ids if pk in by_id]  # a row deleted in between drops out


def unit_tree_with_counts(actor: Any, root: Unit | None = None, max_depth: int | None = None) -> list[UnitNode]:
    """The actor's units as a tree, each with member counts by status over its whole subtree.

    Two queries whatever the size (a third for the paths of cells below a max_depth cut): the
    units, and member counts grouped by (cell, status) (org.rollup). Members are counted by the cell
    they belong to, so a member transferred to a cell and not yet received counts where they left.
    """
    units = tree_units_for(actor, root, max_depth)
    if not units:
        return []
    # Counted by cell id over the (unit, status) index, with the scope as a subquery on units:
    # about three times faster on PostgreSQL than grouping joined rows by path (docs/benchmarks.md).
    members = Member.objects.filter(unit_id__in=Unit.objects.filter(tree_scope_q(actor, root)).values("id"))
    counts = rollup(members, keys=["status"], paths={u.pk: u.path for u in units})
    return unit_tree(units, counts)
