"""The home-visit API: the worklist and recording a visit, in the API's one error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from dangvien.fieldwork.models import HomeVisit

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_worklist_as_json(field):
    w = field.world
    body = _client(w.card_officer_a).get(f"/api/campaigns/{field.campaign.pk}/visits?unit=GL-A-01-01").json()
    assert (body["total"], body["elderly_age"]) == (2, 75)
    lan = body["items"][0]
    assert {k: lan[k] for k in ("full_name", "age", "reasons", "permanent_residence", "phone", "unit_code", "stage",
                                "planned_on", "last_outcome", "groups")} == {
        "full_name": "Trần Thị Lan", "age": 78, "reasons": ["age"], "permanent_residence": "Thôn 3, xã Ia Grai",
        "phone": "0905123456", "unit_code": "GL-A-01-01", "stage": 0, "planned_on": None, "last_outcome": None,
        "groups": "Tổ công tác tỉnh"}
    mai = _client(w.card_officer_a).get(f"/api/campaigns/{field.campaign.pk}/visits?unit=GL-A-01-02").json()
    assert [(i["full_name"], i["reasons"]) for i in mai["items"]] == [("Đỗ Thị Mai", ["exempted"]),
                                                                      ("Hồ Văn Mười", ["age"])]


def test_scope_on_the_worklist(field):
    w = field.world
    url = f"/api/campaigns/{field.campaign.pk}/visits"
    assert _client(w.card_officer_a).get(f"{url}?unit=GL-B").status_code == 404
    assert _client(w.member_user_a1).get(url).status_code == 404
    assert _client(w.card_officer_a).get(f"{url}?unit=%00").status_code == 422


def test_recording_a_visit(field):
    w = field.world
    lan = field.participant(field.elderly)
    client = _client(w.card_officer_a)
    url = f"/api/campaigns/{field.campaign.pk}/visits/{lan.pk}"
    response = client.post(url, {"version": 1, "visited_on": "2026-11-20", "outcome": "data_collected",
                                 "steps": ["declared"], "planned_on": "2026-11-24", "note": "Hẹn chụp ảnh"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["participant"] == {"id": lan.pk, "stage": 1, "care": "", "version": 2}
    assert (body["visit"]["outcome"], body["visit"]["group_id"], body["plan"]["planned_on"]) == (
        "data_collected", field.group.pk, "2026-11-24")
    stale = client.post(url, {"version": 1, "care": "sick"}, content_type="application/json")
    assert stale.status_code == 409
    bad = client.post(url, {"version": 2, "visited_on": "2026-11-20"}, content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"outcome"}
    assert _client(w.secretary_a1).post(url, {"version": 2, "care": "sick"},
                                        content_type="application/json").status_code == 403
    assert HomeVisit.objects.count() == 2
