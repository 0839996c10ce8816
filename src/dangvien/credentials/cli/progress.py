"""A plain text progress bar for the card commands (rich and tqdm are not runtime dependencies, and a
bar is twenty lines): redrawn in place on a terminal, at most every 2 % elsewhere."""

from __future__ import annotations

import time
from typing import Any


class ProgressBar:
    WIDTH = 30

    def __init__(self, stream: Any, label: str):  # a text stream or Django's OutputWrapper
        self.stream, self.label = stream, label
        self.total, self.done, self._shown, self._started = 0, 0, -1, time.perf_counter()
        self._tty = getattr(stream, "isatty", lambda: False)()

    def start(self, total: int) -> None:
        self.total, self._started = total, time.perf_counter()
        self._draw()

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def _draw(self) -> None:
        if not self.total:
            return
        percent = self.done * 100 // self.total
        if percent == self._shown or (not self._tty and percent % 2 and self.done < self.total):
            return
        self._shown = percent
        filled = self.WIDTH * self.done // self.total
        elapsed = time.perf_counter() - self._started
        line = (f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} "
                f"{percent:3d}% {elapsed:5.1f} s")
        self.stream.write(("\r" + line) if self._tty else line + "\n")
        if self._tty and self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
