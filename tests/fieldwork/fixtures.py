"""Builders for field work tests (the browser tests use them too): a campaign over the test province with its provincial working group (the commune's police card
officer in it, commune A assigned) and members of every kind the home-visit worklist sorts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dangvien.campaign.models import Campaign, Participant, Step
from dangvien.campaign.services import campaign_create
from dangvien.fieldwork.models import GroupRole, WorkingGroup
from dangvien.fieldwork.services import group_form, group_person_add, group_unit_assign
from dangvien.members.models import Member, Status
from tests.factories import World, make_member

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
_cards = iter(range(64001000, 64002000))


def card_member(unit, name: str, birth: dt.date, **extra) -> Member:
    return make_member(unit, full_name=name, birth=birth, card_number=str(next(_cards)), **extra)


@dataclass
class Field:
    world: World
    campaign: Campaign
    group: WorkingGroup
    elderly: Member  # 78, in cell A1, with an address and a phone
    young: Member  # 41, in cell A1
    exempted: Member  # 66, exempted, in cell A2
    turns_75_today: Member
    turns_75_tomorrow: Member
    year_only: Member  # only the year of birth known: 1951
    elderly_b: Member  # 80, in commune B

    def participant(self, member: Member) -> Participant:
        return Participant.objects.select_related("campaign", "unit", "member").get(campaign=self.campaign,
                                                                                    member=member)


def build_field(world: World, headline_step: str = Step.CONFIRMED) -> Field:
    """headline_step: what counts as completed in the reports (a home visit reaches "photographed")."""
    elderly = card_member(world.cell_a1, "Trần Thị Lan", dt.date(1948, 3, 4), sex="F",
                          permanent_residence="Thôn 3, xã Ia Grai", phone="0905123456")
    young = card_member(world.cell_a1, "Phạm Văn Lộc", dt.date(1985, 1, 1))
    exempted = card_member(world.cell_a2, "Đỗ Thị Mai", dt.date(1960, 6, 1), sex="F", status=Status.EXEMPTED)
    today_75 = card_member(world.cell_a1, "Lê Văn Tám", dt.date(1951, 11, 21))
    tomorrow_75 = card_member(world.cell_a1, "Võ Văn Chín", dt.date(1951, 11, 22))
    year_only = card_member(world.cell_a2, "Hồ Văn Mười", dt.date(1951, 12, 30))
    # Test setup: a record with only the year of birth (old registers have no day); the registry's
    # services always have a date here.
    Member.objects.filter(pk=year_only.pk).update(date_of_birth=None, birth_year=1951)
    elderly_b = card_member(world.cell_b1, "Ngô Thị Bảy", dt.date(1946, 1, 20), sex="F")
    campaign = campaign_create(actor=world.province_officer, unit=world.province, name="Đổi thẻ đảng viên 2026",
                               start=START, deadline=DEADLINE, headline_step=headline_step)
    group = group_form(actor=world.province_officer, campaign=campaign, unit=world.province,
                       name="Tổ công tác tỉnh")
    group_person_add(actor=world.province_officer, group=group, user=world.province_officer, role=GroupRole.LEADER)
    group_person_add(actor=world.province_officer, group=group, user=world.card_officer_a)
    group_unit_assign(actor=world.province_officer, group=group, unit=world.commune_a)
    return Field(world=world, campaign=campaign, group=group, elderly=elderly, young=young, exempted=exempted,
                 turns_75_today=today_75, turns_75_tomorrow=tomorrow_75, year_only=year_only, elderly_b=elderly_b)
