"""Shared pieces of the command-line tools."""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper


class SystemActor:
    """The operator at the server shell: a system administrator with no login of their own (audit
    rows name them "system", as for the demo generator)."""

    pk = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    member_id = None


class ProgressBar:
    """A text progress bar on stderr, redrawn in place after each step (a batch, a stage)."""

    def __init__(self, stream: OutputWrapper, width: int = 40):
        self.stream, self.width, self.started = stream, width, time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total if total else self.width
        percent = 100 * done // total if total else 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% {done:,}/{total:,} "
                          f"{time.perf_counter() - self.started:.1f} s", ending="\n" if done >= total else "")
        self.stream.flush()
