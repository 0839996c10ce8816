"""Every write to the cards. Each service checks the actor's permission at the member's cell, runs in
one transaction, refuses a stale edit, writes an audit row a card it changes ("card.*", old and new
values) and appends the member's history event (credentials/events.py).

The lifecycle (docs/credentials.md):

- **issue** (card_issue, cards_issue_bulk for a production run): a member on the roll whose campaign
  pipeline reached "sent to the Central Organizing Committee", with a photo and no live card. The
  first card draws a number from the scheme; a member who held a card before keeps that number;
- **re-issue** after loss, damage or a change of the data on it (card_reissue): the old card is
  revoked with the reason, and a new one keeps the number with the re-issue counter one higher, a
  new status-list entry and the member's latest photo;
- **suspend** (a card reported lost, until the cell has reviewed it) and **reinstate**;
- **revoke** by hand (a card issued in error, ...), and by the member hook in the member service's
  own transaction on expulsion, removal or death (credentials.lifecycle).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import Permission, can, require
from dangvien.core.audit import audit_record, audit_record_many, jsonable
from dangvien.core.bulk import bulk_insert
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.scope import SEGMENT
from dangvien.core.text import clean
from dangvien.credentials.entries import entries_draw
from dangvien.credentials.events import CardIssued, CardReinstated, CardReissued, CardRevoked, CardSuspended
from dangvien.credentials.models import (
    REISSUE_REASONS,
    Card,
    CardStatus,
    Portrait,
    PortraitSource,
    RevocationReason,
    StatusList,
)
from dangvien.credentials.numbers import numbers_draw
from dangvien.credentials.permissions import CARD_ISSUE, CARD_REVOKE
from dangvien.credentials.portraits import PortraitImage, portrait_image
from dangvien.credentials.selectors import (
    card_lock_for,
    card_scope_q,
    latest_portrait,
    latest_portraits,
    live_card_of,
    members_awaiting_cards,
    sent_to_production_q,
)
from dangvien.members.events import EventDetails, event_row
from dangvien.members.models import ON_ROLL_STATUSES, Member, MemberEvent, Status
from dangvien.members.services import actor_id_of
from dangvien.members.validation import today
from dangvien.org.models import Unit

# What an audit row records of a card.
AUDIT_FIELDS = ("member_id", "number", "reissue_count", "status", "issued_on", "authority_id", "portrait_id",
                "status_list_id", "status_index", "status_changed_on", "revocation_reason", "status_note",
                "replaces_id")


def card_snapshot(card: Card) -> dict[str, Any]:
    return {name: jsonable(getattr(card, name)) for name in AUDIT_FIELDS}


# --- helpers -------------------------------------------------------------------------------------------


def _member_locked(actor: Any, member_id: int) -> Member:
    """The member under a row lock, if the actor sees their cards (NotFound otherwise)."""
    member = (Member.objects.select_for_update(of=("self",)).select_related("unit")
              .filter(card_scope_q(actor, member_field=""), pk=member_id).first())
    if member is None:
        raise NotFound(_("No such member."))
    return member


def _require_at(actor: Any, perm: Permission, member: Member) -> None:
    if not can(actor, perm, member.unit):
        raise PermissionDenied(_("You do not have permission to do this with this member's card."))


def _locked(actor: Any, card: Card, expected_version: int, perm: Permission) -> Card:
    """Re-read the card under a row lock; check scope (404), permission (403) and version (409)."""
    fresh = card_lock_for(actor, card.pk)
    _require_at(actor, perm, fresh.member)
    if fresh.version != expected_version:
        raise StaleEdit(_("This card was changed by someone else (version %(now)s, your copy %(yours)s). "
                          "Reload it and try again.") % {"now": fresh.version, "yours": expected_version},
                        code="stale")
    return fresh


def _check_day(day: dt.date, not_before: dt.date | None = None) -> None:
    if day > today():
        raise ValidationError({"day": [_("This date is in the future.")]})
    if not_before and day < not_before:
        raise ValidationError({"day": [_("This date is before %(date)s.") % {"date": not_before.strftime("%d/%m/%Y")}]})


def _province_of(unit: Unit) -> Unit:
    return unit if unit.depth == 0 else Unit.objects.get(path=unit.path[:SEGMENT])


def _event(card: Card, details: EventDetails, day: dt.date, actor: Any, note: str = "") -> dict[str, Any]:
    member = card.member
    return event_row(details, member_id=member.pk, unit_id=member.unit_id, day=day, actor_id=actor_id_of(actor),
                     from_status=member.status, to_status=member.status, note=note)


def _audit_issue(card: Card, action: str) -> dict[str, Any]:
    """The audit entry of a new card (audit_record's arguments but the actor)."""
    return {"action": action, "object_type": "card", "object_id": card.pk, "before": None,
            "after": card_snapshot(card), "unit_path": card.member.unit.path}


def _save_status(actor: Any, card: Card, action: str, before: dict[str, Any]) -> Card:
    card.version += 1
    card.save()
    after = card_snapshot(card)
    changed = [k for k in after if before.get(k) != after[k]]
    audit_record(actor=actor, action=action, object_type="card", object_id=card.pk,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 unit_path=card.member.unit.path)
    return card


def _issue_problems(member: Member, has_live_card: bool, portrait: Portrait | None, sent: bool) -> dict[str, list[str]]:
    """Why the member cannot be issued a card now (empty: they can)."""
    if member.status not in ON_ROLL_STATUSES:
        return {"member": [_("The member is %(status)s: no card is issued.")
                           % {"status": Status(member.status).label.lower()}]}
    if member.status == Status.PROBATIONARY:
        return {"member": [_("A probationary member gets the party card on recognition as official.")]}
    if has_live_card:
        return {"member": [_("The member already holds a card: re-issue it instead.")]}
    if not sent:
        return {"member": [_("The member's card data has not been sent to the Central Organizing Committee "
                             "(the campaign's step “sent”).")]}
    if portrait is None:
        return {"photo": [_("There is no photo of the member: upload the photo taken at the photo step.")]}
    return {}


def _previous_number(member_id: int) -> tuple[str, int] | None:
    """The number the member's earlier cards bore, and the highest re-issue counter it reached."""
    found = (Card.objects.filter(member_id=member_id).values("number")
             .annotate(top=Max("reissue_count")).order_by("-top").first())
    return (found["number"], found["top"]) if found else None


def _new_card(*, member: Member, number: str, reissue_count: int, portrait: Portrait, authority: Unit,
              entry: tuple[StatusList, int], day: dt.date, actor: Any, replaces: Card | None = None) -> Card:
    return Card(member=member, number=number, reissue_count=reissue_count, status=CardStatus.ACTIVE, issued_on=day,
                authority=authority, portrait=portrait, status_list=entry[0], status_index=entry[1],
                replaces=replaces, issued_by=actor if getattr(actor, "pk", None) else None)


# --- issuing ---------------------------------------------------------------------------------------------


def card_issue(*, actor: Any, member: Member, day: dt.date | None = None, note: str = "") -> Card:
    """Issue the member's card (their first, or again after one was revoked)."""
    day = day or today()
    with transaction.atomic():
        member = _member_locked(actor, member.pk)
        _require_at(actor, CARD_ISSUE, member)
        _check_day(day)
        portrait = latest_portrait(member)
        sent = Member.objects.filter(pk=member.pk).filter(sent_to_production_q()).exists()
        if problems := _issue_problems(member, live_card_of(member) is not None, portrait, sent):
            raise ValidationError(problems)
        assert portrait is not None
        authority = _province_of(member.unit)
        previous = _previous_number(member.pk)
        number, count = (previous[0], previous[1] + 1) if previous else (numbers_draw(authority, 1)[0], 0)
        card = _new_card(member=member, number=number, reissue_count=count, portrait=portrait, authority=authority,
                         entry=entries_draw(1)[0], day=day, actor=actor)
        card.save()
        MemberEvent.objects.create(**_event(card, CardIssued(card_number=number, reissue_count=count), day, actor,
                                            clean(note)))
        audit_record(actor=actor, **_audit_issue(card, "card.issued"))
        return card


@dataclass
class BulkIssue:
    cards: list[Card] = field(default_factory=list)
    without_photo: list[Member] = field(default_factory=list)  # sent, but no photo yet: not issued


def cards_issue_bulk(*, actor: Any, unit: Unit, day: dt.date | None = None, expected: int | None = None) -> BulkIssue:
    """A production run: a card for every member of `unit`'s subtree sent to production and holding
    none (members_awaiting_cards), with the same rows, events and audit rows as card_issue one
    member at a time in that order. Members without a photo are left out and listed. `expected`:
    the number of members the officer confirmed; refused if the list has changed since."""
    day = day or today()
    result = BulkIssue()
    with transaction.atomic():
        require(actor, CARD_ISSUE, unit)
        _check_day(day)
        members = list(members_awaiting_cards(actor, unit).select_for_update(of=("self",)))
        if expected is not None and expected != len(members):
            raise ValidationError({"expected": [_("%(now)s members are waiting now, not %(yours)s: reload the list.")
                                                % {"now": len(members), "yours": expected}]}, code="stale")
        portraits = latest_portraits([m.pk for m in members])
        result.without_photo = [m for m in members if m.pk not in portraits]
        ready = [m for m in members if m.pk in portraits]
        if not ready:
            return result
        provinces = {p.path: p for p in Unit.objects.filter(depth=0, path__in={m.unit.path[:SEGMENT] for m in ready})}
        previous = _previous_numbers([m.pk for m in ready])
        fresh_numbers = _draw_by_province(ready, previous, provinces)
        entries = entries_draw(len(ready))
        cards = []
        for member, entry in zip(ready, entries, strict=True):
            authority = provinces[member.unit.path[:SEGMENT]]
            number, count = ((previous[member.pk][0], previous[member.pk][1] + 1) if member.pk in previous
                             else (fresh_numbers[member.pk], 0))
            cards.append(_new_card(member=member, number=number, reissue_count=count, portrait=portraits[member.pk],
                                   authority=authority, entry=entry, day=day, actor=actor))
        Card.objects.bulk_create(cards)  # the database numbers them (RETURNING on both databases)
        bulk_insert(MemberEvent, [_event(c, CardIssued(card_number=c.number, reissue_count=c.reissue_count), day, actor)
                                  for c in cards])
        audit_record_many(actor=actor, entries=[_audit_issue(c, "card.issued") for c in cards])
        result.cards = cards
    return result


def _previous_numbers(member_ids: list[int]) -> dict[int, tuple[str, int]]:
    found: dict[int, tuple[str, int]] = {}
    for start in range(0, len(member_ids), 900):
        rows = (Card.objects.filter(member_id__in=member_ids[start:start + 900]).values("member_id", "number")
                .annotate(top=Max("reissue_count")))
        for row in rows:
            if row["member_id"] not in found or row["top"] > found[row["member_id"]][1]:
                found[row["member_id"]] = (row["number"], row["top"])
    return found


def _draw_by_province(members: list[Member], previous: dict[int, Any], provinces: dict[str, Unit]) -> dict[int, str]:
    """New numbers for the members who never held a card, in their order, a series at a time."""
    by_province: dict[str, list[Member]] = {}
    for member in members:
        if member.pk not in previous:
            by_province.setdefault(member.unit.path[:SEGMENT], []).append(member)
    numbers: dict[int, str] = {}
    for path in sorted(by_province):
        group = by_province[path]
        numbers.update(zip([m.pk for m in group], numbers_draw(provinces[path], len(group)), strict=True))
    return numbers


# --- after issue ---------------------------------------------------------------------------------------------


def card_reissue(
    *, actor: Any, card: Card, expected_version: int, reason: str, day: dt.date | None = None, note: str = "",
) -> Card:
    """Replace a live card after loss, damage or a change of its data: the old card is revoked with
    the reason, the new one keeps the number with the re-issue counter one higher."""
    day = day or today()
    with transaction.atomic():
        old = _locked(actor, card, expected_version, CARD_ISSUE)
        if reason not in REISSUE_REASONS:
            raise ValidationError({"reason": [_("A card is re-issued after loss, damage or a change of its data.")]})
        if not old.live:
            raise ValidationError({"card": [_("This card is no longer valid: issue a new card instead.")]})
        member = Member.objects.select_for_update(of=("self",)).select_related("unit").get(pk=old.member_id)
        if member.status not in ON_ROLL_STATUSES:
            raise ValidationError({"member": [_("The member is %(status)s: no card is issued.")
                                              % {"status": Status(member.status).label.lower()}]})
        _check_day(day, old.issued_on)
        portrait = latest_portrait(member)
        assert portrait is not None  # the old card has one
        note = clean(note)
        before = card_snapshot(old)
        old.status, old.revocation_reason, old.status_changed_on, old.status_note = (
            CardStatus.REVOKED, reason, day, note)
        old.member = member
        _save_status(actor, old, "card.revoked", before)
        count = Card.objects.filter(number=old.number).aggregate(top=Max("reissue_count"))["top"] + 1
        new = _new_card(member=member, number=old.number, reissue_count=count, portrait=portrait,
                        authority=old.authority, entry=entries_draw(1)[0], day=day, actor=actor, replaces=old)
        new.save()
        MemberEvent.objects.create(**_event(new, CardReissued(card_number=new.number, reissue_count=count,
                                                              reason=RevocationReason(reason)), day, actor, note))
        audit_record(actor=actor, **_audit_issue(new, "card.reissued"))
        return new


def card_revoke(
    *, actor: Any, card: Card, expected_version: int, reason: str, day: dt.date | None = None, note: str = "",
) -> Card:
    """Revoke a live card for good (its status-list entry reads "invalid" from the next list)."""
    day = day or today()
    with transaction.atomic():
        card = _locked(actor, card, expected_version, CARD_REVOKE)
        if reason not in RevocationReason.values:
            raise ValidationError({"reason": [_("Choose the reason.")]})
        if not card.live:
            raise ValidationError({"card": [_("This card is revoked already.")]})
        _check_day(day, card.issued_on)
        return _revoke(actor, card, reason, day, clean(note))


def _revoke(actor: Any, card: Card, reason: str, day: dt.date, note: str) -> Card:
    before = card_snapshot(card)
    card.status, card.revocation_reason, card.status_changed_on, card.status_note = CardStatus.REVOKED, reason, day, note
    _save_status(actor, card, "card.revoked", before)
    MemberEvent.objects.create(**_event(card, CardRevoked(card_number=card.number, reissue_count=card.reissue_count,
                                                          reason=RevocationReason(reason)), day, actor, note))
    return card


def card_revoke_for_member(*, actor: Any, member: Member, reason: str, day: dt.date) -> Card | None:
    """Revoke the member's live card, if any, without a permission check of its own: the member
    hook calls it inside a member service that checked MEMBER_MANAGE (expulsion, removal, death)."""
    card = live_card_of(member)
    if card is None:
        return None
    card.member = member
    return _revoke(actor, card, reason, max(day, card.issued_on), "")


def card_suspend(*, actor: Any, card: Card, expected_version: int, day: dt.date | None = None, note: str = "") -> Card:
    """Suspend a valid card (reported lost, until the cell has reviewed the loss)."""
    return _status_move(actor, card, expected_version, day or today(), note, CardStatus.ACTIVE, CardStatus.SUSPENDED,
                        _("Only a valid card can be suspended."))


def card_reinstate(*, actor: Any, card: Card, expected_version: int, day: dt.date | None = None, note: str = "") -> Card:
    """A suspended card is valid again (the card was found)."""
    return _status_move(actor, card, expected_version, day or today(), note, CardStatus.SUSPENDED, CardStatus.ACTIVE,
                        _("Only a suspended card can be reinstated."))


# What each reversible move writes: its audit action and its history event.
_MOVES = {CardStatus.SUSPENDED: ("card.suspended", CardSuspended), CardStatus.ACTIVE: ("card.reinstated", CardReinstated)}


def _status_move(actor: Any, card: Card, expected_version: int, day: dt.date, note: str, source: CardStatus,
                 target: CardStatus, refusal: str) -> Card:
    """Suspend or reinstate: the two reversible moves between valid and suspended. A suspension is dated
    on or after the issue, a reinstatement on or after the suspension."""
    action, event = _MOVES[target]
    with transaction.atomic():
        card = _locked(actor, card, expected_version, CARD_REVOKE)
        if card.status != source:
            raise ValidationError({"card": [refusal]})
        _check_day(day, card.issued_on if target == CardStatus.SUSPENDED else card.status_changed_on)
        before, note = card_snapshot(card), clean(note)
        card.status, card.status_changed_on, card.status_note = target, day, note
        _save_status(actor, card, action, before)
        MemberEvent.objects.create(**_event(card, event(card_number=card.number, reissue_count=card.reissue_count),
                                            day, actor, note))
        return card


# --- photos --------------------------------------------------------------------------------------------------


def portrait_record(
    *, actor: Any, member: Member, data: bytes, source: str = PortraitSource.UPLOAD, taken_on: dt.date | None = None,
) -> Portrait:
    """Store a photo of the member for their next card (checked and re-encoded: portraits.py)."""
    taken_on = taken_on or today()
    image = portrait_image(data)  # before the transaction: decoding takes a while, and refusals write nothing
    with transaction.atomic():
        member = _member_locked(actor, member.pk)
        _require_at(actor, CARD_ISSUE, member)
        _check_source(source, taken_on)
        portrait = _portrait(member, image, source, taken_on, actor)
        portrait.save()
        audit_record(actor=actor, **_audit_portrait(portrait, member))
        return portrait


def portraits_record_many(
    *, actor: Any, photos: list[tuple[Member, bytes]], source: str, taken_on: dt.date | None = None,
) -> list[Portrait]:
    """Many members' photos at once (a police team's batch, the demo), all or nothing, with the rows
    and audit rows portrait_record writes one by one. Identical files are checked once."""
    taken_on = taken_on or today()
    images: dict[str, PortraitImage] = {}
    for _member, data in photos:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in images:
            images[digest] = portrait_image(data)
    with transaction.atomic():
        _check_source(source, taken_on)
        wanted = [m.pk for m, _data in photos]
        members = {m.pk: m for m in Member.objects.select_for_update(of=("self",)).select_related("unit")
                   .filter(card_scope_q(actor, member_field=""), pk__in=wanted)}
        if missing := [pk for pk in wanted if pk not in members]:
            raise NotFound(_("No such member: %(ids)s.") % {"ids": ", ".join(map(str, missing[:10]))})
        for member in members.values():
            _require_at(actor, CARD_ISSUE, member)
        portraits = [_portrait(members[m.pk], images[hashlib.sha256(data).hexdigest()], source, taken_on, actor)
                     for m, data in photos]
        Portrait.objects.bulk_create(portraits)
        audit_record_many(actor=actor, entries=[_audit_portrait(p, members[p.member_id]) for p in portraits])
        return portraits


def _check_source(source: str, taken_on: dt.date) -> None:
    if source not in PortraitSource.values:
        raise ValidationError({"source": [_("Unknown source of the photo.")]})
    if taken_on > today():
        raise ValidationError({"taken_on": [_("This date is in the future.")]})


def _portrait(member: Member, image: PortraitImage, source: str, taken_on: dt.date, actor: Any) -> Portrait:
    return Portrait(member=member, jpeg=image.jpeg, width=image.width, height=image.height, sha256=image.sha256,
                    source=source, taken_on=taken_on, recorded_by=actor if getattr(actor, "pk", None) else None)


def _audit_portrait(portrait: Portrait, member: Member) -> dict[str, Any]:
    return {"action": "card.portrait_recorded", "object_type": "member", "object_id": member.pk, "before": None,
            "after": {"portrait": portrait.pk, "sha256": portrait.sha256, "width": portrait.width,
                      "height": portrait.height, "source": portrait.source, "taken_on": portrait.taken_on},
            "unit_path": member.unit.path}
