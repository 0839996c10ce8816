"""A verifier's copies of the status lists: one file per list, checked, kept for offline use.

A verifier (the CLI, the verifier page's server side, a checkpoint laptop) fetches each list from the
URI its credentials name, verifies the token against its trust list, and keeps it under a directory:
`<sha256(uri)[:32]>.cbor`, a CBOR map {"uri", "fetched_at" (epoch seconds), "token" (the signed token as
served)}. Offline it answers from that copy, and once the copy is older than MAX_AGE (7 days,
counted from when the server signed it, never later than when it was fetched) it answers "unknown":
a card revoked since could otherwise pass forever.

Parsed lists stay in memory (a 5.6-million-card list inflates to 2 MB), re-read when the file changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cbor2

from dangvien.credentials.status_list import (
    MAX_AGE,
    MEDIA_TYPE,
    CardStatus,
    StatusListError,
    StatusListToken,
    read_status_list_token,
)

if TYPE_CHECKING:
    from dangvien.credentials.keys import TrustList

FORMAT = "dangvien-status-cache/1"
MAX_TOKEN_BYTES = 16 * 1024 * 1024
FETCH_TIMEOUT = 10.0
RECHECK_SECONDS = 1.0
_STATUSES = tuple(CardStatus)  # by value: 0 valid, 1 revoked, 2 suspended


class StatusFetchError(Exception):
    """The list could not be fetched or did not verify; the cached copy (if any) is kept."""


@dataclass(frozen=True)
class StatusLookup:
    """One card's status from a cached list. `status` None: no statement (`reason` says why:
    status_unavailable, status_stale, status_list_invalid, status_index_out_of_range, status_unrecognized)."""

    status: CardStatus | None
    reason: str
    detail: str = ""
    list_issued_at: dt.datetime | None = None
    fetched_at: dt.datetime | None = None


@dataclass
class _Loaded:
    mtime_ns: int
    checked: float  # time.monotonic() of the last look at the file
    trust: weakref.ref[Any]
    fetched_at: dt.datetime
    token: StatusListToken | None
    problem: str


class StatusCache:
    def __init__(self, directory: Path | str, *, max_age: dt.timedelta = MAX_AGE):
        self.directory = Path(directory)
        self.max_age = max_age
        self._memory: dict[str, _Loaded] = {}

    def path_for(self, uri: str) -> Path:
        return self.directory / f"{hashlib.sha256(uri.encode()).hexdigest()[:32]}.cbor"

    # --- filling the cache ------------------------------------------------------------------------

    def put(self, token: bytes, *, uri: str, trust: TrustList, fetched_at: dt.datetime) -> StatusListToken:
        """Verify a token for `uri` and keep it; StatusFetchError (and the old copy kept) if it does not
        verify or is for another list."""
        try:
            parsed = read_status_list_token(token, trust=trust)
        except StatusListError as exc:
            raise StatusFetchError(f"{uri}: {exc}") from None
        if parsed.uri != uri:
            raise StatusFetchError(f"{uri}: the token is the list {parsed.uri}")
        current = self._load(uri, trust)
        if current is not None and current.token is not None and current.token.issued_at > parsed.issued_at:
            raise StatusFetchError(f"{uri}: the token is older than the cached copy")
        self.directory.mkdir(parents=True, exist_ok=True)
        record = cbor2.dumps({"format": FORMAT, "uri": uri, "fetched_at": int(fetched_at.timestamp()),
                              "token": token})
        # Written beside and renamed over: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".status-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(record)
        os.replace(temporary, self.path_for(uri))
        self._memory.pop(uri, None)  # read back at the next lookup
        return parsed

    def fetch(self, uri: str, *, trust: TrustList, now: dt.datetime, timeout: float = FETCH_TIMEOUT) -> StatusListToken:
        """GET the list from its URI (redirects followed, as the draft allows: the signature, not the
        transport, vouches for it) and keep it."""
        request = urllib.request.Request(uri, headers={"Accept": MEDIA_TYPE})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, below)
                content_type = response.headers.get_content_type()
                token = response.read(MAX_TOKEN_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise StatusFetchError(f"{uri}: {exc}") from None
        if content_type != MEDIA_TYPE:
            raise StatusFetchError(f"{uri}: the server sent {content_type}, not {MEDIA_TYPE}")
        if len(token) > MAX_TOKEN_BYTES:
            raise StatusFetchError(f"{uri}: more than {MAX_TOKEN_BYTES} bytes")
        return self.put(token, uri=uri, trust=trust, fetched_at=now)

    def refresh(self, uri: str, *, trust: TrustList, now: dt.datetime, timeout: float = FETCH_TIMEOUT) -> bool:
        """Fetch the list when there is no copy or the copy's ttl has run out; True if fetched.
        Network errors propagate (StatusFetchError) and leave the copy as it was."""
        if not uri.startswith(("https://", "http://")):
            raise StatusFetchError(f"{uri}: not an http(s) address")
        loaded = self._load(uri, trust)
        if loaded is not None and loaded.token is not None:
            ttl = loaded.token.ttl or dt.timedelta(0)
            if now < loaded.fetched_at + ttl:
                return False
        self.fetch(uri, trust=trust, now=now, timeout=timeout)
        return True

    # --- answering ----------------------------------------------------------------------------------

    def lookup(self, uri: str, index: int, *, trust: TrustList, now: dt.datetime) -> StatusLookup:
        loaded = self._load(uri, trust)
        if loaded is None:
            return StatusLookup(None, "status_unavailable", f"no copy of the status list {uri}")
        token = loaded.token
        if token is None:
            return StatusLookup(None, "status_list_invalid", loaded.problem, fetched_at=loaded.fetched_at)
        age = now - min(token.issued_at, loaded.fetched_at)
        status: CardStatus | None = None
        if age > self.max_age:
            reason, detail = "status_stale", (f"the copy of the status list is {age.days} days old (signed "
                                              f"{token.issued_at:%Y-%m-%d %H:%M} UTC)")
        elif token.expires_at is not None and now >= token.expires_at:
            reason, detail = "status_stale", f"the status list expired at {token.expires_at:%Y-%m-%d %H:%M} UTC"
        elif not 0 <= index < token.size:
            reason, detail = "status_index_out_of_range", f"index {index} is outside the list ({token.size} entries)"
        elif (value := token.status(index)) >= len(_STATUSES):
            reason, detail = "status_unrecognized", f"status value {value}"
        else:
            status, reason, detail = _STATUSES[value], "", ""
        return StatusLookup(status, reason, detail, list_issued_at=token.issued_at, fetched_at=loaded.fetched_at)

    def _load(self, uri: str, trust: TrustList) -> _Loaded | None:
        """The copy in memory, re-read when its file changed (looked at once a second at most: a
        checkpoint verifying thousands of codes a second should not stat the file each time)."""
        loaded = self._memory.get(uri)
        now = time.monotonic()
        if loaded is not None and loaded.trust() is trust and now - loaded.checked < RECHECK_SECONDS:
            return loaded
        path = self.path_for(uri)
        try:
            mtime_ns = path.stat().st_mtime_ns
        except FileNotFoundError:
            self._memory.pop(uri, None)
            return None
        if loaded is None or loaded.mtime_ns != mtime_ns or loaded.trust() is not trust:
            loaded = self._read(path, uri, trust, mtime_ns)
            self._memory[uri] = loaded
        loaded.checked = now
        return loaded

    def _read(self, path: Path, uri: str, trust: TrustList, mtime_ns: int) -> _Loaded:
        epoch = dt.datetime.fromtimestamp(0, dt.UTC)
        try:
            record = cbor2.loads(path.read_bytes())
            fetched_at = dt.datetime.fromtimestamp(record["fetched_at"], dt.UTC)
            token_bytes = record["token"]
            if record.get("format") != FORMAT or record.get("uri") != uri or not isinstance(token_bytes, bytes):
                raise ValueError("not a status cache file for this list")
        except Exception as exc:  # a damaged file is "no usable copy", never a crash
            return _Loaded(mtime_ns, 0.0, weakref.ref(trust), epoch, None, f"unreadable cache file {path}: {exc}")
        try:
            token = read_status_list_token(token_bytes, trust=trust)
        except StatusListError as exc:
            return _Loaded(mtime_ns, 0.0, weakref.ref(trust), fetched_at, None, str(exc))
        if token.uri != uri:
            return _Loaded(mtime_ns, 0.0, weakref.ref(trust), fetched_at, None, f"the cached token is the list {token.uri}")
        return _Loaded(mtime_ns, 0.0, weakref.ref(trust), fetched_at, token, "")
