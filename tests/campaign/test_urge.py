"""Urging a unit behind the pace: its officers are told in-app and by email, once, with an audit row;
a unit on pace, or outside the actor's reach, is refused with nothing sent."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from dangvien.accounts.models import Role
from dangvien.campaign.services import campaign_urge
from dangvien.core.models import AuditEntry
from dangvien.notifications.models import Notification
from tests.campaign.fixtures import bare_campaign, bulk_members, bulk_participants
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    """commune_a: 1/4 confirmed (behind the 56.52% planned); commune_b: 3/4 (on pace)."""
    campaign = bare_campaign(world.province)
    bulk_members(world.cell_a2, 4)
    bulk_participants(campaign, world.cell_a2, stages=[(1, 4), (3, 1)])
    bulk_members(world.cell_b1, 4)
    bulk_participants(campaign, world.cell_b1, stages=[(3, 5), (1, 0)])
    world.officer_a.email = "xa_a@example.vn"
    world.officer_a.save()
    return campaign


def test_the_units_officers_are_notified_in_app_and_by_email(world, campaign):
    audit_before = AuditEntry.objects.count()
    notices = campaign_urge(actor=world.province_officer, campaign=campaign, unit=world.commune_a,
                            message="Đề nghị đẩy nhanh tiến độ.")
    assert [(n.recipient, n.sender, n.topic, n.unit, n.emailed) for n in notices] == [
        (world.officer_a, world.province_officer, "campaign.urge", world.commune_a, True)]
    assert notices[0].link == f"/campaigns/{campaign.pk}/?unit=GL-A"
    assert notices[0].body.startswith("Đề nghị đẩy nhanh tiến độ.")
    assert "1/4 = 25%" in notices[0].body
    assert [(m.to, m.subject) for m in mail.outbox] == [(["xa_a@example.vn"], notices[0].title)]
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[audit_before:]) == [
        "notification.sent", "campaign.urged"]


def test_a_cell_without_officers_reaches_the_nearest_committee_below_the_actor(world, campaign):
    notices = campaign_urge(actor=world.province_officer, campaign=campaign, unit=world.cell_a2)
    assert [n.recipient for n in notices] == [world.officer_a]
    secretary = make_user("bithu_a2", Role.CELL_SECRETARY, world.cell_a2)
    notices = campaign_urge(actor=world.province_officer, campaign=campaign, unit=world.cell_a2)
    assert [n.recipient for n in notices] == [secretary]


def test_nobody_below_the_actor_is_refused(world, campaign):
    with pytest.raises(ValidationError) as error:
        campaign_urge(actor=world.officer_a, campaign=campaign, unit=world.cell_a2)  # only officer_a above it
    assert set(error.value.message_dict) == {"unit"}
    assert not Notification.objects.exists()


def test_a_unit_on_pace_is_not_urged(world, campaign):
    with pytest.raises(ValidationError) as error:
        campaign_urge(actor=world.province_officer, campaign=campaign, unit=world.commune_b)
    assert error.value.error_dict["unit"][0].code == "not_behind"
    assert not Notification.objects.exists() and not mail.outbox


def test_outside_the_actors_scope_is_refused(world, campaign):
    for actor in (world.officer_b, world.card_officer_a):  # another commune's; a card officer does not manage
        with pytest.raises(PermissionDenied):
            campaign_urge(actor=actor, campaign=campaign, unit=world.commune_a)
    assert not Notification.objects.exists()


def test_the_page_offers_urging_the_lagging_units_only(world, campaign):
    client = Client()
    client.force_login(world.province_officer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert page.count('name="unit" value="GL-A"') == 1 and 'name="unit" value="GL-B"' not in page
    response = client.post(f"/campaigns/{campaign.pk}/urge/", {"unit": "GL-A"})
    assert (response.status_code, response["Location"]) == (302, f"/campaigns/{campaign.pk}/?unit=GL")
    assert Notification.objects.get().recipient == world.officer_a
    client.force_login(world.card_officer_a)  # sees the report, may not urge
    assert 'action="/campaigns/' not in client.get(f"/campaigns/{campaign.pk}/").content.decode().split("urge")[0]
