"""The admin's shared pieces: every model admin lets in whom the site lets in (accounts/admin.py
opens the site to system administrators only), and registry data is shown read-only: every write
goes through the services, which check permissions and keep the audit trail and the member's
history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangvien.core.models import AuditEntry


def is_system_admin(request: HttpRequest) -> bool:
    """The site's own gate (set in accounts/admin.py), asked again for each model."""
    return bool(admin.site.has_permission(request))




class SystemAdminMixin:
    """Django's per-model permissions are not used: the admin role grants the whole admin."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_system_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)


class ReadOnlyAdmin(SystemAdminMixin, admin.ModelAdmin):
    """View only: writes to registry data go through the services."""

    # Counting a whole table of millions of rows on every changelist page is slow.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_username", "action", "object_type", "object_id", "unit_path"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "action"]
    date_hierarchy = "at"
