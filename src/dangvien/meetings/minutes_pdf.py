"""The minutes as a PDF in the layout a party cell files them: the committee above and the cell at
the left, "ĐẢNG CỘNG SẢN VIỆT NAM" at the right with the place and date, the title by the kind of
meeting ("BIÊN BẢN SINH HOẠT CHI BỘ", "BIÊN BẢN HỌP CHI ỦY", ...), the sections in order (time and
place, who chaired and who took the minutes, present / total and the absentees with their reasons,
the agenda, the discussion, the open votes, the conclusions), and the signature blocks of the
secretary (THƯ KÝ) and the chair (CHỦ TRÌ). An official paper: always in Vietnamese, whatever the
page's language. A draft is marked "DỰ THẢO"."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from dangvien.meetings.minutes_selectors import MinutesRecord
from dangvien.meetings.models import AttendanceStatus, Meeting, MeetingKind
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind

# Where a committee's name says where it sits ("Đảng bộ xã Ia Grai" -> "Ia Grai").
_PLACE_PREFIXES = ("Đảng bộ xã ", "Đảng bộ phường ", "Đảng bộ đặc khu ", "Đảng bộ tỉnh ", "Đảng bộ thành phố ",
                   "Đảng bộ ")
COMMUNE_DEPTH = 1  # the province is depth 0, a commune-level committee 1 (docs/architecture.md: the tree)


def minutes_place(unit: Unit) -> str:
    """The locality the minutes are written in: the commune (or ward) the unit belongs to, else the
    province, named without its committee's words."""
    depth = min(unit.depth, COMMUNE_DEPTH)
    top = unit if unit.depth == depth else Unit.objects.filter(path=unit.path[:4 * (depth + 1)]).first() or unit
    for prefix in _PLACE_PREFIXES:
        if top.name.startswith(prefix):
            return top.name[len(prefix):]
    return top.name


def minutes_title(meeting: Meeting) -> str:
    unit = meeting.unit
    if meeting.kind == MeetingKind.COMMITTEE:
        if unit.kind in MEMBER_UNIT_KINDS:
            return "BIÊN BẢN HỌP CHI ỦY"
        return "BIÊN BẢN HỌP BAN THƯỜNG VỤ" if unit.kind == UnitKind.PROVINCE else "BIÊN BẢN HỌP ĐẢNG ỦY"
    if meeting.kind == MeetingKind.THEMATIC:
        return "BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ"
    return "BIÊN BẢN SINH HOẠT CHI BỘ" if unit.kind in MEMBER_UNIT_KINDS else "BIÊN BẢN SINH HOẠT ĐẢNG BỘ"


ABSENCE_WORDS = {AttendanceStatus.EXCUSED: "có lý do", AttendanceStatus.UNEXCUSED: "không lý do", "": "chưa ghi nhận"}


def minutes_html(record: MinutesRecord) -> str:
    """The minutes as HTML (what the PDF lays out)."""
    meeting, minutes = record.meeting, record.minutes
    unit = meeting.unit
    parent = unit.parent
    started = timezone.localtime(minutes.started_at)
    ended = timezone.localtime(minutes.ended_at) if minutes.ended_at else None
    absentees = [(a.name, ABSENCE_WORDS.get(a.status, ""), a.reason) for a in record.absentees]
    with translation.override("vi"):
        return render_to_string("meetings/minutes_pdf.html", {
            "record": record, "meeting": meeting, "minutes": minutes, "title": minutes_title(meeting),
            "superior": parent.name.upper() if parent else "", "committee": unit.name.upper(),
            "place": minutes_place(unit), "started": started, "ended": ended,
            "same_day": ended is None or ended.date() == started.date(), "absentees": absentees,
            "regular": meeting.kind == MeetingKind.REGULAR,
        })


def minutes_pdf(record: MinutesRecord) -> bytes:
    from weasyprint import HTML  # loads Pango: only where a PDF is made

    return bytes(HTML(string=minutes_html(record)).write_pdf())


def minutes_filename(meeting: Meeting) -> str:
    """bien-ban-<unit code>-<yyyy-mm-dd>.pdf (ASCII: any browser saves it as named)."""
    day = timezone.localtime(meeting.starts_at).date()
    code = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in meeting.unit.code)
    return f"bien-ban-{code}-{day.isoformat()}.pdf"
