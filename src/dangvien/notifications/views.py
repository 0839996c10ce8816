"""The inbox: the user's notices, newest first, each marked read from the page (no JavaScript)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangvien.notifications import services
from dangvien.notifications.models import Notification
from dangvien.notifications.selectors import notification_get_for, notifications_for

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    paginator: Paginator[Notification] = Paginator(notifications_for(request.user, unread=unread_only), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page_obj": page, "unread_only": unread_only})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read, then follow its link (or come back to the inbox)."""
    notice = services.notification_mark_read(actor=request.user, notification=notification_get_for(request.user, pk))
    if request.POST.get("open") == "1" and notice.link.startswith("/") and not notice.link.startswith("//"):
        return redirect(notice.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s notices marked read.") % {"count": count})
    return redirect("notifications:inbox")
