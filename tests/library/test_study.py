"""Political study: quizzes written as text, attempts scored and recorded, results for the cell
secretary."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.accounts.models import Role
from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.library import selectors, services
from dangvien.library.models import QuizAttempt, StudyTopic
from dangvien.library.quiz import quiz_parse
from tests.factories import make_member, make_user
from tests.library.fixtures import QUIZ

pytestmark = pytest.mark.django_db


def test_a_quiz_text_is_read_into_questions_and_choices():
    questions = quiz_parse(QUIZ)
    assert [(q.line, q.text, q.choices) for q in questions] == [
        (1, "Đại hội đại biểu toàn quốc lần thứ XIV của Đảng họp năm nào?",
         [("2021", False), ("2026", True), ("2031", False)]),
        (6, "Chi bộ sinh hoạt thường kỳ bao lâu một lần?", [("Mỗi tháng một lần", True), ("Mỗi quý một lần", False)]),
    ]


def test_every_problem_of_a_quiz_text_is_reported_with_its_line():
    text = "Câu một?\n* Có\n\nCâu hai?\nA\nB\n\n\nCâu ba?\n*\nC\n"
    with pytest.raises(ValidationError) as refused:
        quiz_parse(text)
    assert refused.value.message_dict == {"quiz": [
        "Line 1: a question needs at least two choices, one a line below it.",
        "Line 4: mark the right choice with * at the start of its line.",
        "Line 9: a choice is empty.",
    ]}
    with pytest.raises(ValidationError) as refused:
        quiz_parse(" \n")
    assert refused.value.message_dict == {"quiz": ["Write at least one question."]}


def test_a_topic_keeps_its_questions_materials_and_audit_row(lib):
    topic = lib.topic
    assert [(q.position, q.text[:7], [(c.text, c.correct) for c in q.choices.all()])
            for q in selectors.topic_quiz(topic)] == [
        (1, "Đại hội", [("2021", False), ("2026", True), ("2031", False)]),
        (2, "Chi bộ ", [("Mỗi tháng một lần", True), ("Mỗi quý một lần", False)])]
    assert [d.pk for d in topic.documents.all()] == [lib.doc_a.pk]
    assert AuditEntry.objects.filter(action="library.topic_created", object_id=str(topic.pk)).count() == 1


def test_a_topic_refuses_a_bad_quiz_a_hidden_material_and_a_unit_out_of_reach(lib):
    world = lib.world
    count = StudyTopic.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.topic_create(actor=world.officer_a, unit=world.commune_a, title="", quiz="Câu?\nA\nB")
    assert set(refused.value.message_dict) == {"title", "quiz"}
    with pytest.raises(ValidationError) as refused:
        services.topic_create(actor=world.officer_a, unit=world.commune_a, title="Chủ đề", quiz=QUIZ,
                              documents=[lib.doc_b])
    assert list(refused.value.message_dict) == ["documents"]
    with pytest.raises(PermissionDenied):
        services.topic_create(actor=world.officer_b, unit=world.commune_a, title="Chủ đề", quiz=QUIZ)
    assert StudyTopic.objects.count() == count


def _answers(topic, picks):
    """Question id -> choice id, picking the n-th choice (1-based) of each question in order."""
    return {q.pk: list(q.choices.all())[n - 1].pk for q, n in zip(selectors.topic_quiz(topic), picks, strict=True)}


def test_an_attempt_is_scored_and_recorded_once_per_key(lib):
    member = lib.world.member_user_a1
    attempt, created = services.quiz_submit(actor=member, topic=lib.topic, answers=_answers(lib.topic, [2, 2]),
                                            key="quiz-1")
    assert (created, attempt.score, attempt.total, attempt.member) == (True, 1, 2, lib.world.member_a1)
    again, created = services.quiz_submit(actor=member, topic=lib.topic, answers=_answers(lib.topic, [2, 1]),
                                          key="quiz-1")
    assert (created, again.pk, again.score) == (False, attempt.pk, 1)
    second, created = services.quiz_submit(actor=member, topic=lib.topic, answers=_answers(lib.topic, [2, 1]))
    assert (created, second.score) == (True, 2)
    assert QuizAttempt.objects.count() == 2


def test_an_attempt_must_answer_every_question_with_one_of_its_choices(lib):
    member = lib.world.member_user_a1
    questions = selectors.topic_quiz(lib.topic)
    other_choice = list(questions[0].choices.all())[0].pk
    with pytest.raises(ValidationError) as refused:
        services.quiz_submit(actor=member, topic=lib.topic, answers={questions[1].pk: other_choice, 999_999: 1})
    assert refused.value.message_dict == {
        "q1": ["Choose one of this question's answers."], "q2": ["Choose one of this question's answers."],
        "answers": ["These are not questions of this quiz: 999999."]}
    assert QuizAttempt.objects.count() == 0


def test_only_a_member_on_the_roll_takes_a_quiz_and_only_where_the_topic_is_published(lib):
    world = lib.world
    with pytest.raises(PermissionDenied):
        services.quiz_submit(actor=world.officer_a, topic=lib.topic, answers=_answers(lib.topic, [1, 1]))
    outsider = make_user("dv_b1", Role.MEMBER, world.cell_b1, member=world.member_b1)
    with pytest.raises(NotFound):
        services.quiz_submit(actor=outsider, topic=lib.topic, answers=_answers(lib.topic, [1, 1]))


def test_the_cell_secretary_sees_the_cells_results(lib):
    world = lib.world
    services.quiz_submit(actor=world.member_user_a1, topic=lib.topic, answers=_answers(lib.topic, [2, 2]))
    services.quiz_submit(actor=world.member_user_a1, topic=lib.topic, answers=_answers(lib.topic, [2, 1]))
    other = make_member(world.cell_a1, full_name="Bùi Văn An")

    members, done = selectors.study_results(world.secretary_a1, lib.topic)
    rows = [(r.member.full_name, r.attempts, r.best, r.total) for r in selectors.results_of(lib.topic, list(members))]
    assert (rows, done) == ([("Bùi Văn An", 0, None, None), ("Nguyễn Thị Hà", 2, 2, 2)], 1)
    members, done = selectors.study_results(world.officer_a, lib.topic)  # the commune: both cells
    assert ([m.full_name for m in members], done) == (["Bùi Văn An", "Trần Văn Đức", "Nguyễn Thị Hà"], 1)
    assert other.pk in {m.pk for m in members}
    for refused in (world.member_user_a1, world.card_officer_a):
        with pytest.raises(PermissionDenied):
            selectors.study_results(refused, lib.topic)
