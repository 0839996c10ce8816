from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "dangvien.fieldwork"
    label = "fieldwork"
    verbose_name = _("Campaign field work")
