"""Import pages: upload and check, preview, confirm, progress, result; the register export. Views
stay thin: reads go through selectors.py, writes through the services in batches.py and export.py,
which do the work, the checks and the audit."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangvien.accounts.permissions import can
from dangvien.imports import batches, selectors
from dangvien.imports.export import FORMATS, export_register, export_register_csv_stream, write_template
from dangvien.imports.forms import UploadForm
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.undo import undo_blockers
from dangvien.jobs.views import progress_response
from dangvien.members.permissions import MEMBER_MANAGE
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_for

REJECTIONS_PER_PAGE = 100


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    initial_unit: Unit | None = None
    if (unit_id := _int(request.GET.get("unit"))) is not None:
        initial_unit = unit_get_for(request.user, unit_id)
        if not can(request.user, MEMBER_MANAGE, initial_unit):
            raise PermissionDenied(_("You do not have permission to import members here."))
    units = selectors.units_managed_by(request.user)
    if not units.exists():
        raise PermissionDenied(_("You do not have permission to import members."))
    form = UploadForm(request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None,
                      units=units, initial_unit=initial_unit)
    if request.method == "POST" and form.is_valid():
        batch = batches.batch_upload(actor=request.user, unit=form.chosen_unit(), upload=form.cleaned_data["file"])
        return redirect("imports:detail", pk=batch.pk)
    recent = selectors.batches_visible_to(request.user).filter(actor_id=request.user.pk).select_related("unit")[:10]
    return render(request, "imports/new.html", {"form": form, "recent": recent})


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponseBase:
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="mau-nhap-dang-vien.xlsx")


@login_required
@require_GET
def export_register_view(request: HttpRequest, unit_pk: int, fmt: str) -> HttpResponseBase:
    """The member register (7-HSĐV columns) of a unit the user can see, only the members they may
    see: CSV streamed row by row; XLSX written to a temporary file (the format needs its whole
    archive before the first byte) and sent from there, so memory stays flat either way. Audited."""
    unit = unit_get_for(request.user, unit_pk)
    if fmt not in FORMATS:
        raise Http404("Unknown format.")
    name = f"so-dang-vien-{unit.code}.{fmt}"
    if fmt == "csv":
        chunks = export_register_csv_stream(actor=request.user, unit=unit)
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    spool = tempfile.TemporaryFile()
    export_register(actor=request.user, unit=unit, path=spool, fmt=fmt)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=name)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_live_progress(selectors.batch_get_for(request.user, pk))
    rejections = Paginator(batch.rejections, REJECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    warnings = Paginator(batch.warnings, REJECTIONS_PER_PAGE).get_page(request.GET.get("wpage"))
    context: dict[str, Any] = {"batch": batch, "rejections": rejections, "warnings": warnings, "may_undo": False,
                               # The import's progress bar; an undo shows its status only.
                               "show_bar": batch.status in {BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.DONE}}
    if batch.status == BatchStatus.DONE and batch.undone_at is None and can(request.user, MEMBER_MANAGE,
                                                                             batch.unit):
        context["may_undo"] = True
        context["undo_blocked"], context["undo_blockers"] = undo_blockers(batch)
    return render(request, "imports/detail.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue(request, pk, batches.batch_confirm, _("The import was queued. This page follows its progress."))


@login_required
@require_POST
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue(request, pk, batches.batch_undo_request, _("The undo was queued. This page follows it."))


@login_required
@require_POST
def import_abandon(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue(request, pk, batches.batch_abandon, _("Stopped waiting: nothing was changed."))


def _queue(request: HttpRequest, pk: int, service: Callable[..., ImportBatch], done: str) -> HttpResponse:
    """Run a batch service (queue a task, or stop waiting for one); a refusal becomes a message on
    the batch's page."""
    batch = selectors.batch_get_for(request.user, pk)
    try:
        service(actor=request.user, batch=batch)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("imports:detail", pk=batch.pk)


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    return progress_response(selectors.batch_get_for(request.user, pk), caption=_("%(done)s of %(total)s rows written"))


@login_required
@require_GET
def import_rejected_xlsx(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = selectors.batch_get_for(request.user, pk)
    buffer = batches.batch_rejections_export(actor=request.user, batch=batch)
    return FileResponse(buffer, as_attachment=True, filename=f"import-{batch.pk}-rejected.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def redirect_to_new(request: HttpRequest) -> HttpResponse:
    return redirect("imports:new")
