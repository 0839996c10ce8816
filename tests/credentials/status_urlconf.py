"""The site's URLs with the status list endpoint mounted as credentials/urls.py will mount it (the
lead wires status_urls there; then this file and the `status_endpoint` fixture's urlconf go)."""

from django.urls import include, path

from dangvien import urls as site
from dangvien.credentials import status_urls

urlpatterns = [path("cards/", include((status_urls.urlpatterns, "credentials"))),
               *(p for p in site.urlpatterns if str(p.pattern) != "cards/")]
handler404 = site.handler404
