"""`dangvien demo-cards` on a small demo province whose campaign sent some members to production."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dangvien.accounts.models import User
from dangvien.campaign.models import Participant, Step, step_number
from dangvien.campaign.services import campaign_create
from dangvien.credentials.demo import DemoCardsError, demo_cards_create, synthetic_portrait
from dangvien.credentials.models import Card, CardStatus, Portrait
from dangvien.credentials.portraits import portrait_image
from dangvien.demo.generator import generate
from dangvien.members.models import MemberEvent
from dangvien.org.models import Unit
from tests.clock import TODAY

pytestmark = pytest.mark.usefixtures("english")


def test_synthetic_portraits_are_real_jpegs_the_service_takes_and_the_same_every_time():
    face = synthetic_portrait("F", 3, 0.25)
    assert face == synthetic_portrait("F", 3, 0.25) != synthetic_portrait("M", 3, 0.25)
    assert Image.open(io.BytesIO(face)).size == (300, 400)
    assert portrait_image(face).width == 300


@pytest.mark.django_db
def test_the_demo_cards_go_to_the_members_sent_to_production():
    generate(members=200, seed=5, reset=True)
    with pytest.raises(DemoCardsError, match="Nobody was sent"):
        demo_cards_create(seed=5)
    province = Unit.objects.get(code="GL")
    campaign = campaign_create(actor=User.objects.get(username="tinh"), unit=province, name="Đổi thẻ",
                               start=TODAY.replace(day=1), deadline=TODAY.replace(month=12, day=31))
    # Test setup: 60 members sent, produced or handed over (the campaign's own demo records the steps).
    sent = list(Participant.objects.filter(campaign=campaign, eligible=True).order_by("pk")
                .values_list("pk", flat=True)[:60])
    for part, step in zip((sent[:20], sent[20:40], sent[40:]), (Step.SENT, Step.PRODUCED, Step.HANDED_OVER),
                          strict=True):
        Participant.objects.filter(pk__in=part).update(stage=step_number(step))

    summary = demo_cards_create(seed=5)

    assert summary.issued + summary.without_photo == 60 and summary.issued >= 55
    assert Portrait.objects.count() == summary.photos == summary.issued
    cards = Card.objects.all()
    assert cards.count() == summary.issued + summary.reissued
    assert (summary.revoked, summary.reissued, summary.suspended, summary.left) == (1, 1, 1, 2)
    statuses = {status: cards.filter(status=status).count() for status in CardStatus.values}
    assert statuses == {"active": summary.issued - 4, "suspended": 1, "revoked": 4}
    revoked = set(cards.filter(status="revoked").values_list("revocation_reason", flat=True))
    assert {"issued_in_error", "deceased", "removed"} <= revoked and revoked - {"lost", "damaged"} <= {
        "issued_in_error", "deceased", "removed"}
    assert MemberEvent.objects.filter(kind="card.issued").count() == summary.issued
    # Numbers from the default scheme, one after another from the first.
    numbers = sorted(set(cards.values_list("number", flat=True)))
    assert numbers[0] == "0100000017" and len(numbers) == summary.issued
    with pytest.raises(DemoCardsError, match="exist already"):
        demo_cards_create(seed=5)
    # Made again: the numbers start again at the first.
    again = demo_cards_create(seed=5, replace=True)
    assert again.numbers[0] == "0100000017" and Card.objects.count() == again.issued + again.reissued
    # A new demo province takes the cards and photos away with the old one.
    generate(members=200, seed=5, reset=True)
    assert not Card.objects.exists() and not Portrait.objects.exists()
