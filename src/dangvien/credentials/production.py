"""Services that send card data out of the system: the production batch for the card maker and one
card's chip files (issue 13, items 4 and 7). Both need CARD_EXPORT where the cards are, and write an
audit row; the file formats are batch.py's and lds.py's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import require
from dangvien.core.audit import audit_record
from dangvien.credentials.batch import BatchCard, BuiltBatch, build_batch, check_recipient
from dangvien.credentials.keys import KeyRole, signer_for
from dangvien.credentials.lds import ChipData, chip_image
from dangvien.credentials.models import Card, CardStatus, ProductionBatch
from dangvien.credentials.permissions import CARD_EXPORT
from dangvien.credentials.selectors import card_get_for
from dangvien.org.models import Unit

NATIONALITY = "VNM"


def card_chip_data(card: Card) -> ChipData:
    """What the card's chip holds, from its member and its own record (select_related member__unit,
    authority, portrait, status_list)."""
    member = card.member
    return ChipData(
        card_number=card.number, full_name=member.full_name, family_name=member.family_name or member.full_name,
        given_names=" ".join(n for n in (member.middle_name, member.given_name) if n), sex=member.sex,
        date_of_birth=member.date_of_birth, birth_year=member.birth_year, citizen_id=member.citizen_id,
        place_of_birth=member.place_of_birth, address=member.permanent_residence, nationality=NATIONALITY,
        issuing_authority=card.authority.name, issued_on=card.issued_on, expires_on=None,
        admission_date=member.admission_date, official_date=member.official_date,
        committee_code=card.authority.code, status_list_uri=card.status_list.uri, status_index=card.status_index,
        reissue_count=card.reissue_count, portrait_jpeg=bytes(card.portrait.jpeg))


def card_print_fields(card: Card) -> dict[str, str]:
    """What is printed on the card's face (the card maker prints these; the PDF faces show them)."""
    member = card.member
    born = member.date_of_birth.isoformat() if member.date_of_birth else str(member.birth_year)
    return {"number": card.display_number, "full_name": member.full_name, "born": born,
            "admission_date": member.admission_date.isoformat(),
            "official_date": member.official_date.isoformat() if member.official_date else "",
            "issued_on": card.issued_on.isoformat(), "committee": card.authority.name,
            "committee_code": card.authority.code, "cell": member.unit.name}


def cards_for_batch(unit: Unit) -> QuerySet[Card]:
    """The valid cards of the unit's subtree not yet sent to the card maker, cell then name order."""
    return (Card.objects.filter(batch__isnull=True, status=CardStatus.ACTIVE, member__unit__path__startswith=unit.path)
            .select_related("member", "member__unit", "authority", "portrait", "status_list")
            .order_by("member__unit__path", "member__sort_key", "pk"))


@dataclass(frozen=True)
class ProducedBatch:
    batch: ProductionBatch
    built: BuiltBatch


def batch_produce(*, actor: Any, unit: Unit, recipient: x509.Certificate,
                  faces: Callable[[list[Card]], bytes] | None = None,
                  progress: Callable[[int], None] | None = None, start: Callable[[int], None] | None = None,
                  at: dt.datetime | None = None) -> ProducedBatch:
    """A production run's batch file: every valid card of `unit`'s subtree not yet in a batch, their
    chip files (signed now by the current chip signer), print fields and (faces) the PDF card faces,
    the manifest signed by the batch signer, encrypted to the card maker's `recipient` certificate.
    The cards are marked as in this batch in the same transaction: all or nothing."""
    at = at or timezone.now()
    check_recipient(recipient)
    with transaction.atomic():
        require(actor, CARD_EXPORT, unit)
        cards = list(cards_for_batch(unit).select_for_update(of=("self",)))
        if not cards:
            raise ValidationError(_("No card of %(unit)s is waiting for production.") % {"unit": unit.name},
                                  code="empty")
        if start:
            start(len(cards))
        chip_signer, batch_signer = signer_for(KeyRole.CHIP, at=at), signer_for(KeyRole.BATCH, at=at)
        batch = ProductionBatch.objects.create(unit=unit, created_by=actor if getattr(actor, "pk", None) else None)
        built = build_batch(
            (BatchCard(card.display_number, card_print_fields(card), card_chip_data(card)) for card in cards),
            batch_id=batch.pk, unit_code=unit.code, created_at=at, chip_signer=chip_signer,
            batch_signer=batch_signer, recipient=recipient, faces_pdf=faces(cards) if faces else None,
            progress=progress)
        batch.card_count, batch.manifest_sha256 = built.card_count, built.manifest_sha256
        batch.save(update_fields=["card_count", "manifest_sha256"])
        Card.objects.filter(pk__in=[c.pk for c in cards]).update(batch=batch)
        audit_record(actor=actor, action="card_batch.produced", object_type="production_batch", object_id=batch.pk,
                     before=None, after={"unit": unit.code, "card_count": built.card_count,
                                         "manifest_sha256": built.manifest_sha256,
                                         "recipient": recipient.subject.rfc4514_string(),
                                         "cards": [c.display_number for c in cards]},
                     unit_path=unit.path)
    return ProducedBatch(batch, built)


def chip_export(*, actor: Any, card_id: int, at: dt.datetime | None = None) -> tuple[Card, dict[str, bytes]]:
    """One card's chip files (EF.COM, the data groups, EF.SOD), as the card maker receives them."""
    with transaction.atomic():
        card = card_get_for(actor, card_id)
        require(actor, CARD_EXPORT, card.member.unit)
        card = Card.objects.select_related("member", "member__unit", "authority", "portrait",
                                           "status_list").get(pk=card.pk)
        image = chip_image(card_chip_data(card), signer_for(KeyRole.CHIP, at=at or timezone.now()))
        audit_record(actor=actor, action="card.chip_exported", object_type="card", object_id=card.pk,
                     before=None, after={"number": card.display_number}, unit_path=card.member.unit.path)
    return card, image
