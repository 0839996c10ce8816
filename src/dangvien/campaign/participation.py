"""Members who move, leave or come back during a campaign move with it (docs/campaign.md):

- a transfer inside the campaign's unit: the participant moves to the new cell with the steps done;
- a transfer out of the unit (to another unit on the system once accepted there, or anywhere else),
  removal, expulsion, death: the participant leaves the campaign on that day and no longer counts,
  in the eligible nor the completed figures (the press counts the members there are now);
- a transfer in from outside the unit: the member joins on that day, eligible or not by the rule;
- one who comes back (a transfer out that returns inside the unit) counts again with their steps.

Eligibility is taken once, at the snapshot: a probationary member recognized as official during the
campaign gets the card on recognition, not through it, and stays excluded; a member exempted during
it stays eligible. Members registered after the snapshot join through campaign_refresh.
"""

from __future__ import annotations

from dangvien.campaign.eligibility import Rule
from dangvien.campaign.models import Campaign, Departure, Participant
from dangvien.core.audit import audit_record
from dangvien.members.hooks import MemberChange
from dangvien.members.models import Member, Status
from dangvien.org.models import Unit

_DEPARTURES: dict[str, str] = {Status.REMOVED: Departure.REMOVED, Status.EXPELLED: Departure.EXPELLED,
               Status.DECEASED: Departure.DECEASED}


def open_campaigns() -> list[Campaign]:
    """Campaigns with a snapshot that are not closed (a handful at most: one query)."""
    return list(Campaign.objects.filter(closed_on__isnull=True, snapshot_date__isnull=False).select_related("unit"))


def follow_member(change: MemberChange) -> None:
    """The member hook: keep every open campaign's participant in step with a moved member."""
    campaigns = open_campaigns()
    if not campaigns:
        return
    member = change.member
    new_path = member.unit.path
    old_path = (new_path if change.unit_before == member.unit_id
                else Unit.objects.values_list("path", flat=True).get(pk=change.unit_before))
    pending_path = member.pending_unit.path if member.pending_unit is not None else None
    for campaign in campaigns:
        if not (old_path.startswith(campaign.unit.path) or new_path.startswith(campaign.unit.path)):
            continue
        participant = Participant.objects.select_for_update().filter(campaign=campaign, member=member).first()
        inside = new_path.startswith(campaign.unit.path)
        if member.status in _DEPARTURES:
            _leave(change, participant, _DEPARTURES[member.status])
        elif member.status == Status.TRANSFERRED_OUT:
            # Until the receiving side accepts, a transfer addressed inside the unit stays counted where it was.
            if pending_path is None or not pending_path.startswith(campaign.unit.path):
                _leave(change, participant, Departure.TRANSFERRED_OUT)
        elif not inside:
            _leave(change, participant, Departure.TRANSFERRED_OUT)
        elif participant is None:
            _join(change, campaign)
        else:
            _move(change, participant)


def _leave(change: MemberChange, participant: Participant | None, departure: str) -> None:
    if participant is None or participant.left_on is not None:
        return
    participant.left_on, participant.departure = change.day, departure
    _save(change, participant, "campaign.participant_left", {"left_on": change.day.isoformat(),
                                                              "departure": departure})


def _move(change: MemberChange, participant: Participant) -> None:
    after: dict[str, object] = {}
    if participant.unit_id != change.member.unit_id:
        participant.unit_id = change.member.unit_id
        after["unit_id"] = participant.unit_id
    if participant.left_on is not None and participant.departure == Departure.TRANSFERRED_OUT:
        participant.left_on, participant.departure = None, ""
        after["returned_on"] = change.day.isoformat()
    if after:
        _save(change, participant, "campaign.participant_moved", after)


def _join(change: MemberChange, campaign: Campaign) -> None:
    member: Member = change.member
    exclusion = Rule.from_json(campaign.rule).exclusion(status=member.status, card_number=member.card_number)
    participant = Participant.objects.create(
        campaign=campaign, member=member, unit_id=member.unit_id, eligible=not exclusion, exclusion=exclusion,
        joined_on=change.day)
    audit_record(actor=change.actor, action="campaign.participant_joined", object_type="participant",
                 object_id=participant.pk, before={},
                 after={"campaign": campaign.pk, "member": member.pk, "eligible": participant.eligible,
                        "exclusion": exclusion, "joined_on": change.day.isoformat()},
                 unit_path=member.unit.path)


def _save(change: MemberChange, participant: Participant, action: str, after: dict[str, object]) -> None:
    participant.version += 1
    participant.save()
    audit_record(actor=change.actor, action=action, object_type="participant", object_id=participant.pk,
                 before={}, after={"member": participant.member_id, **after, "event": change.kind},
                 unit_path=change.member.unit.path)
