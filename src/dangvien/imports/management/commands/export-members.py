"""`dangvien export-members`: the hyphenated name of `export_members` (Django finds commands by module name)."""

from dangvien.imports.management.commands.export_members import Command as ExportMembersCommand


class Command(ExportMembersCommand):
    pass
