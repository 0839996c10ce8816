"""Every read of the cards, scoped to the acting user (CARD_VIEW: the member's cell in the actor's
subtrees, or the actor's own record), and the status lists' published bytes (public: no actor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, When
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.campaign.models import Participant, Step, step_number
from dangvien.core.errors import NotFound
from dangvien.core.scope import subtree_filter
from dangvien.credentials.models import (
    LIVE_STATUSES,
    STATUS_LIST_VALUES,
    Card,
    CardStatus,
    Portrait,
    StatusList,
)
from dangvien.credentials.permissions import CARD_VIEW
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.members.selectors import search_q
from dangvien.org.models import Unit


def card_scope_q(actor: Any, member_field: str = "member") -> Q:
    """Cards (members, with member_field="") in the actor's CARD_VIEW scope: the member's cell in
    its subtrees, as a subquery of unit ids (members/selectors.py says why), or the actor's own
    record."""
    scope = scope_for(actor, CARD_VIEW)
    if scope.everywhere:
        return Q()
    prefix = f"{member_field}__" if member_field else ""
    q = scope.own_q(f"{member_field}_id" if member_field else "pk")
    if scope.paths:
        q |= Q(**{f"{prefix}unit_id__in": Unit.objects.filter(scope.q("path")).values("id")})
    return q


def cards_visible_to(actor: Any) -> QuerySet[Card]:
    if not getattr(actor, "is_authenticated", False):
        return Card.objects.none()
    return Card.objects.filter(card_scope_q(actor))


def card_get_for(actor: Any, card_id: int) -> Card:
    """The card if the actor may see it; NotFound otherwise (out of scope looks like absent)."""
    card = (cards_visible_to(actor).select_related("member", "member__unit", "authority", "status_list",
                                                   "replaces", "replaced_by")
            .filter(pk=card_id).first())
    if card is None:
        raise NotFound(_("No such card."))
    return card


def card_lock_for(actor: Any, card_id: int) -> Card:
    """The card locked for a service's write (SELECT ... FOR UPDATE), if the actor may see it."""
    card = (cards_visible_to(actor).select_for_update(of=("self",)).select_related("member", "member__unit", "authority")
            .filter(pk=card_id).first())
    if card is None:
        raise NotFound(_("No such card."))
    return card


def card_ref(card_id: int) -> Card:
    """A card named by id only, for a service (which reads it in scope, under its lock)."""
    return Card(pk=card_id)


def card_for_member(actor: Any, member: Member) -> Card | None:
    """The member's live card (active or suspended), else their latest card, else None; None too
    when the actor may not see the member's cards."""
    live_first = Case(When(status__in=LIVE_STATUSES, then=0), default=1)
    return (cards_visible_to(actor).filter(member_id=member.pk).select_related("status_list", "authority")
            .order_by(live_first, "-issued_on", "-pk").first())


def cards_of_member(actor: Any, member: Member) -> QuerySet[Card]:
    """Every card the member held, latest first (empty out of scope)."""
    return cards_visible_to(actor).filter(member_id=member.pk).order_by("-issued_on", "-pk")


def live_card_of(member: Member) -> Card | None:
    """The member's live card, unscoped: for the member hook and the services, which run on a
    member already read in scope."""
    return Card.objects.select_for_update().filter(member_id=member.pk, status__in=LIVE_STATUSES).first()


@dataclass(frozen=True)
class CardFilter:
    unit: Unit | None = None  # a unit the actor may see: its subtree
    status: str = ""
    query: str = ""  # the member's name words, or the start of a card number


def card_list(actor: Any, flt: CardFilter) -> QuerySet[Card]:
    cards = cards_visible_to(actor)
    if flt.unit is not None:
        cards = cards.filter(member__unit_id__in=Unit.objects.filter(**subtree_filter(flt.unit.path)).values("id"))
    if flt.status in CardStatus.values:
        cards = cards.filter(status=flt.status)
    if query := flt.query.strip():
        compact = query.replace(" ", "").replace(".", "")
        if compact.isdigit():
            cards = cards.filter(number__startswith=compact)
        else:
            cards = cards.filter(member__in=Member.objects.filter(search_q(query)).values("pk"))
    return cards.select_related("member", "member__unit").order_by("member__unit__path", "member__sort_key", "-pk")


# --- who is waiting for a card -----------------------------------------------------------------------


def sent_to_production_q(member_field: str = "pk") -> Exists:
    """Members whose pipeline reached "sent to the Central Organizing Committee" in a campaign they
    still count in (produced and handed over come after it)."""
    return Exists(Participant.objects.filter(member_id=OuterRef(member_field), left_on__isnull=True,
                                             stage__gte=step_number(Step.SENT)))


def members_awaiting_cards(actor: Any, unit: Unit) -> QuerySet[Member]:
    """Members of `unit`'s subtree the actor sees cards of, on the roll, sent to production and
    holding no live card: the next production run. In the order their numbers are drawn (cell,
    then Vietnamese name order)."""
    holding = Card.objects.filter(member_id=OuterRef("pk"), status__in=LIVE_STATUSES)
    return (Member.objects.filter(card_scope_q(actor, member_field=""), status__in=ON_ROLL_STATUSES,
                                  unit_id__in=Unit.objects.filter(**subtree_filter(unit.path)).values("id"))
            .filter(sent_to_production_q()).exclude(Exists(holding))
            .select_related("unit").order_by("unit__path", "sort_key", "pk"))


def member_get_for(actor: Any, member_id: int) -> Member:
    """The member if the actor sees their cards (NotFound otherwise)."""
    member = Member.objects.filter(card_scope_q(actor, member_field=""), pk=member_id).select_related("unit").first()
    if member is None:
        raise NotFound(_("No such member."))
    return member


def member_sent_to_production(member: Member) -> bool:
    return Participant.objects.filter(member_id=member.pk, left_on__isnull=True,
                                      stage__gte=step_number(Step.SENT)).exists()


# --- photos ------------------------------------------------------------------------------------------


def latest_portrait(member: Member) -> Portrait | None:
    """The member's latest photo (the one a new card gets), unscoped: callers read the member in scope."""
    return Portrait.objects.filter(member_id=member.pk).order_by("-taken_on", "-pk").first()


def latest_portraits(member_ids: list[int]) -> dict[int, Portrait]:
    """Each member's latest photo, for many members at once (a production run)."""
    latest: dict[int, Portrait] = {}
    for start in range(0, len(member_ids), 900):
        rows = (Portrait.objects.filter(member_id__in=member_ids[start:start + 900]).defer("jpeg")
                .order_by("member_id", "-taken_on", "-pk"))
        for portrait in rows:
            latest.setdefault(portrait.member_id, portrait)
    return latest


def portrait_get_for(actor: Any, card: Card) -> bytes:
    """The JPEG of a card the actor may see (card_get_for read it in scope)."""
    return bytes(Portrait.objects.values_list("jpeg", flat=True).get(pk=card.portrait_id))


def member_portrait_for(actor: Any, member: Member) -> Portrait | None:
    """The member's latest photo if the actor sees the member's cards."""
    if not Member.objects.filter(card_scope_q(actor, member_field=""), pk=member.pk).exists():
        return None
    return latest_portrait(member)


# --- status lists ------------------------------------------------------------------------------------


def status_list_bytes(list_id: int) -> bytes:
    """The list's statuses, packed as draft-ietf-oauth-status-list packs them with 2 bits an entry:
    entry i in bits 2*(i % 4) and 2*(i % 4) + 1 of byte i // 4, the least significant first (so
    statuses 1, 2, 0, 3 make the byte 0xC9). Entries no card holds read 0 (valid): the verifier
    only ever asks about indexes written on a card. Public: a status list is published."""
    size = StatusList.objects.values_list("size", flat=True).filter(pk=list_id).first()
    if size is None:
        raise NotFound(_("No such status list."))
    packed = bytearray(size // 4)
    not_valid = (Card.objects.filter(status_list_id=list_id).exclude(status=CardStatus.ACTIVE)
                 .values_list("status_index", "status"))
    for index, status in not_valid.iterator(chunk_size=10_000):
        packed[index // 4] |= STATUS_LIST_VALUES[CardStatus(status)] << (2 * (index % 4))
    return bytes(packed)


# The brief's name for it; the contract's is status_list_bytes.
status_list_statuses = status_list_bytes


def status_lists() -> QuerySet[StatusList]:
    return StatusList.objects.order_by("pk")
