"""The API's error answers: one shape for every 4xx, numbers bounded so the database never sees one
it cannot bind, and nothing outside /api/ leaking an HTML page into it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def officer(client, world):
    client.force_login(world.officer_a)
    return client


def shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"detail", "errors"}
    return body


@pytest.mark.parametrize("url", [
    "/api/members?page=86574307558435815424",
    "/api/members?page=0",
    "/api/members?page_size=100000",
    "/api/units?parent=99999999999999999999999",
    "/api/units/1/tree?depth=99",
])
def test_out_of_bounds_numbers_are_422_not_500(officer, url):
    response = officer.get(url)
    assert response.status_code == 422
    assert shape(response)["errors"]


@pytest.mark.parametrize("url", ["/api/members/99999999999999999999999", "/api/units/99999999999999999999999",
                                 "/api/members/99999999999999999999999/history"])
def test_huge_ids_in_the_path_are_not_found(officer, url):
    response = officer.get(url)
    assert response.status_code in (404, 422)
    shape(response)


def test_a_request_the_schema_refuses_has_the_one_error_shape(officer, world):
    m = world.member_a1
    response = officer.patch(f"/api/members/{m.pk}", {"changes": {}}, content_type=JSON)  # no version
    assert response.status_code == 422
    body = shape(response)
    assert "version" in " ".join(body["errors"])


def test_an_unparsable_body_is_400_with_the_one_shape(officer, world):
    response = officer.generic("PATCH", f"/api/members/{world.member_a1.pk}", "{not json", content_type=JSON)
    assert response.status_code == 400
    shape(response)


def test_an_unknown_api_address_answers_json(officer):
    response = officer.get("/api/units/abc")
    assert response.status_code == 404
    shape(response)


def test_every_operation_documents_its_errors(officer):
    schema = officer.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "404", "422"} <= codes, (method, path)
            if method != "get":
                assert {"400", "403", "409", "503"} <= codes, (method, path)


@pytest.mark.parametrize("url", ["/members/99999999999999999999/", "/units/99999999999999999999/",
                                 "/imports/99999999999999999999/"])
def test_pages_with_huge_numbers_are_404(officer, url):
    assert officer.get(url).status_code == 404
