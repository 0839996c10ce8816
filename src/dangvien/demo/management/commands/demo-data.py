"""`dangvien demo-data`: the hyphenated name of `demo_data` (Django finds commands by module name)."""

from dangvien.demo.management.commands.demo_data import Command as DemoDataCommand


class Command(DemoDataCommand):
    pass
