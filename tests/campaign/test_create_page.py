"""Starting a campaign from the list page, with the eligibility rule chosen there."""

import pytest
from django.test import Client

from dangvien.campaign.models import Campaign, Exclusion, Participant
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FORM = {"name": "Đổi thẻ 2027", "unit": "GL-A", "start": "01/01/2027", "deadline": "30/06/2027",
        "headline_step": "confirmed", "precision": "1"}


def _start(world, **rule):
    client = Client()
    client.force_login(world.officer_a)
    return client.post("/campaigns/", {**FORM, **rule})


def test_the_default_rule_is_the_directives(world):
    holder = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    response = _start(world, statuses=["official", "exempted", "temporarily_out"], require_card="on")
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.unit, campaign.precision, campaign.rule["require_card"]) == (world.commune_a, 1, True)
    rows = {p.member_id: p.exclusion for p in Participant.objects.filter(campaign=campaign)}
    assert rows == {holder.pk: "", world.member_a1.pk: Exclusion.NO_CARD, world.member_a2.pk: Exclusion.PROBATIONARY}


def test_a_committee_may_take_members_without_a_card_and_probationary_ones(world):
    response = _start(world, statuses=["official", "probationary"])  # the box for a card left unticked
    assert response.status_code == 302
    rows = {p.member_id: p.eligible for p in Participant.objects.filter(campaign=Campaign.objects.get())}
    assert rows == {world.member_a1.pk: True, world.member_a2.pk: True}


def test_no_status_ticked_is_refused_and_nothing_is_started(world):
    response = _start(world, require_card="on")
    assert response.status_code == 200
    assert "statuses" in response.context["form"].errors
    assert not Campaign.objects.exists()
