import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import translation

from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
from dangvien.campaign.models import Campaign
from dangvien.campaign.services import campaign_create
from dangvien.credentials.models import Portrait
from dangvien.credentials.services import portrait_record
from dangvien.members.models import Member
from tests.credentials.fixtures import jpeg, send_to_production
from tests.factories import World, build_world, make_user

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield


@dataclass
class Cards:
    """The world's province under a campaign: member_a1 and member_b1 sent to production with a
    photo each; member_a2 (probationary in the world) is in the campaign too, at stage 0."""

    world: World
    campaign: Campaign
    a1: Member
    a2: Member
    b1: Member
    card_officer_b: object

    def photo(self, member: Member, shade: int = 0) -> Portrait:
        return portrait_record(actor=self.world.admin, member=member, data=jpeg(shade=shade),
                               taken_on=dt.date(2026, 10, 20))


def cards_world(world: World) -> Cards:
    campaign = campaign_create(actor=world.admin, unit=world.province, name="Đổi thẻ 2026", start=START,
                               deadline=DEADLINE, rule=Rule(statuses=SNAPSHOT_STATUSES, require_card=False))
    cards = Cards(world, campaign, world.member_a1, world.member_a2, world.member_b1,
                  make_user("the_b", "card_officer", world.commune_b))
    send_to_production(world.member_a1, world.member_b1)
    cards.photo(world.member_a1)
    cards.photo(world.member_b1, shade=7)
    return cards


@pytest.fixture
def cards(db) -> Cards:
    return cards_world(build_world())
