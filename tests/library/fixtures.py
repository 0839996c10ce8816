"""The library's test data on the factories' two-commune world: documents published at every
level, through the real services (so each has its audit row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dangvien.core.models import AuditEntry
from dangvien.library import services
from dangvien.library.models import Document, StudyTopic
from tests.factories import World, build_world

# A minimal PDF: what matters to the checks is the "%PDF-" signature.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
QUIZ = """Đại hội đại biểu toàn quốc lần thứ XIV của Đảng họp năm nào?
2021
* 2026
2031

Chi bộ sinh hoạt thường kỳ bao lâu một lần?
* Mỗi tháng một lần
Mỗi quý một lần
"""


def last_audit_seq() -> int:
    """The newest audit row's number: rows after it are the ones a step wrote (sequence numbers
    are not reset between tests on PostgreSQL, so a count is no starting point)."""
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def pdf_upload(name: str = "nghi-quyet.pdf", content: bytes = PDF, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def publish(world: World, unit: Any, title: str, *, actor: Any = None, **extra: Any) -> Document:
    fields = {"kind": "resolution", "body": "Nội dung văn bản.", **extra}
    return services.document_publish(actor=actor or world.admin, unit=unit, title=title, **fields)


@dataclass
class Library:
    world: World
    doc_province: Document
    doc_a: Document
    doc_a1: Document
    doc_b: Document
    topic: StudyTopic  # at commune A, with the two-question QUIZ


def build_library() -> Library:
    world = build_world()
    doc_province = publish(world, world.province, "Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học",
                           number="57-NQ/TW", upload=pdf_upload())
    doc_a = publish(world, world.commune_a, "Hướng dẫn sinh hoạt chi bộ", kind="guidance")
    doc_a1 = publish(world, world.cell_a1, "Kế hoạch học tập của chi bộ Giáo viên 1", kind="study_material")
    doc_b = publish(world, world.commune_b, "Chỉ thị về phòng chống thiên tai", kind="directive")
    topic = services.topic_create(actor=world.admin, unit=world.commune_a, title="Học tập Nghị quyết Đại hội XIV",
                                  quiz=QUIZ, documents=[doc_a])
    return Library(world=world, doc_province=doc_province, doc_a=doc_a, doc_a1=doc_a1, doc_b=doc_b, topic=topic)
