"""`dangvien demo-campaign`: the hyphenated name of `demo_campaign` (Django finds commands by module name)."""

from dangvien.campaign.management.commands.demo_campaign import Command as DemoCampaignCommand


class Command(DemoCampaignCommand):
    pass
