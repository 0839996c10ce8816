"""The API keeps its own contract: schemathesis generates requests for every operation of
/api/openapi.json (valid and invalid ones) against a live test server, logged in as a commune
officer, and runs every check: no server error, every status code, content type, header and body as
the schema documents them, invalid input refused and valid input accepted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.factories import PASSWORD, build_world


@pytest.fixture
def officer_session(live_server, transactional_db) -> Iterator[requests.Session]:
    build_world()
    session = requests.Session()
    session.get(f"{live_server.url}/accounts/login/")
    token = session.cookies["csrftoken"]
    response = session.post(f"{live_server.url}/accounts/login/", allow_redirects=False, data={
        "username": "xa_a", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text[:500]
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    yield session
    # Its kept-alive connection closed: the live server's thread for it would otherwise wait for a
    # next request to the end of the run, holding its database connection (PostgreSQL then cannot
    # drop the test database: "is being accessed by other users").
    session.close()


@pytest.fixture
def api_schema(live_server, officer_session):
    return schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json", cookies=officer_session.cookies)


EXAMPLES = 10  # per operation and mode: bounded, so the suite stays fast (the API grew to the meetings,
# cards and adoption routes; 10 each keeps `make test` in its 15 minutes)


def _run(operation, mode: GenerationMode, session: requests.Session) -> str | None:
    """The first failure of the operation in this mode, as schemathesis words it, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        case.call_and_validate(session=session)

    try:
        run()
    except Exception as failure:  # a check failed: keep its report and go on to the next operation
        return f"{operation.label} [{mode}]: {failure}"
    return None


def test_every_operation_keeps_the_contract(api_schema, officer_session):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15  # every route of the API, not a stub
    failures = [failure for operation in operations
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                if (failure := _run(operation, mode, officer_session))]
    assert not failures, "\n\n".join(failures)
