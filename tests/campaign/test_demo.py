"""The demo province's campaign: its plan (campaign.demo_schedule, pure) and `dangvien demo-campaign`
after the rest of `make demo` at a small size."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from dangvien.accounts.models import User
from dangvien.campaign.demo_schedule import (
    CommunePlan,
    OpenDiscrepancy,
    Pace,
    Person,
    campaign_dates,
    discrepancies_to_accept,
    plan_communes,
    schedule,
)
from dangvien.campaign.models import STEPS, Campaign, HoldReason, Participant, Step, step_number
from dangvien.campaign.services import campaign_create
from dangvien.demo.generator import generate
from dangvien.notifications.models import Notification
from dangvien.notifications.services import notification_send
from dangvien.org.models import Unit
from tests.clock import TODAY

CONFIRMED, COMPARED = step_number(Step.CONFIRMED), step_number(Step.COMPARED)
START, DEADLINE = campaign_dates(TODAY)


def _communes(count: int) -> list[str]:
    return [f"GL-{25000 + 10 * i}" for i in range(count)]


def _people(plans: dict[str, CommunePlan], *, seed: int = 1) -> list[Person]:
    """60 to 250 members a commune in cells of 30, one in ten elderly; 4% blocked, except in the
    communes that are done (their officers corrected every discrepancy)."""
    rng = random.Random(seed)
    people, member = [], 0
    for n, (code, plan) in enumerate(plans.items()):
        for k in range(rng.randint(60, 250)):
            member += 1
            blocked = plan.pace is not Pace.DONE and rng.random() < 0.04
            people.append(Person(participant_id=10_000 + member, member_id=member, commune=code,
                                 cell=100 * n + k // 30, hard=rng.random() < 0.1, blocked=blocked))
    return people


@pytest.fixture(scope="module")
def plans() -> dict[str, CommunePlan]:
    return plan_communes(_communes(40), seed="2026", start=START, home="GL-25000", unlinked={"GL-25010"})


@pytest.fixture(scope="module")
def people(plans) -> list[Person]:
    return _people(plans)


@pytest.fixture(scope="module")
def planned(plans, people):
    return schedule(people, plans, seed="2026", today=TODAY)


def _rates(people, planned) -> dict[str, float]:
    stages, counted, confirmed = planned.stages(), Counter(), Counter()
    for p in people:
        counted[p.commune] += 1
        confirmed[p.commune] += stages[p.participant_id] >= CONFIRMED
    return {c: confirmed[c] / counted[c] for c in counted}


# --- dates and paces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "start", "deadline"), [
    (dt.date(2026, 11, 21), dt.date(2026, 9, 7), dt.date(2026, 12, 31)),  # a Saturday: its Monday ten weeks back
    (dt.date(2026, 11, 30), dt.date(2026, 9, 21), dt.date(2026, 12, 31)),  # a Monday
    (dt.date(2026, 12, 15), dt.date(2026, 10, 5), dt.date(2027, 1, 31)),  # three weeks ahead is in January
])
def test_the_campaign_began_ten_weeks_ago_on_a_monday_and_ends_with_a_month(today, start, deadline):
    assert campaign_dates(today) == (start, deadline)


def test_a_few_communes_are_done_three_lag_and_the_others_are_on_track(plans):
    paces = Counter(plan.pace for plan in plans.values())
    assert paces == {Pace.DONE: 2, Pace.LAGGING: 3, Pace.ON_TRACK: 35}  # 4% of 40 rounded, 3 from 30 communes


def test_the_logins_commune_keeps_its_discrepancies_and_a_commune_with_unlinked_members_is_not_done(plans):
    assert plans["GL-25000"].pace is Pace.ON_TRACK and plans["GL-25000"].keeps_discrepancies
    assert plans["GL-25010"].pace is not Pace.DONE
    assert sum(plan.keeps_discrepancies for plan in plans.values()) == 1


def test_a_small_demo_still_has_one_commune_done_and_one_lagging():
    plans = plan_communes(_communes(5), seed="7", start=START, home="GL-25000")
    assert Counter(plan.pace for plan in plans.values()) == {Pace.DONE: 1, Pace.LAGGING: 1, Pace.ON_TRACK: 3}


def test_lagging_communes_started_weeks_late():
    plans = plan_communes(_communes(135), seed="2026", start=START)
    lagging = [plan for plan in plans.values() if plan.pace is Pace.LAGGING]
    assert len(lagging) == 3
    assert all(plan.start >= START + dt.timedelta(weeks=3) for plan in lagging)
    assert all(plan.start == START for plan in plans.values() if plan.pace is Pace.DONE)


# --- the discrepancies corrected ----------------------------------------------------------------------


def test_done_communes_correct_everything_lagging_and_the_logins_commune_nothing():
    plans = {
        "A": CommunePlan("A", Pace.DONE, 1.0, START, 3),
        "B": CommunePlan("B", Pace.LAGGING, 0.4, START, 3),
        "H": CommunePlan("H", Pace.ON_TRACK, 0.9, START, 3, keeps_discrepancies=True),
    }
    open_ones = [OpenDiscrepancy("A", 1, "full_name", "typo"), OpenDiscrepancy("A", 2, "citizen_id", "missing"),
                 OpenDiscrepancy("A", 2, "full_name", "typo"), OpenDiscrepancy("B", 3, "full_name", "typo"),
                 OpenDiscrepancy("H", 4, "hometown", "merger_hometown")]
    accepted = discrepancies_to_accept(plans, open_ones, {"A": 10, "B": 10, "H": 10}, seed="1")
    assert accepted == [("A", "citizen_id", "missing"), ("A", "full_name", "typo")]


def test_a_commune_on_track_leaves_at_most_one_kind_open_and_only_a_small_one():
    plan = CommunePlan("C", Pace.ON_TRACK, 0.9, START, 3)  # 100 counted: 10 left to do, room for 5 blocked
    kinds = [("full_name", "typo", 3), ("citizen_id", "missing", 20), ("hometown", "merger_hometown", 4)]
    open_ones = [OpenDiscrepancy("C", 1000 * n + m, f, k) for n, (f, k, count) in enumerate(kinds)
                 for m in range(count)]
    left = Counter()
    for seed in range(30):
        accepted = discrepancies_to_accept({"C": plan}, open_ones, {"C": 100}, seed=str(seed))
        not_accepted = {(f, k) for f, k, _n in kinds} - {(f, k) for _c, f, k in accepted}
        assert len(not_accepted) <= 1
        left.update(not_accepted)
    assert ("citizen_id", "missing") not in left  # 20 members would not fit
    assert left[("full_name", "typo")] > 0 and left[("hometown", "merger_hometown")] > 0


# --- the members' steps ------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_campaign_and_another_seed_another(plans, people, planned):
    again = schedule(list(reversed(people)), plans, seed="2026", today=TODAY)  # the order read does not matter
    assert (sorted(again.steps), again.holds, again.care) == (sorted(planned.steps), planned.holds, planned.care)
    other = schedule(people, plans, seed="2027", today=TODAY)
    assert sorted(other.steps) != sorted(planned.steps)


def test_rates_differ_between_communes_as_their_paces_say(plans, people, planned):
    rates = _rates(people, planned)
    by_pace = defaultdict(list)
    for code, rate in rates.items():
        by_pace[plans[code].pace].append(rate)
    assert by_pace[Pace.DONE] == [1.0, 1.0]
    assert all(0.80 <= rate < 1 for rate in by_pace[Pace.ON_TRACK])  # 85-99%, less what is blocked or held
    assert sum(0.85 <= rate <= 0.99 for rate in by_pace[Pace.ON_TRACK]) >= 0.8 * len(by_pace[Pace.ON_TRACK])
    assert len({round(rate, 2) for rate in by_pace[Pace.ON_TRACK]}) >= 10  # spread over the range
    assert max(by_pace[Pace.ON_TRACK]) - min(by_pace[Pace.ON_TRACK]) > 0.1
    assert all(0.25 <= rate <= 0.45 for rate in by_pace[Pace.LAGGING])


def test_lagging_communes_are_well_behind_the_pace_the_deadline_needs(plans, people, planned):
    rates = _rates(people, planned)
    needed = (TODAY - START).days / (DEADLINE - START).days  # the share a steady pace reaches by today
    lagging = [code for code, plan in plans.items() if plan.pace is Pace.LAGGING]
    assert len(lagging) == 3
    assert all(rates[code] < needed - 0.1 for code in lagging)
    # At the rate of their last two weeks they would not finish by the deadline either.
    recent = Counter(plans_code for plans_code in _confirmed_since(people, planned, TODAY - dt.timedelta(days=14)))
    counted = Counter(p.commune for p in people)
    for code in lagging:
        remaining = counted[code] * (1 - rates[code])
        assert recent[code] / 14 * (DEADLINE - TODAY).days < remaining


def _confirmed_since(people, planned, since: dt.date) -> list[str]:
    commune = {p.participant_id: p.commune for p in people}
    return [commune[pid] for pid, step, day in planned.steps if step == Step.CONFIRMED and day > since]


def test_steps_come_in_order_dated_within_the_campaign_and_never_after_today(plans, people, planned):
    steps = defaultdict(list)
    for pid, step, day in planned.steps:
        steps[pid].append((step, day))
    start_of = {p.participant_id: plans[p.commune].start for p in people}
    for pid, done in steps.items():
        assert [step for step, _day in done] == list(STEPS[:len(done)])
        days = [day for _step, day in done]
        assert days == sorted(days)
        assert start_of[pid] <= days[0] and days[-1] <= TODAY


def test_blocked_members_never_reach_the_comparison_and_most_stop_after_the_photo(people, planned):
    stages = planned.stages()
    blocked = [p.participant_id for p in people if p.blocked]
    assert blocked and all(stages[pid] < COMPARED for pid in blocked)
    assert sum(stages[pid] == COMPARED - 1 for pid in blocked) > len(blocked) / 2


def test_early_communes_went_on_to_send_produce_and_hand_over(plans, people, planned):
    done_people = {p.participant_id for p in people if plans[p.commune].pace is Pace.DONE}
    later = Counter(step for pid, step, _day in planned.steps if pid in done_people)
    assert later[Step.SENT] == later[Step.CONFIRMED] == len(done_people)
    assert 0 < later[Step.HANDED_OVER] < later[Step.PRODUCED] <= later[Step.SENT]


def test_progress_grows_every_week_with_quiet_weekends(planned):
    confirmed = Counter(day for _pid, step, day in planned.steps if step == Step.CONFIRMED)
    weekdays = [n for day, n in confirmed.items() if day.weekday() < 5]
    sundays = [n for day, n in confirmed.items() if day.weekday() == 6]
    assert max(sundays) < sum(weekdays) / len(weekdays) / 2
    weeks = Counter((day - START).days // 7 for day in confirmed.elements())
    assert len(weeks) >= 9  # a curve over the ten weeks, not a jump


def test_some_members_cannot_complete_now_and_some_need_a_home_visit(plans, people, planned):
    stages = planned.stages()
    assert len(planned.holds) > 5 and len(planned.care) > 5
    assert {hold.reason for hold in planned.holds.values()} <= set(HoldReason.values)
    assert all(hold.note for hold in planned.holds.values())
    assert all(stages[pid] <= 1 for pid in planned.holds)  # held before the photo
    done_people = {p.participant_id for p in people if plans[p.commune].pace is Pace.DONE}
    assert not done_people & planned.holds.keys()


def test_elderly_members_come_late(people, planned):
    stages = planned.stages()

    def share_confirmed(group):
        return sum(stages[p.participant_id] >= CONFIRMED for p in group) / len(group)
    elderly = [p for p in people if p.hard and not p.blocked]
    others = [p for p in people if not p.hard and not p.blocked]
    assert share_confirmed(elderly) < share_confirmed(others) - 0.05


# --- a new demo province ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_demo_province_drops_the_old_campaign_and_the_notices_about_its_units():
    generate(members=200, seed=5, reset=True)
    tinh, province = User.objects.get(username="tinh"), Unit.objects.get(code="GL")
    campaign_create(actor=tinh, unit=province, name="Đổi thẻ", start=START, deadline=DEADLINE)
    notification_send(actor=tinh, recipients=[tinh], topic="campaign.urge", title="Chậm tiến độ", unit=province,
                      link="/campaigns/1/", email=False)
    notification_send(actor=None, recipients=[tinh], topic="system", title="Bảo trì hệ thống", email=False)
    generate(members=200, seed=5, reset=True)
    assert not Campaign.objects.exists() and not Participant.objects.exists()
    assert list(Notification.objects.values_list("title", flat=True)) == ["Bảo trì hệ thống"]
