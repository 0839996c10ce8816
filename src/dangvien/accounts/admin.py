"""Who enters the admin (system administrators: the admin role, not Django's is_staff flag), and
users and role assignments in it. Role grants and revocations go through the accounts services, so
that they are checked and audited like grants made anywhere else."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import has_role
from dangvien.accounts.services import role_check_grant, role_grant, role_revoke
from dangvien.core.admin import SystemAdminMixin
from dangvien.core.audit import audit_record


def _admin_role(request: HttpRequest) -> bool:
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
admin.site.has_permission = _admin_role  # type: ignore[method-assign]
admin.site.login_form = SystemAdminLoginForm
admin.site.site_header = _("Party member registry administration")
admin.site.site_title = _("Party member registry")
admin.site.index_title = _("Administration")


def _assignment_form(actor: Any, base: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """The assignment form, checking the grant the way role_grant will (so that a bad grant is a
    message on the form, not an error page)."""

    class AssignmentForm(base):  # type: ignore[misc, valid-type]
        def clean(self) -> dict[str, Any]:
            data = super().clean()
            if data.get("role") and not data.get("DELETE"):
                role_check_grant(actor, data["role"], data.get("unit"))
            return data

    return AssignmentForm


def _replace(actor: Any, assignment: RoleAssignment) -> RoleAssignment:
    """Save an edited assignment as revoke-then-grant, each audited."""
    old = RoleAssignment.objects.select_related("unit").get(pk=assignment.pk)
    role_revoke(actor=actor, assignment=old)
    return role_grant(actor=actor, user=assignment.user, role=assignment.role, unit=assignment.unit)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["unit"]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _assignment_form(request.user, formset.form)
        return formset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SystemAdminMixin.has_view_permission(self, request, obj)  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SystemAdminMixin.has_add_permission(self, request)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SystemAdminMixin.has_change_permission(self, request, obj)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SystemAdminMixin.has_delete_permission(self, request, obj)  # type: ignore[arg-type]


@admin.register(User)
class DangvienUserAdmin(SystemAdminMixin, UserAdmin):
    inlines = [RoleAssignmentInline]
    raw_id_fields = ["member"]
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Party member"), {"fields": ["member"]}))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, never deleted: their audit rows and role history stay whole.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changed = sorted(f for f in form.changed_data if "password" not in f)
        if changed or not change:
            audit_record(actor=request.user, action="user.admin_change" if change else "user.admin_create",
                         object_type="user", object_id=obj.pk,
                         after={f: form.cleaned_data.get(f) for f in changed if f in form.cleaned_data})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # sorts the rows into new, changed and deleted
        for assignment in formset.deleted_objects:
            role_revoke(actor=request.user, assignment=assignment)
        for assignment, _fields in formset.changed_objects:
            _replace(request.user, assignment)
        for assignment in formset.new_objects:
            role_grant(actor=request.user, user=formset.instance, role=assignment.role, unit=assignment.unit)
        return None


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SystemAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "unit", "granted_at"]
    list_filter = ["role"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "unit__code", "unit__name"]
    raw_id_fields = ["user", "unit"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return _assignment_form(request.user, super().get_form(request, obj, change=change, **kwargs))

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        saved = _replace(request.user, obj) if change else role_grant(
            actor=request.user, user=obj.user, role=obj.role, unit=obj.unit)
        obj.pk, obj.granted_at = saved.pk, saved.granted_at

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        role_revoke(actor=request.user, assignment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for assignment in queryset.select_related("unit", "user"):
            role_revoke(actor=request.user, assignment=assignment)
