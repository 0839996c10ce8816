"""The member API: reads through the scoped selectors, writes through the services, errors as 4xx
with field errors and nothing saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.members import services
from dangvien.members.models import EventKind, Member, Status
from tests.clock import TODAY
from tests.factories import World

JSON = "application/json"


@pytest.fixture
def as_user(client: Client) -> Callable[[Any], Client]:
    def login(user: Any) -> Client:
        client.force_login(user)
        return client
    return login


def _snapshot(member: Member) -> tuple:
    """What a refused write must leave untouched: the row, its history and the audit trail."""
    fresh = Member.objects.get(pk=member.pk)
    return (fresh.version, fresh.status, fresh.unit_id, fresh.phone, fresh.citizen_id, fresh.official_date,
            fresh.events.count(), AuditEntry.objects.count())


def _register_body(world: World, **overrides: Any) -> dict[str, Any]:
    body = {
        "unit": world.cell_a1.pk, "status": "official", "full_name": "Phạm Văn Bình", "sex": "M",
        "date_of_birth": "1985-04-12", "citizen_id": make_citizen_id("064", "M", 1985, 4242),
        "admission_date": "2012-05-19", "official_date": "2013-05-19", "hometown": "Xã Chư Sê",
    }
    return {**body, **overrides}


# --- list and search ---------------------------------------------------------------------------


def test_list_shows_only_the_actors_subtree(world, as_user):
    body = as_user(world.officer_a).get("/api/members").json()
    assert {item["id"] for item in body["items"]} == {world.member_a1.pk, world.member_a2.pk}
    assert body["total"] == 2 and body["page"] == 1
    assert set(body["items"][0]) == {"id", "full_name", "sex", "birth_year", "status", "unit"}


def test_search_ignores_accents_case_and_tone_placement(world, as_user):
    client = as_user(world.province_officer)

    def found(q: str) -> set[int]:
        return {item["id"] for item in client.get("/api/members", {"q": q}).json()["items"]}

    assert found("hoa") == {world.member_b1.pk}
    assert found("Hòa") == {world.member_b1.pk}  # stored as "Hoà"
    assert found("LE THI") == {world.member_b1.pk}
    assert found("duc") == {world.member_a2.pk}
    assert found("nguyen ha") == {world.member_a1.pk}
    assert found(world.member_a1.citizen_id[:8]) == {world.member_a1.pk}
    assert found("xyz") == set()


def test_list_filters_orders_and_pages(world, as_user):
    client = as_user(world.province_officer)
    by_status = client.get("/api/members", {"status": "probationary"}).json()
    assert [m["id"] for m in by_status["items"]] == [world.member_a2.pk]
    in_unit = client.get("/api/members", {"unit": world.commune_b.pk}).json()
    assert [m["id"] for m in in_unit["items"]] == [world.member_b1.pk]
    # Vietnamese order is by given name: Đức < Hà < Hoà.
    names = [m["full_name"] for m in client.get("/api/members", {"order": "name"}).json()["items"]]
    assert names == ["Trần Văn Đức", "Nguyễn Thị Hà", "Lê Thị Hoà"]
    reverse = [m["full_name"] for m in client.get("/api/members", {"order": "-name"}).json()["items"]]
    assert reverse == names[::-1]
    page2 = client.get("/api/members", {"page": 2, "page_size": 2}).json()
    assert page2["total"] == 3 and [m["full_name"] for m in page2["items"]] == ["Lê Thị Hoà"]


@pytest.mark.parametrize("params", [{"page_size": 201}, {"page": 0}, {"status": "sleeping"}, {"order": "age"}])
def test_list_rejects_bad_parameters(world, as_user, params):
    response = as_user(world.officer_a).get("/api/members", params)
    assert response.status_code == 422
    assert next(iter(params)) in response.json()["errors"]


def test_list_filter_on_a_hidden_unit_is_not_found(world, as_user):
    response = as_user(world.officer_a).get("/api/members", {"unit": world.commune_b.pk})
    assert response.status_code == 404


def test_list_query_count_does_not_grow_with_rows(world, as_user, django_assert_max_num_queries):
    from tests.factories import make_member

    for n in range(15):
        make_member(world.cell_a1, full_name=f"Vũ Văn Số {'ABCDEFGHIJKLMNO'[n]}")
    client = as_user(world.officer_a)
    # session, user, grants, count, the page's ids, the page's rows (units joined).
    with django_assert_max_num_queries(6):
        body = client.get("/api/members", {"page_size": 200}).json()
    assert body["total"] == 17


def test_anonymous_gets_401(db, client):
    assert client.get("/api/members").status_code == 401


# --- detail and history ------------------------------------------------------------------------


def test_detail(world, as_user):
    member = world.member_a1
    body = as_user(world.secretary_a1).get(f"/api/members/{member.pk}").json()
    assert body["full_name"] == "Nguyễn Thị Hà"
    assert body["version"] == member.version
    assert body["status"] == "official"
    assert body["unit"] == {"id": world.cell_a1.pk, "code": "GL-A-01-01", "name": "Chi bộ Giáo viên 1"}
    assert body["citizen_id"] == member.citizen_id
    assert body["date_of_birth"] == "1975-08-09"


def test_detail_has_no_warnings_for_an_agreeing_record(world, as_user):
    assert as_user(world.secretary_a1).get(f"/api/members/{world.member_a1.pk}").json()["warnings"] == []


def test_a_mismatching_citizen_id_is_saved_with_warnings_until_corrected(world, as_user):
    """Registry first (issue 9): 201 with the warnings in the response and on every later read."""
    client = as_user(world.officer_a)
    body = _register_body(world, citizen_id=make_citizen_id("099", "F", 1985, 1))  # a man in the record
    response = client.post("/api/members", body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["citizen_id"] == "099185000001"
    assert created["warnings"] == [
        {"field": "citizen_id", "message": "099 is not a province code used in citizen IDs."},
        {"field": "citizen_id", "message": "The 4th digit says female but the record says male."},
    ]
    detail = client.get(f"/api/members/{created['id']}", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert [w["message"] for w in detail["warnings"]] == [
        "099 không phải mã tỉnh dùng trong số CCCD.",
        "Chữ số thứ 4 cho biết giới tính nữ nhưng hồ sơ ghi nam.",
    ]
    fixed = client.patch(f"/api/members/{created['id']}", {
        "version": created["version"], "changes": {"citizen_id": make_citizen_id("064", "M", 1985, 1)}},
        content_type=JSON)
    assert fixed.status_code == 200, fixed.content
    assert fixed.json()["warnings"] == []
    assert client.get(f"/api/members/{created['id']}").json()["warnings"] == []


def test_detail_out_of_scope_looks_like_absent(world, as_user):
    client = as_user(world.officer_a)
    hidden = client.get(f"/api/members/{world.member_b1.pk}")
    absent = client.get("/api/members/999999")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json() == {"detail": absent.json()["detail"]}


def test_member_user_sees_own_record_only(world, as_user):
    client = as_user(world.member_user_a1)
    assert client.get(f"/api/members/{world.member_a1.pk}").status_code == 200
    assert client.get(f"/api/members/{world.member_a2.pk}").status_code == 404
    assert [m["id"] for m in client.get("/api/members").json()["items"]] == [world.member_a1.pk]


def test_history(world, as_user):
    body = as_user(world.officer_a).get(f"/api/members/{world.member_a1.pk}/history").json()
    assert [e["kind"] for e in body] == [EventKind.ADMITTED, EventKind.RECOGNIZED_OFFICIAL]
    assert body[0]["effective_date"] == "2010-03-02"
    assert body[0]["unit"]["id"] == world.cell_a1.pk
    assert body[1]["from_status"] == "probationary" and body[1]["to_status"] == "official"


# --- register and admit ------------------------------------------------------------------------


def test_register(world, as_user):
    audit_rows = AuditEntry.objects.count()
    response = as_user(world.officer_a).post("/api/members", _register_body(world), content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert (member.full_name, member.status, member.unit_id) == ("Phạm Văn Bình", Status.OFFICIAL, world.cell_a1.pk)
    assert body["official_date"] == "2013-05-19"
    assert AuditEntry.objects.count() == audit_rows + 1


def test_register_stores_nfc(world, as_user):
    import unicodedata

    name = unicodedata.normalize("NFD", "Phạm Thị Thuỷ")
    body = _register_body(world, full_name=name, sex="F", citizen_id=make_citizen_id("064", "F", 1985, 77))
    response = as_user(world.officer_a).post("/api/members", body, content_type=JSON)
    assert response.status_code == 201, response.content
    assert Member.objects.get(pk=response.json()["id"]).full_name == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"citizen_id": "064085"}, "citizen_id"),  # too short
    ({"citizen_id": "06408500001"}, "citizen_id"),  # 11 digits
    ({"admission_date": (TODAY + dt.timedelta(days=30)).isoformat()}, "admission_date"),  # future
    ({"official_date": "2011-01-01"}, "official_date"),  # before admission
    ({"status": "probationary"}, "official_date"),  # probationary with an official date
    ({"phone": "12345"}, "phone"),
    ({"full_name": "Phạm Văn 2"}, "full_name"),
])
def test_register_refuses_bad_data_and_saves_nothing(world, as_user, overrides, field):
    members, audit_rows = Member.objects.count(), AuditEntry.objects.count()
    response = as_user(world.officer_a).post("/api/members", _register_body(world, **overrides), content_type=JSON)
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["errors"], body
    assert body["detail"] in [m for messages in body["errors"].values() for m in messages]
    assert (Member.objects.count(), AuditEntry.objects.count()) == (members, audit_rows)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"admission_date": "2024-02-31"}, "admission_date"),  # no such day
    ({"date_of_birth": "31/12/1985"}, "date_of_birth"),  # not ISO
    ({"full_name": "x" * 500}, "full_name"),  # longer than the column
    ({"favourite_colour": "red"}, "favourite_colour"),  # unknown field
])
def test_register_schema_errors_name_the_field(world, as_user, overrides, field):
    members = Member.objects.count()
    response = as_user(world.officer_a).post("/api/members", _register_body(world, **overrides), content_type=JSON)
    assert response.status_code == 422
    assert any(name.split(".")[-1] == field for name in response.json()["errors"])
    assert Member.objects.count() == members


def test_register_missing_field(world, as_user):
    body = _register_body(world)
    del body["full_name"]
    response = as_user(world.officer_a).post("/api/members", body, content_type=JSON)
    assert response.status_code == 422
    assert ["full_name"] == list(response.json()["errors"])


def test_register_in_a_unit_that_holds_no_members(world, as_user):
    response = as_user(world.officer_a).post("/api/members", _register_body(world, unit=world.org_a.pk),
                                             content_type=JSON)
    assert response.status_code == 422
    assert "unit" in response.json()["errors"]


def test_admit(world, as_user):
    body = _register_body(world, admission_date="2026-06-01", date_of_birth="1998-02-03",
                          citizen_id=make_citizen_id("064", "M", 1998, 5), decision="123-QĐ/ĐU")
    del body["official_date"], body["status"]
    response = as_user(world.officer_a).post("/api/members/admit", body, content_type=JSON)
    assert response.status_code == 201, response.content
    member = Member.objects.get(pk=response.json()["id"])
    assert member.status == Status.PROBATIONARY and member.official_date is None
    assert member.events.get().decision == "123-QĐ/ĐU"


def test_admit_enforces_age_limit(world, as_user):
    body = _register_body(world, admission_date="2026-06-01", date_of_birth="1960-02-03",
                          citizen_id=make_citizen_id("064", "M", 1960, 5))
    del body["official_date"], body["status"]
    members = Member.objects.count()
    response = as_user(world.officer_a).post("/api/members/admit", body, content_type=JSON)
    assert response.status_code == 422
    assert "admission_date" in response.json()["errors"]
    assert Member.objects.count() == members


# --- corrections -------------------------------------------------------------------------------


def test_correct(world, as_user):
    member = world.member_a1
    response = as_user(world.officer_a).patch(
        f"/api/members/{member.pk}",
        {"version": member.version, "changes": {"hometown": "Xã Chư Păh", "phone": "0912 345 678"}, "note": "QĐ 5"},
        content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == member.version + 1
    assert (body["hometown"], body["phone"]) == ("Xã Chư Păh", "0912345678")
    assert Member.objects.get(pk=member.pk).events.last().kind == EventKind.CORRECTED


def test_correct_stale_version_is_409_and_saves_nothing(world, as_user):
    member = world.member_a1
    services.member_correct(actor=world.admin, member=member, expected_version=member.version,
                            changes={"hometown": "Xã Ia Hrung"})
    before = _snapshot(member)
    response = as_user(world.officer_a).patch(
        f"/api/members/{member.pk}", {"version": member.version, "changes": {"phone": "0912345678"}},
        content_type=JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] and body["errors"] == {"__all__": [body["detail"]]}
    assert _snapshot(member) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"citizen_id": "9999999999999"}, "citizen_id"),  # 13 digits
    ({"official_date": "2009-01-01"}, "official_date"),  # before admission (2010-03-02)
    ({"date_of_birth": (TODAY + dt.timedelta(days=1)).isoformat()}, "date_of_birth"),
    ({"official_date": None}, "official_date"),  # an official member needs it
])
def test_correct_refuses_bad_data_and_saves_nothing(world, as_user, changes, field):
    member = world.member_a1
    before = _snapshot(member)
    response = as_user(world.officer_a).patch(f"/api/members/{member.pk}",
                                              {"version": member.version, "changes": changes}, content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert _snapshot(member) == before


def test_correct_cannot_change_status(world, as_user):
    member = world.member_a1
    response = as_user(world.officer_a).patch(
        f"/api/members/{member.pk}", {"version": member.version, "changes": {"status": "deceased"}},
        content_type=JSON)
    assert response.status_code == 422
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


def test_secretary_updates_contact_but_cannot_correct(world, as_user):
    member = world.member_a1
    client = as_user(world.secretary_a1)
    refused = client.patch(f"/api/members/{member.pk}",
                           {"version": member.version, "changes": {"hometown": "Xã Khác"}}, content_type=JSON)
    assert refused.status_code == 403
    response = client.patch(f"/api/members/{member.pk}/contact",
                            {"version": member.version, "changes": {"phone": "0987654321", "has_smartphone": True}},
                            content_type=JSON)
    assert response.status_code == 200, response.content
    assert (response.json()["phone"], response.json()["has_smartphone"]) == ("0987654321", True)


def test_contact_route_refuses_profile_fields(world, as_user):
    member = world.member_a1
    response = as_user(world.officer_a).patch(
        f"/api/members/{member.pk}/contact", {"version": member.version, "changes": {"full_name": "Ai Đó"}},
        content_type=JSON)
    assert response.status_code == 422
    assert Member.objects.get(pk=member.pk).full_name == "Nguyễn Thị Hà"


# --- lifecycle events --------------------------------------------------------------------------


def _prepare_transferred_out(world: World, member: Member) -> None:
    services.member_transfer_out(actor=world.admin, member=member, expected_version=member.version,
                                 date=dt.date(2026, 6, 1), destination_unit=world.cell_a2)


def _prepare_temporarily_out(world: World, member: Member) -> None:
    services.member_transfer_temporarily(actor=world.admin, member=member, expected_version=member.version,
                                         date=dt.date(2026, 6, 1), destination="Trường Chính trị tỉnh")


def _prepare_exempted(world: World, member: Member) -> None:
    services.member_exempt(actor=world.admin, member=member, expected_version=member.version,
                           date=dt.date(2026, 6, 1), reason="Tuổi cao")


# kind, member attribute on the world, setup, body (without version), expected status, expected event
EVENT_CASES = [
    ("recognize-official", "member_a2", None, {"official_date": "2026-09-10", "decision": "12-NQ/CB"},
     Status.OFFICIAL, EventKind.RECOGNIZED_OFFICIAL),
    ("transfer-out", "member_a1", None, {"date": "2026-07-01", "destination_unit": "GL-A-01-02"},
     Status.TRANSFERRED_OUT, EventKind.TRANSFERRED_OUT),
    ("transfer-out", "member_a1", None, {"date": "2026-07-01", "destination": "Đảng bộ tỉnh Kon Tum"},
     Status.TRANSFERRED_OUT, EventKind.TRANSFERRED_OUT),
    ("transfer-in", "member_a1", _prepare_transferred_out, {"date": "2026-07-01", "unit": "cell_a2"},
     Status.OFFICIAL, EventKind.TRANSFERRED_IN),
    ("transfer-temporarily", "member_a1", None,
     {"date": "2026-07-01", "destination": "Học viện Chính trị khu vực III", "until": "2027-06-30"},
     Status.TEMPORARILY_OUT, EventKind.TEMPORARILY_OUT),
    ("return", "member_a1", _prepare_temporarily_out, {"date": "2026-10-01"}, Status.OFFICIAL, EventKind.RETURNED),
    ("exempt", "member_a1", None, {"date": "2026-07-01", "reason": "Ốm đau dài ngày"}, Status.EXEMPTED,
     EventKind.EXEMPTED),
    ("lift-exemption", "member_a1", _prepare_exempted, {"date": "2026-10-01"}, Status.OFFICIAL,
     EventKind.EXEMPTION_LIFTED),
    ("discipline", "member_a1", None, {"date": "2026-07-01", "form": "warning"}, Status.OFFICIAL,
     EventKind.DISCIPLINED),
    ("discipline", "member_a1", None, {"date": "2026-07-01", "form": "expulsion"}, Status.EXPELLED,
     EventKind.DISCIPLINED),
    ("remove", "member_a1", None, {"date": "2026-07-01", "reason": "Bỏ sinh hoạt 3 tháng"}, Status.REMOVED,
     EventKind.REMOVED),
    ("record-death", "member_a1", None, {"date": "2026-07-01"}, Status.DECEASED, EventKind.DIED),
]


def _resolve_units(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """A receiving unit in the table names a world attribute; the API takes its id."""
    return {k: getattr(world, v).pk if k == "unit" else v for k, v in body.items()}


@pytest.mark.parametrize(("kind", "who", "setup", "body", "status", "event"), EVENT_CASES,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(EVENT_CASES)])
def test_event_happy_path(world, as_user, kind, who, setup, body, status, event):
    member = getattr(world, who)
    if setup:
        setup(world, member)
        member.refresh_from_db()
    audit_rows = AuditEntry.objects.count()
    response = as_user(world.officer_a).post(f"/api/members/{member.pk}/events/{kind}",
                                             {"version": member.version, **_resolve_units(world, body)},
                                             content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    assert response.json()["version"] == member.version + 1
    fresh = Member.objects.get(pk=member.pk)
    assert fresh.status == status
    assert fresh.events.last().kind == event
    assert AuditEntry.objects.count() == audit_rows + 1


def test_transfer_across_communes(world, as_user, client):
    """Commune A sends a member to a cell of commune B, which it cannot see; B then sees the member
    waiting and takes them in."""
    member = world.member_a1
    response = as_user(world.officer_a).post(
        f"/api/members/{member.pk}/events/transfer-out",
        {"version": member.version, "date": "2026-07-01", "destination_unit": "GL-B-01"}, content_type=JSON)
    assert response.status_code == 200, response.content
    fresh = Member.objects.get(pk=member.pk)
    assert fresh.pending_unit_id == world.cell_b1.pk
    assert fresh.events.last().details["destination"] == world.cell_b1.name

    client.force_login(world.officer_b)
    assert client.get(f"/api/members/{member.pk}").status_code == 200
    response = client.post(f"/api/members/{member.pk}/events/transfer-in",
                           {"version": fresh.version, "date": "2026-08-01", "unit": world.cell_b1.pk},
                           content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["unit"]["id"] == world.cell_b1.pk
    client.force_login(world.officer_a)
    assert client.get(f"/api/members/{member.pk}").status_code == 404


def test_transfer_in_to_a_cell_the_actor_does_not_have(world, as_user):
    member = world.member_a1
    services.member_transfer_out(actor=world.admin, member=member, expected_version=member.version,
                                 date=dt.date(2026, 6, 1), destination="Tỉnh Kon Tum")
    member.refresh_from_db()
    before = _snapshot(member)
    response = as_user(world.officer_a).post(
        f"/api/members/{member.pk}/events/transfer-in",
        {"version": member.version, "date": "2026-07-01", "unit": world.cell_b1.pk}, content_type=JSON)
    assert response.status_code == 422
    assert "unit" in response.json()["errors"]
    assert _snapshot(member) == before


@pytest.mark.parametrize(("who", "kind", "body", "field"), [
    # Recognizing a deceased member: not allowed in the current status.
    ("deceased", "recognize-official", {"official_date": "2026-09-10"}, "status"),
    # Official date before the end of probation (admitted 2025-09-02).
    ("member_a2", "recognize-official", {"official_date": "2026-01-10"}, "official_date"),
    ("member_a1", "exempt", {"date": (TODAY + dt.timedelta(days=3)).isoformat(), "reason": "Ốm"}, "date"),
    ("member_a1", "remove", {"date": "2009-01-01", "reason": "Bỏ sinh hoạt"}, "date"),  # before admission
    ("member_a1", "exempt", {"date": "2026-07-01", "reason": "  "}, "reason"),
    ("member_a1", "return", {"date": "2026-07-01"}, "status"),  # not temporarily out
    ("member_a2", "discipline", {"date": "2026-07-01", "form": "expulsion"}, "form"),  # probationary
    ("member_a1", "transfer-out", {"date": "2026-07-01", "destination_unit": "GL-A-01-01"}, "destination_unit"),
    ("member_a1", "transfer-out", {"date": "2026-07-01", "destination_unit": "NOPE"}, "destination_unit"),
    ("member_a1", "transfer-out", {"date": "2026-07-01", "destination_unit": "GL-A-01"}, "destination_unit"),
    ("member_a1", "transfer-out", {"date": "2026-07-01"}, "destination"),
    ("member_a1", "transfer-temporarily", {"date": "2026-07-01", "destination": "X", "until": "2026-06-01"},
     "until"),
])
def test_event_refuses_bad_input_and_saves_nothing(world, as_user, who, kind, body, field):
    if who == "deceased":
        member = services.member_record_death(actor=world.admin, member=world.member_a2,
                                              expected_version=world.member_a2.version, date=dt.date(2026, 3, 1))
    else:
        member = getattr(world, who)
    before = _snapshot(member)
    response = as_user(world.officer_a).post(f"/api/members/{member.pk}/events/{kind}",
                                             {"version": member.version, **_resolve_units(world, body)},
                                             content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert _snapshot(member) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"date": "2026-02-31"}, "date"),  # impossible date
    ({"date": "2026-07-01", "form": "flogging"}, "form"),
    ({"form": "warning"}, "date"),  # missing
    ({"date": "2026-07-01", "form": "warning", "colour": "red"}, "colour"),
])
def test_event_schema_errors_name_the_field(world, as_user, body, field):
    member = world.member_a1
    before = _snapshot(member)
    response = as_user(world.officer_a).post(f"/api/members/{member.pk}/events/discipline",
                                             {"version": member.version, **body}, content_type=JSON)
    assert response.status_code == 422
    assert any(name.split(".")[-1] == field for name in response.json()["errors"])
    assert _snapshot(member) == before


def test_event_on_stale_version_is_409(world, as_user):
    member = world.member_a1
    before = _snapshot(member)
    response = as_user(world.officer_a).post(f"/api/members/{member.pk}/events/record-death",
                                             {"version": member.version - 1, "date": "2026-07-01"},
                                             content_type=JSON)
    assert response.status_code == 409
    assert response.json()["errors"]["__all__"]
    assert _snapshot(member) == before


def test_unknown_event_kind_is_404(world, as_user):
    member = world.member_a1
    response = as_user(world.officer_a).post(f"/api/members/{member.pk}/events/promote",
                                             {"version": member.version, "date": "2026-07-01"}, content_type=JSON)
    assert response.status_code == 404


# --- CSRF --------------------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.officer_a)
    member = world.member_a1
    url, body = f"/api/members/{member.pk}/contact", {"version": member.version, "changes": {"phone": "0912345678"}}
    before = _snapshot(member)

    assert client.patch(url, body, content_type=JSON).status_code == 403
    assert client.post("/api/members", _register_body(world), content_type=JSON).status_code == 403
    assert _snapshot(member) == before
    assert client.get(f"/api/members/{member.pk}").status_code == 200  # reads need no token

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    response = client.patch(url, body, content_type=JSON, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content


# --- docs --------------------------------------------------------------------------------------


def test_openapi_docs_load_for_a_logged_in_user(world, as_user):
    client = as_user(world.member_user_a1)
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/members/{member_id}/events/record-death" in schema["paths"]
    assert "MemberDetail" in schema["components"]["schemas"]


def test_openapi_docs_need_a_login(db, client):
    response = client.get("/api/docs")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_treats_empty_parameters_as_absent(world, as_user):
    response = as_user(world.officer_a).get("/api/members?q=&unit=&status=")
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 2
