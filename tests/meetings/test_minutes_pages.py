"""The minutes through the pages and the JSON API: the secretary's form with the discussion's rows,
approval, a stale copy, what a member sees."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dangvien.meetings.models import Meeting, MeetingStatus, Minutes, Speech
from tests.meetings.minutes_fixtures import approve, write_draft

pytestmark = pytest.mark.django_db


def _client(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _form(minutes_cell, version=0, **changes):
    data = {"version": version, "day": "20/11/2026", "started": "14:00", "ended": "16:30",
            "place": "Hội trường", "chair": "Nguyễn Thị Hà", "secretary": "Trần Văn Minh",
            "conclusions": "Thống nhất.",
            "speech-TOTAL_FORMS": "3", "speech-INITIAL_FORMS": "0",
            "speech-0-speaker": "Phạm Văn Bình", "speech-0-text": "Ý kiến một.",
            "speech-0-agenda_item": str(minutes_cell.agenda[1].pk),
            "speech-1-speaker": "", "speech-1-text": "", "speech-1-agenda_item": "",
            "speech-2-speaker": "Lê Văn Cường", "speech-2-text": "Ý kiến hai.", "speech-2-agenda_item": ""}
    data.update(changes)
    return data


def test_the_secretary_writes_and_approves_through_the_pages(minutes_cell):
    client = _client(minutes_cell.world.secretary_a1)
    url = f"/meetings/{minutes_cell.meeting.pk}/minutes/"
    assert 'id="write-minutes"' in client.get(url).content.decode()
    form = client.get(url + "edit/").content.decode()
    assert 'value="Hội trường trường THPT Ia Grai"' in form and 'value="14:00"' in form  # from the schedule
    response = client.post(url + "edit/", _form(minutes_cell))
    assert response.status_code == 302 and response["Location"] == url
    minutes = Minutes.objects.get(meeting=minutes_cell.meeting)
    assert (minutes.version, minutes.started_at.isoformat(), minutes.ended_at.isoformat()) == (
        1, "2026-11-20T07:00:00+00:00", "2026-11-20T09:30:00+00:00")
    assert list(Speech.objects.order_by("position").values_list("position", "speaker", "agenda_item_id")) == [
        (1, "Phạm Văn Bình", minutes_cell.agenda[1].pk), (2, "Lê Văn Cường", None)]  # the empty row dropped
    page = client.get(url).content.decode()
    assert "Draft" in page and 'id="present-total">1/3<' in page
    response = client.post(url + "approve/", {"version": 1})
    assert response.status_code == 302
    assert Meeting.objects.get(pk=minutes_cell.meeting.pk).status == MeetingStatus.HELD
    assert client.get(url + "edit/").status_code == 302  # approved: back to the minutes


def test_a_stale_form_is_refused_with_a_message(minutes_cell):
    client = _client(minutes_cell.world.secretary_a1)
    url = f"/meetings/{minutes_cell.meeting.pk}/minutes/edit/"
    client.post(url, _form(minutes_cell))
    response = client.post(url, _form(minutes_cell, version=0, chair="Người khác"))
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert Minutes.objects.get(meeting=minutes_cell.meeting).chair == "Nguyễn Thị Hà"


def test_errors_land_on_the_form_and_its_rows(minutes_cell):
    client = _client(minutes_cell.world.secretary_a1)
    response = client.post(f"/meetings/{minutes_cell.meeting.pk}/minutes/edit/",
                           _form(minutes_cell, ended="13:00", **{"speech-2-text": ""}))
    page = response.content.decode()
    assert response.status_code == 200 and not Minutes.objects.exists()
    assert "The meeting cannot end before it starts." in page and "This field is required." in page


def test_a_member_reads_approved_minutes_only(minutes_cell):
    member = _client(minutes_cell.world.member_user_a1)
    url = f"/meetings/{minutes_cell.meeting.pk}/minutes/"
    assert member.get(url).status_code == 404  # none yet
    minutes = write_draft(minutes_cell)
    assert member.get(url).status_code == 404  # a draft
    assert member.get(f"/api/meetings/{minutes_cell.meeting.pk}/minutes").status_code == 404
    assert member.get(url + "edit/").status_code == 403
    approve(minutes_cell, minutes)
    response = member.get(url)
    assert response.status_code == 200 and response["X-Dangvien-Offline-Copy"] == str(minutes_cell.world.member_user_a1.pk)
    assert 'id="edit-minutes"' not in response.content.decode()
    in_vietnamese = _client(minutes_cell.world.member_user_a1, "vi").get(url).content.decode()
    assert "Đã thông qua" in in_vietnamese and "Thời gian, địa điểm, thành phần" in in_vietnamese
    comments = member.get(f"/meetings/{minutes_cell.meeting.pk}/comments/")
    assert comments["X-Dangvien-Offline-Copy"] == str(minutes_cell.world.member_user_a1.pk)


def test_a_draft_page_is_never_kept_offline(minutes_cell):
    write_draft(minutes_cell)
    response = _client(minutes_cell.world.secretary_a1).get(f"/meetings/{minutes_cell.meeting.pk}/minutes/")
    assert response.status_code == 200 and "X-Dangvien-Offline-Copy" not in response


def test_the_api_writes_reads_and_approves(minutes_cell):
    client = _client(minutes_cell.world.secretary_a1)
    url = f"/api/meetings/{minutes_cell.meeting.pk}/minutes"
    body = {"version": 0, "started_at": "2026-11-20T14:00:00", "ended_at": "2026-11-20T16:30:00+07:00",
            "place": "Hội trường", "chair": "Nguyễn Thị Hà", "secretary": "Trần Văn Minh", "conclusions": "Thống nhất.",
            "speeches": [{"speaker": "Phạm Văn Bình", "text": "Ý kiến.", "agenda_item": minutes_cell.agenda[0].pk}]}
    created = client.put(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    out = created.json()
    assert (out["status"], out["version"], out["present"], out["total"]) == ("draft", 1, 1, 3)
    assert out["started_at"] == "2026-11-20T14:00:00+07:00" and out["ended_at"] == "2026-11-20T16:30:00+07:00"
    assert out["speeches"] == [{"position": 1, "speaker": "Phạm Văn Bình", "text": "Ý kiến.",
                                "agenda_item": minutes_cell.agenda[0].pk}]
    assert [a["name"] for a in out["absentees"]] == ["Phạm Văn Bình", "Lê Văn Cường"]
    stale = client.put(url, json.dumps(body), content_type="application/json")
    assert stale.status_code == 409
    approved = client.post(url + "/approve", json.dumps({"version": 1}), content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.put(url, json.dumps({**body, "version": 2}), content_type="application/json")
    assert again.status_code == 422 and set(again.json()["errors"]) == {"minutes"}
