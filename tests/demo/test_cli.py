"""The real command line, end to end, on the database the suite runs on (tests/cli.py):
`dangvien demo-data` builds a province and `dangvien audit verify` passes on it, then names the
exact row changed by hand in the database."""

import pytest

from tests.cli import cli_site


@pytest.fixture(scope="module")
def demo_site(django_db_setup, tmp_path_factory):
    with cli_site(tmp_path_factory.mktemp("demo-var"), "cli") as site:
        assert site.run("migrate", "-v0").returncode == 0
        built = site.run("demo-data", "--members", "400", "--seed", "7")
        assert built.returncode == 0, built.stderr
        for login in ("tinh", "xa", "bithu", "canbothe", "dangvien"):
            assert login in built.stdout
        # A few audited writes on top of the generated province, through the real services.
        script = (
            "import datetime as dt\n"
            "from dangvien.accounts.models import User\n"
            "from dangvien.members.models import Member, Status\n"
            "from dangvien.members.services import member_correct\n"
            "xa = User.objects.get(username='xa')\n"
            "from dangvien.members.selectors import members_visible_to\n"
            "for m in members_visible_to(xa).filter(status=Status.OFFICIAL)[:3]:\n"
            "    member_correct(actor=xa, member=m, expected_version=m.version, changes={'phone': '0912345678'})\n"
        )
        shell = site.run("shell", "-c", script)
        assert shell.returncode == 0, shell.stderr
        yield site


def test_audit_verify_passes_on_the_demo_database(demo_site):
    result = demo_site.run("audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "4 rows verified" in result.stdout


def test_audit_verify_names_the_row_changed_by_hand(demo_site, tmp_path):
    # On a copy, so the other test sees the database intact whatever order they run in.
    with cli_site(tmp_path / "var", "cli_copy", copy_of=demo_site) as copy:
        after = "after::text" if copy.on_postgresql else "after"  # jsonb on PostgreSQL, text on SQLite
        cast = "::jsonb" if copy.on_postgresql else ""
        copy.execute(f"UPDATE core_auditentry SET after = replace({after}, '0912345678', '0987654321'){cast} "
                     "WHERE seq = 3")
        result = copy.run("audit", "verify")
    assert result.returncode != 0
    assert "seq=3" in result.stderr and "altered" in result.stderr
