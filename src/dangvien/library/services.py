"""Every write of the library. Each service checks permission in the actor's scope, runs in one
transaction, and writes an audit row with what changed.

Two kinds of row are not audited: a read receipt (itself the dated record of a member opening a
document, written once per member and document) and nothing else is implied by reading a page. A
download is audited: it hands a file out of the system.

Opinions, feedback and quiz attempts take an idempotency key from the sender's device: a resend of
the same key by the same author returns the row of the first send (created=False) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from dangvien.accounts.models import RoleAssignment
from dangvien.accounts.permissions import can, require
from dangvien.core.audit import audit_record
from dangvien.core.text import clean, nfc, search_key
from dangvien.library import selectors
from dangvien.library.models import (
    IDEMPOTENCY_KEY_LENGTH,
    Answered,
    Bookmark,
    Choice,
    Document,
    DocumentKind,
    Feedback,
    Opinion,
    Question,
    QuizAttempt,
    ReadReceipt,
    StudyTopic,
)
from dangvien.library.permissions import FEEDBACK_ANSWER, LIBRARY_PUBLISH
from dangvien.library.quiz import quiz_parse, quiz_score
from dangvien.notifications.services import notification_send
from dangvien.org.models import Unit

MAX_TEXT = 20_000  # an opinion, feedback or answer
MAX_BODY = 500_000  # a document's text
PDF_MAGIC = b"%PDF-"


# --- text ----------------------------------------------------------------------------------------


def line_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    """A one-line text as stored (core.text.clean), or ValidationError on the field."""
    text = clean(value if isinstance(value, str) else "")
    _check_text(text, field, max_length=max_length, required=required)
    return text


def long_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    """A text of several lines as stored: NFC, Unix line ends, trimmed."""
    text = nfc(value if isinstance(value, str) else "").replace("\r\n", "\n").replace("\r", "\n").strip()
    _check_text(text, field, max_length=max_length, required=required)
    return text


def _check_text(text: str, field: str, *, max_length: int, required: bool) -> None:
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": max_length}]})
    # Invisible control characters (a NUL byte, which PostgreSQL refuses to store, among them).
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValidationError({field: [_("This text contains invisible control characters.")]})


def idempotency_key(value: str | None) -> str:
    """The sender's key as stored: printable ASCII, at most 64 characters ("" for none)."""
    key = (value or "").strip()
    if len(key) > IDEMPOTENCY_KEY_LENGTH or not all(" " < ch < "\x7f" for ch in key):
        raise ValidationError({"idempotency_key": [
            _("An idempotency key is up to %(n)s visible ASCII characters.") % {"n": IDEMPOTENCY_KEY_LENGTH}]})
    return key


def _create_once(model: Any, author: Any, key: str, **fields: Any) -> tuple[Any, bool]:
    """The row (an Opinion, Feedback or QuizAttempt) the author's key already made, or a new one. Two sends racing with one key: the
    loser's insert fails on the unique constraint inside its savepoint, and it returns the winner's."""
    if key:
        found = model.objects.filter(author_id=author.pk, idempotency_key=key).first()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            return model.objects.create(author=author, idempotency_key=key, **fields), True
    except IntegrityError:
        if not key:
            raise
        return model.objects.get(author_id=author.pk, idempotency_key=key), False


def _snapshot(row: Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


# --- documents -----------------------------------------------------------------------------------


def pdf_problems(upload: UploadedFile) -> list[str]:
    """What is wrong with an uploaded file as a document's PDF: its type (by name, declared type and
    the file's first bytes) and its size."""
    limit = settings.DANGVIEN["LIBRARY_MAX_PDF_BYTES"]
    problems = []
    name = (upload.name or "").lower()
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if not name.endswith(".pdf") or declared not in ("application/pdf", "application/x-pdf", "") or head != PDF_MAGIC:
        problems.append(_("The file must be a PDF document."))
    if not upload.size:
        problems.append(_("The file is empty."))
    elif upload.size > limit:
        problems.append(_("The file is %(size)s MB; at most %(limit)s MB is accepted.")
                        % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"})
    return problems


# Punctuation inside the text (57-NQ/TW, "khoa học,") separates words for search; apostrophes belong
# to names (H'Bơ) and are left to search_key.
_PUNCTUATION = re.compile(r"[^\w\s'\u2018\u2019\u02bc]+")


def document_search_text(*, number: str, title: str, summary: str, body: str) -> str:
    """What document search matches: the number as written (a query "57-nq" finds it), then every
    word of the number, title, summary and text, punctuation taken as a space."""
    words = _PUNCTUATION.sub(" ", " ".join([number, title, summary, body]))
    return search_key(f"{number} {words}")


DOCUMENT_FIELDS = ("unit", "kind", "number", "title", "summary", "published_on", "file_name", "file_size")


def document_publish(
    *, actor: Any, unit: Unit, kind: str, title: str, summary: str = "", body: str = "", number: str = "",
    published_on: dt.date | None = None, upload: UploadedFile | None = None,
) -> Document:
    """Publish a document at `unit` for its whole subtree: a text, a PDF, or both."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field, read in (("title", lambda: line_text(title, "title", max_length=255, required=True)),
                        ("number", lambda: line_text(number, "number", max_length=50)),
                        ("summary", lambda: long_text(summary, "summary", max_length=MAX_TEXT)),
                        ("body", lambda: long_text(body, "body", max_length=MAX_BODY))):
        try:
            values[field] = read()
        except ValidationError as error:
            errors.update(error.message_dict)
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    day = published_on or timezone.localdate()
    if day > timezone.localdate():
        errors["published_on"] = [_("This date is in the future.")]
    if upload is not None and (problems := pdf_problems(upload)):
        errors["file"] = problems
    if not errors and not values["body"] and upload is None:
        errors["body"] = [_("Give the document's text, a PDF file, or both.")]
    if errors:
        raise ValidationError(errors)
    stored = ""
    try:
        with transaction.atomic():
            require(actor, LIBRARY_PUBLISH, unit)
            document = Document(unit=unit, kind=kind, published_on=day, published_by=_user(actor), **values,
                                search_text=document_search_text(**values))
            if upload is not None:
                stored = default_storage.save(f"library/{uuid.uuid4().hex}.pdf", upload)
                document.file.name = stored
                document.file_name = line_text(upload.name, "file", max_length=255) or "document.pdf"
                document.file_size = upload.size or 0
            document.save()
            audit_record(actor=actor, action="library.document_published", object_type="document",
                         object_id=document.pk, after=_snapshot(document, DOCUMENT_FIELDS), unit_path=unit.path)
            return document
    except BaseException:
        if stored:  # the file of a refused or failed publication does not stay behind
            default_storage.delete(stored)
        raise


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def document_withdraw(*, actor: Any, document: Document) -> Document:
    """Take a document out of the library (it stays on record, with its readers and opinions)."""
    with transaction.atomic():
        document = selectors.document_lock_for(actor, document.pk)
        if not can(actor, LIBRARY_PUBLISH, document.unit):
            raise PermissionDenied(_("You do not have permission to withdraw this document."))
        if document.withdrawn_at is not None:
            raise ValidationError({"document": [_("This document is already withdrawn.")]})
        document.withdrawn_at = timezone.now()
        document.save(update_fields=["withdrawn_at"])
        audit_record(actor=actor, action="library.document_withdrawn", object_type="document", object_id=document.pk,
                     before={"withdrawn_at": None}, after={"withdrawn_at": document.withdrawn_at},
                     unit_path=document.unit.path)
        return document


def document_read(*, actor: Any, document: Document) -> bool:
    """Record that the actor, as a member on the roll, opened the document (once: the first time
    counts). Whether a receipt was written. Officers without a member record leave none."""
    member = selectors.reader_member(actor)
    if member is None or document.withdrawn_at is not None:
        return False
    if ReadReceipt.objects.filter(document=document, member=member).exists():
        return False
    try:
        with transaction.atomic():
            ReadReceipt.objects.create(document=document, member=member, first_read_at=timezone.now())
    except IntegrityError:  # the same member opening it twice at once
        return False
    return True


def document_download(*, actor: Any, document: Document) -> Document:
    """Audit a download of the document's PDF (the caller reads the document in scope first and
    serves the file); ValidationError when it has none."""
    if not document.file:
        raise ValidationError({"file": [_("This document has no file.")]})
    with transaction.atomic():
        audit_record(actor=actor, action="library.document_downloaded", object_type="document",
                     object_id=document.pk, after={"file_name": document.file_name}, unit_path=document.unit.path)
    return document


def bookmark_add(*, actor: Any, document: Document) -> bool:
    """Bookmark a document the actor reads; whether a bookmark was added (False: it was there)."""
    with transaction.atomic():
        document = selectors.document_get_for(actor, document.pk)
        _, created = Bookmark.objects.get_or_create(user=actor, document=document)
        if created:
            audit_record(actor=actor, action="library.bookmark_added", object_type="document", object_id=document.pk,
                         after={"bookmarked": True}, unit_path=document.unit.path)
        return created


def bookmark_remove(*, actor: Any, document: Document) -> bool:
    with transaction.atomic():
        document = selectors.document_get_for(actor, document.pk)
        removed, _ = Bookmark.objects.filter(user=actor, document=document).delete()
        if removed:
            audit_record(actor=actor, action="library.bookmark_removed", object_type="document",
                         object_id=document.pk, before={"bookmarked": True}, after={"bookmarked": False},
                         unit_path=document.unit.path)
        return bool(removed)


# --- opinions and feedback -----------------------------------------------------------------------


def opinion_send(*, actor: Any, document: Document, text: str, key: str = "") -> tuple[Opinion, bool]:
    """A reader's opinion on a document, for the committee that published it. (opinion, created)."""
    text = long_text(text, "text", max_length=MAX_TEXT, required=True)
    key = idempotency_key(key)
    with transaction.atomic():
        document = selectors.document_get_for(actor, document.pk)
        if document.withdrawn_at is not None:
            raise ValidationError({"document": [_("This document was withdrawn: it takes no more opinions.")]})
        opinion, created = _create_once(Opinion, actor, key, document=document, text=text, created_at=timezone.now())
        if created:
            audit_record(actor=actor, action="library.opinion_sent", object_type="opinion", object_id=opinion.pk,
                         after={"document": document.pk, "text": text}, unit_path=document.unit.path)
        return opinion, created


def _answer(actor: Any, row: Answered, answer: str, action: str, object_type: str, unit_path: str) -> None:
    before = _snapshot(row, ("answer", "answered_by_id"))
    row.answer, row.answered_by, row.answered_at = answer, _user(actor), timezone.now()
    row.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(actor=actor, action=action, object_type=object_type, object_id=row.pk, before=before,
                 after=_snapshot(row, ("answer", "answered_by_id")), unit_path=unit_path)


def _notify_author(actor: Any, row: Answered, *, topic: str, title: str, link: str, unit: Unit | None) -> None:
    """Tell the author, in-app and by email, that the committee answered (the answer is the notice's
    text). One answering their own message is not told."""
    if row.author_id == getattr(actor, "pk", None):
        return
    notification_send(actor=actor, recipients=[row.author], topic=topic, title=title, body=row.answer, link=link,
                      unit=unit)


def opinion_answer(*, actor: Any, opinion: Opinion, answer: str) -> Opinion:
    """The publishing committee answers (or corrects its answer to) an opinion; the member who wrote
    it is notified."""
    answer = long_text(answer, "answer", max_length=MAX_TEXT, required=True)
    with transaction.atomic():
        opinion = selectors.opinion_lock_for(actor, opinion.pk)
        if not selectors.may_answer_opinion(actor, opinion):
            raise PermissionDenied(_("Only the committee that published the document answers its opinions."))
        corrected = bool(opinion.answer)
        _answer(actor, opinion, answer, "library.opinion_answered", "opinion", opinion.document.unit.path)
        document = opinion.document
        # Stored text, read later by a member: in the site's language (Vietnamese), whatever the
        # language of the officer who answers.
        with translation.override(settings.LANGUAGE_CODE):
            name = Truncator(document.title).chars(120)
            title = (_("The committee corrected its answer to your opinion on “%(title)s”") if corrected
                     else _("The committee answered your opinion on “%(title)s”")) % {"title": name}
        _notify_author(actor, opinion, topic="library.opinion_answered", title=title, unit=document.unit,
                       link=reverse("library:document", args=[document.pk]) + f"#opinion-{opinion.pk}")
        return opinion


def feedback_unit(actor: Any) -> Unit | None:
    """Where feedback is answered: the sender's own cell, else the top unit they read in (None for
    a user bound to no unit: the administrators answer)."""
    member = selectors.reader_member(actor)
    if member is not None:
        return member.unit
    # The grants themselves, not scope_for: an officer of the only province holds it "everywhere".
    grant = RoleAssignment.objects.filter(user_id=actor.pk, unit__isnull=False).select_related("unit")
    first = grant.order_by("unit__path").first()
    return first.unit if first is not None else None


def feedback_send(*, actor: Any, text: str, key: str = "") -> tuple[Feedback, bool]:
    """Feedback about the app. (feedback, created)."""
    text = long_text(text, "text", max_length=MAX_TEXT, required=True)
    key = idempotency_key(key)
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to send feedback."))
    with transaction.atomic():
        unit = feedback_unit(actor)
        feedback, created = _create_once(Feedback, actor, key, unit=unit, text=text, created_at=timezone.now())
        if created:
            audit_record(actor=actor, action="library.feedback_sent", object_type="feedback", object_id=feedback.pk,
                         after={"text": text, "unit": unit}, unit_path=unit.path if unit else "")
        return feedback, created


def feedback_answer(*, actor: Any, feedback: Feedback, answer: str) -> Feedback:
    """The committee answers (or corrects its answer to) feedback; its sender is notified."""
    answer = long_text(answer, "answer", max_length=MAX_TEXT, required=True)
    with transaction.atomic():
        feedback = selectors.feedback_lock_for(actor, feedback.pk)
        if not can(actor, FEEDBACK_ANSWER, feedback.unit):
            raise PermissionDenied(_("You do not have permission to answer this feedback."))
        corrected = bool(feedback.answer)
        _answer(actor, feedback, answer, "library.feedback_answered", "feedback",
                feedback.unit.path if feedback.unit else "")
        with translation.override(settings.LANGUAGE_CODE):  # stored text: see opinion_answer
            title = (_("Your feedback about the app: the answer was corrected") if corrected
                     else _("Your feedback about the app was answered"))
        _notify_author(actor, feedback, topic="library.feedback_answered", title=title, unit=feedback.unit,
                       link=reverse("library:feedback") + f"#feedback-{feedback.pk}")
        return feedback


# --- political study -----------------------------------------------------------------------------


def topic_create(
    *, actor: Any, unit: Unit, title: str, quiz: str, description: str = "", documents: list[Document] | None = None,
    published_on: dt.date | None = None,
) -> StudyTopic:
    """A study topic at `unit` for its subtree, with its materials (documents the actor reads) and
    its quiz (library.quiz's text form)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, read in (("title", lambda: line_text(title, "title", max_length=255, required=True)),
                        ("description", lambda: long_text(description, "description", max_length=MAX_TEXT))):
        try:
            values[field] = read()
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        questions = quiz_parse(quiz if isinstance(quiz, str) else "")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        require(actor, LIBRARY_PUBLISH, unit)
        materials = list(selectors.documents_visible_to(actor).filter(pk__in=[d.pk for d in documents or []]))
        if len(materials) != len({d.pk for d in documents or []}):
            raise ValidationError({"documents": [_("A chosen material is not in your library.")]})
        topic = StudyTopic.objects.create(unit=unit, published_on=published_on or timezone.localdate(),
                                          published_by=_user(actor), **values)
        topic.documents.set(materials)
        for position, parsed in enumerate(questions, start=1):
            question = Question.objects.create(topic=topic, position=position, text=parsed.text)
            Choice.objects.bulk_create([Choice(question=question, position=n, text=text, correct=correct)
                                        for n, (text, correct) in enumerate(parsed.choices, start=1)])
        audit_record(actor=actor, action="library.topic_created", object_type="study_topic", object_id=topic.pk,
                     after={**values, "unit": unit.pk, "documents": [d.pk for d in materials],
                            "questions": len(questions)}, unit_path=unit.path)
        return topic


def quiz_submit(*, actor: Any, topic: StudyTopic, answers: dict[int, int], key: str = "") -> tuple[QuizAttempt, bool]:
    """Score and record a member's attempt at the topic's quiz. Every question must be answered
    with one of its choices. (attempt, created)."""
    key = idempotency_key(key)
    with transaction.atomic():
        topic = selectors.topic_get_for(actor, topic.pk)
        member = selectors.reader_member(actor)
        if member is None:
            raise PermissionDenied(_("Only a member on a cell's roll takes a quiz; the result is the member's."))
        questions = [(q.pk, {c.pk for c in q.choices.all()}, {c.pk for c in q.choices.all() if c.correct})
                     for q in selectors.topic_quiz(topic)]
        problems = {f"q{n}": [_("Choose one of this question's answers.")]
                    for n, (question_id, choices, _right) in enumerate(questions, start=1)
                    if answers.get(question_id) not in choices}
        unknown = set(answers) - {question_id for question_id, _choices, _right in questions}
        if unknown:
            problems["answers"] = [_("These are not questions of this quiz: %(ids)s.")
                                   % {"ids": ", ".join(map(str, sorted(unknown)))}]
        if problems:
            raise ValidationError(problems)
        score = quiz_score(questions, answers)
        attempt, created = _create_once(
            QuizAttempt, actor, key, topic=topic, member=member, score=score, total=len(questions),
            answers={str(k): v for k, v in sorted(answers.items())}, submitted_at=timezone.now())
        if created:
            audit_record(actor=actor, action="library.quiz_submitted", object_type="quiz_attempt",
                         object_id=attempt.pk, after={"topic": topic.pk, "member": member.pk, "score": score,
                                                      "total": len(questions)}, unit_path=member.unit.path)
        return attempt, created
