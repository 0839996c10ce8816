"""What an app's job views return (the app's own view finds the job through its scoped selector
first): the progress its page polls, and the job's result file."""

from __future__ import annotations

from django.http import FileResponse, JsonResponse
from django.utils.translation import gettext as _

from dangvien.core.errors import NotFound
from dangvien.jobs.models import Job, LongJob
from dangvien.jobs.progress import live_progress, progress_payload


def progress_response(job: LongJob, *, caption: str | None = None) -> JsonResponse:
    """The job's live progress (`caption`: see progress_payload)."""
    return JsonResponse(progress_payload(live_progress(job), caption=caption))


def result_response(job: Job) -> FileResponse:
    """The job's result file as a download. A file of personal data (an export) is audited by the
    app's view, as every export is."""
    if not job.result_file:
        raise NotFound(_("This job has no result file (yet, or any more)."))
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
