"""Documents: publishing (text, PDF checks), who reads what, search, read receipts and their counts,
bookmarks, withdrawal."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.accounts.models import Role
from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.library import selectors, services
from dangvien.library.models import Bookmark, Document, ReadReceipt
from dangvien.members.models import Member, Status
from tests.factories import make_member, make_user
from tests.library.fixtures import PDF, last_audit_seq, pdf_upload, publish

pytestmark = pytest.mark.django_db


def _media_files() -> list[str]:
    folder = settings.MEDIA_ROOT / "library"
    return sorted(os.listdir(folder)) if folder.exists() else []


# --- publishing ----------------------------------------------------------------------------------


def test_publish_stores_the_text_its_search_key_and_an_audit_row(world):
    before = last_audit_seq()
    doc = services.document_publish(actor=world.officer_a, unit=world.commune_a, kind="guidance",
                                    title="  Hướng dẫn   số 12 ", number="12-HD/ĐU", body="Về  sinh hoạt\r\nchi bộ",
                                    published_on=dt.date(2026, 11, 2))
    doc.refresh_from_db()
    assert (doc.title, doc.number, doc.body, doc.published_on) == (
        "Hướng dẫn số 12", "12-HD/ĐU", "Về  sinh hoạt\nchi bộ", dt.date(2026, 11, 2))
    assert doc.search_text == " 12-hd/du 12 hd du huong dan so 12 ve sinh hoat chi bo "
    assert doc.published_by == world.officer_a
    entry = AuditEntry.objects.get(seq__gt=before)
    assert (entry.action, entry.object_id, entry.unit_path) == ("library.document_published", str(doc.pk),
                                                                world.commune_a.path)
    assert entry.after["title"] == "Hướng dẫn số 12"


def test_publish_is_refused_outside_the_officers_subtree_and_for_other_roles(world):
    for actor, unit in [(world.officer_b, world.commune_a), (world.officer_a, world.province),
                        (world.secretary_a1, world.cell_a1), (world.member_user_a1, world.cell_a1)]:
        with pytest.raises(PermissionDenied):
            publish(world, unit, "Thông báo", actor=actor)
    assert Document.objects.count() == 0


def test_publish_reports_every_bad_field_and_saves_nothing(world):
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.document_publish(actor=world.officer_a, unit=world.commune_a, kind="memo", title=" ",
                                  published_on=dt.date(2026, 11, 22), body="a\x00b")
    assert set(refused.value.message_dict) == {"title", "kind", "published_on", "body"}
    assert refused.value.message_dict["published_on"] == ["This date is in the future."]
    with pytest.raises(ValidationError) as refused:
        services.document_publish(actor=world.officer_a, unit=world.commune_a, kind="guidance", title="Trống")
    assert refused.value.message_dict == {"body": ["Give the document's text, a PDF file, or both."]}
    assert Document.objects.count() == 0 and AuditEntry.objects.count() == audit


def test_a_pdf_is_stored_under_media_root_with_a_random_name(world):
    doc = publish(world, world.province, "Nghị quyết", body="", upload=pdf_upload("Nghị quyết 57.pdf"))
    assert doc.file_name == "Nghị quyết 57.pdf" and doc.file_size == len(PDF)
    stored = _media_files()
    assert len(stored) == 1 and stored[0].endswith(".pdf") and len(stored[0]) == 36  # 32 hex + ".pdf"
    assert doc.file.name == f"library/{stored[0]}"
    assert (settings.MEDIA_ROOT / doc.file.name).read_bytes() == PDF


@pytest.mark.parametrize(("upload", "message"), [
    (pdf_upload("virus.exe", content=b"MZ\x90\x00", content_type="application/octet-stream"),
     "The file must be a PDF document."),
    (pdf_upload("gia-mao.pdf", content=b"<html>not a pdf</html>"), "The file must be a PDF document."),
    (pdf_upload("anh.pdf", content_type="image/png"), "The file must be a PDF document."),
    (pdf_upload("rong.pdf", content=b""), "The file is empty."),
])
def test_a_file_that_is_not_a_pdf_is_refused(world, upload, message):
    with pytest.raises(ValidationError) as refused:
        publish(world, world.province, "Nghị quyết", upload=upload)
    assert message in refused.value.message_dict["file"]
    assert Document.objects.count() == 0 and _media_files() == []


def test_a_pdf_over_the_limit_is_refused_and_no_file_stays_behind(world, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "LIBRARY_MAX_PDF_BYTES": 3 * 1024 * 1024}
    big = pdf_upload(content=PDF + b"0" * (3 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        publish(world, world.province, "Nghị quyết", upload=big)
    assert refused.value.message_dict["file"] == ["The file is 3.0 MB; at most 3 MB is accepted."]
    assert Document.objects.count() == 0 and _media_files() == []


def test_a_refused_publication_leaves_no_file(world):
    with pytest.raises(PermissionDenied):
        publish(world, world.province, "Nghị quyết", actor=world.officer_a, upload=pdf_upload())
    assert _media_files() == []


# --- who reads what ------------------------------------------------------------------------------


READERS = {
    # Documents published at or above one's units, and inside an officer's subtree.
    "admin": {"doc_province", "doc_a", "doc_a1", "doc_b"},
    "province_officer": {"doc_province", "doc_a", "doc_a1", "doc_b"},
    "officer_a": {"doc_province", "doc_a", "doc_a1"},
    "officer_b": {"doc_province", "doc_b"},
    "secretary_a1": {"doc_province", "doc_a", "doc_a1"},
    "card_officer_a": {"doc_province", "doc_a", "doc_a1"},
    "member_user_a1": {"doc_province", "doc_a", "doc_a1"},
}


@pytest.mark.parametrize("role", list(READERS))
def test_each_role_reads_the_documents_of_its_units_and_above(lib, role):
    actor = getattr(lib.world, role)
    names = {"doc_province", "doc_a", "doc_a1", "doc_b"}
    visible = {d.pk for d in selectors.documents_visible_to(actor)}
    assert visible == {getattr(lib, n).pk for n in READERS[role]}
    for hidden in names - READERS[role]:
        with pytest.raises(NotFound):
            selectors.document_get_for(actor, getattr(lib, hidden).pk)


def test_a_member_reads_what_is_published_above_their_cell_without_a_role_there(lib):
    """An officer of commune B who is also a member of cell A2 reads commune A's documents too
    (published above cell A2), not cell A1's."""
    world = lib.world
    user = make_user("xa_b_dv", Role.COMMITTEE_OFFICER, world.commune_b, member=world.member_a2)
    assert {d.pk for d in selectors.documents_visible_to(user)} == {lib.doc_province.pk, lib.doc_a.pk, lib.doc_b.pk}


def test_a_member_who_left_the_roll_reads_only_through_their_roles(lib):
    user = make_user("cu_dv", Role.CARD_OFFICER, lib.world.commune_a, member=lib.world.member_b1)
    assert lib.doc_b.pk in {d.pk for d in selectors.documents_visible_to(user)}
    Member.objects.filter(pk=lib.world.member_b1.pk).update(status=Status.REMOVED)
    assert {d.pk for d in selectors.documents_visible_to(user)} == {lib.doc_province.pk, lib.doc_a.pk, lib.doc_a1.pk}


@pytest.mark.parametrize(("query", "found"), [
    ("nghi quyet", {"doc_province"}),  # without accents
    ("NGHỊ QUYẾT 57", {"doc_province"}),
    ("57-nq", {"doc_province"}),  # the number as written
    ("nq 57", {"doc_province"}),  # and its parts
    ("chi bộ", {"doc_a", "doc_a1"}),
    ("sinh hoat chi", {"doc_a"}),
    ("hoc", {"doc_province", "doc_a1"}),  # a word's start: "học", "khoa học"
    ("oc", set()),  # not inside a word
    ("thiên tai", set()),  # commune B's: not for this reader
])
def test_search_ignores_accents_and_case_and_matches_word_starts(lib, query, found):
    rows = selectors.document_list(lib.world.member_user_a1, selectors.DocumentFilter(query=query))
    assert {d.pk for d in rows} == {getattr(lib, n).pk for n in found}


def test_search_treats_both_tone_placements_alike(world):
    doc = publish(world, world.province, "Gương sáng bà Lê Thị Hoà", body="Câu chuyện về bà Thuỷ.")
    for query in ["hòa", "Hoà", "thủy", "thuỷ"]:
        assert [d.pk for d in selectors.document_list(world.member_user_a1, selectors.DocumentFilter(query=query))] \
            == [doc.pk], query


def test_filter_by_kind(lib):
    rows = selectors.document_list(lib.world.officer_a, selectors.DocumentFilter(kind="guidance"))
    assert [d.pk for d in rows] == [lib.doc_a.pk]


# --- read receipts and counts --------------------------------------------------------------------


def test_a_member_opening_a_document_is_recorded_once_and_officers_leave_no_receipt(lib):
    world = lib.world
    assert services.document_read(actor=world.member_user_a1, document=lib.doc_a) is True
    assert services.document_read(actor=world.member_user_a1, document=lib.doc_a) is False
    assert services.document_read(actor=world.officer_a, document=lib.doc_a) is False
    assert list(ReadReceipt.objects.values_list("document_id", "member_id")) == [(lib.doc_a.pk, world.member_a1.pk)]


def _reader(world, cell, name):
    member = make_member(cell, full_name=name)
    return member, make_user(f"dv{member.pk}", Role.MEMBER, cell, member=member)


def test_read_counts_per_unit_are_rolled_up_and_scoped_to_the_counter(lib):
    """Five members on the roll: cell A1 three (one more off the roll), cell A2 one, cell B1 one.
    Three read the province's document: two in A1, one in B1."""
    world = lib.world
    _member, reader_a1 = _reader(world, world.cell_a1, "Phạm Thị Lan")
    _reader(world, world.cell_a1, "Võ Văn Tâm")
    gone, gone_user = _reader(world, world.cell_a1, "Đỗ Văn Hùng")
    _member_b, _ = world.member_b1, None
    reader_b1 = make_user("dv_b1", Role.MEMBER, world.cell_b1, member=world.member_b1)
    for actor in (world.member_user_a1, reader_a1, reader_b1, gone_user):
        services.document_read(actor=actor, document=lib.doc_province)
    Member.objects.filter(pk=gone.pk).update(status=Status.REMOVED)  # read, then left: not counted

    def rows(actor):
        return [(r.unit.code, r.level, r.read, r.members, r.share)
                for r in selectors.document_read_counts(actor, lib.doc_province)]

    assert rows(world.province_officer) == [
        ("GL", 0, 3, 5, "3/5 = 60.0%"), ("GL-A", 1, 2, 4, "2/4 = 50.0%"), ("GL-B", 1, 1, 1, "1/1 = 100.0%")]
    assert rows(world.officer_a) == [("GL-A", 0, 2, 4, "2/4 = 50.0%"), ("GL-A-01", 1, 2, 4, "2/4 = 50.0%")]
    assert rows(world.secretary_a1) == [("GL-A-01-01", 0, 2, 3, "2/3 = 66.7%")]
    assert rows(world.officer_b) == [("GL-B", 0, 1, 1, "1/1 = 100.0%"), ("GL-B-01", 1, 1, 1, "1/1 = 100.0%")]
    for refused in (world.card_officer_a, world.member_user_a1):
        with pytest.raises(PermissionDenied):
            selectors.document_read_counts(refused, lib.doc_province)


def test_counts_of_a_cell_document_cover_the_cell_only(lib):
    world = lib.world
    services.document_read(actor=world.member_user_a1, document=lib.doc_a1)
    counts = selectors.document_read_counts(world.province_officer, lib.doc_a1)
    assert [(r.unit.code, r.read, r.members) for r in counts] == [("GL-A-01-01", 1, 1)]


# --- bookmarks and withdrawal --------------------------------------------------------------------


def test_bookmarks_are_added_once_and_removed_with_an_audit_row_each(lib):
    world = lib.world
    audit = last_audit_seq()
    assert services.bookmark_add(actor=world.member_user_a1, document=lib.doc_a) is True
    assert services.bookmark_add(actor=world.member_user_a1, document=lib.doc_a) is False
    bookmarked = selectors.document_list(world.member_user_a1, selectors.DocumentFilter(bookmarked=True))
    assert [d.pk for d in bookmarked] == [lib.doc_a.pk] and bookmarked[0].bookmarked
    assert services.bookmark_remove(actor=world.member_user_a1, document=lib.doc_a) is True
    assert services.bookmark_remove(actor=world.member_user_a1, document=lib.doc_a) is False
    assert Bookmark.objects.count() == 0
    assert list(AuditEntry.objects.filter(seq__gt=audit).values_list("action", flat=True).order_by("seq")) == [
        "library.bookmark_added", "library.bookmark_removed"]


def test_a_hidden_document_cannot_be_bookmarked(lib):
    with pytest.raises(NotFound):
        services.bookmark_add(actor=lib.world.member_user_a1, document=lib.doc_b)
    assert Bookmark.objects.count() == 0


def test_a_withdrawn_document_leaves_the_readers_list_but_not_the_committees(lib):
    world = lib.world
    with pytest.raises(PermissionDenied):
        services.document_withdraw(actor=world.secretary_a1, document=lib.doc_a1)
    services.document_withdraw(actor=world.officer_a, document=lib.doc_a1)
    assert lib.doc_a1.pk not in {d.pk for d in selectors.documents_visible_to(world.member_user_a1)}
    assert lib.doc_a1.pk in {d.pk for d in selectors.documents_visible_to(world.officer_a)}
    with pytest.raises(ValidationError):
        services.document_withdraw(actor=world.officer_a, document=lib.doc_a1)
    with pytest.raises(ValidationError):
        services.opinion_send(actor=world.officer_a, document=lib.doc_a1, text="Ý kiến")


def test_a_download_is_audited(lib):
    audit = last_audit_seq()
    services.document_download(actor=lib.world.member_user_a1, document=lib.doc_province)
    entry = AuditEntry.objects.get(seq__gt=audit)
    assert (entry.action, entry.actor_username, entry.after) == (
        "library.document_downloaded", "dv_a1", {"file_name": "nghi-quyet.pdf"})
    with pytest.raises(ValidationError):
        services.document_download(actor=lib.world.member_user_a1, document=lib.doc_a)  # no file
