from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "dangvien.campaign"
    label = "campaign"
    verbose_name = _("Chip card exchange campaign")

    def ready(self) -> None:
        # A member who moves, leaves or returns moves with every campaign covering them
        # (campaign.participation); the member services call the registered hook in their transaction.
        from dangvien.campaign import events, participation
        from dangvien.members.hooks import register_member_hook

        register_member_hook(participation.follow_member)
        # The hand-over in the member's timeline: registered before the URLs (the API's history schema).
        events.register()
