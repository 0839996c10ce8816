"""The library's part of the demo (`dangvien demo-library`, after `dangvien demo-data`): documents
published by the province and by the demo commune, one with a PDF, a study topic with its quiz, read
receipts and quiz results spread over the members, an opinion and a feedback answered.

The demo logins (tinh, xa, bithu, dangvien) say where: this app sits beside demo in the layers and
does not import it. Publishing goes through the services (audited); the receipts and the other
members' attempts are bulk rows, as the demo's members are, with one audit row for them all.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from dangvien.accounts.models import RoleAssignment, User
from dangvien.core.audit import audit_record
from dangvien.core.scope import subtree_filter
from dangvien.library import services
from dangvien.library.models import Document, QuizAttempt, ReadReceipt
from dangvien.library.selectors import topic_quiz
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.org.models import Unit

DEMO_QUIZ = """Đại hội đại biểu toàn quốc lần thứ XIV của Đảng họp năm nào?
2021
* 2026
2031

Theo Quy định 294-QĐ/TW, cấp nào nằm ngay trên tổ chức cơ sở đảng?
Đảng bộ huyện
* Đảng bộ xã, phường, đặc khu
Đảng bộ tỉnh

Chi bộ sinh hoạt thường kỳ bao lâu một lần?
* Mỗi tháng một lần
Mỗi quý một lần
Mỗi năm một lần
"""


class DemoMissing(Exception):
    pass


class DemoLibraryExists(Exception):
    pass


@dataclass
class LibrarySummary:
    documents: int = 0
    receipts: int = 0
    attempts: int = 0


def _login(username: str) -> tuple[User, Unit | None]:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DemoMissing(f"The demo login {username!r} is missing: run `dangvien demo-data` first.")
    grant = RoleAssignment.objects.filter(user=user).select_related("unit").first()
    return user, grant.unit if grant else None


def _minimal_pdf(title: str) -> bytes:
    """A one-page PDF with a line of ASCII text (readers show it; the checks need the signature)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 50 780 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def generate_library(*, seed: str = "2026") -> LibrarySummary:
    province_officer, province = _login("tinh")
    commune_officer, commune = _login("xa")
    secretary, cell = _login("bithu")
    member_user, _ = _login("dangvien")
    if province is None or commune is None or cell is None:
        raise DemoMissing("The demo logins have no units: run `dangvien demo-data` first.")
    if Document.objects.filter(unit=province).exists():
        raise DemoLibraryExists("The demo library already exists (run `dangvien demo-data --reset` to rebuild it).")
    rng = random.Random(f"{seed}:library")
    summary = LibrarySummary()
    today = timezone.localdate()
    with transaction.atomic():
        docs = [
            services.document_publish(
                actor=province_officer, unit=province, kind="resolution", number="57-NQ/TW",
                title="Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo",
                summary="Quán triệt và triển khai thực hiện trong toàn Đảng bộ tỉnh.",
                body="Toàn văn nghị quyết và kế hoạch thực hiện của Tỉnh ủy.\n\nCác chi bộ tổ chức học tập, "
                     "quán triệt trong kỳ sinh hoạt thường kỳ tháng này.",
                published_on=today - dt.timedelta(days=20),
                upload=SimpleUploadedFile("nghi-quyet-57.pdf", _minimal_pdf("Nghi quyet 57-NQ/TW"),
                                          content_type="application/pdf")),
            services.document_publish(
                actor=province_officer, unit=province, kind="directive", number="51-CT/TW",
                title="Chỉ thị số 51-CT/TW về đổi thẻ đảng viên gắn chip",
                body="Đảng viên chính thức đủ điều kiện được đổi thẻ; chi bộ rà soát danh sách và hướng dẫn "
                     "đảng viên kê khai thông tin.", published_on=today - dt.timedelta(days=45)),
            services.document_publish(
                actor=commune_officer, unit=commune, kind="guidance", number="12-HD/ĐU",
                title="Hướng dẫn sinh hoạt chi bộ thường kỳ quý IV",
                body="Nội dung sinh hoạt: đánh giá nhiệm vụ tháng, học tập chuyên đề, góp ý cấp ủy.",
                published_on=today - dt.timedelta(days=7)),
            services.document_publish(
                actor=commune_officer, unit=commune, kind="study_material",
                title="Tài liệu học tập chuyên đề năm 2026 về học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
                body="Tài liệu dùng cho sinh hoạt chuyên đề tại các chi bộ.", published_on=today - dt.timedelta(days=3)),
        ]
        summary.documents = len(docs)
        topic = services.topic_create(
            actor=commune_officer, unit=commune, title="Học tập Nghị quyết Đại hội XIV của Đảng",
            description="Đọc tài liệu rồi trả lời ba câu hỏi ngắn.", quiz=DEMO_QUIZ, documents=[docs[0], docs[3]])
        now = timezone.now()
        # Read receipts: about 70% of the province read the resolution, fewer the rest (commune: its own).
        province_members = list(Member.objects.filter(status__in=ON_ROLL_STATUSES, unit__in=Unit.objects.filter(
            **subtree_filter(province.path))).values_list("id", "unit__path"))
        shares = [(docs[0], 0.7, province.path), (docs[1], 0.45, province.path), (docs[2], 0.6, commune.path),
                  (docs[3], 0.3, commune.path)]
        receipts = [ReadReceipt(document=doc, member_id=member_id, first_read_at=now - dt.timedelta(hours=rng.randint(1, 400)))
                    for doc, share, path in shares for member_id, unit_path in province_members
                    if unit_path.startswith(path) and rng.random() < share]
        ReadReceipt.objects.bulk_create(receipts, batch_size=2000)
        summary.receipts = len(receipts)
        # Quiz results in the demo cell: most members took it once, with mixed scores.
        questions = [(q.pk, [c.pk for c in q.choices.all()], next(c.pk for c in q.choices.all() if c.correct))
                     for q in topic_quiz(topic)]
        cell_members = list(Member.objects.filter(unit=cell, status__in=ON_ROLL_STATUSES)
                            .exclude(pk=member_user.member_id or 0).values_list("id", flat=True))
        attempts = []
        for member_id in cell_members:
            if rng.random() < 0.75:
                answers = {str(q): (right if rng.random() < 0.7 else rng.choice(choices)) for q, choices, right in questions}
                score = sum(1 for q, _choices, right in questions if answers[str(q)] == right)
                attempts.append(QuizAttempt(topic=topic, member_id=member_id, author=secretary, answers=answers,
                                            score=score, total=len(questions),
                                            submitted_at=now - dt.timedelta(hours=rng.randint(1, 100))))
        QuizAttempt.objects.bulk_create(attempts)
        summary.attempts = len(attempts)
        # The demo member's own traces: an opinion answered by the commune, a feedback answered.
        if member_user.member_id:
            opinion, _ = services.opinion_send(actor=member_user, document=docs[2],
                                               text="Đề nghị gửi tài liệu trước buổi sinh hoạt ít nhất ba ngày.")
            services.opinion_answer(actor=commune_officer, opinion=opinion,
                                    answer="Đảng ủy ghi nhận; từ tháng sau tài liệu được gửi trước một tuần.")
            feedback, _ = services.feedback_send(actor=member_user, text="Chữ trên điện thoại hơi nhỏ.")
            services.feedback_answer(actor=commune_officer, feedback=feedback,
                                     answer="Cảm ơn đồng chí; bản cập nhật tới có chế độ chữ lớn.")
        audit_record(actor=None, action="library.demo", object_type="unit", object_id=province.pk,
                     unit_path=province.path, after={"documents": [d.pk for d in docs], "topic": topic.pk,
                                                     "receipts": summary.receipts, "attempts": summary.attempts})
    return summary


def describe(summary: LibrarySummary) -> str:
    return (f"Library: {summary.documents} documents, one study topic, {summary.receipts} read receipts, "
            f"{summary.attempts} quiz results.")
