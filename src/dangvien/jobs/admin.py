from django.contrib import admin

from dangvien.core.admin import ReadOnlyAdmin
from dangvien.jobs.models import Job


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    # Read-only: jobs change only through jobs/services.py and their tasks.
    list_display = ["pk", "kind", "status", "actor", "unit_path", "progress_done", "progress_total", "created_at",
                    "finished_at"]
    list_filter = ["kind", "status"]
