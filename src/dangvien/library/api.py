"""JSON API of the library under /api/library: documents (search, one document, read counts,
bookmarks, opinions), political study (topics, a quiz, attempts, results) and feedback. Reads through
selectors.py, writes through services.py, errors in the API's one shape (dangvien/api.py).

Sending an opinion, feedback or a quiz attempt takes an `Idempotency-Key` header (or the body's
`idempotency_key`): the first send answers 201, a resend with the same key 200 with the same row,
and nothing is recorded twice (the handbook's offline queue relies on it).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Header, Query, Router, Schema
from ninja import Status as Reply
from pydantic import BeforeValidator, ConfigDict, Field

from dangvien.core.urls import MAX_ID
from dangvien.library import selectors, services
from dangvien.library.models import (
    IDEMPOTENCY_KEY_LENGTH,
    Document,
    DocumentKind,
    Feedback,
    Opinion,
    QuizAttempt,
    StudyTopic,
)
from dangvien.library.services import MAX_TEXT
from dangvien.org.selectors import unit_get_for

router = Router(tags=["library"])

PAGE_SIZE = 20
RESULTS_PAGE_SIZE = 100

# --- output schemas ------------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    code: str
    name: str


class DocumentItem(Schema):
    id: int
    kind: DocumentKind
    number: str
    title: str
    summary: str
    unit: UnitRef
    published_on: dt.date
    has_file: bool
    withdrawn: bool
    bookmarked: bool

    @staticmethod
    def resolve_has_file(document: Document) -> bool:
        return bool(document.file)

    @staticmethod
    def resolve_withdrawn(document: Document) -> bool:
        return document.withdrawn_at is not None

    @staticmethod
    def resolve_bookmarked(document: Document) -> bool:
        return bool(getattr(document, "bookmarked", False))


class DocumentPage(Schema):
    items: list[DocumentItem]
    total: int
    page: int


class DocumentOut(DocumentItem):
    body: str
    file_name: str
    file_size: int
    download_url: str | None = Field(description="The PDF, served to readers of the document only.")

    @staticmethod
    def resolve_download_url(document: Document) -> str | None:
        return f"/library/documents/{document.pk}/download/" if document.file else None


class ReadCountOut(Schema):
    unit: UnitRef
    level: int = Field(description="0: the top rows; 1: the units just below them.")
    read: int = Field(description="Members on the roll of the unit's subtree who opened the document.")
    members: int = Field(description="Members on the roll of the unit's subtree.")
    share: str = Field(description='"read/members = x%".')


class OpinionOut(Schema):
    id: int
    document_id: int
    author: str
    text: str
    created_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_author(row: Opinion) -> str:
        return row.author.get_full_name() or row.author.username


class FeedbackOut(Schema):
    id: int
    author: str
    unit: UnitRef | None
    text: str
    created_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_author(row: Feedback) -> str:
        return row.author.get_full_name() or row.author.username


class FeedbackPage(Schema):
    items: list[FeedbackOut]
    total: int
    page: int


class ChoiceOut(Schema):
    id: int
    text: str


class QuestionOut(Schema):
    id: int
    text: str
    choices: list[ChoiceOut] = Field(description="Which is right is not told.")

    @staticmethod
    def resolve_choices(question: Any) -> list[Any]:
        return list(question.choices.all())


class TopicItem(Schema):
    id: int
    title: str
    unit: UnitRef
    published_on: dt.date


class TopicOut(TopicItem):
    description: str
    materials: list[DocumentItem]
    questions: list[QuestionOut]


class AttemptOut(Schema):
    id: int
    topic_id: int
    member_id: int
    score: int
    total: int
    submitted_at: dt.datetime


class ResultOut(Schema):
    member_id: int
    full_name: str
    unit: UnitRef
    attempts: int
    best: int | None
    total: int | None
    last_at: dt.datetime | None


class ResultPage(Schema):
    items: list[ResultOut]
    done: int = Field(description="Members of the list who have taken the quiz.")
    total: int = Field(description="Members in the list.")
    page: int


# --- input schemas -------------------------------------------------------------------------------

_blank_is_none = BeforeValidator(lambda value: None if value == "" else value)
_Key = Field("", max_length=IDEMPOTENCY_KEY_LENGTH,
             description="Used when the Idempotency-Key header is absent.")
_KeyHeader = Header(None, alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_LENGTH,
                    description="The same key on a resend records once (one author's keys are unique).")


class DocumentQuery(Schema):
    q: str = Field("", max_length=200, description="Words of the number, title, summary or text; accents ignored.")
    kind: Annotated[DocumentKind | None, _blank_is_none] = None
    bookmarked: bool = False
    page: int = Field(1, ge=1, le=1_000_000)


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: int = Field(ge=1, le=MAX_ID, description="Published for this unit's whole subtree.")
    kind: DocumentKind
    title: str = Field(max_length=255)
    number: str = Field("", max_length=50)
    summary: str = Field("", max_length=MAX_TEXT)
    body: str = Field(max_length=services.MAX_BODY, description="The text (a PDF is attached on the page).")
    published_on: dt.date | None = None


class TextIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT)
    idempotency_key: str = _Key


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(max_length=MAX_TEXT)


class AttemptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answers: dict[Annotated[int, Field(ge=1, le=MAX_ID)], Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        description="Question id -> the chosen choice's id, for every question.")
    idempotency_key: str = _Key


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)


def _page(rows: Any, page: int, size: int = PAGE_SIZE) -> list[Any]:
    start = (page - 1) * size
    return list(rows[start:start + size])


def _sent(row: Any, created: bool) -> Reply:
    return Reply(201 if created else 200, row)


# --- documents -----------------------------------------------------------------------------------


@router.get("/documents", response=DocumentPage, summary="Documents published for you, newest first")
def list_documents(request: HttpRequest, params: Query[DocumentQuery]) -> dict[str, Any]:
    rows = selectors.document_list(request.user, selectors.DocumentFilter(
        query=params.q, kind=params.kind or "", bookmarked=params.bookmarked))
    return {"items": _page(rows, params.page), "total": rows.count(), "page": params.page}


@router.post("/documents", response={201: DocumentOut}, summary="Publish a text document at a unit")
def publish_document(request: HttpRequest, payload: PublishIn) -> Reply[Document]:
    unit = unit_get_for(request.user, payload.unit)
    document = services.document_publish(
        actor=request.user, unit=unit, kind=payload.kind, title=payload.title, number=payload.number,
        summary=payload.summary, body=payload.body, published_on=payload.published_on)
    return Reply(201, document)


@router.get("/documents/{id:document_id}", response=DocumentOut,
            summary="One document (a member opening it is counted as a reader)")
def get_document(request: HttpRequest, document_id: int) -> Document:
    document = selectors.document_get_for(request.user, document_id)
    services.document_read(actor=request.user, document=document)
    document.bookmarked = selectors.document_is_bookmarked(request.user, document)  # type: ignore[attr-defined]
    return document


@router.get("/documents/{id:document_id}/reads", response=list[ReadCountOut],
            summary='Who has read the document, per unit: "read by 312 of 413"')
def get_reads(request: HttpRequest, document_id: int) -> list[Any]:
    document = selectors.document_get_for(request.user, document_id)
    return selectors.document_read_counts(request.user, document)


@router.post("/documents/{id:document_id}/withdraw", response=DocumentOut, summary="Withdraw a document")
def withdraw_document(request: HttpRequest, document_id: int) -> Document:
    document = selectors.document_get_for(request.user, document_id)
    return services.document_withdraw(actor=request.user, document=document)


@router.put("/documents/{id:document_id}/bookmark", response={204: None}, summary="Bookmark a document")
def put_bookmark(request: HttpRequest, document_id: int) -> Reply:
    services.bookmark_add(actor=request.user, document=selectors.document_get_for(request.user, document_id))
    return Reply(204, None)


@router.delete("/documents/{id:document_id}/bookmark", response={204: None}, summary="Remove a bookmark")
def delete_bookmark(request: HttpRequest, document_id: int) -> Reply:
    services.bookmark_remove(actor=request.user, document=selectors.document_get_for(request.user, document_id))
    return Reply(204, None)


@router.get("/documents/{id:document_id}/opinions", response=list[OpinionOut],
            summary="Your opinions on a document (a publishing committee: everyone's), with the answers")
def list_opinions(request: HttpRequest, document_id: int) -> list[Opinion]:
    document = selectors.document_get_for(request.user, document_id)
    return list(selectors.document_opinions(request.user, document))


@router.post("/documents/{id:document_id}/opinions", response={200: OpinionOut, 201: OpinionOut},
             summary="Send an opinion on a document to its committee (idempotent with a key)")
def send_opinion(request: HttpRequest, document_id: int, payload: TextIn,
                 idempotency: str | None = _KeyHeader) -> Reply[Opinion]:
    document = selectors.document_get_for(request.user, document_id)
    opinion, created = services.opinion_send(actor=request.user, document=document, text=payload.text,
                                             key=idempotency or payload.idempotency_key)
    return _sent(opinion, created)


@router.post("/opinions/{id:opinion_id}/answer", response=OpinionOut, summary="Answer an opinion (the committee)")
def answer_opinion(request: HttpRequest, opinion_id: int, payload: AnswerIn) -> Opinion:
    opinion = selectors.opinion_get_for(request.user, opinion_id)
    return services.opinion_answer(actor=request.user, opinion=opinion, answer=payload.answer)


# --- political study -----------------------------------------------------------------------------


@router.get("/study/topics", response=list[TopicItem], summary="Study topics published for you")
def list_topics(request: HttpRequest, params: Query[PageQuery]) -> list[StudyTopic]:
    return _page(selectors.topics_visible_to(request.user).select_related("unit"), params.page)


@router.get("/study/topics/{id:topic_id}", response=TopicOut, summary="A topic: its materials and its quiz")
def get_topic(request: HttpRequest, topic_id: int) -> dict[str, Any]:
    topic = selectors.topic_get_for(request.user, topic_id)
    return {"id": topic.pk, "title": topic.title, "unit": topic.unit, "published_on": topic.published_on,
            "description": topic.description, "materials": list(selectors.topic_materials(request.user, topic)),
            "questions": selectors.topic_quiz(topic)}


@router.post("/study/topics/{id:topic_id}/attempts", response={200: AttemptOut, 201: AttemptOut},
             summary="Answer the topic's quiz (a member): scored and recorded")
def submit_attempt(request: HttpRequest, topic_id: int, payload: AttemptIn,
                   idempotency: str | None = _KeyHeader) -> Reply[QuizAttempt]:
    topic = selectors.topic_get_for(request.user, topic_id)
    attempt, created = services.quiz_submit(actor=request.user, topic=topic, answers=payload.answers,
                                            key=idempotency or payload.idempotency_key)
    return _sent(attempt, created)


@router.get("/study/topics/{id:topic_id}/results", response=ResultPage,
            summary="The topic's training results of the members you count")
def get_results(request: HttpRequest, topic_id: int, params: Query[PageQuery]) -> dict[str, Any]:
    topic = selectors.topic_get_for(request.user, topic_id)
    members, done = selectors.study_results(request.user, topic)
    rows = selectors.results_of(topic, _page(members, params.page, RESULTS_PAGE_SIZE))
    items = [{"member_id": r.member.pk, "full_name": r.member.full_name, "unit": r.member.unit,
              "attempts": r.attempts, "best": r.best, "total": r.total, "last_at": r.last_at} for r in rows]
    return {"items": items, "done": done, "total": members.count(), "page": params.page}


# --- feedback ------------------------------------------------------------------------------------


@router.get("/feedback", response=FeedbackPage,
            summary="Your feedback (a committee: also its subtree's), newest first, with the answers")
def list_feedback(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    rows = selectors.feedback_list(request.user)
    return {"items": _page(rows, params.page), "total": rows.count(), "page": params.page}


@router.post("/feedback", response={200: FeedbackOut, 201: FeedbackOut},
             summary="Send feedback about the app (idempotent with a key)")
def send_feedback(request: HttpRequest, payload: TextIn, idempotency: str | None = _KeyHeader) -> Reply[Feedback]:
    feedback, created = services.feedback_send(actor=request.user, text=payload.text,
                                               key=idempotency or payload.idempotency_key)
    return _sent(feedback, created)


@router.post("/feedback/{id:feedback_id}/answer", response=FeedbackOut, summary="Answer feedback (the committee)")
def answer_feedback(request: HttpRequest, feedback_id: int, payload: AnswerIn) -> Feedback:
    found = selectors.feedback_get_for(request.user, feedback_id)
    return services.feedback_answer(actor=request.user, feedback=found, answer=payload.answer)
