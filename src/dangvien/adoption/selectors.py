"""Every read behind the adoption report, scoped to the actor: the unit a report is about (in the
actor's ADOPTION_VIEW scope, else 404), and the rows its figures count, all within that unit's
subtree. A scope is a set of whole subtrees, so a unit in scope has its whole subtree in scope: an
officer's report holds their own subtree, never a unit beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.accounts.permissions import can, scope_for
from dangvien.adoption.models import MemberActivity
from dangvien.adoption.permissions import ADOPTION_VIEW
from dangvien.core.errors import NotFound
from dangvien.core.scope import ancestor_paths, subtree_filter
from dangvien.handbook.counting import registered_accounts
from dangvien.meetings.models import Meeting, MeetingStatus
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit


def adoption_unit_for(actor: Any, code: str | None = None) -> Unit:
    """The unit with `code` if the actor sees its report (404 otherwise); without a code, the top of
    the actor's own part of the tree."""
    if code and "\x00" in code:  # no code holds one, and PostgreSQL refuses it in a query
        raise NotFound(_("No such unit."))
    if not getattr(actor, "is_authenticated", False):
        raise NotFound(_("No such unit."))
    units = Unit.objects.filter(scope_for(actor, ADOPTION_VIEW).q("path"))
    unit = units.filter(code=code).first() if code else units.order_by("path").first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def adoption_ancestors_for(actor: Any, unit: Unit) -> list[Unit]:
    """The units above `unit` whose report the actor sees: the page's links back up the tree."""
    above = ancestor_paths(unit.path)[:-1]
    return [a for a in Unit.objects.filter(path__in=above).order_by("path") if can(actor, ADOPTION_VIEW, a)]


def _require_scope(actor: Any, unit: Unit) -> None:
    # The report functions get their unit from adoption_unit_for; this keeps any other caller from
    # counting outside the actor's scope.
    if not scope_for(actor, ADOPTION_VIEW).covers(unit):
        raise NotFound(_("No such unit."))


def _whole_tree(unit: Unit) -> bool:
    """Whether every unit is in `unit`'s subtree (the only top unit: a province's own system). Asked
    once a unit object; then the rows need no subtree filter at all, which lets a database read a
    whole index in order instead of seeking it unit by unit."""
    known = getattr(unit, "_adoption_whole_tree", None)
    if known is None:
        known = unit.parent_id is None and not Unit.objects.filter(parent__isnull=True).exclude(pk=unit.pk).exists()
        unit._adoption_whole_tree = known  # type: ignore[attr-defined]
    return known


def _in_subtree(unit: Unit, field: str) -> Q:
    """Rows whose unit (`field`, an id column) lies in `unit`'s subtree: a subquery of the subtree's
    unit ids, so each row is tested on its own indexed column, with no join to the unit table."""
    if _whole_tree(unit):
        return Q()
    return Q(**{f"{field}__in": Unit.objects.filter(**subtree_filter(unit.path)).values("id")})


def members_within_for(actor: Any, unit: Unit) -> QuerySet[Member]:
    """Members on the roll of the cells in `unit`'s subtree."""
    _require_scope(actor, unit)
    return Member.objects.filter(_in_subtree(unit, "unit_id"), status__in=ON_ROLL_STATUSES)


def accounts_within_for(actor: Any, unit: Unit) -> QuerySet[User]:
    """The registered handbook accounts (handbook.counting) of the members on the roll in `unit`'s subtree."""
    _require_scope(actor, unit)
    return registered_accounts().filter(_in_subtree(unit, "member__unit_id"), member__status__in=ON_ROLL_STATUSES)


def activity_within_for(actor: Any, unit: Unit, years: list[int]) -> QuerySet[MemberActivity]:
    """The handbook use rows of `years` of the members on the roll in `unit`'s subtree (a row's unit
    is the member's cell, and empty once they left the roll)."""
    _require_scope(actor, unit)
    return MemberActivity.objects.filter(_in_subtree(unit, "unit_id"), year__in=years, unit__isnull=False)


def cells_within_for(actor: Any, unit: Unit) -> QuerySet[Unit]:
    """The cells of `unit`'s subtree (the unit itself if it is one)."""
    _require_scope(actor, unit)
    return Unit.objects.filter(kind__in=MEMBER_UNIT_KINDS, **subtree_filter(unit.path))


def held_meetings_within_for(actor: Any, unit: Unit, start: dt.datetime, end: dt.datetime) -> QuerySet[Meeting]:
    """Meetings held in the app (minutes approved: status HELD) by the cells of `unit`'s subtree,
    starting from `start` to before `end` (the meetings contract: any kind; a committee's meetings
    belong to a unit that is not a cell, and do not count). Read by the meetings' own index
    (status, starts_at, unit)."""
    return Meeting.objects.filter(status=MeetingStatus.HELD, starts_at__gte=start, starts_at__lt=end,
                                  unit_id__in=cells_within_for(actor, unit).values("id"))
