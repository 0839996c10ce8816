"""The phone QR of a card on the site: the member's own card in the handbook, and the public verifier
page's check of a pasted QR text.

The pages render the QR on the server (an SVG, no script needed). The verifier page checks with
credentials.verify, the same code as `dangvien cards verify`, against this server's own trust list and
a status list token it signs from the card tables at the moment of the check (the server is the list's
publisher: its statuses are never stale)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dangvien.credentials import phone, qr
from dangvien.credentials.models import Card, StatusList
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.status_list import MAX_AGE, status_list_token
from dangvien.credentials.verify import Verdict, Verifier

if TYPE_CHECKING:
    from dangvien.credentials.keys import Signer

# The member's default choice: the name only (with the status list, "a valid member's card").
DEFAULT_DISCLOSURE: tuple[str, ...] = ("name",)
STATUS_TOKEN_TTL = dt.timedelta(minutes=60)


@dataclass(frozen=True)
class PhoneQR:
    text: str
    svg: str
    expires_at: dt.datetime


def card_claims(card: Card) -> phone.PhoneClaims:
    """What a card's credential may show, from the card and its member."""
    member = card.member
    return phone.PhoneClaims(
        name=member.full_name, card_number=card.display_number,
        birth_date=member.date_of_birth or member.birth_year or None,
        committee=card.authority.code, admission_date=member.admission_date,
        official_date=member.official_date, status_list_uri=card.status_list.uri,
        status_index=card.status_index)


def card_phone_qr(card: Card, disclose: Collection[str], *, now: dt.datetime) -> PhoneQR:
    """A fresh 24-hour phone credential of the card showing `disclose`, drawn as an SVG QR code.
    KeysError when this installation has no phone signer."""
    from dangvien.credentials.keys import KeyRole, signer_for

    credential = phone.issue(card_claims(card), signer=signer_for(KeyRole.PHONE, at=now), now=now)
    text = phone.present(credential, disclose)
    svg = qr.svg(qr.screen_qr(text), scale=4, title="QR")
    return PhoneQR(text, svg, dt.datetime.fromtimestamp(credential.expires_at, dt.UTC))


# The last token signed for each list: a public page must not compress and sign a large list at every
# request. It is signed again when the statuses (or the signer) change, or after STATUS_TOKEN_TTL.
_tokens: dict[int, tuple[bytes, dt.datetime, bytes]] = {}


def _status_token(list_pk: int, statuses: bytes, *, uri: str, signer: Signer, now: dt.datetime) -> bytes:
    content = hashlib.sha256(statuses + signer.info.key_id.encode()).digest()
    kept = _tokens.get(list_pk)
    if kept is not None and kept[0] == content and kept[1] <= now < kept[1] + STATUS_TOKEN_TTL:
        return kept[2]
    token = status_list_token(statuses, uri=uri, signer=signer, issued_at=now, ttl=STATUS_TOKEN_TTL,
                              valid_for=MAX_AGE)
    _tokens[list_pk] = (content, now, token)
    return token


def verify_text(text: str, *, now: dt.datetime) -> Verdict:
    """Verify a pasted QR text as `dangvien cards verify` would, with this server's trust list and the
    current statuses of its own status lists. A list of another server is not fetched: "unknown"."""
    from dangvien.credentials.keys import KeyRole, signer_for, trust_list
    from dangvien.credentials.selectors import status_list_bytes

    trust = trust_list(now)
    try:
        uri = phone.open_qr(text).status_uri
    except phone.PhoneQRError:
        uri = ""
    status_list = StatusList.objects.filter(uri=uri).first() if uri else None
    token = b""
    if status_list is not None:
        token = _status_token(status_list.pk, status_list_bytes(status_list.pk), uri=uri,
                              signer=signer_for(KeyRole.STATUS, at=now), now=now)
    # A directory of its own a check: it holds only the token signed here, whatever other checks do.
    with tempfile.TemporaryDirectory(prefix="dangvien-verify-") as directory:
        cache = StatusCache(Path(directory))
        if status_list is not None:
            cache.put(token, uri=uri, trust=trust, fetched_at=now)
        return Verifier(trust, cache).verify_qr(text, now=now)
