"""A process killed in the middle of an import leaves the database as it was before: the import
applies in one transaction, so the kill can only roll it back. Real processes, a real SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

MEMBERS = 12_000  # more than two apply batches (imports.services.BATCH = 5000)


def _env(var_dir):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DANGVIEN_VAR"] = str(var_dir)
    return env


def _run(var_dir, *args):
    result = subprocess.run([sys.executable, "-m", "dangvien", *args], env=_env(var_dir),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def _count(var_dir, sql):
    db = sqlite3.connect(var_dir / "dangvien.sqlite3")
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def emptied_province(tmp_path):
    """A demo province exported to CSV, then emptied of members: the file's rows are all new."""
    _run(tmp_path, "migrate", "-v0")
    _run(tmp_path, "demo-data", "--members", str(MEMBERS), "--seed", "3")
    csv = tmp_path / "province.csv"
    _run(tmp_path, "export-members", "--unit", "GL", "-o", str(csv))
    _run(tmp_path, "shell", "-c",
         "from django.db import connection\n"
         "from dangvien.accounts.models import User\n"
         "User.objects.update(member=None)\n"
         "with connection.cursor() as c:\n"
         "    c.execute('DELETE FROM members_memberevent'); c.execute('DELETE FROM members_member')\n")
    return tmp_path, csv


def test_import_killed_mid_apply_leaves_the_database_as_before(emptied_province):
    var_dir, csv = emptied_province
    audit_before = _count(var_dir, "SELECT count(*) FROM core_auditentry WHERE action != 'import.plan'")
    assert _count(var_dir, "SELECT count(*) FROM members_member") == 0

    process = subprocess.Popen([sys.executable, "-m", "dangvien", "import-members", str(csv), "--unit", "GL"],
                               env=_env(var_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The progress bar goes to stderr after each batch written inside the transaction: kill the
    # process as soon as the first batch is reported.
    seen = b""
    deadline = time.monotonic() + 240
    while b"5,000/" not in seen and time.monotonic() < deadline and process.poll() is None:
        seen += os.read(process.stderr.fileno(), 256)
    assert b"5,000/" in seen, seen.decode(errors="replace")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert _count(var_dir, "SELECT count(*) FROM members_member") == 0
    assert _count(var_dir, "SELECT count(*) FROM members_memberevent") == 0
    assert _count(var_dir, "SELECT count(*) FROM core_auditentry WHERE action != 'import.plan'") == audit_before
    assert _count(var_dir, "SELECT count(*) FROM imports_importbatch") == 0  # its record commits with it
    verify = subprocess.run([sys.executable, "-m", "dangvien", "audit", "verify"], env=_env(var_dir),
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stderr

    # And the same import, run again to the end, brings every member in.
    _run(var_dir, "import-members", str(csv), "--unit", "GL")
    imported = _count(var_dir, "SELECT count(*) FROM members_member")
    assert imported > 0.9 * MEMBERS
    assert _count(var_dir, "SELECT count(*) FROM imports_importbatch WHERE status = 'done'") == 1
