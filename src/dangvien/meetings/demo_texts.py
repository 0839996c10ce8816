"""The Vietnamese words of the demo meetings (meetings.demo): topics, agendas, what was said, the
conclusions, the reasons given for absences. Chosen with each cell's random stream; every string is
NFC (tests/meetings/test_demo_meetings.py checks)."""

from __future__ import annotations

import datetime as dt
import random

# The standing items of a regular meeting's agenda, and the month's topic drawn from these (the
# campaign's card exchange and the handbook come up often: the demo tells their year).
MONTH_TOPICS = (
    "Thông tin thời sự, chính sách mới của Đảng, pháp luật của Nhà nước",
    "Quán triệt Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo",
    "Triển khai cấp, đổi thẻ đảng viên gắn chip theo Chỉ thị số 51-CT/TW",
    "Hướng dẫn đảng viên kích hoạt và sử dụng Sổ tay đảng viên điện tử",
    "Rà soát thu, nộp đảng phí theo Quy định số 01-QĐ/TW",
    "Công tác phát triển đảng viên, bồi dưỡng quần chúng ưu tú",
    "Góp ý dự thảo báo cáo chính trị của Đảng ủy cấp trên",
)
SEASON_TOPICS = {  # months with a topic of their own
    6: "Sơ kết công tác 6 tháng đầu năm, nhiệm vụ 6 tháng cuối năm",
    9: "Chủ động phòng, chống thiên tai, bão lũ mùa mưa",
    10: "Chủ động phòng, chống thiên tai, bão lũ mùa mưa",
    11: "Chuẩn bị kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên cuối năm",
    12: "Kiểm điểm, đánh giá, xếp loại chất lượng đảng viên năm",
}
RESIDENTIAL_TOPICS = ("Vận động nhân dân giữ gìn vệ sinh môi trường, an ninh trật tự khu dân cư",
                      "Vận động hộ gia đình tham gia xây dựng nông thôn mới, đô thị văn minh")
THEMATIC_TOPICS = (
    "Sinh hoạt chuyên đề: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh năm {year}",
    "Sinh hoạt chuyên đề: Nâng cao chất lượng sinh hoạt chi bộ",
    "Sinh hoạt chuyên đề: Phòng, chống suy thoái về tư tưởng chính trị, đạo đức, lối sống",
    "Sinh hoạt chuyên đề: Chuyển đổi số trong sinh hoạt đảng, sử dụng Sổ tay đảng viên điện tử",
    "Sinh hoạt chuyên đề: Nêu cao trách nhiệm nêu gương của cán bộ, đảng viên",
)
THEMATIC_AGENDA = ("Báo cáo chuyên đề", "Thảo luận, liên hệ thực tiễn của chi bộ", "Kết luận, đăng ký làm theo")

# (reason, weight); the elderly and the institutions' members have their own.
ABSENCE_REASONS = (("Ốm", 22), ("Việc gia đình", 20), ("Đi công tác", 12), ("Đi làm ăn xa", 8),
                   ("Nằm viện điều trị", 5), ("Con nhỏ bị ốm", 6), ("Đi học tập trung", 4),
                   ("Về quê có việc hiếu", 4), ("Trực cơ quan", 3))
RURAL_REASONS = (("Đi rẫy xa", 12), ("Thu hoạch cà phê", 8))
ELDERLY_REASONS = (("Tuổi cao, sức yếu", 30), ("Ốm", 25), ("Nằm viện điều trị", 8), ("Việc gia đình", 8))

SPEECHES = (
    "Nhất trí với báo cáo; đề nghị chi bộ quan tâm hơn đến việc thăm hỏi đảng viên cao tuổi, ốm đau.",
    "Đề nghị gửi tài liệu sinh hoạt trước qua Sổ tay đảng viên để đảng viên nghiên cứu trước buổi họp.",
    "Một số đảng viên lớn tuổi chưa quen điểm danh bằng mã QR; đề nghị đảng viên trẻ hướng dẫn giúp.",
    "Tình hình an ninh trật tự trên địa bàn ổn định; đề nghị tiếp tục duy trì tổ tự quản.",
    "Đề nghị chi bộ sớm hoàn thành rà soát thông tin đảng viên để kịp cấp đổi thẻ gắn chip.",
    "Việc thu nộp đảng phí tháng này đầy đủ; đề nghị các đồng chí nộp qua ứng dụng cho thuận tiện.",
    "Đề nghị phân công đảng viên phụ trách nhóm hộ nắm tình hình dư luận trong nhân dân.",
    "Thống nhất với phương hướng tháng tới; bổ sung nội dung giới thiệu quần chúng ưu tú cho chi bộ xem xét.",
    "Đề nghị cấp ủy cấp trên hỗ trợ thêm thiết bị để chi bộ sinh hoạt trực tuyến khi cần.",
    "Báo cáo đánh giá đúng tình hình; đề nghị nêu rõ hơn những việc chưa làm được và nguyên nhân.",
)
RESIDENTIAL_SPEECHES = (
    "Đề nghị vận động các hộ trong tổ tham gia tổng vệ sinh vào sáng Chủ nhật cuối tháng.",
    "Đường liên thôn có đoạn xuống cấp; đề nghị chi bộ kiến nghị Ủy ban xã sửa chữa trước mùa mưa.",
    "Một số hộ chưa nộp quỹ phòng, chống thiên tai; đề nghị đảng viên phụ trách nhóm hộ vận động.",
)
INSTITUTION_SPEECHES = (
    "Nhiệm vụ chuyên môn tháng qua hoàn thành đúng kế hoạch; đề nghị chi bộ lãnh đạo tốt việc cải cách "
    "thủ tục hành chính.",
    "Đề nghị cơ quan tạo điều kiện để đảng viên tham gia học tập nghị quyết trực tuyến.",
)
COMMITTEE_AGENDA = ("Đánh giá kết quả lãnh đạo thực hiện nhiệm vụ tháng {month}, nhiệm vụ tháng {next}",
                    "Cho ý kiến về công tác cán bộ, phát triển đảng viên",
                    "Tiến độ cấp, đổi thẻ đảng viên gắn chip và tình hình sử dụng Sổ tay đảng viên",
                    "Công tác kiểm tra, giám sát và giải quyết đơn thư")
COMMITTEE_SPEECHES = (
    "Một số chi bộ chưa đăng ký lịch sinh hoạt trước ngày cuối tháng; đề nghị các đồng chí phụ trách đôn đốc.",
    "Tỷ lệ chi bộ tổ chức sinh hoạt trên ứng dụng tăng; cần hỗ trợ thêm các chi bộ thôn vùng xa.",
    "Đề nghị Văn phòng Đảng ủy tổng hợp danh sách đảng viên chưa kích hoạt Sổ tay để hướng dẫn.",
    "Thống nhất giới thiệu quần chúng ưu tú đủ điều kiện để chi bộ xem xét kết nạp.",
)
VOTE_QUESTIONS = ("Thông qua Nghị quyết chi bộ tháng {month}/{year}",
                  "Thông qua chương trình công tác tháng {next}/{next_year} của chi bộ")


def month_label(month: dt.date) -> str:
    return f"{month.month}/{month.year}"


def next_month_label(month: dt.date) -> str:
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{following.month}/{following.year}"


def regular_topic(month: dt.date) -> str:
    return f"Sinh hoạt chi bộ thường kỳ tháng {month_label(month)}"


def thematic_topic(theme: int, month: dt.date) -> str:
    return THEMATIC_TOPICS[theme % len(THEMATIC_TOPICS)].format(year=month.year)


def committee_topic(unit_name: str, month: dt.date) -> str:
    """A commune's standing committee, or a grassroots organization's executive committee."""
    if unit_name.startswith(("Đảng bộ xã", "Đảng bộ phường")):
        return f"Hội nghị Ban Thường vụ Đảng ủy {unit_name.removeprefix('Đảng bộ ')} tháng {month_label(month)}"
    return f"Hội nghị Ban Chấp hành {unit_name} tháng {month_label(month)}"


def committee_place(unit_name: str) -> str:
    own = unit_name.removeprefix("Đảng bộ ")
    if unit_name.startswith(("Đảng bộ xã", "Đảng bộ phường")):
        return f"Phòng họp Đảng ủy {own}"
    if own.startswith(("Thôn", "Làng", "Khu phố")):
        return f"Nhà văn hóa {own}"
    return f"Phòng họp {own}"


def regular_agenda(rng: random.Random, month: dt.date, residential: bool) -> list[str]:
    """Four or five items: the month's report, one or two topics, party affairs, members' opinions."""
    items = [f"Đánh giá kết quả thực hiện nhiệm vụ tháng {month.month}, phương hướng nhiệm vụ tháng "
             f"{next_month_label(month).split('/')[0]}"]
    season = SEASON_TOPICS.get(month.month)
    topics = list(MONTH_TOPICS) + (list(RESIDENTIAL_TOPICS) if residential else [])
    items.append(f"{season} {month.year}" if season and month.month == 12 else season or rng.choice(topics))
    if rng.random() < 0.5:
        second = rng.choice(topics)
        if second not in items:
            items.append(second)
    items.append("Sinh hoạt tư tưởng, ý kiến của đảng viên")
    return items


def absence_reason(rng: random.Random, *, elderly: bool, rural: bool) -> str:
    choices = ELDERLY_REASONS if elderly else ABSENCE_REASONS + (RURAL_REASONS if rural else ())
    return rng.choices([reason for reason, _w in choices], [w for _r, w in choices])[0]


def report_speech(month: dt.date, residential: bool) -> str:
    work = ("các hộ trong khu dân cư chấp hành tốt chủ trương, pháp luật; an ninh trật tự ổn định"
            if residential else "cơ quan hoàn thành nhiệm vụ chuyên môn theo kế hoạch")
    return (f"Báo cáo kết quả lãnh đạo thực hiện nhiệm vụ tháng {month.month}: {work}; đảng viên tham gia "
            "sinh hoạt đầy đủ, nộp đảng phí đúng hạn. Tồn tại: một số đảng viên chưa thường xuyên cập nhật "
            "thông tin trên Sổ tay đảng viên.")


def discussion(rng: random.Random, residential: bool, count: int) -> list[str]:
    pool = list(SPEECHES) + list(RESIDENTIAL_SPEECHES if residential else INSTITUTION_SPEECHES)
    return rng.sample(pool, min(count, len(pool)))


def conclusions(rng: random.Random, month: dt.date, agenda: list[str], present: int, total: int) -> str:
    nxt = next_month_label(month)
    tasks = rng.sample(["Tiếp tục hướng dẫn đảng viên sử dụng Sổ tay đảng viên điện tử, điểm danh bằng mã QR",
                        "Hoàn thành rà soát, cấp đổi thẻ đảng viên gắn chip theo kế hoạch của Đảng ủy",
                        "Thu, nộp đảng phí đầy đủ, đúng hạn",
                        "Thăm hỏi, động viên đảng viên cao tuổi, ốm đau",
                        "Đăng ký lịch sinh hoạt chi bộ tháng sau trên ứng dụng trước ngày cuối tháng",
                        "Nắm tình hình tư tưởng, dư luận trong nhân dân, báo cáo Đảng ủy"], 3)
    lines = [f"Chi bộ sinh hoạt với {present}/{total} đảng viên có mặt. Sau thảo luận, chi bộ thống nhất:",
             f"1. Thông qua báo cáo kết quả tháng {month_label(month)} và nội dung: {agenda[1].lower()}.",
             f"2. Nhiệm vụ tháng {nxt}: " + "; ".join(t[0].lower() + t[1:] for t in tasks) + ".",
             "3. Giao chi ủy cụ thể hóa nghị quyết, phân công đảng viên thực hiện, báo cáo kết quả tại kỳ sinh "
             "hoạt sau."]
    return "\n".join(lines)


def thematic_conclusions(topic: str) -> str:
    subject = topic.removeprefix("Sinh hoạt chuyên đề: ")
    return (f"Chi bộ thống nhất nội dung chuyên đề “{subject}”. Mỗi đảng viên đăng ký ít nhất một việc làm cụ "
            "thể, chi ủy theo dõi và đánh giá kết quả vào kỳ sinh hoạt cuối quý.")


def committee_conclusions(month: dt.date) -> str:
    return (f"Hội nghị thống nhất đánh giá kết quả tháng {month_label(month)}; giao các đồng chí ủy viên phụ trách "
            f"chi bộ đôn đốc đăng ký lịch sinh hoạt tháng {next_month_label(month)} đúng hạn, hỗ trợ các chi bộ "
            "chưa tổ chức sinh hoạt trên ứng dụng.")


def vote_question(rng: random.Random, month: dt.date) -> str:
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return rng.choice(VOTE_QUESTIONS).format(month=month.month, year=month.year, next=following.month,
                                             next_year=following.year)
