"""A process killed in the middle of an import leaves the database as it was before: the import
applies in one transaction, so the kill can only roll it back. Real processes, a real SIGKILL, on
the database the suite runs on (tests/cli.py)."""

import os
import selectors
import signal
import subprocess
import time

import pytest

from tests.cli import cli_site

MEMBERS = 2_500  # more than two apply batches of BATCH_SIZE
BATCH_SIZE = "1000"
FIRST_BATCH_WITHIN = 240  # seconds


def _run(site, *args):
    result = site.run(*args)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def emptied_province(django_db_setup, tmp_path):
    """A demo province exported to CSV, then emptied of members: the file's rows are all new."""
    with cli_site(tmp_path / "var", "cli") as site:
        _run(site, "migrate", "-v0")
        _run(site, "demo-data", "--members", str(MEMBERS), "--seed", "3")
        csv = tmp_path / "province.csv"
        _run(site, "export-members", "--unit", "GL", "-o", str(csv))
        _run(site, "shell", "-c",
             "from django.db import connection\n"
             "from dangvien.accounts.models import User\n"
             "User.objects.update(member=None)\n"
             "with connection.cursor() as c:\n"
             "    c.execute('DELETE FROM members_memberevent'); c.execute('DELETE FROM members_memberevaluation')\n"
             "    c.execute('DELETE FROM members_feepayment'); c.execute('DELETE FROM members_member')\n")
        yield site, csv


def _read_until(process: subprocess.Popen, marker: bytes, seconds: float) -> bytes:
    """The child's stderr up to `marker`; fails, rather than waits on, a child that never writes it."""
    seen = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while marker not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {marker!r} from the import within {seconds} s; it wrote: "
                            f"{seen[-2000:].decode(errors='replace')!r}")
            if not selector.select(timeout=left):
                continue
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:  # end of file: the child is gone
                process.wait(timeout=30)
                pytest.fail(f"the import exited ({process.returncode}) before writing {marker!r}: "
                            f"{seen[-2000:].decode(errors='replace')!r}")
            seen += chunk
    return seen


def test_import_killed_mid_apply_leaves_the_database_as_before(emptied_province):
    site, csv = emptied_province
    audit_before = site.scalar("SELECT count(*) FROM core_auditentry WHERE action != 'import.plan'")
    assert site.scalar("SELECT count(*) FROM members_member") == 0

    process = subprocess.Popen(site.command("import-members", str(csv), "--unit", "GL", "--batch-size", BATCH_SIZE),
                               env=site.env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # The progress bar goes to stderr after each batch written inside the transaction: kill the
        # process as soon as the first batch is reported.
        _read_until(process, b"1,000/", FIRST_BATCH_WITHIN)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    assert site.scalar("SELECT count(*) FROM members_member") == 0
    assert site.scalar("SELECT count(*) FROM members_memberevent") == 0
    assert site.scalar("SELECT count(*) FROM core_auditentry WHERE action != 'import.plan'") == audit_before
    assert site.scalar("SELECT count(*) FROM imports_importbatch") == 0  # its record commits with it
    verify = site.run("audit", "verify", timeout=120)
    assert verify.returncode == 0, verify.stderr

    # And the same import, run again to the end, brings every member in.
    _run(site, "import-members", str(csv), "--unit", "GL")
    imported = site.scalar("SELECT count(*) FROM members_member")
    assert imported > 0.9 * MEMBERS
    assert site.scalar("SELECT count(*) FROM imports_importbatch WHERE status = 'done'") == 1
