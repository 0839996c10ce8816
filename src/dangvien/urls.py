from django.contrib import admin
from django.urls import include, path

from dangvien.accounts import views as account_views
from dangvien.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("dangvien.accounts.urls")),
    path("units/", include("dangvien.members.tree_urls")),
    path("members/", include("dangvien.members.urls")),
    path("imports/", include("dangvien.imports.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
