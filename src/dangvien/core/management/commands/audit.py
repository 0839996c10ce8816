from django.core.management.base import BaseCommand, CommandError

from dangvien.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `dangvien audit verify` checks the hash chain and names the first broken row."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        count, problem = audit_verify()
        if problem:
            raise CommandError(f"audit chain broken after {count} good rows: {problem}")
        self.stdout.write(f"audit chain intact: {count} rows verified")
