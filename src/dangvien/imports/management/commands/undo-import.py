"""`dangvien undo-import`: the hyphenated name of `undo_import` (Django finds commands by module name)."""

from dangvien.imports.management.commands.undo_import import Command as UndoImportCommand


class Command(UndoImportCommand):
    pass
