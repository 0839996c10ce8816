"""Errors services raise; views turn them into messages and the API into 4xx with field errors."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class NotFound(Http404):
    """The object does not exist or lies outside the actor's scope: the two look the same."""


class StaleEdit(ValidationError):
    """The edit was made on a copy that someone else has changed since."""


__all__ = ["NotFound", "PermissionDenied", "StaleEdit", "ValidationError"]
