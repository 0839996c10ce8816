"""The demo province's campaign: its plan (campaign.demo_schedule, pure) and `dangvien demo-campaign`
after the rest of `make demo` at a small size."""

from __future__ import annotations

import datetime as dt
import random
import re
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
from tests.cli import cli_site
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


# --- `dangvien demo-campaign` after the rest of `make demo` --------------------------------------------

MEMBERS = 300

# Participants past the comparison whose member the reconciliation has not cleared (not linked, or a
# discrepancy open): campaign.blocking.comparison_blockers in SQL.
PAST_A_BLOCK = """
SELECT count(*) FROM campaign_participant p WHERE p.stage {op} {compared} AND p.eligible AND (
  NOT EXISTS (SELECT 1 FROM reconcile_match m WHERE m.member_id = p.member_id AND m.current
              AND m.so_dinh_danh IS NOT NULL)
  OR EXISTS (SELECT 1 FROM reconcile_discrepancy d JOIN reconcile_match m ON m.id = d.match_id
             WHERE d.member_id = p.member_id AND m.current AND d.state = 'open'))
"""
ORDER = "CASE {t}.step " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STEPS)) + " END"
OUT_OF_ORDER = f"""
SELECT count(*) FROM campaign_steprecord a JOIN campaign_steprecord b ON a.participant_id = b.participant_id
WHERE {ORDER.format(t='a')} < {ORDER.format(t='b')} AND a.day > b.day
"""


@pytest.fixture(scope="module")
def demo_site(django_db_setup, tmp_path_factory):
    with cli_site(tmp_path_factory.mktemp("demo-campaign-var"), "campaign") as site:
        extract = site.var_dir / "demo-extract.parquet"
        for step in [("migrate", "-v0"), ("collectstatic", "--noinput", "-v0"), ("demo-data", "--reset", "--members", str(MEMBERS), "--seed", "7"),
                     ("population", "generate", "--members-from", "GL", "-o", str(extract), "--truth",
                      str(site.var_dir / "truth.csv"), "--apply-noise", "--citizens", str(2 * MEMBERS),
                      "--noise-seed", "7"),
                     ("population", "import", str(extract), "--snapshot", "demo", "--no-progress"),
                     ("reconcile", "--unit", "GL", "--snapshot", "demo")]:
            result = site.run(*step)
            assert result.returncode == 0, (step, result.stderr[-2000:])
        first = site.run("demo-campaign", "--seed", "7")
        assert first.returncode == 0, first.stderr[-2000:]
        fieldwork = site.run("demo-fieldwork", "--seed", "7")
        assert fieldwork.returncode == 0, fieldwork.stderr[-2000:]
        yield site, first.stdout


def _confirmed(output: str) -> tuple[int, int]:
    found = re.search(r"([\d,]+)/([\d,]+) members confirmed", output)
    assert found, output
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_the_demo_campaign_runs_after_the_reconciliation(demo_site):
    site, output = demo_site
    confirmed, counted = _confirmed(output)
    assert counted == site.scalar("SELECT count(*) FROM campaign_participant WHERE eligible AND left_on IS NULL")
    assert 0.6 * counted < confirmed < counted
    assert re.search(r"Done: .+\.\nOn track: .+\.\nLagging: Đảng bộ .+\.", output), output
    assert site.scalar("SELECT count(*) FROM campaign_campaign") == 1
    assert site.scalar(f"SELECT count(*) FROM campaign_participant WHERE stage >= {CONFIRMED}") == confirmed


def test_the_demo_campaign_keeps_the_pipeline_rules(demo_site):
    site, _output = demo_site
    assert site.scalar(OUT_OF_ORDER) == 0
    assert site.scalar(f"SELECT count(*) FROM campaign_steprecord WHERE day > '{TODAY.isoformat()}'") == 0
    # Each participant has a record for every step it has done, and none for the others.
    assert site.scalar("""SELECT count(*) FROM campaign_participant p WHERE p.stage <>
                          (SELECT count(*) FROM campaign_steprecord r WHERE r.participant_id = p.id)""") == 0
    assert dt.date.fromisoformat(str(site.scalar("SELECT min(day) FROM campaign_steprecord"))) >= START


def test_members_the_reconciliation_left_unresolved_stop_before_the_comparison(demo_site):
    site, _output = demo_site
    assert site.scalar(PAST_A_BLOCK.format(op=">=", compared=COMPARED)) == 0
    assert site.scalar(PAST_A_BLOCK.format(op="=", compared=COMPARED - 1)) > 0  # waiting at the comparison


def test_the_logins_record_their_own_steps(demo_site):
    site, _output = demo_site
    def steps_by(username: str) -> set[str]:
        found = site.scalar(
            "SELECT string_agg(DISTINCT step, ',') FROM campaign_steprecord r JOIN accounts_user u ON "
            f"u.id = r.recorded_by_id WHERE u.username = '{username}'" if site.on_postgresql else
            "SELECT group_concat(DISTINCT step) FROM campaign_steprecord r JOIN accounts_user u ON "
            f"u.id = r.recorded_by_id WHERE u.username = '{username}'")
        return set(found.split(",")) if found else set()

    # The police working group's card officer in its commune, the secretary in the cell, the province the rest.
    police = {Step.DECLARED, Step.PHOTOGRAPHED, Step.COMPARED}
    assert police | {Step.CONFIRMED} <= steps_by("canbothe") <= police | {Step.CONFIRMED, Step.HANDED_OVER}
    assert steps_by("bithu") >= {Step.CONFIRMED}
    assert steps_by("bithu") <= {Step.CONFIRMED, Step.HANDED_OVER}
    assert {Step.SENT, Step.PRODUCED, Step.DECLARED} <= steps_by("tinh")
    assert steps_by("xa") == steps_by("dangvien") == set()


def test_the_field_work_has_groups_tasks_visits_and_difficulties(demo_site):
    site, _output = demo_site
    communes = site.scalar("SELECT count(DISTINCT substr(u.path, 1, 8)) FROM campaign_participant p "
                           "JOIN org_unit u ON u.id = p.unit_id")
    assert site.scalar("SELECT count(*) FROM fieldwork_workinggroup WHERE kind = 'commune'") == communes
    assert site.scalar("SELECT count(*) FROM fieldwork_workinggroup WHERE kind = 'province'") == 1
    # The provincial group took on the three communes furthest behind, each with a task.
    assert site.scalar("SELECT count(*) FROM fieldwork_groupunit a JOIN fieldwork_workinggroup g ON g.id = a.group_id "
                       "WHERE g.kind = 'province'") == 3
    people = site.scalar("SELECT count(*) FROM fieldwork_groupperson p JOIN accounts_user u ON u.id = p.user_id "
                         "WHERE u.username IN ('xa', 'canbothe', 'bithu')")
    assert people == 3
    assert site.scalar("SELECT count(*) FROM fieldwork_task WHERE status = 'done'") == 2
    assert site.scalar("SELECT count(*) FROM fieldwork_task WHERE status = 'open'") >= 5
    today = TODAY.isoformat()
    assert site.scalar(f"SELECT count(*) FROM fieldwork_homevisit WHERE visited_on <= '{today}'") > 0
    assert site.scalar(f"SELECT count(*) FROM fieldwork_homevisit WHERE visited_on > '{today}'") == 0
    assert site.scalar(f"SELECT count(*) FROM fieldwork_homevisit WHERE visited_on IS NULL "
                       f"AND planned_on >= '{today}'") > 0
    assert site.scalar("SELECT count(*) FROM fieldwork_difficulty") == 2
    assert site.scalar("SELECT count(*) FROM fieldwork_difficulty WHERE status = 'answered'") == 1
    # The province was told of both difficulties, the commune of the answer.
    for login, notices in (("tinh", 2), ("xa", 1)):
        assert site.scalar("SELECT count(*) FROM notifications_notification n JOIN accounts_user u ON "
                           f"u.id = n.recipient_id WHERE u.username = '{login}'") == notices


# The campaign pages the demo's echo lines name, for each login.
PAGES_SCRIPT = """
from django.test import Client
from dangvien.accounts.models import User
from dangvien.campaign.models import Campaign
campaign = Campaign.objects.get().pk
pages = ["/campaigns/", f"/campaigns/{campaign}/", f"/campaigns/{campaign}/members/", f"/campaigns/{campaign}/groups/",
         f"/campaigns/{campaign}/visits/", f"/campaigns/{campaign}/difficulties/"]
for login in ("tinh", "xa", "canbothe", "bithu", "dangvien"):
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=login))
    print(login, *[client.get(url).status_code for url in pages])
"""


def test_the_logins_named_by_the_demo_reach_the_campaign_pages(demo_site):
    site, _output = demo_site
    result = site.run("shell", "-c", PAGES_SCRIPT)
    assert result.returncode == 0, result.stderr[-2000:]
    codes = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if len(line.split()) == 7}
    for login in ("tinh", "xa", "canbothe", "bithu"):
        assert codes[login] == ["200"] * 6, codes
    assert codes["dangvien"] == ["403"] + ["404"] * 5, codes


def test_a_second_run_refuses_then_replaces_the_campaign_with_the_same_figures(demo_site):
    site, output = demo_site
    again = site.run("demo-campaign", "--seed", "7")
    assert again.returncode != 0 and "--replace" in again.stderr
    assert site.run("demo-fieldwork", "--seed", "7").returncode != 0  # the groups exist
    replaced = site.run("demo-campaign", "--seed", "7", "--replace")
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    assert _confirmed(replaced.stdout) == _confirmed(output)
    assert site.scalar("SELECT count(*) FROM campaign_campaign") == 1
    assert site.scalar("SELECT count(*) FROM fieldwork_workinggroup") == 0  # went with the old campaign
    assert site.run("demo-fieldwork", "--seed", "7").returncode == 0
