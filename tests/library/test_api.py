"""The library's JSON API: the same rules as the pages, idempotent sends for the offline queue."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dangvien.library.models import Document, Feedback, Opinion, QuizAttempt, ReadReceipt
from dangvien.library.selectors import topic_quiz

pytestmark = pytest.mark.django_db
JSON = "application/json"


def api(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_an_opinion_resent_with_its_idempotency_key_header_answers_200_with_the_same_row(lib):
    client = api(lib.world.member_user_a1)
    url = f"/api/library/documents/{lib.doc_a.pk}/opinions"
    first = client.post(url, {"text": "Đề nghị in thêm."}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="offline-7")
    again = client.post(url, {"text": "Đề nghị in thêm."}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="offline-7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["answer"] == ""
    # The key may come in the body too (a form replayed by the offline queue).
    body = {"text": "Ý kiến khác", "idempotency_key": "offline-8"}
    assert client.post(url, body, content_type=JSON).status_code == 201
    assert client.post(url, body, content_type=JSON).status_code == 200
    assert Opinion.objects.count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "a\u0000b"}, "text"),
    ({"text": "  "}, "text"),
    ({"text": "ok", "idempotency_key": "k" * 65}, "idempotency_key"),
    ({"text": "ok", "extra": 1}, "extra"),
])
def test_a_bad_opinion_is_a_422_and_nothing_is_saved(lib, body, field):
    response = api(lib.world.member_user_a1).post(f"/api/library/documents/{lib.doc_a.pk}/opinions", body,
                                                  content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Opinion.objects.count() == 0


def test_feedback_is_idempotent_and_its_answer_reaches_the_sender(lib):
    member = api(lib.world.member_user_a1)
    sent = [member.post("/api/library/feedback", {"text": "Ứng dụng chậm."}, content_type=JSON,
                        HTTP_IDEMPOTENCY_KEY="fb-1") for _ in range(2)]
    assert [r.status_code for r in sent] == [201, 200] and Feedback.objects.count() == 1
    feedback_id = sent[0].json()["id"]
    answered = api(lib.world.officer_a).post(f"/api/library/feedback/{feedback_id}/answer",
                                             {"answer": "Đã nâng cấp máy chủ."}, content_type=JSON)
    assert answered.status_code == 200
    items = member.get("/api/library/feedback").json()["items"]
    assert [(i["id"], i["answer"], i["unit"]["code"]) for i in items] == [
        (feedback_id, "Đã nâng cấp máy chủ.", "GL-A-01-01")]


def test_document_search_read_and_bookmark(lib):
    member = api(lib.world.member_user_a1)
    found = member.get("/api/library/documents", {"q": "KE HOACH hoc tap"}).json()
    assert (found["total"], [i["id"] for i in found["items"]]) == (1, [lib.doc_a1.pk])
    assert member.put(f"/api/library/documents/{lib.doc_province.pk}/bookmark").status_code == 204
    one = member.get(f"/api/library/documents/{lib.doc_province.pk}").json()
    assert (one["bookmarked"], one["has_file"], one["download_url"], one["file_name"]) == (
        True, True, f"/library/documents/{lib.doc_province.pk}/download/", "nghi-quyet.pdf")
    assert ReadReceipt.objects.filter(document=lib.doc_province).count() == 1
    marked = member.get("/api/library/documents", {"bookmarked": "true"}).json()
    assert [i["id"] for i in marked["items"]] == [lib.doc_province.pk]
    assert member.delete(f"/api/library/documents/{lib.doc_province.pk}/bookmark").status_code == 204
    assert member.get("/api/library/documents", {"bookmarked": "true"}).json()["total"] == 0


def test_read_counts_by_unit(lib):
    api(lib.world.member_user_a1).get(f"/api/library/documents/{lib.doc_a.pk}")
    rows = api(lib.world.officer_a).get(f"/api/library/documents/{lib.doc_a.pk}/reads").json()
    assert [(r["unit"]["code"], r["level"], r["read"], r["members"], r["share"]) for r in rows] == [
        ("GL-A", 0, 1, 2, "1/2 = 50.0%"), ("GL-A-01", 1, 1, 2, "1/2 = 50.0%")]


def test_publish_a_text_document(lib):
    response = api(lib.world.officer_a).post("/api/library/documents", {
        "unit": lib.world.cell_a2.pk, "kind": "guidance", "title": "Lịch sinh hoạt tháng 12",
        "body": "Ngày 5/12."}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert Document.objects.get(pk=response.json()["id"]).unit == lib.world.cell_a2
    refused = api(lib.world.officer_b).post("/api/library/documents", {
        "unit": lib.world.commune_b.pk, "kind": "guidance", "title": "Trống", "body": ""}, content_type=JSON)
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["body"]


def test_a_topic_hides_the_right_answers_and_an_attempt_is_scored(lib):
    member = api(lib.world.member_user_a1)
    topic = member.get(f"/api/library/study/topics/{lib.topic.pk}").json()
    assert [d["id"] for d in topic["materials"]] == [lib.doc_a.pk]
    assert "correct" not in json.dumps(topic)
    right = {str(q.pk): next(c.pk for c in q.choices.all() if c.correct) for q in topic_quiz(lib.topic)}
    url = f"/api/library/study/topics/{lib.topic.pk}/attempts"
    sent = [member.post(url, {"answers": right}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="quiz-1") for _ in range(2)]
    assert [r.status_code for r in sent] == [201, 200]
    assert (sent[0].json()["score"], sent[0].json()["total"]) == (2, 2) and QuizAttempt.objects.count() == 1
    results = api(lib.world.secretary_a1).get(f"/api/library/study/topics/{lib.topic.pk}/results").json()
    assert (results["done"], results["total"], [(i["full_name"], i["best"]) for i in results["items"]]) == (
        1, 1, [("Nguyễn Thị Hà", 2)])
    officer = api(lib.world.officer_a).post(url, {"answers": right}, content_type=JSON)
    assert officer.status_code == 403
