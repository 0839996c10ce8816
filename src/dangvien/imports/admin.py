from django.contrib import admin

from dangvien.imports.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    # Read-only: batches change only through imports/batches.py and the task.
    list_display = ["pk", "original_name", "unit", "actor", "status", "count_new", "count_updated",
                    "count_rejected", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
