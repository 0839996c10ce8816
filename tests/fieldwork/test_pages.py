"""The field work pages: forms post to the services, refusals come back on the form, nothing
changes on a refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dangvien.campaign.models import Participant, StepRecord
from dangvien.fieldwork.models import Difficulty, GroupPerson, GroupUnit, HomeVisit, Task, WorkingGroup
from dangvien.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_worklist_shows_address_phone_group_and_plan(field):
    w = field.world
    page = _client(w.card_officer_a).get(f"/campaigns/{field.campaign.pk}/visits/?unit=GL-A-01-01")
    assert page.status_code == 200
    html = page.content.decode()
    lan = field.participant(field.elderly)
    assert f'href="/campaigns/{field.campaign.pk}/visits/{lan.pk}/"' in html
    for text in ("Trần Thị Lan", "Thôn 3, xã Ia Grai", "0905123456", "Chi bộ Giáo viên 1", "Tổ công tác tỉnh"):
        assert text in html, text
    assert "Đỗ Thị Mai" not in html  # cell A2, outside the filter


def test_the_visit_form_records_the_visit_and_the_steps(field):
    w = field.world
    lan = field.participant(field.elderly)
    client = _client(w.card_officer_a)
    url = f"/campaigns/{field.campaign.pk}/visits/{lan.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": lan.version, "visited_on": "20/11/2026", "outcome": "photo_taken",
                                 "steps": ["declared", "photographed"], "care": "sick", "note": "Nằm trên giường"})
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{field.campaign.pk}/visits/?unit=GL-A-01-01"
    lan.refresh_from_db()
    assert (lan.stage, lan.care) == (2, "sick")
    assert StepRecord.objects.filter(participant=lan).count() == 2
    # The form now offers no step (both done) and the history shows the visit.
    html = client.get(url).content.decode()
    assert 'name="steps"' not in html and "20/11/2026" in html


def test_a_refused_visit_comes_back_on_the_form_and_nothing_changes(field):
    w = field.world
    lan = field.participant(field.elderly)
    response = _client(w.card_officer_a).post(f"/campaigns/{field.campaign.pk}/visits/{lan.pk}/", {
        "version": lan.version, "outcome": "not_at_home", "care": ""})
    assert response.status_code == 200
    assert "Give the day of the visit with its outcome." in response.content.decode()
    assert not HomeVisit.objects.exists()
    response = _client(w.card_officer_a).post(f"/campaigns/{field.campaign.pk}/visits/{lan.pk}/", {
        "version": lan.version, "visited_on": "31/02/2026", "care": ""})
    assert response.status_code == 200 and not HomeVisit.objects.exists()


def test_an_officer_forms_a_group_puts_people_units_and_tasks_in_it(field):
    w = field.world
    client = _client(w.officer_a)
    base = f"/campaigns/{field.campaign.pk}/groups/"
    response = client.post(base, {"name": "Tổ công tác xã Ia Grai", "unit": "GL-A"})
    group = WorkingGroup.objects.get(name="Tổ công tác xã Ia Grai")
    assert response.status_code == 302 and response["Location"] == f"{base}{group.pk}/"
    assert client.post(f"{base}{group.pk}/people/", {"user": w.card_officer_a.pk, "role": "leader"}).status_code == 302
    assert client.post(f"{base}{group.pk}/units/", {"unit": "GL-A-01"}).status_code == 302
    assert client.post(f"{base}{group.pk}/tasks/", {"title": "Chụp ảnh tại nhà", "owner": w.card_officer_a.pk,
                                                    "due_on": "25/11/2026", "unit": "GL-A-01"}).status_code == 302
    assert GroupPerson.objects.filter(group=group).count() == 1
    assert list(GroupUnit.objects.filter(group=group).values_list("unit__code", flat=True)) == ["GL-A-01"]
    task = Task.objects.get(group=group)
    assert (task.title, task.due_on, task.owner_id) == ("Chụp ảnh tại nhà", dt.date(2026, 11, 25), w.card_officer_a.pk)
    # A unit outside the group's commune is refused on the form.
    response = client.post(f"{base}{group.pk}/units/", {"unit": "GL-B"})
    assert response.status_code == 200 and GroupUnit.objects.filter(group=group).count() == 1
    page = client.get(f"{base}{group.pk}/").content.decode()
    assert "Chụp ảnh tại nhà" in page and "the_a" in page
    # The task's owner sees it on their list and marks it done.
    owner = _client(w.card_officer_a)
    assert "Chụp ảnh tại nhà" in owner.get(f"/campaigns/{field.campaign.pk}/tasks/").content.decode()
    assert owner.post(f"/campaigns/{field.campaign.pk}/tasks/{task.pk}/status/", {"done": "1"}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.done_on) == ("done", dt.date(2026, 11, 21))


def test_difficulties_page_raise_answer_close(field):
    w = field.world
    url = f"/campaigns/{field.campaign.pk}/difficulties/"
    secretary = _client(w.secretary_a1)
    assert 'value="GL-A-01-01"' in secretary.get(url).content.decode()  # their own cell offered
    assert secretary.post(url, {"unit": "GL-A-01-01", "title": "Thiếu máy chụp ảnh", "description": ""}
                          ).status_code == 302
    found = Difficulty.objects.get()
    province = _client(w.province_officer)
    assert "Thiếu máy chụp ảnh" in province.get(f"{url}?status=open").content.decode()
    assert "Thiếu máy chụp ảnh" not in province.get(f"{url}?status=answered").content.decode()
    assert province.post(f"{url}{found.pk}/answer/", {"answer": "Mượn máy của công an xã."}).status_code == 302
    assert secretary.post(f"{url}{found.pk}/answer/", {"answer": "Không"}).status_code == 403
    assert secretary.post(f"{url}{found.pk}/close/").status_code == 302
    found.refresh_from_db()
    assert (found.status, found.answer) == ("closed", "Mượn máy của công an xã.")
    # The secretary got the answer: the header counts it.
    assert Notification.objects.filter(recipient=w.secretary_a1).count() == 1
    assert 'id="unread-count">1' in secretary.get(url).content.decode()


def test_a_hidden_participant_is_a_404_and_one_of_another_campaign_too(field):
    w = field.world
    bay = field.participant(field.elderly_b)
    assert _client(w.card_officer_a).get(f"/campaigns/{field.campaign.pk}/visits/{bay.pk}/").status_code == 404
    lan = field.participant(field.elderly)
    assert _client(w.card_officer_a).get(f"/campaigns/999999/visits/{lan.pk}/").status_code == 404
    assert Participant.objects.filter(pk=lan.pk, stage=0).exists()
