"""Calendar files: a meeting's .ics, and a user's feed at a secret address that can be replaced and
stopped. Read back with the icalendar library."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from icalendar import Calendar

from dangvien.meetings import services
from dangvien.meetings.models import CalendarFeed
from tests.meetings.fixtures import schedule

pytestmark = pytest.mark.django_db


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_a_meetings_ics_and_its_cancellation(world):
    meeting = schedule(world.secretary_a1, world.cell_a1, agenda=["Kiểm điểm"])
    member = Client()
    member.force_login(world.member_user_a1)
    response = member.get(f"/meetings/{meeting.pk}/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = _events(response.content)
    assert str(event["summary"]) == "Sinh hoạt chi bộ thường kỳ (Chi bộ Giáo viên 1)"
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.UTC)
    assert event.decoded("dtend") == dt.datetime(2026, 12, 10, 15, 30, tzinfo=dt.UTC)  # no end: 3 hours
    assert str(event["location"]) == "Hội trường thôn 3" and "1. Kiểm điểm" in str(event["description"])
    services.meeting_cancel(actor=world.secretary_a1, meeting=meeting, expected_version=1, reason="Bão")
    [event] = _events(member.get(f"/meetings/{meeting.pk}/calendar.ics").content)
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2
    assert str(event["uid"]) == f"meeting-{meeting.pk}@dangvien"


def test_a_feed_holds_the_users_meetings_and_stops_when_replaced_or_revoked(world):
    mine = schedule(world.secretary_a1, world.cell_a1)
    schedule(world.officer_b, world.cell_b1)
    token = services.calendar_feed_create(actor=world.member_user_a1)
    assert not CalendarFeed.objects.filter(token=token).exists()  # only its digest is kept
    anonymous = Client()
    feed = anonymous.get(f"/meetings/feed/{token}.ics")
    assert feed.status_code == 200
    assert [str(e["uid"]) for e in _events(feed.content)] == [f"meeting-{mine.pk}@dangvien"]
    newer = services.calendar_feed_create(actor=world.member_user_a1)
    assert anonymous.get(f"/meetings/feed/{token}.ics").status_code == 404
    assert anonymous.get(f"/meetings/feed/{newer}.ics").status_code == 200
    # The secretary's own feed holds their cell's meetings as its secretary.
    secretary = services.calendar_feed_create(actor=world.secretary_a1)
    assert len(_events(anonymous.get(f"/meetings/feed/{secretary}.ics").content)) == 1
    assert services.calendar_feed_revoke(actor=world.member_user_a1) is True
    assert anonymous.get(f"/meetings/feed/{newer}.ics").status_code == 404
