from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandbookConfig(AppConfig):
    name = "dangvien.handbook"
    label = "handbook"
    verbose_name = _("Member handbook")

    def ready(self) -> None:
        # A user's display preference follows them to every device: read once at login.
        from django.contrib.auth.signals import user_logged_in

        from dangvien.handbook.display import load_at_login

        user_logged_in.connect(load_at_login, dispatch_uid="dangvien.handbook.load_display")
