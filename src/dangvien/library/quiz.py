"""A quiz written as plain text, the way a committee types it: questions separated by a blank line,
the question on its first line, one choice a line after it, the right choice(s) marked with "*".

    Đại hội XIV của Đảng họp năm nào?
    2021
    * 2026

Parsing reports every problem with its line number (nothing is saved while one remains).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangvien.core.text import clean

MAX_QUESTIONS = 50
MAX_CHOICES = 8
CORRECT_MARK = "*"


@dataclass
class ParsedQuestion:
    line: int
    text: str
    choices: list[tuple[str, bool]] = field(default_factory=list)


def quiz_parse(text: str) -> list[ParsedQuestion]:
    """The questions of a quiz text; ValidationError({"quiz": [...]}) with every problem, by line."""
    questions: list[ParsedQuestion] = []
    current: ParsedQuestion | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = clean(raw)
        if not line:
            current = None
            continue
        if current is None:
            current = ParsedQuestion(line=number, text=line)
            questions.append(current)
        elif line.startswith(CORRECT_MARK):
            current.choices.append((clean(line[len(CORRECT_MARK):]), True))
        else:
            current.choices.append((line, False))
    problems = _problems(questions)
    if problems:
        raise ValidationError({"quiz": problems})
    return questions


def _problems(questions: list[ParsedQuestion]) -> list[str]:
    if not questions:
        return [_("Write at least one question.")]
    problems = []
    if len(questions) > MAX_QUESTIONS:
        problems.append(_("A quiz has at most %(n)s questions.") % {"n": MAX_QUESTIONS})
    for question in questions:
        where = {"line": question.line}
        if len(question.choices) < 2:
            problems.append(_("Line %(line)s: a question needs at least two choices, one a line below it.") % where)
        elif len(question.choices) > MAX_CHOICES:
            problems.append(_("Line %(line)s: a question has at most %(n)s choices.") % {**where, "n": MAX_CHOICES})
        if question.choices and not any(correct for _text, correct in question.choices):
            problems.append(_("Line %(line)s: mark the right choice with * at the start of its line.") % where)
        if any(not text for text, _correct in question.choices):
            problems.append(_("Line %(line)s: a choice is empty.") % where)
        if len(question.text) > 1000 or any(len(text) > 500 for text, _correct in question.choices):
            problems.append(_("Line %(line)s: the question or one of its choices is too long.") % where)
    return problems


def quiz_score(questions: list[tuple[int, set[int], set[int]]], answers: dict[int, int]) -> int:
    """How many questions were answered right: `questions` holds (question id, its choice ids, the
    right choice ids); `answers` maps a question id to the chosen choice id."""
    return sum(1 for question_id, _choices, right in questions if answers.get(question_id) in right)
