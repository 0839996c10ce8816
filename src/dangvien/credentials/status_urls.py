"""The status list endpoint, mounted by credentials/urls.py at /cards/ (`*status_urls.urlpatterns`,
so that its name is credentials:status_list)."""

from django.urls import path

from dangvien.credentials import status_views

urlpatterns = [
    path("status/<slug:list_id>", status_views.status_list, name="status_list"),
]
