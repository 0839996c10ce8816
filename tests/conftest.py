import gc

import pytest
import time_machine
from django.db.backends.signals import connection_created

from tests.clock import NOW
from tests.factories import build_world
from tests.postgres import custom_plans

# The card credentials' shared fixtures (status list server, stand-in keys module, status endpoint).
pytest_plugins = ["tests.credentials._qr_support", "tests.credentials.keyring"]


@pytest.fixture(autouse=True)
def clock():
    """Every test runs at tests.clock.NOW, frozen: "today" is the same day in every test, on every day
    the suite runs. A test that needs time to pass asks for this fixture and moves it
    (`clock.shift(dt.timedelta(minutes=31))`). The live server runs in a thread of this process and
    sees this clock too (time-machine patches the process's clock); a child process does not, and
    tests/cli.py starts it at NOW with its own clock running."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """Settings the whole session runs with, also in fixtures wider than a test (the scope matrix's
    class-wide world), which a per-test `settings` change comes too late for:
    - a fast password hasher: PBKDF2 at production strength costs ~0.5 s a user (the matrix world's
      seven users cost 3.4 s a build);
    - plain static files: the manifest storage serves only what collectstatic wrote, and tests render
      pages without it."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            STORAGES={**settings.STORAGES,
                      "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    # Uploaded files (the library's PDFs) in a temporary folder of the test's own, never in var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _progress_cache(settings, tmp_path_factory):
    # Running jobs' progress on SQLite (jobs/progress.py) in a folder of the test's own. In var/ it
    # was shared by the test workers and by the tests one after another, and job numbers repeat in
    # each worker's database: a job could read another test's progress and not look stalled.
    settings.CACHES = {**settings.CACHES, "progress": {**settings.CACHES["progress"],
                                                       "LOCATION": str(tmp_path_factory.mktemp("progress"))}}


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Texts are kept in memory, as Django keeps test mail in mail.outbox: the list of the messages
    this test sent."""
    from dangvien.notifications import sms

    settings.DANGVIEN_SMS_BACKEND = "dangvien.notifications.sms.LocmemBackend"
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture(scope="session")
def _audit_secrets_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audit-secrets")


@pytest.fixture(autouse=True)
def _audit_secrets(settings, _audit_secrets_dir):
    # The audit trail's keys and checkpoints in a temporary folder, never in var/ (one keyring for
    # the session: tests that rotate keys or write checkpoints point these at their own files).
    settings.AUDIT_KEYS_FILE = _audit_secrets_dir / "audit_keys.json"
    settings.AUDIT_SIGNING_KEY = _audit_secrets_dir / "audit_signing_key.pem"
    settings.AUDIT_CHECKPOINTS = _audit_secrets_dir / "audit-checkpoints.jsonl"


@pytest.fixture
def world(db):
    return build_world()


def _ci_skips(config) -> int:
    import os

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") != "true" or reporter is None:
        return 0
    return len(reporter.stats.get("skipped", []))


def pytest_configure(config):
    connection_created.connect(custom_plans, dispatch_uid="tests.postgres.custom_plans")


def pytest_collection_finish(session):
    """Every test module is imported: freeze what exists (Django, the apps, pytest's collected items),
    as the served process does at startup (dangvien/wsgi.py), so the garbage collector's full
    collections walk only what the tests make, not the few hundred thousand objects that live all
    session long."""
    gc.freeze()


def pytest_sessionfinish(session, exitstatus):
    """In CI nothing may be skipped (no PostgreSQL, no Chromium): a skip there fails the run."""
    if _ci_skips(session.config) and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if n := _ci_skips(config):
        terminalreporter.write_line(f"CI=true and {n} tests were skipped: the run fails.", red=True)
