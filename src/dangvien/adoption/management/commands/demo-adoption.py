"""`dangvien demo-adoption`: the hyphenated name of `demo_adoption` (Django finds commands by module name)."""

from dangvien.adoption.management.commands.demo_adoption import Command as DemoAdoptionCommand


class Command(DemoAdoptionCommand):
    pass
