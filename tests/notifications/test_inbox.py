"""The inbox page, the header's unread count, and the JSON API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from dangvien.notifications.models import Notification
from dangvien.notifications.services import notification_send
from dangvien.notifications.templatetags.notifications_nav import unread_notifications

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _notices(world):
    first = notification_send(actor=world.province_officer, recipients=[world.officer_a], topic="campaign.urge",
                              title="Xã Ia Grai chậm tiến độ", body="Còn 29 đảng viên.", link="/members/")
    second = notification_send(actor=None, recipients=[world.officer_a, world.officer_b], topic="fieldwork.difficulty",
                               title="Khó khăn mới")
    return first[0], second[0], second[1]


def test_the_header_counts_unread_notices_in_one_query(world, django_assert_num_queries):
    _notices(world)
    with django_assert_num_queries(1):
        assert unread_notifications({"user": world.officer_a}) == 2
    with django_assert_num_queries(0):
        assert unread_notifications({"user": AnonymousUser()}) == 0
    client = _client(world.officer_a)
    html = client.get("/notifications/").content.decode()
    assert 'id="unread-count">2' in html
    assert html.index("Khó khăn mới") < html.index("Xã Ia Grai chậm tiến độ")  # newest first
    assert 'id="unread-count"' not in _client(world.secretary_a1).get("/notifications/").content.decode()


def test_opening_a_notice_marks_it_read_and_follows_its_link(world):
    urge, _, other = _notices(world)
    client = _client(world.officer_a)
    response = client.post(f"/notifications/{urge.pk}/read/", {"open": "1"})
    assert (response.status_code, response["Location"]) == (302, "/members/")
    assert Notification.objects.get(pk=urge.pk).read_at is not None
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404  # officer B's
    assert 'id="unread-count">1' in client.get("/notifications/").content.decode()
    assert client.post("/notifications/read-all/").status_code == 302
    assert Notification.objects.filter(recipient=world.officer_a, read_at__isnull=True).count() == 0


def test_the_api_lists_and_marks_read(world):
    urge, difficulty, other = _notices(world)
    client = _client(world.officer_a)
    body = client.get("/api/notifications").json()
    assert (body["total"], body["unread"], body["page"]) == (2, 2, 1)
    assert [(n["id"], n["sender"], n["topic"]) for n in body["items"]] == [
        (difficulty.pk, None, "fieldwork.difficulty"), (urge.pk, "tinh", "campaign.urge")]
    read = client.post(f"/api/notifications/{urge.pk}/read", content_type="application/json")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/notifications?unread=true").json()["total"] == 1
    assert client.post(f"/api/notifications/{other.pk}/read").status_code == 404
    assert Client().get("/api/notifications").status_code == 401
