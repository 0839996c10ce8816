"""`dangvien undo-import BATCH [--dry-run] [--user USERNAME]`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangvien.accounts.cli import command_actor
from dangvien.core.errors import NotFound
from dangvien.imports.batches import batch_undo_refused_record
from dangvien.imports.selectors import batch_get_for
from dangvien.imports.undo import import_undo, undo_refusal


class Command(BaseCommand):
    help = ("Undo a whole import (web or command line) while no later change touched the members it "
            "wrote: delete the members it added, with their history, and put back the values it replaced. "
            "All or nothing; refused, naming the members, if any of them changed since.")

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="the import's number (printed by import-members, shown on its page)")
        parser.add_argument("--dry-run", action="store_true", help="say whether the import can be undone; change nothing")
        parser.add_argument("--user", help="act as this user, within their scope (default: system administrator)")

    def handle(self, *args, **options):
        actor = command_actor(options["user"])
        try:
            batch = batch_get_for(actor, options["batch"])
        except NotFound:
            raise CommandError(f"No import #{options['batch']} in your scope.") from None
        if reason := undo_refusal(batch):
            batch_undo_refused_record(actor=actor, batch=batch, reason=reason)
            raise CommandError(f"Import #{batch.pk} ({batch.get_status_display()}): {reason}")
        summary = f"{batch.created_count:,} members added and {batch.result_updated:,} updated by import #{batch.pk}"
        if options["dry_run"]:
            self.stdout.write(f"Dry run: the {summary} can be undone; nothing was changed.")
            return
        try:
            result = import_undo(actor=actor, batch=batch)
        except ValidationError as exc:  # a member changed since the check above
            batch_undo_refused_record(actor=actor, batch=batch, reason=" ".join(exc.messages))
            raise CommandError(" ".join(exc.messages)) from exc
        except (PermissionDenied, NotFound) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Undone: {result.deleted:,} members deleted, {result.restored:,} restored, "
                          f"{result.audit_rows:,} audit rows written.")
