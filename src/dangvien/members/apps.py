from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "dangvien.members"
    label = "members"
    verbose_name = _("Member registry")

    def ready(self) -> None:
        from dangvien.members import event_kinds

        event_kinds.register()
