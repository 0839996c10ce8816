from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views import defaults

from dangvien.accounts import views as account_views
from dangvien.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("dangvien.accounts.urls")),
    path("handbook/", include("dangvien.handbook.urls")),
    path("units/", include("dangvien.members.tree_urls")),
    path("members/", include("dangvien.members.urls")),
    path("imports/", include("dangvien.imports.urls")),
    path("reconcile/", include("dangvien.reconcile.urls")),
    path("campaigns/", include("dangvien.campaign.urls")),
    path("campaigns/", include("dangvien.fieldwork.urls")),
    path("notifications/", include("dangvien.notifications.urls")),
    path("library/", include("dangvien.library.urls")),
    path("cards/", include("dangvien.credentials.urls")),
    path("meetings/", include("dangvien.meetings.urls")),
    path("adoption/", include("dangvien.adoption.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An address under /api/ that matches no operation answers as the API does (JSON), any other
    with the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found
