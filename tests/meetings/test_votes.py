"""Open votes: counts recorded, checked against the members present, closed with the minutes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.meetings import minutes_services as services
from dangvien.meetings.models import AttendanceStatus, Vote
from tests.clock import NOW
from tests.meetings.minutes_fixtures import (
    approve,
    make_meeting,
    mark,
    write_draft,
)

pytestmark = pytest.mark.django_db


def _vote(minutes_cell, meeting=None, actor=None, question="Thông qua phương hướng tháng 12", **counts):
    values = {"votes_for": 1, "votes_against": 0, "abstentions": 0, **counts}
    return services.vote_record(actor=actor or minutes_cell.world.secretary_a1, meeting=meeting or minutes_cell.meeting,
                                question=question, **values)


def test_a_vote_is_recorded_with_its_counts(minutes_cell):
    mark(minutes_cell.meeting, minutes_cell.cuong, AttendanceStatus.PRESENT)  # present: Hà and Cường
    audit = AuditEntry.objects.count()
    vote = _vote(minutes_cell, votes_for=1, votes_against=0, abstentions=1, agenda_item_id=minutes_cell.agenda[1].pk)
    assert (vote.votes_for, vote.votes_against, vote.abstentions, vote.agenda_item_id) == (1, 0, 1, minutes_cell.agenda[1].pk)
    entry = AuditEntry.objects.order_by("seq").last()
    assert AuditEntry.objects.count() == audit + 1 and entry.action == "meeting.vote_recorded"
    assert entry.after == {"meeting": minutes_cell.meeting.pk, "question": "Thông qua phương hướng tháng 12",
                           "agenda_item_id": minutes_cell.agenda[1].pk, "votes_for": 1, "votes_against": 0, "abstentions": 1}


def test_counts_cannot_exceed_the_expected_members_present(minutes_cell):
    # Hà is present; Dung (exempted) and Hoà (a guest) checked in too, but do not vote here.
    with pytest.raises(ValidationError) as refused:
        _vote(minutes_cell, votes_for=1, votes_against=1)
    assert set(refused.value.message_dict) == {"votes_for"}
    assert "2 votes for 1 members present" in refused.value.message_dict["votes_for"][0]
    assert _vote(minutes_cell, votes_for=1).pk


def test_without_attendance_the_counts_are_not_bounded_by_it(minutes_cell):
    meeting = make_meeting(minutes_cell.world.cell_a1, topic="Chưa điểm danh")
    assert _vote(minutes_cell, meeting=meeting, votes_for=12, votes_against=2, abstentions=1).votes_for == 12


@pytest.mark.parametrize("counts, fields", [
    ({"votes_for": -1}, {"votes_for"}),
    ({"votes_against": -2, "abstentions": -1}, {"votes_against", "abstentions"}),
    ({"votes_for": 0}, {"votes_for"}),  # nobody voted
    ({"votes_for": "3"}, {"votes_for"}),
])
def test_bad_counts_are_refused(minutes_cell, counts, fields):
    with pytest.raises(ValidationError) as refused:
        _vote(minutes_cell, **counts)
    assert set(refused.value.message_dict) == fields
    assert not Vote.objects.exists()


def test_the_api_refuses_a_negative_count_by_its_schema(minutes_cell):
    client = Client()
    client.force_login(minutes_cell.world.secretary_a1)
    body = {"question": "Biểu quyết", "votes_for": 1, "votes_against": -1, "abstentions": 0}
    response = client.post(f"/api/meetings/{minutes_cell.meeting.pk}/votes", json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and set(response.json()["errors"]) == {"votes_against"}
    body["votes_against"] = 0
    response = client.post(f"/api/meetings/{minutes_cell.meeting.pk}/votes", json.dumps(body), content_type="application/json")
    assert response.status_code == 201 and response.json()["votes_for"] == 1


def test_a_vote_is_taken_at_the_meeting_not_before(minutes_cell):
    later = make_meeting(minutes_cell.world.cell_a1, starts_at=NOW + dt.timedelta(days=3))
    with pytest.raises(ValidationError) as refused:
        _vote(minutes_cell, meeting=later)
    assert set(refused.value.message_dict) == {"meeting"}


def test_only_the_managers_record_votes(minutes_cell):
    with pytest.raises(PermissionDenied):
        _vote(minutes_cell, actor=minutes_cell.world.member_user_a1)
    assert not Vote.objects.exists()


def test_votes_close_with_the_minutes(minutes_cell):
    vote = _vote(minutes_cell)
    mistaken = _vote(minutes_cell, question="Nhầm")
    services.vote_remove(actor=minutes_cell.world.secretary_a1, vote=mistaken)
    assert list(Vote.objects.values_list("question", flat=True)) == ["Thông qua phương hướng tháng 12"]
    assert AuditEntry.objects.order_by("seq").last().before["question"] == "Nhầm"
    approve(minutes_cell, write_draft(minutes_cell))
    with pytest.raises(ValidationError):
        _vote(minutes_cell)
    with pytest.raises(ValidationError):
        services.vote_remove(actor=minutes_cell.world.secretary_a1, vote=vote)
    assert Vote.objects.count() == 1


def test_the_minutes_page_shows_the_votes(minutes_cell):
    _vote(minutes_cell, question="Kết nạp quần chúng Lý Văn Tâm", votes_for=1)
    approve(minutes_cell, write_draft(minutes_cell))
    client = Client(headers={"accept-language": "en"})
    client.force_login(minutes_cell.world.member_user_a1)
    page = client.get(f"/meetings/{minutes_cell.meeting.pk}/minutes/").content.decode()
    assert "Kết nạp quần chúng Lý Văn Tâm</span>:\n    for 1, against 0, abstained 0" in page
    api = client.get(f"/api/meetings/{minutes_cell.meeting.pk}/votes").json()
    assert [(v["question"], v["votes_for"]) for v in api] == [("Kết nạp quần chúng Lý Văn Tâm", 1)]
