"""The real command line, end to end, on a SQLite file: `dangvien demo-data` builds a province and
`dangvien audit verify` passes on it, then names the exact row changed by hand in the database."""

import os
import sqlite3
import subprocess
import sys

import pytest


def _dangvien(var_dir, *args):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DANGVIEN_VAR"] = str(var_dir)
    return subprocess.run([sys.executable, "-m", "dangvien", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("demo-var")
    assert _dangvien(var_dir, "migrate", "-v0").returncode == 0
    built = _dangvien(var_dir, "demo-data", "--members", "400", "--seed", "7")
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
    shell = _dangvien(var_dir, "shell", "-c", script)
    assert shell.returncode == 0, shell.stderr
    return var_dir


def test_audit_verify_passes_on_the_demo_database(demo_var):
    result = _dangvien(demo_var, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "4 rows verified" in result.stdout


def test_audit_verify_names_the_row_changed_by_hand(demo_var, tmp_path):
    # On a copy, so the other test sees the database intact whatever order they run in.
    source, copy = sqlite3.connect(demo_var / "dangvien.sqlite3"), sqlite3.connect(tmp_path / "dangvien.sqlite3")
    source.backup(copy)
    source.close()
    for name in ("secret_key", "audit_keys.json"):  # the audit rows' keys live in var/, not in the database
        (tmp_path / name).write_text((demo_var / name).read_text())
    with copy:
        copy.execute("UPDATE core_auditentry SET after = replace(after, '0912345678', '0987654321') WHERE seq = 3")
    copy.close()
    result = _dangvien(tmp_path, "audit", "verify")
    assert result.returncode != 0
    assert "seq=3" in result.stderr and "altered" in result.stderr
