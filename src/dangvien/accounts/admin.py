from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from dangvien.accounts.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(User)
class DangvienUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
    raw_id_fields = ["member"]
    fieldsets = (*UserAdmin.fieldsets, ("Member", {"fields": ["member"]}))
