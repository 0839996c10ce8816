"""Every read of meetings, scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.meetings.models import Meeting
from dangvien.meetings.permissions import MEETING_MANAGE, MEETING_VIEW
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.org.models import Unit


def _units_q(actor: Any, permission: Any) -> Q | None:
    """Meetings of units in the actor's subtrees for `permission`; None when it holds nowhere."""
    scope = scope_for(actor, permission)
    if scope.everywhere:
        return Q()
    if not scope.paths:
        return None
    return Q(unit_id__in=Unit.objects.filter(scope.q("path")).values("id"))


def meetings_visible_to(actor: Any) -> QuerySet[Meeting]:
    """Officers: meetings of the units in their MEETING_VIEW subtrees. A member: the meetings of
    their own cell and the meetings they are invited to (a guest from another unit)."""
    if not getattr(actor, "is_authenticated", False):
        return Meeting.objects.none()
    q = _units_q(actor, MEETING_VIEW)
    member_id = getattr(actor, "member_id", None)
    if member_id is not None and getattr(actor, "is_active", False):
        own = Q(unit_id__in=_own_cell(member_id)) | Q(invitations__member_id=member_id)
        q = own if q is None else q | own
    if q is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(q).distinct() if member_id is not None else Meeting.objects.filter(q)


def meetings_managed_by(actor: Any) -> QuerySet[Meeting]:
    """The meetings the actor may change (MEETING_MANAGE in their unit)."""
    if not getattr(actor, "is_authenticated", False):
        return Meeting.objects.none()
    q = _units_q(actor, MEETING_MANAGE)
    return Meeting.objects.none() if q is None else Meeting.objects.filter(q)


def meeting_get_for(actor: Any, meeting_id: int) -> Meeting:
    """The meeting if the actor may see it; NotFound otherwise (out of scope looks like absent)."""
    meeting = meetings_visible_to(actor).select_related("unit").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def meeting_lock_for(actor: Any, meeting_id: int) -> Meeting:
    """The meeting locked for a write inside a service's transaction, if the actor may manage it."""
    meeting = (meetings_managed_by(actor).select_for_update(of=("self",)).select_related("unit")
               .filter(pk=meeting_id).first())
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def _own_cell(member_id: int) -> QuerySet:
    """The member's cell while they are on its roll (a member who left sees no longer its meetings)."""
    return Member.objects.filter(pk=member_id, status__in=ON_ROLL_STATUSES).values("unit_id")
