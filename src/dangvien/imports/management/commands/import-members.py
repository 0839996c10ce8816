"""`dangvien import-members`: the hyphenated name of `import_members` (Django finds commands by module name)."""

from dangvien.imports.management.commands.import_members import Command as ImportMembersCommand


class Command(ImportMembersCommand):
    pass
