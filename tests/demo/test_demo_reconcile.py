"""The steps of `make demo` after the demo data, as the Makefile calls them, at a small size: the
population extract and the reconciliation twice over (a second `make demo` must work on the first
one's database): the commands succeed, the reconciliation pages have queues for the demo's
officers, and the rerun leaves one snapshot and one run; then the card campaign and its field work
on the second run's database; last, `dangvien audit verify` passes on the whole and names a row changed
by hand. One module, so the slow steps run once (`xdist_group`: one worker)."""

import datetime as dt
import re
import subprocess

import pytest

from dangvien.campaign.demo_schedule import campaign_dates
from dangvien.campaign.models import STEPS, Step, step_number
from tests.cli import CliSite, cli_site
from tests.clock import TODAY

CONFIRMED, COMPARED = step_number(Step.CONFIRMED), step_number(Step.COMPARED)
START, DEADLINE = campaign_dates(TODAY)

# Every test here on one worker: the module-scoped sites are built once (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo-site")

MEMBERS = 300

# The officers the demo names for the reconciliation pages; a cell secretary and a member have no access.
PAGES_SCRIPT = """
from django.test import Client
from dangvien.accounts.models import User
for login in ("tinh", "xa", "canbothe", "bithu", "dangvien"):
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=login))
    codes = [client.get(url).status_code for url in ("/reconcile/", "/reconcile/review/", "/reconcile/discrepancies/")]
    print(login, *codes)
"""


def _demo_steps(site, tmp_path) -> list[subprocess.CompletedProcess[str]]:
    """demo-data --reset, then the Makefile's generate, import --replace and reconcile."""
    extract = site.var_dir / "demo-extract.parquet"
    steps = [
        ("demo-data", "--reset", "--members", str(MEMBERS), "--seed", "7"),
        ("population", "generate", "--members-from", "GL", "-o", str(extract), "--truth",
         str(tmp_path / "truth.csv"), "--apply-noise", "--citizens", str(2 * MEMBERS), "--noise-seed", "7"),
        ("population", "import", str(extract), "--snapshot", "demo", "--replace", "--no-progress"),
        ("reconcile", "--unit", "GL", "--snapshot", "demo"),
    ]
    results = []
    for step in steps:
        result = site.run(*step)
        assert result.returncode == 0, (step, result.stderr[-2000:])
        results.append(result)
    return results


@pytest.fixture(scope="module")
def demo_twice(django_db_setup, tmp_path_factory):
    with cli_site(tmp_path_factory.mktemp("demo-recon-var"), "recon") as site:
        assert site.run("migrate", "-v0").returncode == 0
        assert site.run("collectstatic", "--noinput", "-v0").returncode == 0  # the pages need it, as in make demo
        first = _demo_steps(site, tmp_path_factory.mktemp("first"))
        pages = site.run("shell", "-c", PAGES_SCRIPT)
        assert pages.returncode == 0, pages.stderr
        second = _demo_steps(site, tmp_path_factory.mktemp("second"))
        yield site, first, second, pages.stdout


def _counts(reconciled: str) -> dict[str, int]:
    found = re.search(r"(\d+) members against demo .*: (\d+) exact, (\d+) matched automatically, (\d+) to review, "
                      r"(\d+) not found; (\d+) discrepancies", reconciled)
    assert found, reconciled
    return dict(zip(("members", "exact", "auto", "review", "none", "discrepancies"), map(int, found.groups()),
                    strict=True))


def test_the_demo_reconciliation_has_something_for_each_page(demo_twice):
    _site, first, _second, _pages = demo_twice
    counts = _counts(first[3].stdout)
    assert counts["members"] > 0.9 * MEMBERS  # members on the roll (the deceased, expelled... are not)
    assert counts["exact"] > counts["members"] / 2
    assert counts["discrepancies"] > 0 and counts["none"] > 0  # noise was applied, a few members left out
    assert "rows loaded, 0 rejected" in first[2].stdout


def test_the_officers_named_by_the_demo_reach_the_reconciliation_pages(demo_twice):
    *_rest, pages = demo_twice
    logins = ("tinh", "xa", "canbothe", "bithu", "dangvien")
    codes = {line.split()[0]: line.split()[1:] for line in pages.splitlines() if line.split()[:1] in ([n] for n in logins)}
    for officer in ("tinh", "xa", "canbothe"):
        assert codes[officer] == ["200", "200", "200"], codes
    for outsider in ("bithu", "dangvien"):
        assert codes[outsider] == ["403", "403", "403"], codes


def test_a_second_demo_run_replaces_the_first_ones_results(demo_twice):
    site, first, second, _pages = demo_twice
    assert "dropped" in second[2].stdout or "kept" in second[2].stdout, second[2].stdout
    assert site.scalar("SELECT count(*) FROM population_snapshot") == 1
    assert site.scalar("SELECT count(*) FROM reconcile_run") == 1
    # The same members and noise again: the same results.
    assert _counts(second[3].stdout) == _counts(first[3].stdout)
    runs_of_old_members = site.scalar(
        "SELECT count(*) FROM reconcile_match m LEFT JOIN members_member x ON x.id = m.member_id WHERE x.id IS NULL")
    assert runs_of_old_members == 0


# --- `dangvien demo-campaign` after the rest of `make demo` --------------------------------------------

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
def demo_site(demo_twice):
    """The rest of `make demo` on the second run's database: the campaign and its field work."""
    site = demo_twice[0]
    first = site.run("demo-campaign", "--seed", "7")
    assert first.returncode == 0, first.stderr[-2000:]
    fieldwork = site.run("demo-fieldwork", "--seed", "7")
    assert fieldwork.returncode == 0, fieldwork.stderr[-2000:]
    return site, first.stdout


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
CAMPAIGN_PAGES_SCRIPT = """
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
    result = site.run("shell", "-c", CAMPAIGN_PAGES_SCRIPT)
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


# --- `dangvien audit verify` on the database `make demo` left ----------------------------------------


def test_audit_verify_passes_on_the_demo_database(demo_site):
    site, _output = demo_site
    result = site.run("audit", "verify")
    assert result.returncode == 0, result.stderr
    rows = site.scalar("SELECT count(*) FROM core_auditentry")
    assert rows > MEMBERS  # the members' registrations at least
    assert f"{rows:,} rows verified" in result.stdout


def test_audit_verify_names_the_row_changed_by_hand(demo_site, tmp_path):
    """As an attacker with write access to the database would: another actor on an audit row."""
    site, _output = demo_site
    # On a copy, so the other tests see the database intact whatever order they run in.
    with cli_site(tmp_path / "var", "audit_copy", copy_of=site) as copy:
        seq = _third_row(copy)
        copy.execute(f"UPDATE core_auditentry SET actor_username = 'someone-else' WHERE seq = {seq}")
        result = copy.run("audit", "verify")
    assert result.returncode != 0
    assert f"seq={seq}" in result.stderr and "altered" in result.stderr


def _third_row(site: CliSite) -> int:
    return site.scalar("SELECT seq FROM core_auditentry ORDER BY seq LIMIT 1 OFFSET 2")
