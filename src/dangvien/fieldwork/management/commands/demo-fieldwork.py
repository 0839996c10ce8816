"""`dangvien demo-fieldwork`: the hyphenated name of `demo_fieldwork` (Django finds commands by module name)."""

from dangvien.fieldwork.management.commands.demo_fieldwork import Command as DemoFieldworkCommand


class Command(DemoFieldworkCommand):
    pass
