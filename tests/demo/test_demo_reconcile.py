"""The population and reconciliation steps of `make demo`, as the Makefile calls them, at a small
size, twice over (a second `make demo` must work on the first one's database): the commands
succeed, the reconciliation pages have queues for the demo's officers, and the rerun leaves one
snapshot and one run."""

import re
import subprocess

import pytest

from tests.cli import cli_site

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
