"""`dangvien cards export-chip CARD -o DIR [--user USERNAME]`: one card's chip files (EF.COM,
DG1.bin ... DG13.bin, EF.SOD) as a card maker receives them; CARD is the card's id or printed number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangvien.accounts.cli import command_actor
from dangvien.core.errors import NotFound
from dangvien.credentials.models import Card

HELP = "Write a card's chip files (EF.COM, data groups, EF.SOD) to a directory."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("card", metavar="CARD", help="the card's id, or its printed number (NUMBER or NUMBER.N)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the directory to write (created)")
    parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")


def _card_id(text: str) -> int:
    number, _, count = text.partition(".")
    found = Card.objects.filter(number=number, reissue_count=int(count or 0)).values_list("pk", flat=True).first()
    if found is not None:
        return found
    if text.isdigit():
        return int(text)
    raise CommandError(f"No card {text}.")


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    # Imported here: `dangvien cards verify` must not load the keys and PDF machinery it never uses.
    from dangvien.credentials.batch import chip_file_name
    from dangvien.credentials.keys import KeysError
    from dangvien.credentials.production import chip_export
    actor = command_actor(options["user"])
    try:
        card, image = chip_export(actor=actor, card_id=_card_id(options["card"]))
    except NotFound as exc:
        raise CommandError(f"No card {options['card']} visible to {actor.username}.") from exc
    except (KeysError, PermissionDenied) as exc:
        raise CommandError(str(exc)) from exc
    directory: Path = options["output"]
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in image.items():
        (directory / chip_file_name(name)).write_bytes(data)
    command.stdout.write(f"Card {card.display_number}: {len(image)} files written to {directory}.")
