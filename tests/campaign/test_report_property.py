"""For random trees and random pipelines, every unit's figures in the report equal a direct count of
the participants in its subtree (a query per unit and figure, independent of org.rollup)."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangvien.campaign.models import STEPS, Participant, step_number
from dangvien.campaign.reports import campaign_report, campaign_report_tree
from dangvien.members.models import Member
from dangvien.org.models import Unit, UnitKind
from tests.campaign.fixtures import bare_campaign, bulk_members
from tests.factories import system_admin

pytestmark = pytest.mark.django_db

participant = st.fixed_dictionaries({
    "stage": st.integers(0, len(STEPS)), "hold": st.sampled_from(["", "", "abroad", "hospital"]),
    "eligible": st.booleans() | st.just(True), "left": st.integers(0, 5).map(lambda n: n == 0),
})
# A unit: (its parent among the units before it, its participants). Unit 0 is the root.
tree = st.lists(st.tuples(st.integers(0, 10**6), st.lists(participant, max_size=4)), min_size=1, max_size=14)


class Rollback(Exception):
    pass


def _build(spec, headline):
    units: list[Unit] = []
    children: dict[int, int] = {}
    for index, (parent_pick, _people) in enumerate(spec):
        parent = units[parent_pick % index] if index else None
        if parent is None:
            path = "0900"
        else:
            children[parent.pk] = children.get(parent.pk, 0) + 1
            path = f"{parent.path}{children[parent.pk]:04d}"
        units.append(Unit.objects.create(kind=UnitKind.CELL, code=f"P{index}", name=f"Đơn vị {index}", parent=parent,
                                         path=path, depth=len(path) // 4 - 1))
    campaign = bare_campaign(units[0], headline_step=headline)
    for unit, (_pick, people) in zip(units, spec):
        bulk_members(unit, len(people))
        members = Member.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)
        Participant.objects.bulk_create([
            Participant(campaign=campaign, member_id=member, unit=unit, eligible=p["eligible"], stage=p["stage"],
                        hold=p["hold"], joined_on=campaign.start, left_on=campaign.start if p["left"] else None)
            for member, p in zip(members, people)])
    return campaign, units


def _direct(campaign, unit):
    counted = Participant.objects.filter(campaign=campaign, eligible=True, left_on__isnull=True,
                                         unit__path__startswith=unit.path)
    headline = step_number(campaign.headline_step)
    return (counted.count(), tuple(counted.filter(stage__gte=k).count() for k in range(1, len(STEPS) + 1)),
            counted.filter(stage__gte=headline).count(),
            counted.filter(stage__lt=headline).exclude(hold="").count())


def _reported(figures):
    return figures.eligible, figures.done, figures.completed, figures.on_hold


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=tree, headline=st.sampled_from(STEPS))
def test_every_unit_equals_a_direct_count_of_its_subtree(db, spec, headline):
    admin = system_admin()
    try:
        with transaction.atomic():
            campaign, units = _build(spec, headline)
            whole = campaign_report_tree(admin, campaign)
            assert _reported(whole.figures) == _direct(campaign, units[0])
            assert len(whole.rows) == len(units) - 1
            for row in whole.rows:
                assert _reported(row.figures) == _direct(campaign, row.unit), row.unit.code
                assert row.figures.remaining == row.figures.eligible - row.figures.completed
            for unit in units:
                report = campaign_report(admin, campaign, unit)
                assert _reported(report.figures) == _direct(campaign, unit)
                assert {r.unit.pk: _reported(r.figures) for r in report.rows} == {
                    child.pk: _direct(campaign, child) for child in units if child.parent_id == unit.pk}
            raise Rollback
    except Rollback:
        pass
