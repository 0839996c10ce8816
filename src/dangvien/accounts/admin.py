"""Who enters the admin (system administrators: the admin role, not Django's is_staff flag), and
users and role assignments in it. Every write goes through the accounts services (accounts,
passwords, role grants and revocations), so that it is checked and audited like a write made
anywhere else."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import has_role
from dangvien.accounts.services import (
    USER_FIELDS,
    role_check_grant,
    role_grant,
    role_revoke,
    user_create,
    user_password_set,
    user_update,
)
from dangvien.core.admin import SystemAdminMixin


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


# Who is changing a password: Django's password view builds its form without the request, and the
# form's save() must call the service as that administrator. A context variable, so that concurrent
# requests in threads (or tasks) never see each other's.
_password_actor: ContextVar[Any] = ContextVar("password_actor")


def _without(fieldsets: Any, dropped: set[str]) -> tuple:
    return tuple((name, {**options, "fields": [f for f in options["fields"] if f not in dropped]})
                 for name, options in fieldsets)


class PasswordForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        self.user = user_password_set(actor=_password_actor.get(), user=self.user, password=password)
        return self.user


@admin.register(User)
class DangvienUserAdmin(SystemAdminMixin, UserAdmin):
    inlines = [RoleAssignmentInline]
    raw_id_fields = ["member"]
    change_password_form = PasswordForm
    # Django's groups and per-model permissions are not used (the admin role opens the admin, roles
    # bound to units decide the rest), so their fields are left out: the service changes USER_FIELDS.
    # The dates are the system's to keep.
    fieldsets = (*_without(UserAdmin.fieldsets or (), {"groups", "user_permissions"}),
                 (_("Party member"), {"fields": ["member"]}))
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, never deleted: their audit rows and role history stay whole.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change:
            # `obj` already holds the form's values; the service reads the stored row for the old ones.
            user_update(actor=request.user, user=obj,
                        changes={f: form.cleaned_data[f] for f in form.changed_data if f in USER_FIELDS})
            return
        data = form.cleaned_data
        created = user_create(actor=request.user, username=data["username"],
                              password=data["password1"] if data.get("set_usable_password", True) else None)
        # The admin goes on with `obj` (the role inlines, the redirect): make it the saved account.
        obj.pk, obj.password, obj.date_joined = created.pk, created.password, created.date_joined
        obj._state.adding, obj._state.db = False, created._state.db

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        token = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)

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
