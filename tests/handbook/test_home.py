"""The member's home (/handbook/): their own record only, in Vietnamese by default, light."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.test import Client

from dangvien.campaign.models import Campaign, Participant, Step, StepRecord
from dangvien.core.models import AuditEntry
from dangvien.handbook.models import RightsText
from dangvien.members.models import FeePayment, MemberEvaluation
from dangvien.members.services import evaluation_record, fee_payment_record, member_exempt
from dangvien.notifications.models import Notification
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def member_client(world, language: str | None = "en") -> Client:
    client = Client()
    if language:
        client.cookies["django_language"] = language
    client.force_login(world.member_user_a1)
    return client


def _participant(world, stage: int, **extra) -> Participant:
    campaign = Campaign.objects.create(name="Đổi thẻ đảng viên 2026", unit=world.province, start=dt.date(2026, 1, 5),
                                       deadline=dt.date(2026, 12, 31))
    return Participant.objects.create(campaign=campaign, member=world.member_a1, unit=world.cell_a1, eligible=True,
                                      stage=stage, joined_on=dt.date(2026, 1, 5), **extra)


def test_the_home_shows_the_members_own_record(world):
    member = world.member_a1
    member.card_number, member.political_theory = "05123456", "Trung cấp"
    member.save()
    evaluation_record(actor=world.secretary_a1, member=member, year=2025, score="88")
    fee_payment_record(actor=world.secretary_a1, member=member, month=dt.date(2026, 10, 1), amount=30000)
    fee_payment_record(actor=world.secretary_a1, member=member, month=dt.date(2026, 11, 1), amount=30000)
    fee_payment_record(actor=world.secretary_a1, member=member, month=dt.date(2025, 12, 1), amount=25000)
    member_exempt(actor=world.admin, member=world.member_b1, expected_version=world.member_b1.version,
                  date=dt.date(2026, 6, 1), reason="Tuổi cao")  # someone else's history
    html = member_client(world).get("/handbook/").content.decode()
    for fact in ["Nguyễn Thị Hà", "09/08/1975", "Chi bộ Giáo viên 1", "05123456", member.citizen_id, "Trung cấp",
                 "02/03/2010", "02/03/2011"]:
        assert fact in html, fact
    assert "Admitted to the Party" in html and "Recognized as official member" in html
    assert "Exempted from activities" not in html and "Lê Thị Hoà" not in html
    assert "<td>2025</td><td class=\"num\">88.0</td><td>Well completed duties</td>" in html
    assert "Paid this year: <strong>60.000 VND</strong>" in html  # December 2025 is last year's
    assert "<td>12/2025</td><td class=\"num\">25.000</td>" in html
    assert 'href="/handbook/rights/"' in html and 'href="/notifications/"' in html


def test_only_the_members_own_notifications(world):
    Notification.objects.create(recipient=world.member_user_a1, topic="meeting", title="Họp chi bộ tháng 12",
                                link="/handbook/")
    Notification.objects.create(recipient=world.member_user_a1, topic="meeting", title="Họp chi bộ tháng 11",
                                read_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    Notification.objects.create(recipient=world.officer_a, topic="campaign.urge", title="Đôn đốc xã Ia Grai")
    html = member_client(world).get("/handbook/").content.decode()
    assert "Họp chi bộ tháng 12" in html and "Họp chi bộ tháng 11" in html
    assert "Đôn đốc xã Ia Grai" not in html
    assert 'Notifications <span class="count">1</span>' in html  # one unread


@pytest.mark.parametrize(("stage", "expected"), [
    (0, "Your chip card: the exchange has not started for you yet."),
    (3, "Your chip card: in preparation (last step: Compared with the population database, 12/10/2026)."),
    (6, "Your chip card: produced on 12/10/2026; your cell will hand it over at a meeting."),
    (7, "Your chip card: handed over on 07/11/2026."),
])
def test_the_card_follows_the_campaign(world, stage, expected):
    participant = _participant(world, stage, stage_on=dt.date(2026, 10, 12) if stage else None)
    if stage == 7:
        StepRecord.objects.create(participant=participant, step=Step.HANDED_OVER, day=dt.date(2026, 11, 7))
    assert expected in member_client(world).get("/handbook/").content.decode()


def test_no_campaign_yet(world):
    html = member_client(world).get("/handbook/").content.decode()
    assert "Your chip card: not in an exchange campaign yet." in html


def test_a_login_without_a_member_record_has_no_handbook(world):
    client = Client()
    client.force_login(world.officer_a)
    assert client.get("/handbook/").status_code == 404
    assert client.get("/").status_code == 302 and client.get("/")["Location"] == "/units/"


def test_an_officer_who_is_a_member_keeps_the_units_and_gets_a_link(world):
    officer = make_user("bithu_hb", "cell_secretary", world.cell_b1, member=world.member_b1)
    client = Client()
    client.force_login(officer)
    assert client.get("/")["Location"] == "/units/"
    html = client.get("/units/").content.decode()
    assert 'href="/handbook/"' in html and 'href="/handbook/cell/"' in html
    assert "Lê Thị Hoà" in client.get("/handbook/").content.decode()


def test_a_plain_member_sees_no_officer_links(world):
    html = member_client(world).get("/handbook/").content.decode()
    assert 'href="/units/"' not in html and 'href="/members/"' not in html and 'href="/handbook/cell/"' not in html


def test_vietnamese_whatever_the_browser_prefers(world):
    client = member_client(world, language=None)
    html = client.get("/handbook/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi"' in html and "Quá trình sinh hoạt" in html
    client.cookies["django_language"] = "en"  # the switch on the page still works
    html = client.get("/handbook/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en"' in html and "Activity history" in html
    # Officers' pages keep following the browser.
    officer = Client()
    officer.force_login(world.officer_a)
    assert '<html lang="en"' in officer.get("/units/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_home_is_light(world):
    """The style sheet and the site's script inside the page, the offline script loaded on its own
    without holding the page (async), no framework: the HTML itself stays small, and smaller still
    as sent (gzip)."""
    for year in range(2012, 2026):
        MemberEvaluation.objects.create(member=world.member_a1, year=year, score=85, classification="good")
    for month in range(1, 13):
        FeePayment.objects.create(member=world.member_a1, month=dt.date(2026, month, 1), amount=30000)
    client = member_client(world)
    response = client.get("/handbook/")
    html = response.content.decode()
    assert html.count("<script") == 2 and html.count("<style") == 1 and 'rel="stylesheet"' not in html
    assert '<script src="/static/handbook/offline.js" async></script>' in html
    assert ".site-header" in html and 'getAttribute("data-confirm")' in html  # site.css and site.js
    style = html.split("<style", 1)[1].split("</style>", 1)[0]
    assert len(response.content) - len(style) < 20_000, len(response.content)
    sent = client.get("/handbook/", HTTP_ACCEPT_ENCODING="gzip")
    assert sent["Content-Encoding"] == "gzip" and len(sent.content) < 10_000, len(sent.content)
    assert gzip.decompress(sent.content).decode().count("<style") == 1


def test_the_inline_style_and_script_carry_the_policys_nonce(world):
    """Each page has its own nonce, named in its Content-Security-Policy (scripts and styles), and
    only the page's own style and script carry it: no 'unsafe-inline'."""
    client = member_client(world)
    nonces = []
    for _ in range(2):
        response = client.get("/handbook/")
        policy = {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}
        nonce = policy["script-src"][1].removeprefix("'nonce-").removesuffix("'")
        assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"] == policy["style-src"], policy
        html = response.content.decode()
        assert html.count(f'nonce="{nonce}"') == 2
        assert f'<style nonce="{nonce}">' in html and f'<script nonce="{nonce}">' in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22


def test_the_rights_page_shows_the_latest_version(world):
    html = member_client(world, language="vi").get("/handbook/rights/").content.decode()
    assert "NHIỆM VỤ CỦA ĐẢNG VIÊN" in html and "QUYỀN CỦA ĐẢNG VIÊN" in html and "Phiên bản 1" in html


def test_an_administrator_publishes_a_new_version_in_the_admin(world):
    admin = Client()
    admin.force_login(world.admin)
    add = admin.get("/admin/handbook/rightstext/add/")
    assert add.status_code == 200 and "NHIỆM VỤ CỦA ĐẢNG VIÊN" in add.content.decode()  # starts from the current
    response = admin.post("/admin/handbook/rightstext/add/", {"body": "Quyền và nhiệm vụ\r\n\r\nBản mới."})
    assert response.status_code == 302
    latest = RightsText.objects.order_by("-version").first()
    assert (latest.version, latest.body, latest.published_by) == (2, "Quyền và nhiệm vụ\n\nBản mới.", world.admin)
    assert AuditEntry.objects.order_by("-seq").first().action == "handbook.rights_publish"
    assert admin.get(f"/admin/handbook/rightstext/{latest.pk}/change/").status_code == 200  # read only
    assert admin.post(f"/admin/handbook/rightstext/{latest.pk}/delete/", {"post": "yes"}).status_code == 403
    html = member_client(world).get("/handbook/rights/").content.decode()
    assert "<p>Bản mới.</p>" in html and "Version 2" in html
    other = Client()
    other.force_login(world.officer_a)
    assert other.get("/admin/handbook/rightstext/add/").status_code == 302  # not an administrator


def _quiz_answers(topic, picks):
    """Question id -> choice id: the n-th choice (1-based) of each question in order."""
    from dangvien.library.selectors import topic_quiz

    return {q.pk: list(q.choices.all())[n - 1].pk for q, n in zip(topic_quiz(topic), picks, strict=True)}


def test_the_training_section_shows_the_best_score_of_each_study_topic(world, clock):
    from dangvien.library import services as library

    quiz = "Đại hội XIV họp năm nào?\n2021\n* 2026\n\nChi bộ sinh hoạt bao lâu một lần?\n* Mỗi tháng\nMỗi quý\n"
    resolution = library.topic_create(actor=world.admin, unit=world.commune_a, title="Nghị quyết Đại hội XIV", quiz=quiz)
    statute = library.topic_create(actor=world.admin, unit=world.province, title="Điều lệ Đảng", quiz=quiz)
    library.topic_create(actor=world.admin, unit=world.province, title="Chưa học", quiz=quiz)
    member = world.member_user_a1
    library.quiz_submit(actor=member, topic=resolution, answers=_quiz_answers(resolution, [2, 1]))  # 2 of 2
    clock.shift(dt.timedelta(days=1))
    library.quiz_submit(actor=member, topic=resolution, answers=_quiz_answers(resolution, [1, 1]))  # 1: not the best
    clock.shift(dt.timedelta(days=1))
    library.quiz_submit(actor=member, topic=statute, answers=_quiz_answers(statute, [1, 2]))  # 0 of 2
    other = make_user("dv_a2", "member", None, member=world.member_a2)
    library.quiz_submit(actor=other, topic=statute, answers=_quiz_answers(statute, [2, 1]))
    html = member_client(world).get("/handbook/").content.decode()
    section = html[html.index('<section id="training"'):html.index('<section id="evaluation"')]
    # The latest studied first; each topic's best score; a topic not taken is not listed.
    assert section.count("<tr><td>") == 2
    assert (f'<tr><td><a href="/library/study/{statute.pk}/">Điều lệ Đảng</a></td><td class="num">0/2</td>'
            '<td>23/11/2026</td></tr>') in section
    assert (f'<tr><td><a href="/library/study/{resolution.pk}/">Nghị quyết Đại hội XIV</a></td>'
            '<td class="num">2/2</td><td>22/11/2026</td></tr>') in section
    assert section.index("Điều lệ Đảng") < section.index("Nghị quyết Đại hội XIV")
    assert "Chưa học" not in section
    assert 'href="/library/study/"' in section and 'href="#training"' in html


def test_the_training_section_without_results(world):
    world.member_a1.political_theory = "Trung cấp"
    world.member_a1.save()
    html = member_client(world).get("/handbook/").content.decode()
    section = html[html.index('<section id="training"'):html.index('<section id="evaluation"')]
    assert "Political theory level: Trung cấp" in section
    assert "No political study result yet." in section and "<table" not in section


def test_the_home_reads_its_rows_in_ten_queries(world, django_assert_num_queries):
    """Session, login, grants, then the member and their seven lists (core/prepared.py): the header's
    unread number is the home's own, not counted again."""
    _participant(world, 7, stage_on=dt.date(2026, 10, 12))
    Notification.objects.create(recipient=world.member_user_a1, topic="meeting", title="Họp chi bộ")
    client = member_client(world)
    client.get("/handbook/")  # the month's first visit also counts the member active (adoption)
    with django_assert_num_queries(10):
        html = client.get("/handbook/").content.decode()
    assert 'id="unread-count">1<' in html and 'Notifications <span class="count">1</span>' in html


def test_the_five_newest_notices_and_every_unread_counted(world, clock):
    for n in range(1, 8):  # seven notices a day apart, the first two read
        Notification.objects.create(recipient=world.member_user_a1, topic="meeting", title=f"Thông báo số {n}",
                                    read_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC) if n <= 2 else None)
        clock.shift(dt.timedelta(days=1))
    html = member_client(world).get("/handbook/").content.decode()
    section = html[html.index('<section id="notices"'):]
    assert [n for n in range(1, 8) if f"Thông báo số {n} <span" in section] == [3, 4, 5, 6, 7]
    assert section.index("Thông báo số 7") < section.index("Thông báo số 3")  # newest first
    assert 'Notifications <span class="count">5</span>' in html and 'id="unread-count">5<' in html


def test_the_latest_twelve_months_and_this_years_total_without_next_years(world):
    member = world.member_a1
    months = [dt.date(2025, m, 1) for m in range(5, 13)] + [dt.date(2026, m, 1) for m in range(1, 12)]
    for month in [*months, dt.date(2027, 1, 1)]:  # January 2027 paid in advance
        FeePayment.objects.create(member=member, month=month, amount=10000 if month.year == 2026 else 25000)
    html = member_client(world).get("/handbook/").content.decode()
    section = html[html.index('<section id="fees"'):html.index('<section id="card"')]
    assert "Paid this year: <strong>110.000 VND</strong>" in section  # eleven months of 2026
    shown = [line.split("</td>")[0] for line in section.split("<tr><td>")[1:]]
    assert shown == ["01/2027", *[f"{m:02d}/2026" for m in range(11, 0, -1)]]


def test_the_five_latest_years_of_classification(world):
    for year, score in [(2019, 70), (2020, 75), (2021, 80), (2022, 85), (2023, 91), (2024, 60)]:
        MemberEvaluation.objects.create(member=world.member_a1, year=year, score=score,
                                        classification="excellent" if score > 90 else "completed")
    html = member_client(world).get("/handbook/").content.decode()
    section = html[html.index('<section id="evaluation"'):html.index('<section id="fees"')]
    assert [y for y in range(2019, 2025) if f"<td>{y}</td>" in section] == [2020, 2021, 2022, 2023, 2024]
    assert "<td>2023</td><td class=\"num\">91.0</td><td>Excellently completed duties</td>" in section
    assert section.index("<td>2024</td>") < section.index("<td>2020</td>")


def test_the_card_of_the_latest_campaign_that_counts_the_member(world):
    older = Campaign.objects.create(name="Đợt 1", unit=world.province, start=dt.date(2025, 3, 1),
                                    deadline=dt.date(2025, 12, 31))
    Participant.objects.create(campaign=older, member=world.member_a1, unit=world.cell_a1, eligible=True, stage=7,
                               stage_on=dt.date(2025, 6, 1), joined_on=dt.date(2025, 3, 1))
    newer = _participant(world, 3, stage_on=dt.date(2026, 10, 12))
    html = member_client(world).get("/handbook/").content.decode()
    assert "Your chip card: in preparation (last step: Compared with the population database, 12/10/2026)." in html
    newer.left_on = dt.date(2026, 11, 1)  # left the newer campaign: the older one's card again
    newer.save()
    html = member_client(world).get("/handbook/").content.decode()
    assert "Your chip card: handed over on 01/06/2025." in html  # no hand-over record: the stage's day
