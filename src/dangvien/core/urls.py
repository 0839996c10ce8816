"""URL pieces shared by every app."""

from __future__ import annotations

from django.urls import register_converter

# The largest primary key a database column holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdConverter:
    """`<id:pk>`: a record's number. Like Django's `int`, but a number no database column can hold
    matches no route (a 404) instead of reaching the query (an error on PostgreSQL)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)  # Django then tries the next route, and finally answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
