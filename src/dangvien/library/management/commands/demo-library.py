"""`dangvien demo-library`: the hyphenated name of `demo_library` (Django finds commands by module name)."""

from dangvien.library.management.commands.demo_library import Command as DemoLibraryCommand


class Command(DemoLibraryCommand):
    pass
