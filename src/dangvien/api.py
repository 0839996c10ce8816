"""The JSON API root: each app contributes a router (Django Ninja); OpenAPI docs at /api/docs.

Authentication is the Django session (the same login as the pages), so Ninja checks the CSRF token
on every unsafe request. Service errors map to HTTP as the views map them to messages:
ValidationError → 422 and StaleEdit → 409, both as {"detail": first message, "errors": {field: [...]}};
PermissionDenied → 403; out of scope or absent → 404 (the two look the same). A request the schema
refuses (a missing field, a number out of bounds) is a 422 of the same shape; an unparsable body a
400; a write while the database is busy a 503. The published schema says so for every operation
(ERROR_RESPONSES), and tests/api/test_contract.py holds the API to it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import django_auth

from dangvien.adoption.api import router as adoption_router
from dangvien.campaign.api import router as campaign_router
from dangvien.campaign.report_api import router as campaign_reports_router
from dangvien.core.errors import StaleEdit
from dangvien.credentials.api import router as cards_router
from dangvien.fieldwork.api import router as visits_router
from dangvien.library.api import router as library_router
from dangvien.meetings.api import router as meetings_router
from dangvien.meetings.minutes_api import router as minutes_router
from dangvien.members.api import router as members_router
from dangvien.members.tree_api import router as unit_tree_router
from dangvien.notifications.api import router as notifications_router
from dangvien.org.api import router as units_router
from dangvien.reconcile.api import router as reconcile_router

ERROR_SCHEMA = {
    "title": "ErrorOut", "type": "object", "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "title": "The first message"},
        "errors": {"anyOf": [{"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                             {"type": "null"}], "title": "Messages by field"},
    },
}
# The answers every operation may give besides its own (reads: the first group; writes: all).
READ_ERRORS = {401: "Not logged in", 404: "No such object, or outside your scope",
               422: "The request does not fit the schema"}
WRITE_ERRORS = {**READ_ERRORS, 400: "The request body is not JSON", 403: "Not permitted here",
                409: "The record changed since you read it", 503: "The database is busy: try again"}


class DangvienAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):  # type: ignore[no-untyped-def]
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                errors = READ_ERRORS if method == "get" else WRITE_ERRORS
                for status, description in errors.items():
                    operation["responses"].setdefault(status, {"description": description, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}})
        return schema


api = DangvienAPI(
    title="dangvien API", version="1", auth=django_auth, urls_namespace="api",
    docs_decorator=login_required,
)
api.add_router("/units", units_router)
api.add_router("/units", unit_tree_router)
api.add_router("/members", members_router)
api.add_router("/reconcile", reconcile_router)
api.add_router("/campaigns", campaign_router)
api.add_router("/campaigns", visits_router)
api.add_router("/notifications", notifications_router)
api.add_router("/campaigns", campaign_reports_router)
api.add_router("/library", library_router)
api.add_router("/meetings", minutes_router)
api.add_router("/cards", cards_router)
api.add_router("/meetings", meetings_router)
api.add_router("/adoption", adoption_router)


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


@api.exception_handler(RequestInvalid)
def _request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    """Ninja's own refusals (a missing field, a number out of bounds) in the one error shape."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        where = _field_name(tuple(error.get("loc", ()))) or "__all__"
        errors.setdefault(where, []).append(str(error.get("msg", "")))
    first = next(iter(errors.items()))
    return api.create_response(request, {"detail": f"{first[0]}: {first[1][0]}", "errors": errors}, status=422)


def _field_name(location: tuple) -> str:
    """The field a refusal names, as the client wrote it: ("body", "payload", "changes", "phone") ->
    "changes.phone" (Ninja's own parameter name dropped), ("query", "page") -> "page"."""
    parts = location[2:] if location[:1] == ("body",) else location[1:]
    return ".".join(str(part) for part in parts)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One message whatever the cause, so a 404 never tells "hidden" from "absent".
    return api.create_response(request, {"detail": _("Not found.")}, status=404)
