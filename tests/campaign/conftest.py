import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import translation

from dangvien.campaign.models import Campaign, Participant
from dangvien.campaign.services import campaign_create
from dangvien.members.models import Member
from tests.factories import World, make_member

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


@dataclass
class Pipeline:
    """A campaign over the world's province with four eligible members (they hold a card)."""

    world: World
    campaign: Campaign
    ha: Member  # cell_a1
    son: Member  # cell_a1
    lan: Member  # cell_a2
    binh: Member  # cell_b1

    def participant(self, member: Member) -> Participant:
        return Participant.objects.select_related("campaign", "unit").get(campaign=self.campaign, member=member)


@pytest.fixture
def pipeline(world) -> Pipeline:
    ha = make_member(world.cell_a1, full_name="Nguyễn Thị Hà", sex="F", card_number="64000101")
    son = make_member(world.cell_a1, full_name="Phạm Văn Sơn", card_number="64000102")
    lan = make_member(world.cell_a2, full_name="Trần Thị Lan", sex="F", card_number="64000103")
    binh = make_member(world.cell_b1, full_name="Lê Văn Bình", card_number="64000104")
    campaign = campaign_create(actor=world.province_officer, unit=world.province, name="Đổi thẻ 2026",
                               start=START, deadline=DEADLINE)
    return Pipeline(world, campaign, ha, son, lan, binh)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the site's default language is Vietnamese)."""
    with translation.override("en"):
        yield
