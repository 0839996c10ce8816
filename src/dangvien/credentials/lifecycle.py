"""Cards follow the member's lifecycle (registered as a member hook, members/hooks.py): when a member
is expelled, removed from the roll or dies, the member service revokes their live card in its own
transaction, dated the day of the event, with the reason. The cell takes the card back from an
expelled or removed member; the family keeps a dead member's (domain.md), revoked all the same.

A transfer changes nothing: the member keeps their card wherever they go, and whoever keeps the
member's records there sees it. The member service checked MEMBER_MANAGE; the revocation needs no
card permission of the actor's own (a committee officer who expels a member need not be a card
officer for the card to stop answering for them).
"""

from __future__ import annotations

from dangvien.credentials.models import RevocationReason
from dangvien.credentials.services import card_revoke_for_member
from dangvien.members.hooks import MemberChange
from dangvien.members.models import Status

REVOKING_STATUSES: dict[str, str] = {Status.EXPELLED: RevocationReason.EXPELLED, Status.REMOVED: RevocationReason.REMOVED,
                                     Status.DECEASED: RevocationReason.DECEASED}


def follow_member(change: MemberChange) -> None:
    """The member hook: revoke the live card of a member who left the party."""
    reason = REVOKING_STATUSES.get(change.member.status)
    if reason is None or change.status_before == change.member.status:
        return
    card_revoke_for_member(actor=change.actor, member=change.member, reason=reason, day=change.day)
