from django.contrib import admin

from dangvien.core.admin import ReadOnlyAdmin
from dangvien.org.models import Unit


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "depth", "path"]
    list_filter = ["kind", "depth"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
