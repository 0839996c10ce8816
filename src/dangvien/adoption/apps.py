from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "dangvien.adoption"
    label = "adoption"
    verbose_name = _("Handbook adoption")

    def ready(self) -> None:
        # Handbook-use rows keep their member's cell (members.hooks), as campaign participants do.
        from dangvien.adoption.services import activity_follow_member
        from dangvien.members.hooks import register_member_hook

        register_member_hook(activity_follow_member)
