"""The published status lists: GET /cards/status/<list_id> answers the signed Status List Token.

Public, like a certificate revocation list: anyone who checks a card must be able to fetch it, and
it names no one (a card's index is random, unused indexes read "valid"). The token is signed when
the list changes, else re-signed after its ttl, so a revocation is visible at the next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from dangvien.credentials.status_list import MAX_AGE, MEDIA_TYPE, status_list_token
from dangvien.credentials.status_selectors import status_list_statuses, status_list_uri


@dataclass(frozen=True)
class _Signed:
    content: bytes  # SHA-256 of the packed statuses and the signer's key id
    issued_at: dt.datetime
    token: bytes


# The last token of each list in this process: signing a 5.6-million-card list (compressing 1.4 MB)
# takes a fraction of a second, and verifiers ask often.
_signed: dict[str, _Signed] = {}
_lock = threading.Lock()


def ttl() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DANGVIEN.get("STATUS_LIST_TTL_MINUTES", 60))


@require_safe
def status_list(request: HttpRequest, list_id: str) -> HttpResponse:
    statuses = status_list_statuses(list_id)
    if statuses is None:
        raise Http404("No such status list.")
    response = HttpResponse(_token(list_id, statuses), content_type=MEDIA_TYPE)
    patch_cache_control(response, public=True, max_age=int(ttl().total_seconds()))
    # Verifier pages on other origins (and offline apps) fetch it too: the data is public and signed.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _token(list_id: str, statuses: bytes) -> bytes:
    from dangvien.credentials.keys import KeyRole, signer_for  # cred-chip's keys (imported on use)

    signer = signer_for(KeyRole.STATUS)
    content = hashlib.sha256(statuses + signer.info.key_id.encode()).digest()
    now = timezone.now()
    with _lock:
        signed = _signed.get(list_id)
        if signed is None or signed.content != content or now - signed.issued_at >= ttl():
            token = status_list_token(statuses, uri=status_list_uri(list_id), signer=signer, issued_at=now,
                                      ttl=ttl(), valid_for=MAX_AGE)
            signed = _signed[list_id] = _Signed(content, now, token)
    return signed.token
