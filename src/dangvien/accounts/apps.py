from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dangvien.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # Each app declares its permissions in its own permissions.py; load them all before any
        # request asks what a role may do.
        autodiscover_modules("permissions")
        # The idle-session clock starts with the login itself, saved with it.
        from django.contrib.auth.signals import user_logged_in

        from dangvien.accounts.middleware import start_the_clock

        user_logged_in.connect(start_the_clock, dispatch_uid="dangvien.accounts.start_the_clock")
