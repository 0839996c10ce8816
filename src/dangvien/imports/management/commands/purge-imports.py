"""`dangvien purge-imports`: the hyphenated name of `purge_imports` (Django finds commands by module name)."""

from dangvien.imports.management.commands.purge_imports import Command as PurgeImportsCommand


class Command(PurgeImportsCommand):
    pass
