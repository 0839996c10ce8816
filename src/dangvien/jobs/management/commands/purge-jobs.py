"""`dangvien purge-jobs`: the hyphenated name of `purge_jobs` (Django finds commands by module name)."""

from dangvien.jobs.management.commands.purge_jobs import Command as PurgeJobsCommand


class Command(PurgeJobsCommand):
    pass
