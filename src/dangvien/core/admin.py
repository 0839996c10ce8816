"""The Django admin is for system administrators only (the admin role, not Django's is_staff
flag), and shows registry data read-only: every write to it goes through the services, which
check permissions and keep the audit trail and the member's history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dangvien.accounts.models import Role
from dangvien.accounts.permissions import has_role
from dangvien.core.models import AuditEntry


def is_system_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated and has_role(user, Role.ADMIN))


class SystemAdminLoginForm(AdminAuthenticationForm):
    """The admin login accepts holders of the admin role, whatever their is_staff flag."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)  # active accounts only
        if not has_role(user, Role.ADMIN):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


# The default site, so that apps' admin.py files keep using @admin.register; only who may enter changes.
admin.site.has_permission = is_system_admin  # type: ignore[method-assign]
admin.site.login_form = SystemAdminLoginForm
admin.site.site_header = _("Party member registry administration")
admin.site.site_title = _("Party member registry")
admin.site.index_title = _("Administration")


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
