"""Administrators publish the rights-and-duties text here: each save is a new version (through the
service, audited); versions already published are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangvien.core.admin import SystemAdminMixin
from dangvien.handbook.models import RightsText
from dangvien.handbook.services import rights_text_publish


@admin.register(RightsText)
class RightsTextAdmin(SystemAdminMixin, admin.ModelAdmin):
    list_display = ["version", "published_at", "published_by"]
    fields = ["body"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A new version starts from the current text.
        current = RightsText.objects.order_by("-version").first()
        return {"body": current.body if current else ""}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RightsText, form: Any, change: bool) -> None:
        published = rights_text_publish(actor=request.user, body=form.cleaned_data["body"])
        obj.pk, obj.version = published.pk, published.version  # the admin's message and redirect name it
