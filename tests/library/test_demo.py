"""`dangvien demo-library` on a small demo province: what it publishes and counts."""

from __future__ import annotations

import pytest

from dangvien.accounts.models import User
from dangvien.demo.generator import generate
from dangvien.library import selectors
from dangvien.library.demo import DemoLibraryExists, generate_library
from dangvien.library.models import Document, Opinion, QuizAttempt, StudyTopic

pytestmark = pytest.mark.django_db


def test_the_demo_library_publishes_counts_and_refuses_a_second_run():
    generate(members=300, seed="7")
    summary = generate_library(seed="7")
    assert (summary.documents, Document.objects.count(), StudyTopic.objects.count()) == (4, 4, 1)
    assert [d.unit.kind for d in Document.objects.order_by("pk")] == ["province", "province", "commune", "commune"]
    assert Document.objects.exclude(file="").count() == 1
    topic = StudyTopic.objects.get()
    assert [len(q.choices.all()) for q in selectors.topic_quiz(topic)] == [3, 3, 3]
    assert QuizAttempt.objects.count() == summary.attempts > 0
    tinh = User.objects.get(username="tinh")
    resolution = Document.objects.get(number="57-NQ/TW")
    top = selectors.document_read_counts(tinh, resolution)[0]
    assert top.unit == resolution.unit and 0 < top.read < top.members
    member = User.objects.get(username="dangvien")
    assert Opinion.objects.get(author=member).answer != ""
    with pytest.raises(DemoLibraryExists):
        generate_library(seed="7")
