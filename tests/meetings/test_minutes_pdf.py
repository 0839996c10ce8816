"""The minutes' PDF, its text read back and compared with the minutes' page; the title by kind of
meeting; the draft's mark."""

from __future__ import annotations

import re

import pypdfium2
import pytest
from django.test import Client

from dangvien.core.models import AuditEntry
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings import minutes_services as services
from dangvien.meetings.minutes_pdf import minutes_html, minutes_place, minutes_title
from dangvien.meetings.models import Minutes
from tests.meetings.minutes_fixtures import approve, make_meeting, write_draft

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return re.sub(r"\s+", " ", text)


def _page_values(page: str) -> dict[str, object]:
    """What the minutes' page states, read from its HTML."""
    def one(element_id: str) -> str:
        return re.search(rf'id="{element_id}">([^<]*)<', page).group(1).strip()

    return {
        "present_total": one("present-total"), "place": one("place"), "chair": one("chair"),
        "secretary": one("secretary"),
        "absentees": re.findall(r'class="absentee-name">([^<]+)<', page),
        "reasons": re.findall(r'class="absentee-reason">([^<]+)<', page),
        "speakers": re.findall(r'class="speaker">([^<]+)<', page),
        "said": re.findall(r'class="said">([^<]+)<', page),
        "questions": re.findall(r'class="question">([^<]+)<', page),
    }


def test_the_pdf_states_what_the_page_states(minutes_cell):
    world = minutes_cell.world
    services.vote_record(actor=world.secretary_a1, meeting=minutes_cell.meeting, question="Thông qua phương hướng tháng 12",
                         votes_for=1, votes_against=0, abstentions=0)
    approve(minutes_cell, write_draft(minutes_cell))
    client = Client(headers={"accept-language": "en"})  # the page in English, the PDF always Vietnamese
    client.force_login(world.member_user_a1)
    page = _page_values(client.get(f"/meetings/{minutes_cell.meeting.pk}/minutes/").content.decode())
    assert page == {
        "present_total": "1/3", "place": "Hội trường trường THPT Ia Grai", "chair": "Nguyễn Thị Hà",
        "secretary": "Trần Văn Minh", "absentees": ["Phạm Văn Bình", "Lê Văn Cường"], "reasons": ["Ốm"],
        "speakers": ["Nguyễn Thị Hà", "Phạm Văn Bình"],
        "said": ["Tháng 10 chi bộ hoàn thành 9/10 chỉ tiêu.", "Đề nghị bổ sung kế hoạch thăm hỏi đảng viên cao tuổi."],
        "questions": ["Thông qua phương hướng tháng 12"]}

    audit = AuditEntry.objects.count()
    response = client.get(f"/meetings/{minutes_cell.meeting.pk}/minutes.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="bien-ban-GL-A-01-01-2026-11-20.pdf"'
    assert AuditEntry.objects.count() == audit + 1
    assert AuditEntry.objects.order_by("seq").last().action == "meeting.minutes_exported"
    text = _pdf_text(response.content)
    in_order = [
        "ĐẢNG BỘ TRƯỜNG THPT IA GRAI", "CHI BỘ GIÁO VIÊN 1", "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Ia Grai, ngày 20 tháng 11 năm 2026", "BIÊN BẢN SINH HOẠT CHI BỘ", "Kỳ tháng 11 năm 2026",
        "I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN", "bắt đầu lúc 14 giờ 00 phút, ngày 20/11/2026",
        f"Địa điểm: {page['place']}", f"Chủ trì: đồng chí {page['chair']}", f"Thư ký: đồng chí {page['secretary']}",
        f"Đảng viên có mặt: {page['present_total']} đồng chí; vắng mặt: 2 đồng chí (có lý do: 1)",
        "Đồng chí Phạm Văn Bình: vắng có lý do (Ốm)", "Đồng chí Lê Văn Cường: vắng chưa ghi nhận",
        "II. NỘI DUNG", "Đánh giá công tác tháng 10 (trình bày: Nguyễn Thị Hà)", "Phương hướng tháng 12",
        "III. Ý KIẾN THẢO LUẬN", f"Đồng chí {page['speakers'][0]} (nội dung 1): {page['said'][0]}",
        f"Đồng chí {page['speakers'][1]}: {page['said'][1]}",
        "IV. BIỂU QUYẾT",
        f"1. {page['questions'][0]}: tán thành 1, không tán thành 0, không biểu quyết 0 (trên 1 đồng chí có mặt)",
        "V. KẾT LUẬN", "Chi bộ thống nhất phương hướng tháng 12.",
        "Buổi sinh hoạt kết thúc lúc 16 giờ 30 phút cùng ngày; biên bản đã được thông qua",
        f"THƯ KÝ (Ký, ghi rõ họ tên) {page['secretary']} CHỦ TRÌ (Ký, ghi rõ họ tên) {page['chair']}",
    ]
    position = 0
    for expected in in_order:
        found = text.find(expected, position)
        assert found >= 0, f"{expected!r} not found after position {position} in {text!r}"
        position = found + len(expected)
    assert "DỰ THẢO" not in text
    # The usual layout: the minutes_cell at the left, the party's name at the right; the secretary signs at
    # the left, the chair at the right.
    sides = _sides(response.content, ["CHI BỘ GIÁO VIÊN 1", "ĐẢNG CỘNG SẢN VIỆT NAM", "THƯ KÝ", "CHỦ TRÌ"])
    assert sides == ["left", "right", "left", "right"]


def _sides(content: bytes, phrases: list[str]) -> list[str]:
    """Which half of its page each phrase starts in (the first time it appears)."""
    document = pypdfium2.PdfDocument(content)
    found = {}
    for page in document:
        width, textpage = page.get_width(), page.get_textpage()
        for phrase in phrases:
            if phrase in found:
                continue
            hit = textpage.search(phrase, match_case=True).get_next()
            if hit:
                left, _bottom, right, _top = textpage.get_charbox(hit[0])
                found[phrase] = "left" if (left + right) / 2 < width / 2 else "right"
    return [found.get(phrase, "missing") for phrase in phrases]


def test_a_draft_is_marked_and_served_to_its_managers_only(minutes_cell):
    minutes = write_draft(minutes_cell)
    html = minutes_html(selectors.minutes_record(minutes_cell.meeting, minutes))
    assert "DỰ THẢO" in html and "biên bản đã được thông qua" not in html
    member = Client()
    member.force_login(minutes_cell.world.member_user_a1)
    assert member.get(f"/meetings/{minutes_cell.meeting.pk}/minutes.pdf").status_code == 404


@pytest.mark.parametrize("unit_name, kind, title", [
    ("cell_a1", "regular", "BIÊN BẢN SINH HOẠT CHI BỘ"),
    ("cell_a1", "thematic", "BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ"),
    ("cell_a1", "committee", "BIÊN BẢN HỌP CHI ỦY"),
    ("org_a", "committee", "BIÊN BẢN HỌP ĐẢNG ỦY"),
    ("commune_b", "committee", "BIÊN BẢN HỌP ĐẢNG ỦY"),
    ("province", "committee", "BIÊN BẢN HỌP BAN THƯỜNG VỤ"),
])
def test_the_title_follows_the_kind_of_meeting(world, unit_name, kind, title):
    assert minutes_title(make_meeting(getattr(world, unit_name), kind=kind)) == title


def test_the_place_is_the_units_commune_or_province(world):
    assert [minutes_place(world.cell_a1), minutes_place(world.cell_b1), minutes_place(world.province)] == [
        "Ia Grai", "Pleiku", "Gia Lai"]


def test_a_thematic_meetings_pdf_html_names_its_topic(minutes_cell):
    meeting = make_meeting(minutes_cell.world.cell_a1, kind="thematic", topic="Học tập Nghị quyết Đại hội XIV")
    minutes = services.minutes_save(actor=minutes_cell.world.secretary_a1, meeting=meeting, expected_version=0,
                                    started_at=meeting.starts_at, place="Hội trường", chair="Nguyễn Thị Hà",
                                    secretary="Trần Văn Minh")
    html = minutes_html(selectors.minutes_record(meeting, Minutes.objects.get(pk=minutes.pk)))
    assert "BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ" in html and "Học tập Nghị quyết Đại hội XIV" in html
    assert "Kỳ tháng" not in html
