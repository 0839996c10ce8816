"""Meetings as iCalendar (RFC 5545, written by the icalendar library): the .ics file of one meeting
and a user's calendar feed, which calendar apps fetch by its secret address.

Times are written in UTC ("Z"), which every calendar app reads without a time zone definition. Each
meeting keeps one UID, and its SEQUENCE is the meeting's version, so an app that imported it replaces
it when it is moved, and a cancelled meeting is sent with STATUS:CANCELLED (apps strike or remove it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from dangvien.meetings import rules
from dangvien.meetings.models import Meeting, MeetingStatus

PRODID = "-//dangvien//cell meetings//VI"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def meeting_event(meeting: Meeting, *, stamp: dt.datetime, site: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@dangvien")
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(rules.meeting_end(meeting.starts_at, meeting.ends_at)))
    event.add("summary", f"{meeting.topic} ({meeting.unit.name})")
    event.add("location", meeting.place)
    agenda = [f"{item.position}. {item.title}" for item in meeting.agenda.all()]
    event.add("description", "\n".join([meeting.get_kind_display(), *agenda]))
    event.add("sequence", meeting.version)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    if site:
        event.add("url", site + reverse("meetings:detail", args=[meeting.pk]))
    return event


def calendar_bytes(meetings: Iterable[Meeting], *, name: str) -> bytes:
    """An iCalendar document holding these meetings (agenda prefetched or read per meeting)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    site = str(settings.DANGVIEN.get("SITE_URL", "")).rstrip("/")
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, stamp=stamp, site=site))
    return calendar.to_ical()
