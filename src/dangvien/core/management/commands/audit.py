from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangvien.core.audit import audit_check, audit_seal
from dangvien.core.audit_checkpoints import audit_checkpoint
from dangvien.core.audit_keys import AuditKeyError, audit_key_rotate, public_key_pem, signing_key


class Command(BaseCommand):
    help = ("Audit trail tools: `verify` checks every row, seal and checkpoint and names the first problem; "
            "`seal` seals the rows waiting for a seal; `checkpoint` signs the seal chain's head and appends it "
            "to the checkpoints file (run it regularly, and ship the file or the log elsewhere); "
            "`rotate-key` makes a new audit key current; `public-key` prints the checkpoints' public key.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "seal", "checkpoint", "rotate-key", "public-key"])
        parser.add_argument("--checkpoints", type=Path,
                            help="verify: the signed checkpoints to check (default: the checkpoints file)")
        parser.add_argument("--public-key", type=Path,
                            help="verify: the PEM public key of the checkpoints (default: the signing key's)")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from exc

    def _verify(self, options):
        report = audit_check(checkpoints=options["checkpoints"], public_key=options["public_key"])
        if report.problem:
            raise CommandError(f"audit trail broken after {report.rows:,} good rows: {report.problem}")
        self.stdout.write(f"audit trail intact: {report}")

    def _seal(self, options):
        self.stdout.write(f"{audit_seal():,} rows sealed")

    def _checkpoint(self, options):
        checkpoint = audit_checkpoint()
        self.stdout.write(f"checkpoint: block {checkpoint['block']:,}, {checkpoint['rows']:,} rows sealed, "
                          f"hash {checkpoint['hash']}")

    def _rotate_key(self, options):
        keyring = audit_key_rotate()
        kept = ", ".join(sorted(k for k in keyring.keys if k != keyring.current))
        self.stdout.write(f"audit key {keyring.current} is now current; kept for verification: {kept}")

    def _public_key(self, options):
        self.stdout.write(public_key_pem(signing_key().public_key()), ending="")
