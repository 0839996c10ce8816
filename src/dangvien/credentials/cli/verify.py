"""`dangvien cards verify FILE|TEXT [--json]`: check a party card credential offline.

FILE|TEXT: a phone QR's text (DV1:...), `-` to read it from standard input, a picture of the QR code
(PNG, JPEG), a text file holding the text, or a chip image directory (EF.COM, DG1..., EF.SOD as
`dangvien cards export-chip` writes them). The trust list is a file exported by `dangvien keys
export-trust`; the status lists come from the local cache, fetched only with --online.

Exit status: 0 valid; 1 revoked, suspended, unknown or invalid (the answer is printed either way);
2 when the input or the trust list cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangvien.credentials.phone import PREFIX
from dangvien.credentials.status_cache import StatusCache, StatusFetchError
from dangvien.credentials.verify import Verdict, Verifier

HELP = "Check a party card credential (phone QR text or picture, or chip image directory) offline."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("input", metavar="FILE|TEXT",
                        help="QR text (DV1:...), '-' for standard input, a QR picture, a text file, or a chip "
                             "image directory")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--trust", type=Path, help="the trust list (default: settings DANGVIEN['TRUST_LIST_FILE'])")
    parser.add_argument("--status-cache", type=Path,
                        help="the status list cache directory (default: settings DANGVIEN['STATUS_CACHE_DIR'])")
    parser.add_argument("--online", action="store_true",
                        help="first fetch the card's status list when the cached copy is due for refresh")


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    trust = load_trust(options["trust"] or Path(settings.DANGVIEN["TRUST_LIST_FILE"]))
    cache = StatusCache(options["status_cache"] or settings.DANGVIEN["STATUS_CACHE_DIR"])
    verifier = Verifier(trust, cache)
    item = _item(options["input"])
    verdict = verifier.verify(item, now=timezone.now())
    note = ""
    if options["online"] and verdict.status_uri:
        try:
            if cache.refresh(verdict.status_uri, trust=trust, now=timezone.now()):
                verdict = verifier.verify(item, now=timezone.now())
        except StatusFetchError as exc:
            note = f"could not refresh the status list: {exc}"
    if verdict.reason == "unreadable":
        raise CommandError(f"{verdict.message} {verdict.detail}", returncode=2)
    if options["json"]:
        command.stdout.write(json.dumps({**verdict.as_json(), **({"note": note} if note else {})},
                                        ensure_ascii=False, indent=1))
    else:
        command.stdout.write(_human(verdict))
        if note:
            command.stderr.write(note)
    if verdict.result != "valid":
        raise SystemExit(1)


def load_trust(path: Path) -> Any:
    from dangvien.credentials.keys import TrustList  # cred-chip's keys (imported on use)

    try:
        return TrustList.from_json(path.read_bytes())
    except OSError as exc:
        raise CommandError(f"No trust list at {path} ({exc.strerror}): pass --trust FILE, a file written by "
                           "`dangvien keys export-trust`.", returncode=2) from None
    except Exception as exc:  # the keys module's own error for a file that is not a trust list
        raise CommandError(f"{path} is not a trust list: {exc}", returncode=2) from None


def _item(argument: str) -> Any:
    if argument == "-":
        return sys.stdin.read().strip()
    if argument.startswith(PREFIX):
        return argument
    path = Path(argument)
    if not path.exists():
        raise CommandError(f"{argument} is neither a file, a directory nor a card QR text ({PREFIX}...).",
                           returncode=2)
    return path


def _human(verdict: Verdict) -> str:
    heading = verdict.result.upper() + (f" ({verdict.reason})" if verdict.reason and verdict.reason != verdict.result
                                        else "")
    lines = [f"{heading}: {verdict.message}"]
    if verdict.detail:
        lines.append(f"  {verdict.detail}")
    lines += [f"  {name}: {value.isoformat() if hasattr(value, 'isoformat') else value}"
              for name, value in verdict.fields.items()]
    if verdict.expires_at:
        lines.append(f"  valid until: {verdict.expires_at:%Y-%m-%d %H:%M} UTC")
    if verdict.status_list_issued_at:
        lines.append(f"  status list signed: {verdict.status_list_issued_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)
