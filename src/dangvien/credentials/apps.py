"""Card credentials."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "dangvien.credentials"
    label = "credentials"
    verbose_name = _("Card credentials")

    def ready(self) -> None:
        # Expulsion, removal and death revoke the member's live card in the member service's own
        # transaction (credentials.lifecycle); the card events join the member's timeline before the
        # URLs (the API's history schema) load.
        from dangvien.credentials import events, lifecycle
        from dangvien.members.hooks import register_member_hook

        register_member_hook(lifecycle.follow_member)
        events.register()
