from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PopulationConfig(AppConfig):
    name = "dangvien.population"
    label = "population"
    verbose_name = _("Population extract snapshots")

    def ready(self) -> None:
        from dangvien.population import permissions  # noqa: F401 (registers the permissions)
