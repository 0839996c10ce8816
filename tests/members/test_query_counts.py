"""Query counts of the write paths and the detail views, pinned: a change that adds a read per
request shows here. Each request also costs three queries of its own (session, user, grants)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangvien.core.citizen_id import make as make_citizen_id

pytestmark = pytest.mark.django_db

JSON = "application/json"


def member_reads(queries: list[dict]) -> int:
    return sum(1 for q in queries if q["sql"].startswith("SELECT") and 'FROM "members_member"' in q["sql"])


@pytest.fixture
def officer(world, client):
    client.force_login(world.officer_a)
    client.get("/api/members")  # the session is warm
    return client


def measure(call):
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code < 300, response.content
    return ctx.captured_queries


def test_correction_reads_the_member_once(world, officer):
    m = world.member_a1
    queries = measure(lambda: officer.patch(f"/api/members/{m.pk}", {"version": m.version, "changes": {
        "hometown": "Xã Chư Sê", "citizen_id": make_citizen_id("064", "F", 1975, 777)}}, content_type=JSON))
    assert member_reads(queries) == 2  # the locked read, and the one query for the identifiers taken
    assert len(queries) == 14


def test_contact_update_reads_the_member_once(world, officer):
    m = world.member_a1
    queries = measure(lambda: officer.patch(f"/api/members/{m.pk}/contact", {
        "version": m.version, "changes": {"phone": "0912345678"}}, content_type=JSON))
    assert member_reads(queries) == 1
    assert len(queries) == 13


def test_lifecycle_event_reads_the_member_twice(world, officer):
    m = world.member_a1
    queries = measure(lambda: officer.post(f"/api/members/{m.pk}/events/exempt", {
        "version": m.version, "date": "2026-01-05", "reason": "Tuổi cao"}, content_type=JSON))
    assert member_reads(queries) == 2  # the route's scoped read (to resolve its arguments), the locked one
    # 15: one more than before the card campaign, which looks for the open campaigns the member's
    # change moves (members.hooks; none here).
    assert len(queries) == 15


def test_registration(world, officer):
    body = {"unit": world.cell_a1.pk, "status": "official", "full_name": "Phạm Văn Bình", "sex": "M",
            "date_of_birth": "1985-04-12", "citizen_id": make_citizen_id("064", "M", 1985, 4243),
            "admission_date": "2012-05-19", "official_date": "2013-05-19"}
    queries = measure(lambda: officer.post("/api/members", body, content_type=JSON))
    assert member_reads(queries) == 1  # the identifiers taken
    assert len(queries) == 14


def test_detail_api_and_page(world, officer):
    m = world.member_a1
    assert len(measure(lambda: officer.get(f"/api/members/{m.pk}"))) == 4
    assert len(measure(lambda: officer.get(f"/api/members/{m.pk}/history"))) == 5
    # The seventh: the member's reconciliation result and its open discrepancies (one query); the
    # eighth: the header's count of unread notifications (every page of a signed-in user); the
    # ninth: the member's party card (credentials_nav.member_card, one query).
    assert len(measure(lambda: officer.get(f"/members/{m.pk}/"))) == 9
