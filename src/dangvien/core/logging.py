"""Logging filters."""

from __future__ import annotations

import logging


class NoClientErrorTraceback(logging.Filter):
    """Django logs a 403 or 404 with the exception that caused it, so every refused request printed a
    traceback. A client error is the client's: keep the one-line message, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
