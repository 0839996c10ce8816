"""SMS delivery through a pluggable backend, as Django sends email: the setting
`DANGVIEN_SMS_BACKEND` names a class by its dotted path, and every message goes through
`sms_send`. Two backends come with the project:

- `ConsoleBackend` (the default) writes each message to standard output: the embedded setup and the
  demo have no SMS gateway, and an operator still sees what would have been sent.
- `LocmemBackend` keeps the messages in `outbox` (this module's list), for tests.

A gateway's backend subclasses `BaseSmsBackend`, implements `send_messages`, and raises `SmsError`
(or lets an OSError through) when the gateway refuses: the caller logs it and carries on.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "dangvien.notifications.sms.ConsoleBackend"


class SmsError(Exception):
    """The gateway did not take the messages."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # a phone number as recorded
    text: str


class BaseSmsBackend:
    def __init__(self, **options: Any) -> None:
        self.options = options

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send the messages; how many were sent. SmsError (or OSError) when the gateway fails."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, *, stream: TextIO | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.stream = stream
        self._lock = threading.Lock()  # messages of two threads are not interleaved

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        stream = self.stream or sys.stdout  # looked up at send time: tests capture stdout
        with self._lock:
            for message in messages:
                stream.write(f"SMS to {message.to}\n{message.text}\n{'-' * 40}\n")
            stream.flush()
        return len(messages)


outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def sms_backend(path: str | None = None, **options: Any) -> BaseSmsBackend:
    """An instance of the configured backend (or of `path`)."""
    dotted = path or getattr(settings, "DANGVIEN_SMS_BACKEND", "") or DEFAULT_BACKEND
    backend_class = import_string(dotted)
    return backend_class(**options)  # type: ignore[no-any-return]


def sms_send(messages: Sequence[SmsMessage]) -> int:
    """Send the messages through the configured backend; how many were sent."""
    if not messages:
        return 0
    return sms_backend().send_messages(messages)
