"""The card faces (issue 13, item 8): front and back of each card, ID-1 size (85.6 x 54 mm), one PDF
page each, rendered by WeasyPrint as the campaign's exports are.

Front: the portrait, the name, the card number (NUMBER.N after a re-issue), date of birth, admission
and official dates, the issuing committee. Back: the QR code of the printed-card credential (the
phone credential with every field disclosed, signed by the printed-card signer, valid as long as the card's
printed QR is meant to be read: PRINTED_VALIDITY), and the status line a verifier reads.
One PDF holds all the cards of a batch (one WeasyPrint layout pass: far cheaper than one a card).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils import timezone

from dangvien.credentials import phone, qr
from dangvien.credentials.keys import KeyRole, Signer, signer_for
from dangvien.credentials.models import Card

PRINTED_VALIDITY = dt.timedelta(days=3650)


def card_claims(card: Card) -> phone.PhoneClaims:
    member = card.member
    return phone.PhoneClaims(
        name=member.full_name, card_number=card.display_number,
        birth_date=member.date_of_birth or member.birth_year, committee=card.authority.code,
        admission_date=member.admission_date, official_date=member.official_date,
        status_list_uri=card.status_list.uri, status_index=card.status_index)


def printed_qr_svg(card: Card, *, signer: Signer, now: dt.datetime) -> str:
    text = phone.phone_credential(card_claims(card), disclose=phone.FIELDS, signer=signer, now=now,
                                  valid_for=PRINTED_VALIDITY)
    return qr.svg(qr.card_qr(text), scale=2, border=2)


def faces_html(cards: Sequence[Card], *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    signer = signer_for(KeyRole.PRINTED, at=now)
    faces = [{"card": card, "member": card.member,
              "portrait": "data:image/jpeg;base64," + base64.b64encode(bytes(card.portrait.jpeg)).decode(),
              "qr": printed_qr_svg(card, signer=signer, now=now)} for card in cards]
    return render_to_string("credentials/card_faces.html", {"faces": faces})


def faces_pdf(cards: Sequence[Card], *, now: dt.datetime | None = None) -> bytes:
    from weasyprint import HTML  # loads Pango: only where a PDF is made

    return bytes(HTML(string=faces_html(cards, now=now)).write_pdf())
