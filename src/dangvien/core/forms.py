"""A service's refusal shown on a page: the one mapping every app's views use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from dangvien.core.errors import StaleEdit


def put_errors(form: Any, error: ValidationError, *, stale: str | None = None,
               fields: Mapping[str, str] | None = None) -> None:
    """A service's errors on the page's form: by field where the form has that field (a service's
    field named otherwise on the form through `fields`), else at the top. A stale edit reads `stale`,
    the page's own words for "someone else changed this meanwhile", when it has some."""
    if isinstance(error, StaleEdit) and stale is not None:
        form.add_error(None, stale)
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, problems in error.message_dict.items():
        name = (fields or {}).get(field, field)
        form.add_error(name if name in form.fields else None, problems)


def refusal(error: ValidationError) -> str:
    """A service's refusal as one message (for a page without a form to put it on)."""
    return " ".join(error.messages)
