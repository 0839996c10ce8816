from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "dangvien.adoption"
    label = "adoption"
    verbose_name = _("Handbook adoption")
