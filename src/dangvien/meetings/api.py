"""JSON API of the meetings under /api/meetings: lists (the actor's scope; a member's own), one
meeting, the QR check-in (what the handbook's offline queue sends) and the secretary's attendance
marks. Reads through selectors.py, writes through services.py, errors in the API's one shape.

A check-in takes an `Idempotency-Key` header (or the body's `idempotency_key`) and the time of the
scan: the first send answers 201, a resend 200 with the row first recorded; a scan outside the
meeting's check-in time, a wrong code or a cancelled meeting is a 422 whose detail says why.
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
from dangvien.meetings import rules, selectors, services
from dangvien.meetings.models import (
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from dangvien.org.selectors import unit_get_for

router = Router(tags=["meetings"])

PAGE_SIZE = 50


class UnitRef(Schema):
    id: int
    code: str
    name: str


class MeetingItem(Schema):
    id: int
    unit: UnitRef
    kind: MeetingKind
    topic: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    status: MeetingStatus
    registered_at: dt.datetime
    registered_on_time: bool | None = Field(description="Regular meetings: registered before their month began.")

    @staticmethod
    def resolve_registered_on_time(meeting: Meeting) -> bool | None:
        if meeting.kind != MeetingKind.REGULAR:
            return None
        return rules.registered_on_time(starts_at=meeting.starts_at, registered_at=meeting.registered_at)


class MeetingPage(Schema):
    items: list[MeetingItem]
    page: int


class AgendaOut(Schema):
    position: int
    title: str
    presenter: str


class AttachmentOut(Schema):
    id: int
    title: str
    file_name: str
    file_size: int
    url: str

    @staticmethod
    def resolve_url(row: Any) -> str:
        if row.document_id:
            return f"/library/documents/{row.document_id}/"
        return f"/meetings/attachments/{row.pk}/download/"


class MeetingOut(MeetingItem):
    cancelled_reason: str
    agenda: list[AgendaOut]
    attachments: list[AttachmentOut]
    my_attendance: AttendanceStatus | None = Field(description="Yours, when you are a member.")
    checkin_opens: dt.datetime
    checkin_closes: dt.datetime


class AttendanceOut(Schema):
    id: int
    meeting_id: int
    member_id: int
    status: AttendanceStatus
    reason: str
    method: CheckInMethod
    checked_in_at: dt.datetime | None
    recorded_at: dt.datetime


class ListQuery(Schema):
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="A unit's subtree.")
    past: bool = Field(False, description="Past meetings, newest first (default: upcoming, soonest first).")
    page: int = Field(1, ge=1, le=1_000_000)


class CheckInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=100, description="The code in the meeting's QR (the last part of its address).")
    scanned_at: dt.datetime | None = Field(None, description="When the phone scanned it (default: now). A "
                                           "check-in queued offline keeps its scan time.")
    idempotency_key: str = Field("", max_length=IDEMPOTENCY_KEY_LENGTH,
                                 description="Used when the Idempotency-Key header is absent.")


class MarkIn(Schema):
    member: int = Field(ge=1, le=MAX_ID)
    status: AttendanceStatus
    reason: str = Field("", max_length=255, description="Required for an absence with reason.")


class MarksIn(Schema):
    model_config = ConfigDict(extra="forbid")

    marks: list[MarkIn] = Field(max_length=1000)


@router.get("", response=MeetingPage, summary="Meetings you see (officers: your units'; members: yours)")
def list_meetings(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    unit = unit_get_for(request.user, params.unit) if params.unit is not None else None
    rows = selectors.meeting_list(request.user, selectors.MeetingFilter(unit=unit, upcoming=not params.past))
    start = (params.page - 1) * PAGE_SIZE
    return {"items": list(rows[start:start + PAGE_SIZE]), "page": params.page}


@router.get("/mine", response=list[MeetingItem], summary="Your meetings as a member (your cell's, your invitations)")
def my_meetings(request: HttpRequest) -> list[Meeting]:
    return [row.meeting for row in selectors.my_meetings(request.user)]


@router.get("/{id:meeting_id}", response=MeetingOut, summary="One meeting: agenda, documents, your attendance")
def get_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    meeting = selectors.meeting_get_for(request.user, meeting_id)
    page = selectors.meeting_page(request.user, meeting)
    meeting.my_attendance = page.mine.status if page.mine else None  # type: ignore[attr-defined]
    meeting.checkin_opens, meeting.checkin_closes = page.window.opens, page.window.closes  # type: ignore[attr-defined]
    return meeting


@router.post("/checkin", response={200: AttendanceOut, 201: AttendanceOut},
             summary="Check in with a meeting's QR code (idempotent with a key; a queued scan keeps its time)")
def check_in(request: HttpRequest, payload: CheckInIn,
             idempotency: str | None = Header(None, alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_LENGTH)
             ) -> Reply[Attendance]:
    scanned = payload.scanned_at
    if scanned is not None and timezone.is_naive(scanned):
        scanned = timezone.make_aware(scanned)
    attendance, created = services.attendance_check_in(actor=request.user, token=payload.token, scanned_at=scanned,
                                                       key=idempotency or payload.idempotency_key)
    return Reply(201 if created else 200, attendance)


@router.post("/{id:meeting_id}/attendance", response=list[AttendanceOut],
             summary="Record attendance (the secretary): the rows changed")
def mark_attendance(request: HttpRequest, meeting_id: int, payload: MarksIn) -> list[Attendance]:
    meeting = selectors.meeting_get_for(request.user, meeting_id)
    return services.attendance_mark(actor=request.user, meeting=meeting, marks=[
        services.Mark(m.member, m.status, m.reason) for m in payload.marks])
