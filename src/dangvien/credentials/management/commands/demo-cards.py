"""`dangvien demo-cards`: the hyphenated name of `demo_cards` (Django finds commands by module name)."""

from dangvien.credentials.management.commands.demo_cards import Command as DemoCardsCommand


class Command(DemoCardsCommand):
    pass
