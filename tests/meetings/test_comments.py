"""Members' opinions before the meeting: idempotent sends (the page's key and the offline queue's
Idempotency-Key), who may send and who reads them, the secretary's panel."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings import minutes_services as services
from dangvien.meetings.models import Comment, Invitation, Meeting, MeetingStatus
from tests.meetings.minutes_fixtures import make_meeting

pytestmark = pytest.mark.django_db


def _send(minutes_cell, text="Đề nghị bổ sung nội dung thăm hỏi.", key="k-1", **target):
    return services.comment_add(actor=minutes_cell.world.member_user_a1, meeting=minutes_cell.meeting, text=text, key=key, **target)


def test_the_same_key_twice_records_one_opinion(minutes_cell):
    audit = AuditEntry.objects.count()
    first, created = _send(minutes_cell, agenda_item_id=minutes_cell.agenda[1].pk)
    again, created_again = _send(minutes_cell, text="Gửi lại", agenda_item_id=minutes_cell.agenda[1].pk)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert list(Comment.objects.values_list("text", "member_id", "agenda_item_id")) == [
        ("Đề nghị bổ sung nội dung thăm hỏi.", minutes_cell.world.member_a1.pk, minutes_cell.agenda[1].pk)]
    assert AuditEntry.objects.count() == audit + 1
    assert _send(minutes_cell, key="k-2")[1] is True and Comment.objects.count() == 2  # another key, another opinion


def test_the_offline_queue_sends_through_the_api_once(minutes_cell):
    """What handbook/offline.js posts: {"text"} with the key in the header, the target in the URL."""
    client = Client()
    client.force_login(minutes_cell.world.member_user_a1)
    url = f"/api/meetings/{minutes_cell.meeting.pk}/comments?attachment={minutes_cell.document.pk}"
    headers = {"Idempotency-Key": "4b1f0c6e-offline"}
    first = client.post(url, json.dumps({"text": "Báo cáo thiếu số liệu tháng 9."}), content_type="application/json",
                        headers=headers)
    again = client.post(url, json.dumps({"text": "Báo cáo thiếu số liệu tháng 9."}), content_type="application/json",
                        headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["attachment_id"], first.json()["member_name"]) == (minutes_cell.document.pk, "Nguyễn Thị Hà")
    assert Comment.objects.count() == 1
    listed = client.get(f"/api/meetings/{minutes_cell.meeting.pk}/comments").json()
    assert [c["text"] for c in listed] == ["Báo cáo thiếu số liệu tháng 9."]


def test_the_pages_form_records_once_with_its_key(minutes_cell):
    client = Client()
    client.force_login(minutes_cell.world.member_user_a1)
    page = client.get(f"/meetings/{minutes_cell.meeting.pk}/comments/").content.decode()
    assert f'data-offline-send="/api/meetings/{minutes_cell.meeting.pk}/comments?agenda_item={minutes_cell.agenda[0].pk}"' in page
    body = {"about": f"agenda-{minutes_cell.agenda[0].pk}", "text": "Nhất trí với báo cáo.", "idempotency_key": "form-key-1"}
    for _ in range(2):
        response = client.post(f"/meetings/{minutes_cell.meeting.pk}/comments/", body)
        assert response.status_code == 302
    assert list(Comment.objects.values_list("agenda_item_id", "text")) == [(minutes_cell.agenda[0].pk, "Nhất trí với báo cáo.")]


def test_who_may_send_an_opinion(minutes_cell):
    world = minutes_cell.world
    with pytest.raises(PermissionDenied):  # the secretary's login has no member record
        services.comment_add(actor=world.secretary_a1, meeting=minutes_cell.meeting, text="Ý kiến")
    with pytest.raises(NotFound):  # a member of another minutes_cell, not invited: the meeting is hidden
        services.comment_add(actor=_member_user(world.member_a2, "dv_a2"), meeting=minutes_cell.meeting, text="Ý kiến")
    guest = _member_user(world.member_b1, "dv_b1")  # invited as a guest from minutes_cell B1
    assert services.comment_add(actor=guest, meeting=minutes_cell.meeting, text="Ý kiến khách mời")[1] is True


def _member_user(member, username):
    from dangvien.accounts.models import Role
    from tests.factories import make_user

    return make_user(username, Role.MEMBER, member.unit, member=member)


def test_a_meeting_over_takes_no_new_opinion_but_answers_a_resend(minutes_cell):
    sent, _ = _send(minutes_cell)
    Meeting.objects.filter(pk=minutes_cell.meeting.pk).update(status=MeetingStatus.HELD)
    minutes_cell.meeting.refresh_from_db()
    assert _send(minutes_cell) == (sent, False)  # queued before, delivered after: the first send's answer
    with pytest.raises(ValidationError) as refused:
        _send(minutes_cell, key="k-late")
    assert set(refused.value.message_dict) == {"meeting"}
    assert Comment.objects.count() == 1


def test_bad_targets_are_refused(minutes_cell):
    other = make_meeting(minutes_cell.world.cell_a1, topic="Khác")
    from dangvien.meetings.models import AgendaItem

    foreign = AgendaItem.objects.create(meeting=other, position=1, title="Khác")
    for target, field in (({"agenda_item_id": foreign.pk}, "agenda_item"),
                          ({"attachment_id": minutes_cell.document.pk + 1000}, "attachment"),
                          ({"agenda_item_id": minutes_cell.agenda[0].pk, "attachment_id": minutes_cell.document.pk}, "agenda_item")):
        with pytest.raises(ValidationError) as refused:
            _send(minutes_cell, key="", **target)
        assert set(refused.value.message_dict) == {field}
    with pytest.raises(ValidationError):
        _send(minutes_cell, text="   ")
    with pytest.raises(ValidationError):
        _send(minutes_cell, key="not ascii ✓")
    assert not Comment.objects.exists()


def test_members_read_their_own_the_secretary_reads_all(minutes_cell):
    world = minutes_cell.world
    Invitation.objects.filter(meeting=minutes_cell.meeting).delete()
    Invitation.objects.create(meeting=minutes_cell.meeting, member=world.member_b1, is_guest=True)
    _send(minutes_cell, text="Ý kiến của Hà", agenda_item_id=minutes_cell.agenda[0].pk)
    services.comment_add(actor=_member_user(world.member_b1, "dv_b1"), meeting=minutes_cell.meeting, text="Ý kiến của Hoà",
                         attachment_id=minutes_cell.document.pk)
    assert [c.text for c in selectors.comments_visible_to(world.member_user_a1, minutes_cell.meeting)] == ["Ý kiến của Hà"]
    assert selectors.comments_panel(world.member_user_a1, minutes_cell.meeting) is None
    panel = selectors.comments_panel(world.secretary_a1, minutes_cell.meeting)
    assert [(line.comment.member.full_name, line.about) for line in panel] == [
        ("Nguyễn Thị Hà", "1. Đánh giá công tác tháng 10"), ("Lê Thị Hoà", "Document: Dự thảo báo cáo tháng 10")]
    client = Client()
    client.force_login(world.secretary_a1)
    page = client.get(f"/meetings/{minutes_cell.meeting.pk}/comments/").content.decode()
    assert "Ý kiến của Hà" in page and "Ý kiến của Hoà" in page and 'data-offline-send' not in page
