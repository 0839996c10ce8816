"""The eligibility snapshot and members who move during a campaign (docs/campaign.md)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangvien.campaign.models import Departure, Exclusion, Participant, Step
from dangvien.campaign.services import campaign_create, participant_step
from dangvien.members.models import Status
from dangvien.members.services import member_record_death, member_transfer_in, member_transfer_out
from tests.factories import make_member

pytestmark = pytest.mark.django_db

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


def _campaign(world, unit=None):
    return campaign_create(actor=world.province_officer, unit=unit or world.province, name="Đổi thẻ 2026",
                           start=START, deadline=DEADLINE)


def test_snapshot_keeps_each_exclusion_with_its_reason(world):
    holder = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    exempted = make_member(world.cell_a1, full_name="Đỗ Thị Mai", card_number="64000124", status=Status.EXEMPTED)
    campaign = _campaign(world)
    rows = {p.member_id: (p.eligible, p.exclusion) for p in Participant.objects.filter(campaign=campaign)}
    assert rows == {
        holder.pk: (True, ""),
        exempted.pk: (True, ""),
        world.member_a1.pk: (False, Exclusion.NO_CARD),  # official, no card on record
        world.member_a2.pk: (False, Exclusion.PROBATIONARY),
        world.member_b1.pk: (False, Exclusion.NO_CARD),
    }


def test_a_campaign_over_a_commune_holds_only_its_members(world):
    campaign = _campaign(world, world.commune_b)
    assert list(Participant.objects.filter(campaign=campaign).values_list("member_id", flat=True)) == [
        world.member_b1.pk]


def test_deadline_before_start_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as error:
        campaign_create(actor=world.province_officer, unit=world.province, name="X", start=DEADLINE, deadline=START)
    assert "deadline" in error.value.message_dict
    assert not Participant.objects.exists()


def test_transfer_inside_the_unit_moves_the_participant_with_its_steps(world):
    member = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    campaign = _campaign(world)
    participant = Participant.objects.get(campaign=campaign, member=member)
    participant_step(actor=world.card_officer_a, participant=participant, expected_version=1,
                     step=Step.DECLARED, day=dt.date(2026, 10, 5))
    member.refresh_from_db()
    member = member_transfer_out(actor=world.province_officer, member=member, expected_version=member.version,
                                 date=dt.date(2026, 11, 2), destination_unit=world.cell_b1)
    participant.refresh_from_db()
    assert (participant.unit_id, participant.left_on) == (world.cell_a1.pk, None)  # counted where it was
    member_transfer_in(actor=world.province_officer, member=member, expected_version=member.version,
                       date=dt.date(2026, 11, 3), unit=world.cell_b1)
    participant.refresh_from_db()
    assert (participant.unit_id, participant.stage, participant.left_on) == (world.cell_b1.pk, 1, None)


def test_transfer_out_of_the_system_and_death_leave_the_campaign(world):
    leaving = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    dying = make_member(world.cell_a1, full_name="Vũ Văn Tâm", card_number="64000125")
    campaign = _campaign(world)
    member_transfer_out(actor=world.province_officer, member=leaving, expected_version=leaving.version,
                        date=dt.date(2026, 11, 2), destination="Đảng bộ tỉnh Đắk Lắk")
    member_record_death(actor=world.province_officer, member=dying, expected_version=dying.version,
                        date=dt.date(2026, 11, 4))
    rows = {p.member_id: (p.left_on, p.departure) for p in Participant.objects.filter(campaign=campaign,
                                                                                      member__in=[leaving, dying])}
    assert rows == {leaving.pk: (dt.date(2026, 11, 2), Departure.TRANSFERRED_OUT),
                    dying.pk: (dt.date(2026, 11, 4), Departure.DECEASED)}


def test_a_member_transferred_in_from_outside_joins_on_that_day(world):
    campaign = _campaign(world, world.commune_a)
    newcomer = make_member(world.cell_b1, full_name="Hồ Văn Nam", card_number="64000126")
    newcomer = member_transfer_out(actor=world.province_officer, member=newcomer, expected_version=newcomer.version,
                                   date=dt.date(2026, 11, 2), destination_unit=world.cell_a2)
    member_transfer_in(actor=world.province_officer, member=newcomer, expected_version=newcomer.version,
                       date=dt.date(2026, 11, 5), unit=world.cell_a2)
    joined = Participant.objects.get(campaign=campaign, member=newcomer)
    assert (joined.unit_id, joined.eligible, joined.joined_on) == (world.cell_a2.pk, True, dt.date(2026, 11, 5))


def test_steps_go_in_order(world):
    member = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    participant = Participant.objects.get(campaign=_campaign(world), member=member)
    with pytest.raises(ValidationError) as error:
        participant_step(actor=world.card_officer_a, participant=participant, expected_version=1,
                         step=Step.PHOTOGRAPHED, day=dt.date(2026, 10, 5))
    assert error.value.message_dict == {"step": ["“Data declared” comes first."]}


def test_comparison_waits_for_the_reconciliation(world):
    member = make_member(world.cell_a1, full_name="Phạm Văn Lộc", card_number="64000123")
    participant = Participant.objects.get(campaign=_campaign(world), member=member)
    for version, step in enumerate([Step.DECLARED, Step.PHOTOGRAPHED], start=1):
        participant = participant_step(actor=world.card_officer_a, participant=participant, expected_version=version,
                                       step=step, day=dt.date(2026, 10, 5))
    with pytest.raises(ValidationError) as error:
        participant_step(actor=world.card_officer_a, participant=participant, expected_version=3,
                         step=Step.COMPARED, day=dt.date(2026, 10, 6))
    assert "Not yet linked" in error.value.message_dict["step"][0]
