"""The JSON API root: each app contributes a router (Django Ninja); OpenAPI docs at /api/docs.

Authentication is the Django session (the same login as the pages), so Ninja checks the CSRF token
on every unsafe request. Service errors map to HTTP as the views map them to messages:
ValidationError → 422 and StaleEdit → 409, both as {"detail": first message, "errors": {field: [...]}};
PermissionDenied → 403; out of scope or absent → 404 (the two look the same).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import django_auth

from dangvien.core.errors import StaleEdit
from dangvien.members.api import router as members_router
from dangvien.members.tree_api import router as unit_tree_router
from dangvien.org.api import router as units_router

api = NinjaAPI(
    title="dangvien API", version="1", auth=django_auth, urls_namespace="api",
    docs_decorator=login_required,
)
api.add_router("/units", units_router)
api.add_router("/units", unit_tree_router)
api.add_router("/members", members_router)


def error_fields(exc: ValidationError) -> dict[str, list[str]]:
    """Messages by field; messages not tied to a field go under "__all__" (Django's convention)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def _error_response(request: HttpRequest, exc: ValidationError, status: int) -> HttpResponse:
    errors = error_fields(exc)
    first = next((messages[0] for messages in errors.values() if messages), "")
    return api.create_response(request, {"detail": first, "errors": errors}, status=status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error_response(request, exc, 422)


@api.exception_handler(StaleEdit)
def _stale_edit(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    return _error_response(request, exc, 409)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = str(exc) or _("You do not have permission to do this here.")
    return api.create_response(request, {"detail": message}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One message whatever the cause, so a 404 never tells "hidden" from "absent".
    return api.create_response(request, {"detail": _("Not found.")}, status=404)
