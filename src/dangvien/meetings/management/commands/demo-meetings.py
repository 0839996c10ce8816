"""`dangvien demo-meetings`: the hyphenated name of `demo_meetings` (Django finds commands by module name)."""

from dangvien.meetings.management.commands.demo_meetings import Command as DemoMeetingsCommand


class Command(DemoMeetingsCommand):
    pass
