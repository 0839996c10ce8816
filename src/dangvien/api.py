"""The JSON API root: each app contributes a router (Django Ninja); OpenAPI docs at /api/docs."""

from ninja import NinjaAPI
from ninja.security import django_auth

api = NinjaAPI(title="dangvien API", version="1", auth=django_auth, urls_namespace="api")
