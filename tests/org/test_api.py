"""The unit API: scoped unit lists, one unit, and subtree trees with member counts."""

from __future__ import annotations

import pytest

from dangvien.members.models import Status
from tests.factories import make_member


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [unit["code"] for unit in response.json()]


def test_list_is_the_actors_subtree_in_tree_order(world, as_user):
    assert _codes(as_user(world.officer_a).get("/api/units")) == ["GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"]
    assert _codes(as_user(world.secretary_a1).get("/api/units")) == ["GL-A-01-01"]
    assert _codes(as_user(world.province_officer).get("/api/units")) == [
        "GL", "GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02", "GL-B", "GL-B-01"]


def test_member_account_sees_no_units(world, as_user):
    assert _codes(as_user(world.member_user_a1).get("/api/units")) == []


def test_list_filters(world, as_user):
    client = as_user(world.province_officer)
    assert _codes(client.get("/api/units", {"parent": world.province.pk})) == ["GL-A", "GL-B"]
    assert _codes(client.get("/api/units", {"kind": "cell"})) == ["GL-A-01-01", "GL-A-01-02"]
    assert client.get("/api/units", {"kind": "district"}).status_code == 422


def test_children_of_a_hidden_unit_are_not_found(world, as_user):
    assert as_user(world.officer_a).get("/api/units", {"parent": world.commune_b.pk}).status_code == 404


def test_one_unit(world, as_user):
    body = as_user(world.officer_a).get(f"/api/units/{world.cell_a1.pk}").json()
    assert body == {
        "id": world.cell_a1.pk, "kind": "cell", "kind_label": body["kind_label"], "code": "GL-A-01-01",
        "name": "Chi bộ Giáo viên 1", "parent_id": world.org_a.pk, "depth": 3, "holds_members": True,
    }
    assert body["kind_label"]


def test_hidden_unit_looks_like_absent(world, as_user):
    client = as_user(world.officer_a)
    hidden, absent = client.get(f"/api/units/{world.commune_b.pk}"), client.get("/api/units/999999")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json()


def test_tree_counts_roll_up(world, as_user):
    make_member(world.cell_a1, full_name="Đinh Văn Tư")
    body = as_user(world.officer_a).get(f"/api/units/{world.commune_a.pk}/tree").json()
    assert body["code"] == "GL-A"
    assert body["counts"] == {Status.OFFICIAL: 2, Status.PROBATIONARY: 1} and body["total"] == 3
    [org] = body["children"]
    assert [(c["code"], c["total"]) for c in org["children"]] == [("GL-A-01-01", 2), ("GL-A-01-02", 1)]
    assert org["children"][0]["children"] == []


def test_tree_depth_cuts_levels_but_keeps_counts(world, as_user):
    body = as_user(world.province_officer).get(f"/api/units/{world.province.pk}/tree", {"depth": 1}).json()
    assert body["total"] == 3
    assert [(c["code"], c["total"], c["children"]) for c in body["children"]] == [("GL-A", 2, []), ("GL-B", 1, [])]


def test_tree_of_a_hidden_unit_is_not_found(world, as_user):
    assert as_user(world.officer_b).get(f"/api/units/{world.commune_a.pk}/tree").status_code == 404


def test_tree_query_count(world, as_user, django_assert_max_num_queries):
    client = as_user(world.province_officer)
    # session, user, grants, the top-level units (the officer's grant is on one), the unit, the
    # subtree's units, the grouped counts.
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/units/{world.province.pk}/tree").status_code == 200


def test_anonymous_gets_401(db, client):
    assert client.get("/api/units").status_code == 401
