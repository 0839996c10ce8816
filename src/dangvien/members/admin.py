from django.contrib import admin

from dangvien.core.admin import ReadOnlyAdmin
from dangvien.members.models import Member, MemberEvent


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "birth_year", "status", "unit", "citizen_id"]
    list_filter = ["status", "sex"]
    list_select_related = ["unit"]
    search_fields = ["full_name", "citizen_id", "card_number", "profile_number"]
    raw_id_fields = ["unit", "pending_unit"]


@admin.register(MemberEvent)
class MemberEventAdmin(ReadOnlyAdmin):
    list_display = ["effective_date", "member", "kind", "unit", "actor"]
    list_filter = ["kind"]
    list_select_related = ["member", "unit", "actor"]
    search_fields = ["member__full_name", "decision"]
    raw_id_fields = ["member", "unit", "actor"]
