"""Opinions on documents and feedback about the app: sent once per idempotency key, answered by
the committee, the answer seen by the sender."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.library import selectors, services
from dangvien.library.models import Feedback, Opinion
from dangvien.notifications.models import Notification
from tests.library.fixtures import last_audit_seq

pytestmark = pytest.mark.django_db


def test_an_opinion_resent_with_its_key_is_recorded_once(lib):
    member = lib.world.member_user_a1
    audit = AuditEntry.objects.count()
    first, created = services.opinion_send(actor=member, document=lib.doc_a, text=" Đề nghị bổ sung ví dụ. ",
                                           key="k-1")
    again, created_again = services.opinion_send(actor=member, document=lib.doc_a, text="Đề nghị bổ sung ví dụ.",
                                                 key="k-1")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert first.text == "Đề nghị bổ sung ví dụ."
    assert Opinion.objects.count() == 1 and AuditEntry.objects.count() == audit + 1


def test_keys_are_per_author_and_no_key_means_a_new_opinion_each_time(lib):
    world = lib.world
    services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Một", key="same")
    _, created = services.opinion_send(actor=world.officer_a, document=lib.doc_a, text="Hai", key="same")
    assert created
    services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Ba")
    services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Ba")
    assert Opinion.objects.count() == 4


@pytest.mark.parametrize(("text", "key", "field"), [
    ("   ", "", "text"),
    ("x" * 20_001, "", "text"),
    ("ok", "k" * 65, "idempotency_key"),
    ("ok", "khóa", "idempotency_key"),  # not ASCII
    ("ok", "a b", "idempotency_key"),
])
def test_a_bad_opinion_is_refused_and_nothing_is_saved(lib, text, key, field):
    with pytest.raises(ValidationError) as refused:
        services.opinion_send(actor=lib.world.member_user_a1, document=lib.doc_a, text=text, key=key)
    assert list(refused.value.message_dict) == [field]
    assert Opinion.objects.count() == 0


def test_an_opinion_on_a_hidden_document_is_refused(lib):
    with pytest.raises(NotFound):
        services.opinion_send(actor=lib.world.member_user_a1, document=lib.doc_b, text="Ý kiến")


def test_the_publishing_committee_answers_and_the_member_sees_the_answer(lib):
    world = lib.world
    opinion, _ = services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Khi nào họp?")
    # Who sees the opinion: its author and the committees over the document's unit.
    for outsider in (world.officer_b, world.secretary_a1, world.card_officer_a):
        with pytest.raises(NotFound):
            services.opinion_answer(actor=outsider, opinion=opinion, answer="Trả lời")
    with pytest.raises(PermissionDenied):
        services.opinion_answer(actor=world.member_user_a1, opinion=opinion, answer="Tự trả lời")
    audit = last_audit_seq()
    services.opinion_answer(actor=world.officer_a, opinion=opinion, answer="Ngày 5 hằng tháng.")
    seen = selectors.document_opinions(world.member_user_a1, lib.doc_a).get()
    assert (seen.answer, seen.answered_by) == ("Ngày 5 hằng tháng.", world.officer_a)
    entry = AuditEntry.objects.get(seq__gt=audit, action="library.opinion_answered")
    assert (entry.action, entry.before, entry.after) == (
        "library.opinion_answered", {"answer": "", "answered_by_id": None},
        {"answer": "Ngày 5 hằng tháng.", "answered_by_id": world.officer_a.pk})


def test_a_reader_sees_only_their_own_opinions_the_committee_all(lib):
    world = lib.world
    mine, _ = services.opinion_send(actor=world.member_user_a1, document=lib.doc_province, text="Của tôi")
    theirs, _ = services.opinion_send(actor=world.officer_b, document=lib.doc_province, text="Của xã B")
    assert [o.pk for o in selectors.document_opinions(world.member_user_a1, lib.doc_province)] == [mine.pk]
    assert [o.pk for o in selectors.document_opinions(world.officer_a, lib.doc_province)] == []
    assert [o.pk for o in selectors.document_opinions(world.province_officer, lib.doc_province)] == [mine.pk, theirs.pk]


def test_feedback_goes_to_the_committee_over_the_senders_cell(lib):
    world = lib.world
    feedback, created = services.feedback_send(actor=world.member_user_a1, text="Chữ quá nhỏ.", key="fb-1")
    _, created_again = services.feedback_send(actor=world.member_user_a1, text="Chữ quá nhỏ.", key="fb-1")
    assert (created, created_again, feedback.unit) == (True, False, world.cell_a1)
    assert Feedback.objects.count() == 1
    assert [f.pk for f in selectors.feedback_list(world.officer_a)] == [feedback.pk]
    assert [f.pk for f in selectors.feedback_list(world.officer_b)] == []
    assert [f.pk for f in selectors.feedback_list(world.secretary_a1)] == []
    with pytest.raises(NotFound):
        services.feedback_answer(actor=world.officer_b, feedback=feedback, answer="?")
    with pytest.raises(PermissionDenied):
        services.feedback_answer(actor=world.member_user_a1, feedback=feedback, answer="?")
    services.feedback_answer(actor=world.officer_a, feedback=feedback, answer="Đã có chế độ chữ lớn.")
    assert selectors.feedback_get_for(world.member_user_a1, feedback.pk).answer == "Đã có chế độ chữ lớn."


def test_an_officers_feedback_goes_to_their_unit_an_unbound_users_to_the_administrators(lib):
    world = lib.world
    from_officer, _ = services.feedback_send(actor=world.officer_b, text="Thiếu xuất Excel.")
    from_admin, _ = services.feedback_send(actor=world.admin, text="Ghi chú.")
    # The officer of the only province holds its permissions "everywhere"; the feedback is still the province's.
    from_province, _ = services.feedback_send(actor=world.province_officer, text="Cần báo cáo theo quý.")
    assert (from_officer.unit, from_admin.unit, from_province.unit) == (world.commune_b, None, world.province)
    assert {f.pk for f in selectors.feedback_list(world.province_officer)} == {from_officer.pk, from_province.pk}
    with pytest.raises(NotFound):
        services.feedback_answer(actor=world.province_officer, feedback=from_admin, answer="?")
    services.feedback_answer(actor=world.admin, feedback=from_admin, answer="Đã ghi nhận.")


def _notices(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk")
                .values_list("topic", "title", "body", "link", "sender_id", "emailed"))


def test_the_member_is_notified_when_the_committee_answers_their_opinion(lib):
    world = lib.world
    world.member_user_a1.email = "an@example.vn"
    world.member_user_a1.save(update_fields=["email"])
    opinion, _ = services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Khi nào họp?")
    assert _notices(world.member_user_a1) == []
    services.opinion_answer(actor=world.officer_a, opinion=opinion, answer="Ngày 5 hằng tháng.")
    services.opinion_answer(actor=world.officer_a, opinion=opinion, answer="Ngày 6 hằng tháng.")
    link = f"/library/documents/{lib.doc_a.pk}/#opinion-{opinion.pk}"
    # Written in Vietnamese, the site's language, though the officer's page is in English.
    assert _notices(world.member_user_a1) == [
        ("library.opinion_answered", "Cấp ủy đã trả lời ý kiến của đồng chí về “Hướng dẫn sinh hoạt chi bộ”",
         "Ngày 5 hằng tháng.", link, world.officer_a.pk, True),
        ("library.opinion_answered",
         "Cấp ủy đã sửa câu trả lời ý kiến của đồng chí về “Hướng dẫn sinh hoạt chi bộ”",
         "Ngày 6 hằng tháng.", link, world.officer_a.pk, True)]
    assert [(m.to, m.body) for m in mail.outbox] == [(["an@example.vn"], "Ngày 5 hằng tháng."),
                                                     (["an@example.vn"], "Ngày 6 hằng tháng.")]
    assert Notification.objects.exclude(recipient=world.member_user_a1).count() == 0


def test_a_refused_answer_notifies_no_one(lib):
    world = lib.world
    opinion, _ = services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Khi nào họp?")
    with pytest.raises(PermissionDenied):
        services.opinion_answer(actor=world.member_user_a1, opinion=opinion, answer="Tự trả lời")
    with pytest.raises(ValidationError):
        services.opinion_answer(actor=world.officer_a, opinion=opinion, answer="  ")
    assert not Notification.objects.exists()


def test_a_failed_notice_undoes_the_answer(lib, monkeypatch):
    # The answer and its notice are one transaction: the member is never left unaware of an answer.
    world = lib.world
    opinion, _ = services.opinion_send(actor=world.member_user_a1, document=lib.doc_a, text="Khi nào họp?")

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "notification_send", broken)
    with pytest.raises(RuntimeError):
        services.opinion_answer(actor=world.officer_a, opinion=opinion, answer="Ngày 5.")
    opinion.refresh_from_db()
    assert (opinion.answer, opinion.answered_by_id) == ("", None)


def test_the_sender_is_notified_when_their_feedback_is_answered(lib):
    world = lib.world
    feedback, _ = services.feedback_send(actor=world.member_user_a1, text="Chữ quá nhỏ.")
    services.feedback_answer(actor=world.officer_a, feedback=feedback, answer="Đã có chế độ chữ lớn.")
    assert _notices(world.member_user_a1) == [
        ("library.feedback_answered", "Góp ý của đồng chí về ứng dụng đã được trả lời", "Đã có chế độ chữ lớn.",
         f"/library/feedback/#feedback-{feedback.pk}", world.officer_a.pk, False)]  # no email address
    assert Notification.objects.get().unit_id == world.cell_a1.pk


def test_one_answering_their_own_feedback_is_not_notified(lib):
    world = lib.world
    feedback, _ = services.feedback_send(actor=world.admin, text="Ghi chú.")
    services.feedback_answer(actor=world.admin, feedback=feedback, answer="Đã ghi nhận.")
    assert not Notification.objects.exists()
