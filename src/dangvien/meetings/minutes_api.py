"""JSON API of a meeting's minutes, the members' opinions and the open votes, under /api/meetings.
Reads through minutes_selectors.py, writes through minutes_services.py, errors in the API's one
shape (dangvien/api.py): a draft or absent minutes and a hidden meeting are 404; a stale edit 409.

Sending an opinion takes an `Idempotency-Key` header (or the body's `idempotency_key`): the first
send answers 201, a resend with the same key 200 with the same opinion, and nothing is recorded
twice. The handbook's offline queue posts `{"text": ...}` only, so what the opinion is about may
also be given in the query (`?agenda_item=3`, `?attachment=5`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Query, Router, Schema
from ninja import Status as Reply
from pydantic import ConfigDict, Field

from dangvien.core.urls import MAX_ID
from dangvien.library.models import IDEMPOTENCY_KEY_LENGTH
from dangvien.meetings import minutes_selectors as selectors
from dangvien.meetings import minutes_services as services
from dangvien.meetings.models import Comment, MinutesStatus, Vote
from dangvien.meetings.selectors import meeting_get_for

router = Router(tags=["meetings: minutes, opinions, votes"])

_Id = Field(None, ge=1, le=MAX_ID)

# --- output schemas -------------------------------------------------------------------------------


class AbsenteeOut(Schema):
    member_id: int | None
    name: str
    status: str = Field(description='"excused", "unexcused", or "" when nobody recorded the absence.')
    reason: str


class AgendaOut(Schema):
    id: int | None
    position: int
    title: str
    presenter: str


class SpeechOut(Schema):
    position: int
    speaker: str
    text: str
    agenda_item: int | None


class VoteOut(Schema):
    id: int
    question: str
    agenda_item_id: int | None
    votes_for: int
    votes_against: int
    abstentions: int
    recorded_at: dt.datetime


class MinutesOut(Schema):
    meeting_id: int
    status: MinutesStatus
    version: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    place: str
    chair: str
    secretary: str
    present: int = Field(description="Expected members present: live for a draft, fixed at approval.")
    total: int = Field(description="Expected members (official and probationary on the roll; no guests).")
    absentees: list[AbsenteeOut]
    agenda: list[AgendaOut]
    speeches: list[SpeechOut]
    votes: list[VoteOut]
    conclusions: str
    approved_at: dt.datetime | None


class CommentOut(Schema):
    id: int
    meeting_id: int
    member_id: int
    member_name: str
    agenda_item_id: int | None
    attachment_id: int | None
    text: str
    created_at: dt.datetime

    @staticmethod
    def resolve_member_name(row: Comment) -> str:
        return row.member.full_name


# --- input schemas --------------------------------------------------------------------------------


class SpeechIn(Schema):
    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(max_length=120)
    text: str = Field(max_length=services.MAX_TEXT)
    agenda_item: int | None = _Id


class MinutesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=MAX_ID, description="The version the edit was made on; 0 for new minutes.")
    started_at: dt.datetime = Field(description="Without an offset: the site's time (Asia/Ho_Chi_Minh).")
    ended_at: dt.datetime | None = None
    place: str = Field(max_length=255)
    chair: str = Field(max_length=120)
    secretary: str = Field(max_length=120)
    conclusions: str = Field("", max_length=services.MAX_TEXT)
    speeches: list[SpeechIn] = Field([], max_length=services.MAX_SPEECHES,
                                     description="The whole discussion, in order: it replaces the saved one.")


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=MAX_ID)


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=services.MAX_TEXT)
    agenda_item: int | None = _Id
    attachment: int | None = _Id
    idempotency_key: str = Field("", max_length=IDEMPOTENCY_KEY_LENGTH,
                                 description="Used when the Idempotency-Key header is absent.")


class CommentQuery(Schema):
    agenda_item: int | None = Field(None, ge=1, le=MAX_ID, description="When the body does not say.")
    attachment: int | None = Field(None, ge=1, le=MAX_ID, description="When the body does not say.")


class VoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=255)
    agenda_item: int | None = _Id
    votes_for: int = Field(ge=0, le=services.MAX_VOTES)
    votes_against: int = Field(ge=0, le=services.MAX_VOTES)
    abstentions: int = Field(ge=0, le=services.MAX_VOTES)


_KeyHeader = Header(None, alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_LENGTH,
                    description="The same key on a resend records once (one author's keys are unique).")


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


def _minutes_out(record: selectors.MinutesRecord) -> dict[str, Any]:
    m = record.minutes
    return {
        "meeting_id": record.meeting.pk, "status": m.status, "version": m.version, "started_at": m.started_at,
        "ended_at": m.ended_at, "place": m.place, "chair": m.chair, "secretary": m.secretary,
        "present": record.present, "total": record.total, "absentees": [a.as_json() for a in record.absentees],
        "agenda": [line.as_json() for line in record.agenda],
        "speeches": [{"position": s.position, "speaker": s.speaker, "text": s.text,
                      "agenda_item": s.agenda.id if s.agenda else None} for s in record.speeches],
        "votes": record.votes, "conclusions": m.conclusions, "approved_at": m.approved_at,
    }


# --- the minutes ----------------------------------------------------------------------------------


@router.get("/{id:meeting_id}/minutes", response=MinutesOut,
            summary="A meeting's minutes (a draft only for its secretary and committee)")
def get_minutes(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    meeting = meeting_get_for(request.user, meeting_id)
    minutes = selectors.minutes_readable(request.user, meeting)
    return _minutes_out(selectors.minutes_record(meeting, minutes))


@router.put("/{id:meeting_id}/minutes", response={200: MinutesOut, 201: MinutesOut},
            summary="Write the draft minutes (version 0 creates them); the discussion is replaced")
def put_minutes(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> Reply:
    meeting = meeting_get_for(request.user, meeting_id)
    minutes = services.minutes_save(
        actor=request.user, meeting=meeting, expected_version=payload.version, started_at=_aware(payload.started_at),
        ended_at=_aware(payload.ended_at), place=payload.place, chair=payload.chair, secretary=payload.secretary,
        conclusions=payload.conclusions,
        speeches=[services.SpeechEntry(s.speaker, s.text, s.agenda_item) for s in payload.speeches])
    return Reply(201 if payload.version == 0 else 200, _minutes_out(selectors.minutes_record(meeting, minutes)))


@router.post("/{id:meeting_id}/minutes/approve", response=MinutesOut,
             summary="Approve the minutes: present / total fixed, the meeting held, the minutes read-only")
def approve_minutes(request: HttpRequest, meeting_id: int, payload: VersionIn) -> dict[str, Any]:
    meeting = meeting_get_for(request.user, meeting_id)
    minutes = services.minutes_approve(actor=request.user, meeting=meeting, expected_version=payload.version)
    return _minutes_out(selectors.minutes_record(meeting, minutes))


# --- opinions -------------------------------------------------------------------------------------


@router.get("/{id:meeting_id}/comments", response=list[CommentOut],
            summary="Opinions on the meeting: your own (its secretary and committee: everyone's)")
def list_comments(request: HttpRequest, meeting_id: int) -> list[Comment]:
    meeting = meeting_get_for(request.user, meeting_id)
    return list(selectors.comments_visible_to(request.user, meeting))


@router.post("/{id:meeting_id}/comments", response={200: CommentOut, 201: CommentOut},
             summary="Send an opinion on the agenda or a document before the meeting (idempotent with a key)")
def send_comment(request: HttpRequest, meeting_id: int, payload: CommentIn, params: Query[CommentQuery],
                 idempotency: str | None = _KeyHeader) -> Reply:
    meeting = meeting_get_for(request.user, meeting_id)
    comment, created = services.comment_add(
        actor=request.user, meeting=meeting, text=payload.text,
        agenda_item_id=payload.agenda_item or params.agenda_item, attachment_id=payload.attachment or params.attachment,
        key=idempotency or payload.idempotency_key)
    return Reply(201 if created else 200, comment)


# --- votes ----------------------------------------------------------------------------------------


@router.get("/{id:meeting_id}/votes", response=list[VoteOut],
            summary="The meeting's open votes (where its minutes are read)")
def list_votes(request: HttpRequest, meeting_id: int) -> list[Vote]:
    meeting = meeting_get_for(request.user, meeting_id)
    return list(selectors.votes_readable(request.user, meeting))


@router.post("/{id:meeting_id}/votes", response={201: VoteOut},
             summary="Record an open vote's counts (secret ballots stay on paper)")
def record_vote(request: HttpRequest, meeting_id: int, payload: VoteIn) -> Reply:
    meeting = meeting_get_for(request.user, meeting_id)
    vote = services.vote_record(actor=request.user, meeting=meeting, question=payload.question,
                                votes_for=payload.votes_for, votes_against=payload.votes_against,
                                abstentions=payload.abstentions, agenda_item_id=payload.agenda_item)
    return Reply(201, vote)


@router.delete("/votes/{id:vote_id}", response={204: None}, summary="Remove a vote recorded by mistake (draft minutes)")
def delete_vote(request: HttpRequest, vote_id: int) -> Reply:
    services.vote_remove(actor=request.user, vote=selectors.vote_get_for(request.user, vote_id))
    return Reply(204, None)
