"""A unit's progress report: figures by hand over the test tree, scope, ranking, the pace, daily
progress, and the number of queries (docs/campaign-reports.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangvien.campaign.formatting import format_share, percent
from dangvien.campaign.models import Participant, StepRecord
from dangvien.campaign.reports import campaign_progress, campaign_report, campaign_report_tree, planned_share
from dangvien.campaign.selectors import campaign_unit_for
from dangvien.core.errors import NotFound
from tests.campaign.fixtures import bare_campaign, bulk_members, bulk_participants

pytestmark = pytest.mark.django_db
D = dt.date


def _in(campaign, unit):
    return list(Participant.objects.filter(campaign=campaign, unit=unit).order_by("member_id"))


@pytest.fixture
def campaign(world):
    """cell_a1: 3 handed over (one marked on hold: completed, so not counted on hold), 2 confirmed,
    1 compared, 3 not started (one on hold) and one who left; cell_a2: 3 at step 5, 1 at step 1;
    cell_b1: 1 confirmed, 3 at step 2 and one no longer eligible."""
    campaign = bare_campaign(world.province)
    bulk_members(world.cell_a1, 10)
    bulk_participants(campaign, world.cell_a1, stages=[(3, 7), (2, 4), (1, 3), (4, 0)])
    bulk_members(world.cell_a2, 4)
    bulk_participants(campaign, world.cell_a2, stages=[(3, 5), (1, 1)])
    bulk_members(world.cell_b1, 5)
    bulk_participants(campaign, world.cell_b1, stages=[(1, 4), (4, 2)])
    a1 = _in(campaign, world.cell_a1)
    Participant.objects.filter(pk=a1[9].pk).update(left_on=D(2026, 11, 2), departure="deceased")
    Participant.objects.filter(pk=a1[8].pk).update(hold="abroad")
    Participant.objects.filter(pk=a1[0].pk).update(hold="hospital")
    Participant.objects.filter(pk=_in(campaign, world.cell_b1)[4].pk).update(eligible=False, exclusion="status")
    return campaign


def _figures(f):
    return (f.eligible, f.done, f.completed, f.remaining, f.on_hold, f.share("en"))


def test_figures_of_a_unit_and_its_children(world, campaign):
    report = campaign_report(world.province_officer, campaign)
    assert report.unit == world.province
    assert _figures(report.figures) == (17, (14, 13, 10, 9, 6, 3, 3), 9, 8, 1, "9/17 = 52.94%")
    assert [(r.unit.code, r.rank, r.behind, _figures(r.figures)) for r in report.rows] == [
        ("GL-A", 1, False, (13, (10, 9, 9, 8, 6, 3, 3), 8, 5, 1, "8/13 = 61.54%")),
        ("GL-B", 2, True, (4, (4, 4, 1, 1, 0, 0, 0), 1, 3, 0, "1/4 = 25%")),
    ]
    # 21/11 is day 52 of 92: the plan asks for 56.52%; 9/17 is below it.
    assert (report.planned, report.behind) == (Decimal("56.52"), True)


def test_a_cell_below_the_line_by_a_hair_is_behind(world, campaign):
    report = campaign_report(world.province_officer, campaign, world.org_a)
    assert [(r.unit.code, r.rank, r.behind, _figures(r.figures)) for r in report.rows] == [
        ("GL-A-01-02", 1, False, (4, (4, 3, 3, 3, 3, 0, 0), 3, 1, 0, "3/4 = 75%")),
        # 5/9 = 55.56% against 56.52% planned.
        ("GL-A-01-01", 2, True, (9, (6, 6, 6, 5, 3, 3, 3), 5, 4, 1, "5/9 = 55.56%")),
    ]


def test_the_headline_step_decides_what_completed_means(world, campaign):
    campaign.headline_step = "handed_over"
    report = campaign_report(world.province_officer, campaign)
    assert (report.figures.completed, report.figures.on_hold, report.figures.share("vi")) == (3, 1, "3/17 = 17,65%")


def test_the_whole_tree_in_tree_order(world, campaign):
    report = campaign_report_tree(world.province_officer, campaign)
    assert [(r.unit.code, r.level, r.rank, r.figures.completed, r.figures.eligible) for r in report.rows] == [
        ("GL-A", 1, 1, 8, 13), ("GL-A-01", 2, 1, 8, 13), ("GL-A-01-01", 3, 2, 5, 9), ("GL-A-01-02", 3, 1, 3, 4),
        ("GL-B", 1, 2, 1, 4), ("GL-B-01", 2, 1, 1, 4)]
    assert report.figures.completed == 9


def test_an_officer_sees_only_their_subtree(world, campaign):
    unit = campaign_unit_for(world.officer_a, campaign)  # the top of their part of the campaign
    assert unit == world.commune_a
    report = campaign_report(world.officer_a, campaign, unit)
    assert _figures(report.figures)[:3] == (13, (10, 9, 9, 8, 6, 3, 3), 8)
    with pytest.raises(NotFound):
        campaign_unit_for(world.officer_a, campaign, "GL")
    with pytest.raises(NotFound):
        campaign_unit_for(world.officer_a, campaign, "GL-B")
    assert campaign_unit_for(world.secretary_a1, campaign) == world.cell_a1
    with pytest.raises(NotFound):
        campaign_unit_for(world.member_user_a1, campaign)


def test_a_report_is_two_queries_whatever_the_depth(world, campaign, django_assert_num_queries):
    actor = world.province_officer
    campaign_report(actor, campaign)  # loads the actor's grants once
    for unit in (world.province, world.commune_a, world.org_a, world.cell_a1):
        with django_assert_num_queries(2):  # the GROUP BY (by the children's paths, in the database), the children
            campaign_report(actor, campaign, unit)
    with django_assert_num_queries(2):  # the units shown (their paths), the GROUP BY
        campaign_report_tree(actor, campaign)


def _record(participants, days, step="confirmed"):
    StepRecord.objects.bulk_create([StepRecord(participant=p, step=step, day=day) for p, day in zip(participants, days, strict=True)])


def test_daily_progress_projection_and_the_pace_needed(world, campaign):
    _record(_in(campaign, world.cell_a1)[:5], [D(2026, 10, 5), D(2026, 10, 20), D(2026, 10, 20), D(2026, 11, 10),
                                               D(2026, 11, 15)])
    _record(_in(campaign, world.cell_a2)[:3], [D(2026, 11, 12), D(2026, 11, 18), D(2026, 11, 21)])
    _record(_in(campaign, world.cell_b1)[:1], [D(2026, 11, 20)])
    _record(_in(campaign, world.cell_b1)[1:3], [D(2026, 11, 19)] * 2, step="photographed")  # not the headline
    progress = campaign_progress(world.province_officer, campaign, eligible=17)
    days = dict(progress.cumulative)
    assert (len(progress.cumulative), progress.cumulative[0], progress.cumulative[-1]) == (
        52, (D(2026, 10, 1), 0), (D(2026, 11, 21), 9))
    assert (days[D(2026, 10, 4)], days[D(2026, 10, 5)], days[D(2026, 10, 20)], days[D(2026, 11, 19)]) == (0, 1, 3, 7)
    # The last 14 days (8/11 to 21/11) hold 6 completions: 0.4 a day; 8 remaining take 19 days.
    assert (progress.rate, progress.projected, progress.needed, progress.on_pace) == (
        Decimal("0.4"), D(2026, 12, 10), Decimal("0.2"), True)
    commune_b = campaign_progress(world.officer_b, campaign, world.commune_b, eligible=4)
    # One completion in 14 days: 3 remaining take 42 days, past the deadline (40 days away).
    assert (commune_b.completed, commune_b.projected, commune_b.on_pace) == (1, D(2027, 1, 2), False)
    assert campaign_progress(world.officer_a, campaign, world.commune_a, eligible=13).completed == 8


def test_no_recent_completion_no_projection(world, campaign):
    progress = campaign_progress(world.province_officer, campaign, eligible=17)
    assert (progress.completed, progress.rate, progress.projected, progress.on_pace) == (0, Decimal(0), None, False)


def test_the_planned_line():
    from dangvien.campaign.models import Campaign

    campaign = Campaign(start=D(2026, 10, 1), deadline=D(2026, 12, 31))
    assert [planned_share(campaign, day) for day in (D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 21),
                                                     D(2026, 12, 31), D(2027, 1, 5))] == [
        Decimal("0.00"), Decimal("1.09"), Decimal("56.52"), Decimal("100.00"), Decimal("100.00")]


@pytest.mark.parametrize(("done", "total", "precision", "vi", "en"), [
    (138263, 141794, 2, "138.263/141.794 = 97,51%", "138,263/141,794 = 97.51%"),
    (617, 646, 1, "617/646 = 95,5%", "617/646 = 95.5%"),
    (617, 646, 0, "617/646 = 96%", "617/646 = 96%"),
    (1718, 1718, 3, "1.718/1.718 = 100%", "1,718/1,718 = 100%"),
    (1, 8, 2, "1/8 = 12,5%", "1/8 = 12.5%"),  # 12.5 exactly: no zero added
    (1, 8, 0, "1/8 = 13%", "1/8 = 13%"),  # a tie rounds half up, not to even
    (5, 8, 0, "5/8 = 63%", "5/8 = 63%"),
    (1, 3, 3, "1/3 = 33,333%", "1/3 = 33.333%"),
    (0, 0, 2, "0/0 = —", "0/0 = —"),
    (1234567, 2000000, 2, "1.234.567/2.000.000 = 61,73%", "1,234,567/2,000,000 = 61.73%"),
])
def test_shares_per_language(done, total, precision, vi, en):
    assert (format_share(done, total, precision, "vi"), format_share(done, total, precision, "en")) == (vi, en)


def test_precision_out_of_range_is_refused(world):
    with pytest.raises(ValueError):
        percent(1, 2, 4)
    from dangvien.campaign.services import campaign_create  # the campaign refuses it too

    with pytest.raises(ValidationError) as error:
        campaign_create(actor=world.province_officer, unit=world.province, name="X", start=D(2026, 1, 1),
                        deadline=D(2026, 1, 2), precision=4)
    assert set(error.value.message_dict) == {"precision"}
