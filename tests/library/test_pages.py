"""The library's pages, as a member and as officers use them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.library.models import (
    Bookmark,
    Document,
    Feedback,
    Opinion,
    QuizAttempt,
    ReadReceipt,
    StudyTopic,
)
from dangvien.library.selectors import topic_quiz
from tests.library.fixtures import PDF, QUIZ, last_audit_seq, pdf_upload

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _links(page: str, prefix: str) -> set[int]:
    return {int(n) for n in re.findall(rf'href="{prefix}(\d+)/"', page)}


def test_the_list_shows_the_readers_documents_and_searches_without_accents(lib):
    client = client_for(lib.world.member_user_a1)
    page = client.get("/library/").content.decode()
    assert _links(page, "/library/documents/") == {lib.doc_province.pk, lib.doc_a.pk, lib.doc_a1.pk}
    assert 'id="publish"' not in page
    page = client.get("/library/", {"q": "huong dan sinh hoat"}).content.decode()
    assert _links(page, "/library/documents/") == {lib.doc_a.pk}
    page = client.get("/library/", {"q": "không có từ này"}).content.decode()
    assert 'id="no-documents"' in page


def test_the_pages_are_vietnamese_by_default(lib):
    page = client_for(lib.world.member_user_a1, language="vi").get("/library/").content.decode()
    assert "<h1>Thư viện văn bản</h1>" in page and "Từ trong tiêu đề hoặc nội dung" in page


def test_a_member_opening_a_document_is_counted_and_the_committee_sees_the_count(lib):
    world = lib.world
    assert client_for(world.member_user_a1).get(f"/library/documents/{lib.doc_a.pk}/").status_code == 200
    assert ReadReceipt.objects.filter(document=lib.doc_a, member=world.member_a1).count() == 1
    page = client_for(world.officer_a).get(f"/library/documents/{lib.doc_a.pk}/").content.decode()
    assert "Read by 1 of 2 members (Đảng bộ xã Ia Grai)" in page
    page = client_for(world.officer_a).get(f"/library/documents/{lib.doc_a.pk}/reads/").content.decode()
    assert re.search(rf'id="reads-{world.commune_a.pk}">.*?<td class="num">1</td><td class="num">2</td>', page)


def test_publish_with_a_pdf_then_download_it_through_the_scoped_view(lib):
    world = lib.world
    officer = client_for(world.officer_a)
    response = officer.post("/library/documents/new/", {
        "unit": world.commune_a.pk, "kind": "resolution", "number": "05-NQ/ĐU", "title": "Nghị quyết Đại hội xã",
        "published_on": "20/11/2026", "summary": "", "body": "", "file": pdf_upload("NQ 05.pdf")})
    assert response.status_code == 302, response.content.decode()[:2000]
    doc = Document.objects.get(number="05-NQ/ĐU")
    assert response["Location"] == f"/library/documents/{doc.pk}/"
    audit = last_audit_seq()
    download = client_for(world.member_user_a1).get(f"/library/documents/{doc.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert AuditEntry.objects.filter(seq__gt=audit).get().action == "library.document_downloaded"
    # Out of scope: the same 404 as an absent document; and the file itself is not served.
    assert client_for(world.officer_b).get(f"/library/documents/{doc.pk}/download/").status_code == 404
    assert Client().get(f"/media/{doc.file.name}").status_code == 404


def test_a_file_that_is_not_a_pdf_is_refused_on_the_form(lib):
    world = lib.world
    response = client_for(world.officer_a).post("/library/documents/new/", {
        "unit": world.commune_a.pk, "kind": "resolution", "title": "Giả mạo", "body": "",
        "file": pdf_upload("x.pdf", content=b"GIF89a....")})
    assert response.status_code == 200
    assert "The file must be a PDF document." in response.content.decode()
    assert not Document.objects.filter(title="Giả mạo").exists()


def test_the_publish_form_offers_only_the_units_where_one_publishes(lib):
    world = lib.world
    page = client_for(world.officer_a).get("/library/documents/new/").content.decode()
    offered = set(map(int, re.findall(r'<option value="(\d+)"', page)))
    assert offered == {world.commune_a.pk, world.org_a.pk, world.cell_a1.pk, world.cell_a2.pk}
    assert client_for(world.secretary_a1).get("/library/documents/new/").status_code == 403


def test_an_opinion_form_sent_twice_records_one_opinion_and_the_answer_shows(lib):
    world = lib.world
    member = client_for(world.member_user_a1)
    page = member.get(f"/library/documents/{lib.doc_a.pk}/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    for _ in range(2):
        response = member.post(f"/library/documents/{lib.doc_a.pk}/opinions/", {"text": "Cần thêm ví dụ.",
                                                                                 "idempotency_key": key})
        assert response.status_code == 302
    opinion = Opinion.objects.get()
    officer = client_for(world.officer_a)
    assert officer.post(f"/library/opinions/{opinion.pk}/answer/", {"answer": "Sẽ bổ sung."}).status_code == 302
    page = member.get(f"/library/documents/{lib.doc_a.pk}/").content.decode()
    assert "The committee's answer" in page and "Sẽ bổ sung." in page


def test_bookmarks_page_lists_and_removes(lib):
    member = client_for(lib.world.member_user_a1)
    assert member.post(f"/library/documents/{lib.doc_a1.pk}/bookmark/").status_code == 302
    page = member.get("/library/bookmarks/").content.decode()
    assert _links(page, "/library/documents/") == {lib.doc_a1.pk}
    response = member.post(f"/library/documents/{lib.doc_a1.pk}/bookmark/remove/", {"next": "bookmarks"})
    assert response["Location"] == "/library/bookmarks/" and Bookmark.objects.count() == 0


def test_a_member_takes_the_quiz_and_the_secretary_sees_the_result(lib):
    world = lib.world
    member = client_for(world.member_user_a1)
    page = member.get(f"/library/study/{lib.topic.pk}/").content.decode()
    assert 'id="quiz"' in page and f'href="/library/documents/{lib.doc_a.pk}/"' in page
    questions = topic_quiz(lib.topic)
    answers = {f"q{q.pk}": str(next(c.pk for c in q.choices.all() if c.correct)) for q in questions}
    response = member.post(f"/library/study/{lib.topic.pk}/quiz/", {**answers, "idempotency_key": "a" * 32})
    assert response.status_code == 302
    assert QuizAttempt.objects.get().score == 2
    page = member.get(f"/library/study/{lib.topic.pk}/").content.decode()
    assert "2 of 2 right" in page
    results = client_for(world.secretary_a1).get(f"/library/study/{lib.topic.pk}/results/").content.decode()
    assert "Taken by 1 of 1 members" in results and f'id="result-{world.member_a1.pk}"' in results
    assert client_for(world.member_user_a1).get(f"/library/study/{lib.topic.pk}/results/").status_code == 403


def test_an_unanswered_quiz_is_refused_with_a_message(lib):
    member = client_for(lib.world.member_user_a1)
    response = member.post(f"/library/study/{lib.topic.pk}/quiz/", {}, follow=True)
    assert "Answer every question, then send again." in response.content.decode()
    assert QuizAttempt.objects.count() == 0


def test_an_officer_publishes_a_topic_with_its_quiz(lib):
    world = lib.world
    response = client_for(world.officer_a).post("/library/study/new/", {
        "unit": world.cell_a1.pk, "title": "Chuyên đề năm 2026", "description": "", "quiz": QUIZ,
        "documents": [lib.doc_a.pk, lib.doc_province.pk]})
    assert response.status_code == 302
    topic = StudyTopic.objects.get(title="Chuyên đề năm 2026")
    assert (topic.unit, topic.questions.count(), topic.documents.count()) == (world.cell_a1, 2, 2)
    response = client_for(world.officer_a).post("/library/study/new/", {
        "unit": world.cell_a1.pk, "title": "Sai", "quiz": "Câu?\nA\nB"})
    assert "Line 1: mark the right choice with * at the start of its line." in response.content.decode()


def test_feedback_sent_twice_with_one_key_is_recorded_once_and_answered(lib):
    world = lib.world
    member = client_for(world.member_user_a1)
    for _ in range(2):
        assert member.post("/library/feedback/", {"text": "Nút quá nhỏ.", "idempotency_key": "fb-key"}).status_code == 302
    feedback = Feedback.objects.get()
    assert client_for(world.officer_a).post(f"/library/feedback/{feedback.pk}/answer/",
                                            {"answer": "Đã sửa."}).status_code == 302
    page = member.get("/library/feedback/").content.decode()
    assert "Đã sửa." in page and f"/library/feedback/{feedback.pk}/answer/" not in page
    assert f"/library/feedback/{feedback.pk}/answer/" in client_for(world.officer_a).get("/library/feedback/").content.decode()
