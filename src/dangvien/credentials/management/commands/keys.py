"""`dangvien keys init | rotate | export-trust | list`: the card credentials' keys (credentials/keys.py).

    dangvien keys init --authority TW [--authority GL ...]   the root and every signer of each authority
    dangvien keys rotate --role chip [--authority TW]        a new signer (or root) that signs from now on
    dangvien keys export-trust [-o FILE] [--pem]             the trust list verifiers use (roots + valid signers)
    dangvien keys list                                       every key: role, authority, id, validity, backend

The passphrase comes from DANGVIEN_KEY_PASSPHRASE, else it is asked for (twice for a new keyring).
"""

from __future__ import annotations

import getpass
import pathlib
import sys
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangvien.credentials.keys import (
    KEYRING_FILE,
    PASSPHRASE_ENV,
    KeyEntry,
    KeyRole,
    KeysError,
    keys_dir,
    keys_init,
    keys_rotate,
    load_keyring,
    passphrase_from_env,
    trust_list,
)


class Command(BaseCommand):
    help = ("Card credential keys: `init` makes the offline P-384 root and the P-256 signers (chip, phone, "
            "status, batch) of each issuing authority; `rotate` makes a new signer that takes over, the old "
            "certificate staying trusted until it expires; `export-trust` writes the trust list; `list`.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        init = actions.add_parser("init", help="make the root and the signers of each authority (what is missing)")
        init.add_argument("--authority", action="append", required=True, metavar="CODE",
                          help="an issuing authority's code (repeat for several; the first is the default)")
        rotate = actions.add_parser("rotate", help="make a new key of a role that signs from now on")
        rotate.add_argument("--role", required=True, choices=[str(r) for r in KeyRole])
        rotate.add_argument("--authority", metavar="CODE", help="only this authority (default: each one)")
        export = actions.add_parser("export-trust", help="write the trust list (JSON, or PEM certificates)")
        export.add_argument("-o", "--output", type=pathlib.Path, help="the file (default: standard output)")
        export.add_argument("--pem", action="store_true", help="the certificates as PEM (roots first), "
                                                               "e.g. for openssl -CAfile")
        actions.add_parser("list", help="every key of the keyring")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except KeysError as exc:
            raise CommandError(str(exc)) from exc

    def _passphrase(self, *, confirm: bool) -> str:
        try:
            return passphrase_from_env()
        except KeysError:
            if not sys.stdin.isatty():
                raise
        passphrase = getpass.getpass("Passphrase of the keys: ")
        if confirm and getpass.getpass("The same passphrase again: ") != passphrase:
            raise CommandError("The two passphrases differ.")
        if not passphrase:
            raise CommandError(f"An empty passphrase is refused (or set {PASSPHRASE_ENV}).")
        return passphrase

    def _init(self, options: dict[str, Any]) -> None:
        new = not (keys_dir() / KEYRING_FILE).exists()
        made = keys_init(authorities=options["authority"], passphrase=self._passphrase(confirm=new))
        if not made:
            self.stdout.write(f"Nothing to make: the keyring in {keys_dir()} has these keys already.")
        for entry in made:
            self._line(entry)
        if new:
            self.stdout.write(f"Keys in {keys_dir()}. The root key ({made[0].key_file}) is needed only by "
                              "`keys init|rotate`: keep a copy offline and remove it from this machine.")

    def _rotate(self, options: dict[str, Any]) -> None:
        for entry in keys_rotate(role=KeyRole(options["role"]), authority=options["authority"],
                                 passphrase=self._passphrase(confirm=False)):
            self._line(entry)
        self.stdout.write("The new keys sign from now on; the old certificates stay in the trust list until "
                          "they expire. Publish the new trust list (`dangvien keys export-trust`).")

    def _export_trust(self, options: dict[str, Any]) -> None:
        trust = trust_list()
        if options["pem"]:
            data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (*trust.roots, *trust.signers))
        else:
            data = trust.to_json()
        if options["output"]:
            options["output"].write_bytes(data)
            self.stdout.write(f"{len(trust.roots)} roots and {len(trust.signers)} signer certificates "
                              f"written to {options['output']}")
        else:
            self.stdout.write(data.decode("ascii"), ending="")

    def _list(self, options: dict[str, Any]) -> None:
        keyring = load_keyring()
        now = timezone.now()
        for entry in keyring.entries:
            signing = keyring.newest(entry.role, entry.authority, now) == entry
            self._line(entry, state="signing" if signing else ("valid" if entry.valid_at(now) else "expired"))

    def _line(self, entry: KeyEntry, state: str = "new") -> None:
        start, end = entry.signing_period()
        self.stdout.write(f"{entry.role:<7} {entry.authority or '-':<8} {entry.key_id}  {state:<7} "
                          f"signs {start:%Y-%m-%d}..{end:%Y-%m-%d}, valid until {entry.not_after:%Y-%m-%d} "
                          f"({entry.backend})")
