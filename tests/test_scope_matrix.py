"""The scope matrix: every role × every API route and HTML page that takes a unit or a member.

What each role may see and change is written out by hand below (ROLE_SCOPES), not computed from
the permission code under test. For each (role, route) the test walks every target object:
- hidden → 404 (the same as absent); anonymous → 401 on the API, a redirect to the login on pages;
- visible but not writable → 403; permitted → the route's success code;
- after every refused write nothing changed (rows, history, audit); a permitted write adds exactly
  one audit row; so does a permitted audited read (an export), which changes nothing else.

A new route is one line in ROUTES.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.members import services
from dangvien.members.models import Member, MemberEvent, Status
from tests.factories import World, build_world
from tests.shared import built_once

UNITS = ["province", "commune_a", "org_a", "cell_a1", "cell_a2", "commune_b", "cell_b1"]
CELLS = ["cell_a1", "cell_a2", "cell_b1"]
MEMBERS = ["member_a1", "member_a2", "member_b1"]
A_UNITS = {"commune_a", "org_a", "cell_a1", "cell_a2"}


@dataclass(frozen=True)
class Scope:
    units: set[str] = field(default_factory=set)  # units it may see
    members: set[str] = field(default_factory=set)  # members it may see
    manage: set[str] = field(default_factory=set)  # members and cells where it may record and correct
    contact: set[str] = field(default_factory=set)  # members whose contact details it may update
    # Units and members where it sees and decides reconciliation results (RECONCILE_VIEW, _RESOLVE).
    reconcile: set[str] = field(default_factory=set)
    # Campaigns, units and participants where it sees and records campaign data (CAMPAIGN_VIEW, _RECORD).
    campaign: set[str] = field(default_factory=set)
    # Units where it sees a campaign's report (CAMPAIGN_VIEW) and urges or starts one (CAMPAIGN_MANAGE).
    report: set[str] = field(default_factory=set)
    report_manage: set[str] = field(default_factory=set)
    # Cells and members where it does the cell's handbook work: codes, assisted registration, the
    # no-smartphone mark, evaluations and fees (HANDBOOK_CELL, EVALUATION_RECORD, FEE_RECORD).
    handbook: set[str] = field(default_factory=set)
    # Units whose handbook adoption report it sees (ADOPTION_VIEW: committee officers, cell secretaries).
    adoption: set[str] = field(default_factory=set)


PARTS = ["part_a1", "part_a2", "part_b1"]  # the members' participants in the province's campaign
CAMPAIGNS = ["campaign_all", "campaign_b"]  # campaigns over the province and over commune B

ROLE_SCOPES: dict[str, Scope | None] = {
    "province_officer": Scope(set(UNITS), set(MEMBERS), {*MEMBERS, *CELLS}, set(MEMBERS), {*UNITS, *MEMBERS},
                              {*UNITS, *PARTS, *CAMPAIGNS}, report=set(UNITS), report_manage=set(UNITS),
                              handbook={*MEMBERS, *CELLS}, adoption=set(UNITS)),
    "officer_a": Scope(A_UNITS, {"member_a1", "member_a2"}, {"member_a1", "member_a2", "cell_a1", "cell_a2"},
                       {"member_a1", "member_a2"}, {*A_UNITS, "member_a1", "member_a2"},
                       {*A_UNITS, "part_a1", "part_a2", "campaign_all"}, report=A_UNITS, report_manage=A_UNITS,
                       handbook={"member_a1", "member_a2", "cell_a1", "cell_a2"}, adoption=A_UNITS),
    "officer_b": Scope({"commune_b", "cell_b1"}, {"member_b1"}, {"member_b1", "cell_b1"}, {"member_b1"},
                       {"commune_b", "cell_b1", "member_b1"}, {"commune_b", "cell_b1", "part_b1", *CAMPAIGNS},
                       report={"commune_b", "cell_b1"}, report_manage={"commune_b", "cell_b1"},
                       handbook={"member_b1", "cell_b1"}, adoption={"commune_b", "cell_b1"}),
    "secretary_a1": Scope({"cell_a1"}, {"member_a1"}, set(), {"member_a1"},
                          campaign={"cell_a1", "part_a1", "campaign_all"}, report={"cell_a1"},
                          handbook={"member_a1", "cell_a1"}, adoption={"cell_a1"}),
    "card_officer_a": Scope(A_UNITS, {"member_a1", "member_a2"}, reconcile={*A_UNITS, "member_a1", "member_a2"},
                            campaign={*A_UNITS, "part_a1", "part_a2", "campaign_all"}, report=A_UNITS),
    "member_user_a1": Scope(set(), {"member_a1"}),  # their own record only
    "anonymous": None,
}

VIEW, MANAGE, CONTACT, HANDBOOK = "view", "manage", "contact", "handbook"
ADOPTION = "adoption"  # ADOPTION_VIEW: a unit outside it is hidden (404), its figures are not the actor's
CAMPAIGN = "campaign"  # CAMPAIGN_VIEW and CAMPAIGN_RECORD: every role that has one has the other, over the same units

# --- the library: documents, study topics, opinions and feedback, each created for its route ---

DOCS = ["doc_province", "doc_a", "doc_a1", "doc_b"]  # published at the province, commune A, cell A1, commune B
TOPICS = ["topic_a", "topic_b"]  # study topics at commune A and commune B
OPINIONS = ["opinion_p", "opinion_a"]  # member_user_a1's opinions on the province's and commune A's documents
FEEDBACK = ["fb_a1", "fb_b"]  # feedback from member_user_a1 (cell A1) and from officer_b (commune B)


@dataclass(frozen=True)
class Reading:
    reads: set[str]  # documents (published at or above its units, or inside them), topics, opinions, feedback
    decides: set[str] = field(default_factory=set)  # where it withdraws documents and answers opinions and feedback
    counts: bool = False  # read counts and study results (its own part of the audience)
    studies: bool = False  # takes quizzes: a member on a cell's roll


_A_READS = {"doc_province", "doc_a", "doc_a1", "topic_a"}
LIBRARY_SCOPES: dict[str, Reading | None] = {
    "province_officer": Reading({*DOCS, *TOPICS, *OPINIONS, *FEEDBACK}, {*DOCS, *TOPICS, *OPINIONS, *FEEDBACK},
                                counts=True),
    "officer_a": Reading({*_A_READS, "opinion_a", "fb_a1"}, {"doc_a", "doc_a1", "topic_a", "opinion_a", "fb_a1"},
                         counts=True),
    "officer_b": Reading({"doc_province", "doc_b", "topic_b", "fb_b"}, {"doc_b", "topic_b", "fb_b"}, counts=True),
    "secretary_a1": Reading(_A_READS, counts=True),
    "card_officer_a": Reading(_A_READS),
    "member_user_a1": Reading({*_A_READS, *OPINIONS, "fb_a1"}, studies=True),  # the author of both opinions
    "anonymous": None,
}
LVIEW, LDECIDE, LCOUNT, LSTUDY = "library.view", "library.decide", "library.count", "library.study"

_serial = itertools.count(500)


# --- how to put a target member in a state where the event is valid ----------------------------


def _probationary(world: World, member: Member) -> None:
    # Test setup only: there is no service that turns an official member back into a probationary
    # one. Admission in 2010 or 2025 both leave 12 months before the official date used below.
    Member.objects.filter(pk=member.pk).update(status=Status.PROBATIONARY, official_date=None)


def _transferred_out(world: World, member: Member) -> None:
    services.member_transfer_out(actor=world.admin, member=member, expected_version=member.version,
                                 date=dt.date(2026, 6, 1), destination="Đảng bộ tỉnh Kon Tum")


def _temporarily_out(world: World, member: Member) -> None:
    services.member_transfer_temporarily(actor=world.admin, member=member, expected_version=member.version,
                                         date=dt.date(2026, 6, 1), destination="Trường Chính trị tỉnh")


def _exempted(world: World, member: Member) -> None:
    services.member_exempt(actor=world.admin, member=member, expected_version=member.version,
                           date=dt.date(2026, 6, 1), reason="Tuổi cao")


OWN_CELL = object()  # in an event body: the target member's cell (an id on the API, a code on pages)
DAY = dt.date(2026, 10, 1)

# kind → (setup, body without the version): each valid for every target member after its setup.
EVENTS: dict[str, tuple[Callable[[World, Member], None] | None, dict[str, Any]]] = {
    "recognize-official": (_probationary, {"official_date": dt.date(2026, 9, 10), "decision": "7-NQ/CB"}),
    "transfer-out": (None, {"date": DAY, "destination": "Đảng bộ tỉnh Kon Tum"}),
    "transfer-in": (_transferred_out, {"date": DAY, "unit": OWN_CELL}),
    "transfer-temporarily": (None, {"date": DAY, "destination": "Trường Chính trị tỉnh", "until": dt.date(2027, 3, 1)}),
    "return": (_temporarily_out, {"date": DAY}),
    "exempt": (None, {"date": DAY, "reason": "Tuổi cao"}),
    "lift-exemption": (_exempted, {"date": DAY}),
    "discipline": (None, {"date": DAY, "form": "warning"}),
    "remove": (None, {"date": DAY, "reason": "Bỏ sinh hoạt ba tháng"}),
    "record-death": (None, {"date": DAY}),
}


def _event_json(kind: str) -> Callable[[World, Any], dict[str, Any]]:
    def body(world: World, member: Member) -> dict[str, Any]:
        values = {k: member.unit_id if v is OWN_CELL else v.isoformat() if isinstance(v, dt.date) else v
                  for k, v in EVENTS[kind][1].items()}
        return {"version": member.version, **values}
    return body


def _event_form(kind: str) -> Callable[[World, Any], dict[str, Any]]:
    def body(world: World, member: Member) -> dict[str, Any]:
        values = {k: member.unit.code if v is OWN_CELL else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v
                  for k, v in EVENTS[kind][1].items()}
        return {"version": member.version, "note": "", "decision": "", **values}
    return body


def _event_setup(kind: str) -> Callable[[World, Member], None] | None:
    return EVENTS[kind][0]


# --- other bodies ------------------------------------------------------------------------------


def _new_member(unit: Any, admit: bool) -> dict[str, Any]:
    born = dt.date(1998, 2, 3) if admit else dt.date(1985, 4, 12)
    data = {"full_name": "Phạm Văn Bình", "sex": "M", "date_of_birth": born,
            "citizen_id": make_citizen_id("064", "M", born.year, next(_serial)),
            "admission_date": dt.date(2026, 6, 1) if admit else dt.date(2012, 5, 19)}
    if not admit:
        data["official_date"] = dt.date(2013, 5, 19)
    return data


def _register_json(world: World, unit: Any) -> dict[str, Any]:
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in _new_member(unit, admit=False).items()}
    return {"unit": unit.pk, **data}


def _admit_json(world: World, unit: Any) -> dict[str, Any]:
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in _new_member(unit, admit=True).items()}
    return {"unit": unit.pk, **data}


def _admit_form(world: World, unit: Any) -> dict[str, Any]:
    data = {k: v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for k, v in _new_member(unit, admit=True).items()}
    return {**data, "decision": "", "note": ""}


def _page_form_data(form_class: Any, member: Member, **changes: Any) -> dict[str, Any]:
    """What a browser would send back from the page's form, with `changes` typed in."""
    from dangvien.members.forms import profile_initial

    form = form_class(initial=profile_initial(member, form_class.names))
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.field.widget.format_value(bound.value())
        if isinstance(value, list):
            value = value[0] if value else ""
        data[bound.name] = "" if value is None else value
    return {**data, **changes}


def _correct_form(world: World, member: Member) -> dict[str, Any]:
    from dangvien.members.forms import CorrectForm

    return _page_form_data(CorrectForm, member, hometown="Xã Ia Ka, Gia Lai")


def _contact_form(world: World, member: Member) -> dict[str, Any]:
    from dangvien.members.forms import ContactForm

    return _page_form_data(ContactForm, member, phone="0912345678")


# --- reconciliation results: created for the target member when a route asks for them ------------

MATCHES = ["match_a1", "match_a2", "match_b1"]  # a member's result under review
FIXES = ["fix_a1", "fix_a2", "fix_b1"]  # an open discrepancy of a member's linked result
CELL_MEMBER = {"cell_a1": "member_a1", "cell_a2": "member_a2", "cell_b1": "member_b1"}
RVIEW, RRESOLVE, RFIX = "reconcile.view", "reconcile.resolve", "reconcile.fix"  # RFIX: resolve + manage


def _result_member(target: str) -> str | None:
    """The member a match_ or fix_ target belongs to."""
    return "member_" + target.split("_", 1)[1] if target.startswith(("match_", "fix_")) else None


def _review_item(world: World, member: Member) -> Any:
    from tests.reconcile.fixtures import candidate, person, review_match

    who = person(so_dinh_danh=member.citizen_id, ho_ten=member.full_name, ngay_sinh=member.date_of_birth.isoformat(),
                 gioi_tinh=member.sex, que_quan_xa="Xã Ia Grai", que_quan_tinh="Gia Lai")
    return review_match(member, [candidate(who, 0.7, name=6.0, birth=9.0)])


def _hometown_fix(world: World, member: Member) -> Any:
    from tests.reconcile.fixtures import linked_match

    match = linked_match(member, member.citizen_id, discrepancies=[
        ("hometown", "merger_hometown", member.hometown, "Xã Ia Grai, tỉnh Gia Lai")])
    return match.discrepancies.get()


def _cell_name(world: World, cell: Any) -> str:
    return next(name for name in CELLS if getattr(world, name).pk == cell.pk)


RUN_JOBS = ["job_cell_a1", "job_cell_b1"]  # a stalled reconciliation job over a cell (started at the shell)


def _run_job(world: World, cell_name: str) -> Any:
    import datetime as dt

    from dangvien.jobs.models import Job, JobStatus
    from tests.clock import NOW

    return Job.objects.create(kind="reconcile.run", status=JobStatus.RUNNING, unit_path=getattr(world, cell_name).path,
                              progress_at=NOW - dt.timedelta(hours=2), params={})


def _snapshot_form(world: World, unit: Any) -> dict[str, Any]:
    from tests.reconcile.fixtures import make_snapshot

    return {"unit": unit.pk, "snapshot": make_snapshot().pk}


# --- the card exchange campaign: one over the province where every world member counts ----------


def _campaign(world: World, name: str = "campaign_all") -> Any:
    from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
    from dangvien.campaign.models import Campaign
    from dangvien.campaign.services import campaign_create

    unit = world.province if name == "campaign_all" else world.commune_b
    return Campaign.objects.filter(name=name).first() or campaign_create(
        actor=world.admin, unit=unit, name=name, start=dt.date(2026, 10, 1), deadline=dt.date(2026, 12, 31),
        rule=Rule(statuses=SNAPSHOT_STATUSES, require_card=False))


def _participant(world: World, name: str) -> Any:
    from dangvien.campaign.models import Participant

    member = getattr(world, "member_" + name.split("_", 1)[1])
    return Participant.objects.get(campaign=_campaign(world), member=member)


def _fresh(participant: Any) -> Any:
    from dangvien.campaign.models import Participant

    return Participant.objects.get(pk=participant.pk)


def _declared(world: World, participant: Any) -> None:
    from dangvien.campaign.services import participant_step

    participant_step(actor=world.admin, participant=participant, expected_version=_fresh(participant).version,
                     step="declared", day=dt.date(2026, 10, 5))


def _on_hold(world: World, participant: Any) -> None:
    from dangvien.campaign.services import participant_hold

    participant_hold(actor=world.admin, participant=participant, expected_version=_fresh(participant).version,
                     reason="abroad")


def _step_json(world: World, p: Any) -> dict[str, Any]:
    return {"version": _fresh(p).version, "step": "declared", "day": "2026-10-05"}


def _bulk_step_json(world: World, p: Any) -> dict[str, Any]:
    return {"step": "declared", "day": "2026-10-05", "participants": [p.pk]}


def _target(world: World, name: str) -> Any:
    if name.startswith("part_"):
        return _participant(world, name)
    if name.startswith("campaign_"):
        return _campaign(world, name)
def _library_target(world: World, name: str) -> Any:
    from dangvien.library import services as library
    from tests.library.fixtures import QUIZ, pdf_upload, publish

    units = {"province": world.province, "a": world.commune_a, "a1": world.cell_a1, "b": world.commune_b, "p": world.province}
    kind, _, where = name.partition("_")
    if kind == "doc":
        return publish(world, units[where], f"Văn bản {where}", upload=pdf_upload())
    if kind == "topic":
        return library.topic_create(actor=world.admin, unit=units[where], title=f"Chuyên đề {where}", quiz=QUIZ)
    if kind == "opinion":
        document = publish(world, units[where], f"Văn bản {where}")
        return library.opinion_send(actor=world.member_user_a1, document=document, text="Ý kiến")[0]
    author = world.member_user_a1 if where == "a1" else world.officer_b
    return library.feedback_send(actor=author, text="Góp ý")[0]


def _right_answers(topic: Any) -> dict[int, int]:
    from dangvien.library.selectors import topic_quiz

    return {q.pk: next(c.pk for c in q.choices.all() if c.correct) for q in topic_quiz(topic)}


# --- meetings: minutes, opinions, votes. A meeting held yesterday in each cell, its member present ---

DRAFTS = ["draft_a1", "draft_a2", "draft_b1"]  # draft minutes written
HELD = ["held_a1", "held_a2", "held_b1"]  # minutes approved
VOTES = ["vote_a1", "vote_a2", "vote_b1"]  # an open vote recorded on a meeting with draft minutes
# MIN_READ: approved minutes (whoever sees the meeting); MIN_DRAFT: draft minutes (its managers; others 404);
# MIN_MANAGE: write them, approve, record votes (MEETING_MANAGE); MIN_COMMENT: send an opinion (a member of
# the cell); MIN_SEE: anything else about a meeting one sees (the opinions page: one's own).
MIN_READ, MIN_DRAFT, MIN_MANAGE, MIN_COMMENT, MIN_SEE = "m.read", "m.draft", "m.manage", "m.comment", "m.see"
MINUTES_NEEDS = {MIN_READ, MIN_DRAFT, MIN_MANAGE, MIN_COMMENT, MIN_SEE}


@dataclass(frozen=True)
class MinutesScope:
    sees: set[str]  # the cells ("a1", "a2", "b1") whose meetings it sees
    manages: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)


MINUTES_SCOPES: dict[str, MinutesScope | None] = {
    "province_officer": MinutesScope({"a1", "a2", "b1"}, {"a1", "a2", "b1"}),
    "officer_a": MinutesScope({"a1", "a2"}, {"a1", "a2"}),
    "officer_b": MinutesScope({"b1"}, {"b1"}),
    "secretary_a1": MinutesScope({"a1"}, {"a1"}),
    "card_officer_a": MinutesScope(set()),
    "member_user_a1": MinutesScope({"a1"}, comments={"a1"}),  # their own cell's meetings; no member record elsewhere
    "anonymous": None,
}


def _minutes_target(world: World, name: str) -> Any:
    from dangvien.meetings import minutes_services as minutes
    from dangvien.meetings.models import AttendanceStatus
    from tests.meetings.minutes_fixtures import ENDS, STARTS, make_meeting, mark

    kind, where = name.split("_")
    cell, member = getattr(world, f"cell_{where}"), getattr(world, f"member_{where}")
    meeting = make_meeting(cell)
    mark(meeting, member, AttendanceStatus.PRESENT)
    draft = minutes.minutes_save(actor=world.admin, meeting=meeting, expected_version=0, started_at=STARTS,
                                 ended_at=ENDS, place="Hội trường", chair="Nguyễn Thị Hà", secretary="Trần Văn Minh",
                                 conclusions="Thống nhất.")
    if kind == "held":
        minutes.minutes_approve(actor=world.admin, meeting=meeting, expected_version=draft.version)
    if kind == "vote":
        return minutes.vote_record(actor=world.admin, meeting=meeting, question="Biểu quyết", votes_for=1,
                                   votes_against=0, abstentions=0)
    return meeting


def _minutes_version(meeting: Any) -> int:
    from dangvien.meetings.models import Minutes

    return Minutes.objects.get(meeting=meeting).version


def _minutes_form(world: World, meeting: Any) -> dict[str, Any]:
    return {"version": _minutes_version(meeting), "day": "20/11/2026", "started": "14:00", "ended": "16:00",
            "place": "Hội trường", "chair": "Nguyễn Thị Hà", "secretary": "Trần Văn Minh", "conclusions": "Đã sửa.",
            "speech-TOTAL_FORMS": "1", "speech-INITIAL_FORMS": "0", "speech-0-speaker": "Lê Văn An",
            "speech-0-text": "Nhất trí.", "speech-0-agenda_item": ""}


def _minutes_json(world: World, meeting: Any) -> dict[str, Any]:
    return {"version": _minutes_version(meeting), "started_at": "2026-11-20T14:00:00", "place": "Hội trường",
            "chair": "Nguyễn Thị Hà", "secretary": "Trần Văn Minh", "conclusions": "Đã sửa.",
            "speeches": [{"speaker": "Lê Văn An", "text": "Nhất trí."}]}


def _vote_body(world: World, meeting: Any) -> dict[str, Any]:
    return {"question": "Thông qua nghị quyết", "votes_for": 1, "votes_against": 0, "abstentions": 0}


def _minutes_status(route: Route, role: str, target: str) -> int:
    """A meeting one does not see is absent (404), and so is a draft for who does not manage it;
    seen but not one's to write (or, without a member record of the cell, to comment on) → 403."""
    meetings = MINUTES_SCOPES[role]
    assert meetings is not None
    cell = target.split("_")[1]
    if cell not in meetings.sees:
        return 404
    if route.needs == MIN_DRAFT:
        return route.ok if cell in meetings.manages else 404
    allowed = {MIN_READ: True, MIN_SEE: True, MIN_MANAGE: cell in meetings.manages,
               MIN_COMMENT: cell in meetings.comments}[route.needs]
    return route.ok if allowed else 403


def _target(world: World, name: str) -> Any:
    if name.startswith("card_"):
        return _card(world, name)
    if name.split("_")[0] in ("doc", "topic", "opinion", "fb"):
        return _library_target(world, name)
    if name.split("_")[0] in ("draft", "held", "vote"):
        return _minutes_target(world, name)
    if name.split("_")[0] in ("meeting", "attachment", "agenda", "guest"):
        return _meeting_target(world, name)
    if name.startswith("part_"):
        return _participant(world, name)
    if name.startswith("campaign_"):
        return _campaign(world, name)
    if name.startswith("job_"):
        return _run_job(world, name[4:])
    member_name = _result_member(name)
    if member_name is None:
        return getattr(world, name)
    member = Member.objects.select_related("unit").get(pk=getattr(world, member_name).pk)
    return _review_item(world, member) if name.startswith("match_") else _hometown_fix(world, member)


def _bulk_body(world: World, cell: Any) -> dict[str, Any]:
    return {"unit": cell.pk, "field": "hometown", "kind": "merger_hometown", "expected_count": 1}


def _bulk_form(world: World, cell: Any) -> dict[str, Any]:
    return {"unit": cell.pk, "field": "hometown", "kind": "merger_hometown", "expected": 1}


# --- campaign reports: a campaign over the province, every member eligible, nobody done yet -------

CVIEW, CMANAGE = "campaign.view", "campaign.manage"
CLIST, CCREATE = "campaign.list", "campaign.create"  # the list page, and starting a campaign from it


def _report_campaign_id(world: World) -> int:
    """The province's campaign (made once a test): every unit with members is behind its pace."""
    campaign = getattr(world, "_report_campaign", None)
    if campaign is None:
        from dangvien.campaign.models import Campaign, Participant

        campaign = Campaign.objects.create(name="Đổi thẻ 2026", unit=world.province, start=dt.date(2026, 10, 1),
                                           deadline=dt.date(2026, 12, 31), snapshot_date=dt.date(2026, 10, 1))
        Participant.objects.bulk_create([
            Participant(campaign=campaign, member=m, unit_id=m.unit_id, eligible=True, joined_on=campaign.start)
            for m in (world.member_a1, world.member_a2, world.member_b1)])
        world._report_campaign = campaign  # type: ignore[attr-defined]
    return campaign.pk


def _unit_officer(world: World, unit: Any) -> None:
    """An officer of the urged unit's own committee (who the urge reaches)."""
    from dangvien.accounts.models import Role
    from tests.factories import make_user

    make_user(f"urged_{unit.pk}", Role.COMMITTEE_OFFICER, unit)


def _campaign_form(world: World, unit: Any) -> dict[str, Any]:
    return {"name": "Đổi thẻ 2027", "unit": unit.code, "start": "01/01/2027", "deadline": "30/06/2027",
            "headline_step": "confirmed", "precision": "2",
            "statuses": ["official", "exempted", "temporarily_out"], "require_card": "on"}


# --- field work: a campaign over the province, two working groups -------------------------------

PARTICIPANTS = ["participant_a1", "participant_a2", "participant_b1"]  # the world's members in the campaign
GROUPS = ["group_province", "group_b"]
FIELD_CAMPAIGN = ["campaign"]  # field work routes about the campaign as a whole
FVIEW, FVISIT, FMANAGE, FRAISE, SELF = "field.view", "field.visit", "field.manage", "field.raise", "self"


@dataclass(frozen=True)
class FieldScope:
    participants: set[str]  # whom it sees in the campaign (CAMPAIGN_VIEW)
    visits: set[str]  # for whom it records home visits
    groups: set[str]  # the working groups it sees
    manage: set[str]  # the working groups it changes


# The provincial group (at the province, commune A assigned, with the province's officer and commune
# A's card officer) and commune B's group (nobody in it yet). A member sees no campaign: None.
FIELD_SCOPES: dict[str, FieldScope | None] = {
    "province_officer": FieldScope(set(PARTICIPANTS), set(PARTICIPANTS), set(GROUPS), set(GROUPS)),
    "officer_a": FieldScope({"participant_a1", "participant_a2"}, {"participant_a1", "participant_a2"},
                            {"group_province"}, set()),
    "officer_b": FieldScope({"participant_b1"}, {"participant_b1"}, {"group_b"}, {"group_b"}),
    "secretary_a1": FieldScope({"participant_a1"}, set(), {"group_province"}, set()),
    "card_officer_a": FieldScope({"participant_a1", "participant_a2"}, {"participant_a1", "participant_a2"},
                                 {"group_province"}, set()),
    "member_user_a1": None,
}


def _fieldwork(world: World) -> Any:
    """The campaign and its groups, made once per test."""
    if hasattr(world, "campaign"):
        return world.campaign
    from dangvien.campaign.models import Participant
    from dangvien.campaign.services import campaign_create
    from dangvien.fieldwork.services import group_form, group_person_add, group_unit_assign

    campaign = campaign_create(actor=world.admin, unit=world.province, name="Đổi thẻ 2026",
                               start=dt.date(2026, 10, 1), deadline=dt.date(2026, 12, 31))
    # Test setup only: the world's members hold no card (and one is probationary); here every one counts.
    Participant.objects.filter(campaign=campaign).update(eligible=True, exclusion="")
    province = group_form(actor=world.admin, campaign=campaign, unit=world.province, name="Tổ công tác tỉnh")
    group_person_add(actor=world.admin, group=province, user=world.province_officer, role="leader")
    group_person_add(actor=world.admin, group=province, user=world.card_officer_a)
    group_unit_assign(actor=world.admin, group=province, unit=world.commune_a)
    world.campaign, world.group_province = campaign, province
    world.group_b = group_form(actor=world.admin, campaign=campaign, unit=world.commune_b, name="Tổ công tác xã B")
    return campaign


def _field_target(world: World, name: str) -> Any:
    from dangvien.campaign.models import Participant

    campaign = _fieldwork(world)
    if name.startswith("participant_"):
        member = getattr(world, "member_" + name.split("_", 1)[1])
        return Participant.objects.select_related("member", "unit").get(campaign=campaign, member=member)
    return getattr(world, name) if name != "campaign" else campaign


def _visit_form(world: World, participant: Any) -> dict[str, Any]:
    return {"version": participant.version, "planned_on": "25/11/2026", "care": participant.care}


def _visit_json(world: World, participant: Any) -> dict[str, Any]:
    return {"version": participant.version, "planned_on": "2026-11-25"}


def _assign_form(world: World, group: Any) -> dict[str, Any]:
    return {"unit": "GL-B" if group.pk == world.group_province.pk else "GL-B-01"}


def _raise_form(world: World, unit: Any) -> dict[str, Any]:
    return {"unit": unit.code, "title": "Đảng viên cao tuổi cần thăm tại nhà", "description": ""}


def _field_status(route: Route, role: str, scope: Scope, target: str) -> int:
    """A role that sees no campaign gets 404 for everything in it; inside, hidden is 404 and visible
    but not permitted 403. A unit typed in a form (raising a difficulty) that the role does not see
    is an unknown code: the form comes back (200), as for a code that does not exist."""
    if route.needs == SELF:
        return route.ok
    field = FIELD_SCOPES[role]
    if field is None:
        return 404
    if target == "campaign":
        return route.ok
    if target.startswith("participant_"):
        if target not in field.participants:
            return 404
        return route.ok if route.needs == FVIEW or target in field.visits else 403
    if target.startswith("group_"):
        if target not in field.groups:
            return 404
        return route.ok if route.needs == FVIEW or target in field.manage else 403
    if target not in scope.units:
        return 200 if route.needs == FRAISE else 404
    return route.ok


# --- party cards: member_a1's and member_b1's, issued by the administrator ---------------------------

CARDS = ["card_a1", "card_b1"]
CARD_MEMBERS = ["member_a1", "member_b1"]  # official members (member_a2 is probationary: no card)
KVIEW, KISSUE, KREVOKE = "card.view", "card.issue", "card.revoke"


@dataclass(frozen=True)
class CardScope:
    sees: set[str]  # units, members and cards (CARD_VIEW; units through UNIT_VIEW, which agrees with it)
    issues: set[str] = field(default_factory=set)  # CARD_ISSUE: issue, re-issue, photos, production runs
    revokes: set[str] = field(default_factory=set)  # CARD_REVOKE: revoke, suspend, reinstate


_A_CARDS = {*A_UNITS, "member_a1", "member_a2", "card_a1"}
_B_CARDS = {"commune_b", "cell_b1", "member_b1", "card_b1"}
CARD_SCOPES: dict[str, CardScope | None] = {
    "province_officer": CardScope({*UNITS, *MEMBERS, *CARDS}, revokes={*MEMBERS, *CARDS}),
    "officer_a": CardScope(_A_CARDS, revokes=_A_CARDS),
    "officer_b": CardScope(_B_CARDS, revokes=_B_CARDS),
    "secretary_a1": CardScope({"cell_a1", "member_a1", "card_a1"}),
    "card_officer_a": CardScope(_A_CARDS, issues=_A_CARDS, revokes=_A_CARDS),
    "member_user_a1": CardScope({"member_a1", "card_a1"}),  # their own record and card, no unit
    "anonymous": None,
}


# --- cell meetings: a meeting of cell A1 and one of cell B1, started 30 minutes ago ---------------

MEETINGS = ["meeting_a1", "meeting_b1"]
ATTACHMENTS = ["attachment_a1", "attachment_b1"]  # a file uploaded to the meeting
AGENDA = ["agenda_a1", "agenda_b1"]  # an item of the meeting's agenda
GUESTS = ["guest_a1", "guest_b1"]  # a guest invited by name
MVIEW, MMANAGE, MCHECKIN = "meeting.view", "meeting.manage", "meeting.checkin"
MUNIT_VIEW, MUNIT_MANAGE = "meeting.unit_view", "meeting.unit_manage"  # a unit's meeting pages, scheduling
MEETING_NEEDS = {MVIEW, MMANAGE, MCHECKIN, MUNIT_VIEW, MUNIT_MANAGE}


@dataclass(frozen=True)
class MeetingScope:
    sees: set[str]  # meetings and units whose meetings it sees (MEETING_VIEW; a member: their cell's)
    manages: set[str]  # meetings and units where it schedules, changes and records attendance
    checks_in: set[str] = field(default_factory=set)  # meetings it checks in to: a member's own


MEETING_SCOPES: dict[str, MeetingScope | None] = {
    "province_officer": MeetingScope({*MEETINGS, *UNITS}, {*MEETINGS, *UNITS}),
    "officer_a": MeetingScope({"meeting_a1", *A_UNITS}, {"meeting_a1", *A_UNITS}),
    "officer_b": MeetingScope({"meeting_b1", "commune_b", "cell_b1"}, {"meeting_b1", "commune_b", "cell_b1"}),
    "secretary_a1": MeetingScope({"meeting_a1", "cell_a1"}, {"meeting_a1", "cell_a1"}),
    "card_officer_a": MeetingScope(set(), set()),
    "member_user_a1": MeetingScope({"meeting_a1"}, set(), {"meeting_a1"}),
    "anonymous": None,
}


def _ready_for_card(world: World, member: Member) -> None:
    """member in the province's campaign, sent to production (test setup), with a photo."""
    from dangvien.campaign.models import Participant
    from dangvien.credentials.services import portrait_record
    from tests.credentials.fixtures import jpeg

    _campaign(world)
    Participant.objects.filter(member=member).update(stage=5)
    portrait_record(actor=world.admin, member=member, data=jpeg(), taken_on=dt.date(2026, 10, 20))


def _cell_ready(world: World, cell: Any) -> None:
    _ready_for_card(world, getattr(world, CELL_MEMBER[_cell_name(world, cell)]))


def _card(world: World, name: str) -> Any:
    from dangvien.credentials.services import card_issue

    member = Member.objects.select_related("unit").get(pk=getattr(world, "member_" + name.split("_", 1)[1]).pk)
    _ready_for_card(world, member)
    return card_issue(actor=world.admin, member=member, day=dt.date(2026, 11, 2))


def _suspended(world: World, card: Any) -> None:
    from dangvien.credentials.services import card_suspend

    card_suspend(actor=world.admin, card=card, expected_version=card.version, day=dt.date(2026, 11, 5))
    card.refresh_from_db()


def _card_change(**values: Any) -> Callable[[World, Any], dict[str, Any]]:
    return lambda w, card: {"version": card.version, **values}


def _photo_body(world: World, member: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.credentials.fixtures import jpeg

    return {"photo": SimpleUploadedFile("anh.jpg", jpeg(), content_type="image/jpeg"), "taken_on": "2026-11-01"}


def _photo_form(world: World, member: Any) -> dict[str, Any]:
    return {**_photo_body(world, member), "taken_on": "01/11/2026"}


def _card_status(route: Route, role: str, target: str) -> int:
    """Hidden → 404; seen but not one's to issue or revoke → 403. The card list and the waiting
    members need CARD_VIEW over some unit: a member without (who sees their own card) gets 403."""
    scope = CARD_SCOPES[role]
    assert scope is not None
    if route.surface == "page" and target in UNITS and not scope.sees & set(UNITS):
        return 403
    if target not in scope.sees:
        return 404
    if route.needs == KVIEW:
        return route.ok
    return route.ok if target in (scope.issues if route.needs == KISSUE else scope.revokes) else 403


def _meeting(world: World, suffix: str) -> Any:
    """The meeting of cell A1 or B1 (made once a test)."""
    made = world.__dict__.setdefault("_meetings", {})
    if suffix not in made:
        from tests.clock import NOW
        from tests.meetings.fixtures import schedule

        unit = world.cell_a1 if suffix == "a1" else world.cell_b1
        made[suffix] = schedule(world.admin, unit, starts=NOW - dt.timedelta(minutes=30), kind="thematic",
                                topic=f"Học tập chuyên đề {suffix}")
    return made[suffix]


def _meeting_target(world: World, name: str) -> Any:
    from dangvien.meetings import services as meetings
    from tests.library.fixtures import pdf_upload

    kind, _, suffix = name.partition("_")
    meeting = _meeting(world, suffix)
    if kind == "attachment":
        return meetings.attachment_add(actor=world.admin, meeting=meeting, upload=pdf_upload())
    if kind == "agenda":
        return meetings.agenda_item_add(actor=world.admin, meeting=meeting, title="Thông báo")
    if kind == "guest":
        return meetings.invitation_add_guest(actor=world.admin, meeting=meeting, name="Đồng chí Bí thư xã")
    return meeting


def _meeting_member(world: World, meeting: Any) -> Member:
    return world.member_a1 if meeting.unit_id == world.cell_a1.pk else world.member_b1


def _meeting_form(world: World, unit: Any) -> dict[str, Any]:
    return {"kind": "thematic" if unit.holds_members else "committee", "topic": "Chuyên đề tháng 12",
            "place": "Hội trường", "day": "2026-12-10", "start": "19:30", "end": "", "agenda": "Nghị quyết"}


def _meeting_edit_form(world: World, meeting: Any) -> dict[str, Any]:
    from dangvien.meetings.forms import meeting_initial

    initial = meeting_initial(meeting)
    return {"kind": initial["kind"], "topic": "Chủ đề đã sửa", "place": initial["place"],
            "day": initial["day"].isoformat(), "start": initial["start"].strftime("%H:%M"), "end": "",
            "version": initial["version"]}


def _notifies_cell_a1(actor: Any, target: Any) -> int:
    """A write that tells cell A1's members: member A1 has an account, so one more audit row (the
    notice's); cell B1's and A2's members have none."""
    return 2 if getattr(target, "unit", target).code == "GL-A-01-01" else 1


def _meeting_status(route: Route, role: str, scope: Scope, target: str) -> int:
    """A meeting the role does not see is hidden (404; a code in a body: 422); seen but not its to
    manage or check in to: 403. A unit outside the role's units is hidden; seen without the
    meetings' permission there: 403."""
    meetings = MEETING_SCOPES[role]
    assert meetings is not None
    if route.needs in (MUNIT_VIEW, MUNIT_MANAGE):
        if target not in scope.units:
            return 404
        allowed = meetings.sees if route.needs == MUNIT_VIEW else meetings.manages
        return route.ok if target in allowed else 403
    meeting = "meeting_" + target.split("_", 1)[1]
    if meeting not in meetings.sees:
        return route.hidden
    allowed = {MVIEW: meetings.sees, MMANAGE: meetings.manages, MCHECKIN: meetings.checks_in}[route.needs]
    return route.ok if meeting in allowed else 403



# --- the routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    surface: str  # "api" or "page"
    method: str
    url: str  # {unit} or {member}: the target's id
    targets: list[str]
    needs: str  # VIEW, MANAGE or CONTACT
    body: Callable[[World, Any], dict[str, Any]] | None = None
    setup: Callable[[World, Member], None] | None = None
    ok: int = 200
    audited: bool = False  # a read that leaves an audit row (who exported what)
    audit_rows: int = 1  # what a permitted write adds (a correction from reconciliation: the member's and its own)
    hidden: int = 404  # the answer for a target out of scope (a bulk body's refusal by id: 422)
    multipart: bool = False  # an API body sent as a form with files (a photo), not JSON
    # An answer notifies the target's author (one more audit row), unless the author answers it.
    notifies_author: bool = False
    rows: Callable[[Any, Any], int] | None = None  # the audit rows a permitted write adds, by target

    def rows_added(self, actor: Any, target: Any) -> int:
        if self.rows is not None:
            return self.rows(actor, target)
        return self.audit_rows + (1 if self.notifies_author and target.author_id != actor.pk else 0)

    @property
    def id(self) -> str:
        return f"{self.surface}-{self.method}-{self.url}"


R = Route
EVENT_KINDS = list(EVENTS)
ROUTES: list[Route] = [
    # JSON API
    R("api", "GET", "/api/units/{unit}", UNITS, VIEW),
    R("api", "GET", "/api/units/{unit}/tree", UNITS, VIEW),
    R("api", "GET", "/api/units?parent={unit}", UNITS, VIEW),
    R("api", "GET", "/api/members?unit={unit}", UNITS, VIEW),
    R("api", "GET", "/api/members/{member}", MEMBERS, VIEW),
    R("api", "GET", "/api/members/{member}/history", MEMBERS, VIEW),
    R("api", "PATCH", "/api/members/{member}", MEMBERS, MANAGE,
      lambda w, m: {"version": m.version, "changes": {"hometown": "Xã Ia Ka, Gia Lai"}}),
    R("api", "PATCH", "/api/members/{member}/contact", MEMBERS, CONTACT,
      lambda w, m: {"version": m.version, "changes": {"phone": "0912345678"}}),
    R("api", "POST", "/api/members", CELLS, MANAGE, _register_json, ok=201),
    R("api", "POST", "/api/members/admit", CELLS, MANAGE, _admit_json, ok=201),
    *[R("api", "POST", f"/api/members/{{member}}/events/{kind}", MEMBERS, MANAGE, _event_json(kind),
        _event_setup(kind)) for kind in EVENT_KINDS],
    # HTML pages
    R("page", "GET", "/units/{unit}/", UNITS, VIEW),
    R("page", "GET", "/members/?unit={unit}", UNITS, VIEW),
    R("page", "GET", "/imports/export/{unit}.csv", UNITS, VIEW, audited=True),
    R("page", "GET", "/imports/export/{unit}.xlsx", UNITS, VIEW, audited=True),
    R("page", "GET", "/members/{member}/", MEMBERS, VIEW),
    R("page", "GET", "/members/{member}/edit/", MEMBERS, MANAGE),
    R("page", "POST", "/members/{member}/edit/", MEMBERS, MANAGE, _correct_form, ok=302),
    R("page", "GET", "/members/{member}/contact/", MEMBERS, CONTACT),
    R("page", "POST", "/members/{member}/contact/", MEMBERS, CONTACT, _contact_form, ok=302),
    R("page", "GET", "/members/new/?unit={unit}", CELLS, MANAGE),
    R("page", "POST", "/members/new/?unit={unit}", CELLS, MANAGE, _admit_form, ok=302),
    *[R("page", "GET", f"/members/{{member}}/events/{kind}/", MEMBERS, MANAGE, setup=_event_setup(kind))
      for kind in EVENT_KINDS],
    *[R("page", "POST", f"/members/{{member}}/events/{kind}/", MEMBERS, MANAGE, _event_form(kind),
        _event_setup(kind), ok=302) for kind in EVENT_KINDS],
    # Reconciliation: JSON API
    R("api", "GET", "/api/reconcile/units/{unit}/summary", UNITS, RVIEW),
    R("api", "GET", "/api/reconcile/queue?unit={unit}", UNITS, RVIEW),
    R("api", "GET", "/api/reconcile/discrepancies?unit={unit}", UNITS, RVIEW),
    R("api", "GET", "/api/reconcile/matches/{match}", MATCHES, RVIEW),
    R("api", "POST", "/api/reconcile/matches/{match}/accept", MATCHES, RRESOLVE,
      lambda w, m: {"so_dinh_danh": m.member.citizen_id}),
    R("api", "POST", "/api/reconcile/matches/{match}/reject", MATCHES, RRESOLVE,
      lambda w, m: {"reason": "Không phải người này"}),
    R("api", "POST", "/api/reconcile/discrepancies/{fix}/accept", FIXES, RFIX, lambda w, d: {}, audit_rows=2),
    R("api", "POST", "/api/reconcile/discrepancies/{fix}/reject", FIXES, RRESOLVE,
      lambda w, d: {"reason": "Lý lịch đúng"}),
    R("api", "POST", "/api/reconcile/discrepancies/accept-bulk", CELLS, RFIX, _bulk_body,
      lambda w, cell: _hometown_fix(w, getattr(w, CELL_MEMBER[_cell_name(w, cell)])), audit_rows=2),
    # Reconciliation: pages
    R("page", "GET", "/reconcile/units/{unit}/", UNITS, RVIEW),
    R("page", "GET", "/reconcile/units/{unit}/summary.xlsx", UNITS, RVIEW),
    R("page", "GET", "/reconcile/review/?unit={unit}", UNITS, RVIEW),
    R("page", "GET", "/reconcile/discrepancies/?unit={unit}", UNITS, RVIEW),
    R("page", "GET", "/reconcile/review/?match={match}", MATCHES, RVIEW),
    R("page", "POST", "/reconcile/matches/{match}/accept/", MATCHES, RRESOLVE,
      lambda w, m: {"so_dinh_danh": m.member.citizen_id}, ok=302),
    R("page", "POST", "/reconcile/matches/{match}/reject/", MATCHES, RRESOLVE,
      lambda w, m: {"reason": "Không phải người này"}, ok=302),
    R("page", "POST", "/reconcile/discrepancies/{fix}/accept/", FIXES, RFIX, lambda w, d: {}, ok=302, audit_rows=2),
    R("page", "POST", "/reconcile/discrepancies/{fix}/reject/", FIXES, RRESOLVE,
      lambda w, d: {"reason": "Lý lịch đúng"}, ok=302),
    R("page", "GET", "/reconcile/runs/new/?unit={unit}", UNITS, RVIEW),
    R("page", "POST", "/reconcile/runs/new/", UNITS, RVIEW, _snapshot_form, ok=302),
    R("page", "GET", "/reconcile/runs/{job}/", RUN_JOBS, RVIEW),
    R("page", "GET", "/reconcile/runs/{job}/progress.json", RUN_JOBS, RVIEW),
    R("page", "POST", "/reconcile/runs/{job}/abandon/", RUN_JOBS, RVIEW, lambda w, j: {}, ok=302),
    R("page", "POST", "/reconcile/discrepancies/accept-bulk/", CELLS, RFIX, _bulk_form,
      lambda w, cell: _hometown_fix(w, getattr(w, CELL_MEMBER[_cell_name(w, cell)])), ok=302, audit_rows=2),
    # The campaign's per-member pipeline: API ({campaign}: the province's campaign; a hidden
    # participant in a bulk body is a refusal by id, 422, as an absent one)
    R("api", "GET", "/api/campaigns/{camp}/participants", CAMPAIGNS, CAMPAIGN),
    R("api", "GET", "/api/campaigns/{campaign}/participants?unit={code}", UNITS, CAMPAIGN),
    R("api", "POST", "/api/campaigns/{campaign}/participants/{part}/steps", PARTS, CAMPAIGN, _step_json),
    R("api", "POST", "/api/campaigns/{campaign}/participants/{part}/hold", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "reason": "abroad"}),
    R("api", "POST", "/api/campaigns/{campaign}/participants/{part}/release", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version}, _on_hold),
    R("api", "POST", "/api/campaigns/{campaign}/participants/{part}/undo", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "reason": "Nhầm"}, _declared),
    R("api", "POST", "/api/campaigns/{campaign}/participants/{part}/care", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "care": "sick"}),
    R("api", "POST", "/api/campaigns/{campaign}/steps/bulk", PARTS, CAMPAIGN, _bulk_step_json, hidden=422),
    # ... and pages
    R("page", "GET", "/campaigns/{camp}/members/", CAMPAIGNS, CAMPAIGN),
    R("page", "GET", "/campaigns/{campaign}/members/?unit={code}", UNITS, CAMPAIGN),
    R("page", "GET", "/campaigns/{campaign}/members/{part}/", PARTS, CAMPAIGN),
    R("page", "POST", "/campaigns/{campaign}/members/{part}/step/", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "step-step": "declared", "step-day": "05/10/2026"}, ok=302),
    R("page", "POST", "/campaigns/{campaign}/members/{part}/hold/", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "hold-reason": "abroad"}, ok=302),
    R("page", "POST", "/campaigns/{campaign}/members/{part}/release/", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version}, _on_hold, ok=302),
    R("page", "POST", "/campaigns/{campaign}/members/{part}/undo/", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "undo-reason": "Nhầm"}, _declared, ok=302),
    R("page", "POST", "/campaigns/{campaign}/members/{part}/care/", PARTS, CAMPAIGN,
      lambda w, p: {"version": _fresh(p).version, "care-care": "sick"}, ok=302),
    R("page", "POST", "/campaigns/{campaign}/members/steps/", PARTS, CAMPAIGN,
      lambda w, p: {"participants": [p.pk], "step": "declared", "day": "05/10/2026"}, ok=302, hidden=422),
    R("page", "GET", "/campaigns/{camp}/steps/upload/", CAMPAIGNS, CAMPAIGN),
    # Field work: pages
    R("page", "GET", "/campaigns/{fcampaign}/groups/", FIELD_CAMPAIGN, FVIEW),
    R("page", "GET", "/campaigns/{fcampaign}/groups/{group}/", GROUPS, FVIEW),
    R("page", "POST", "/campaigns/{fcampaign}/groups/{group}/units/", GROUPS, FMANAGE, _assign_form, ok=302),
    R("page", "GET", "/campaigns/{fcampaign}/tasks/", FIELD_CAMPAIGN, FVIEW),
    R("page", "GET", "/campaigns/{fcampaign}/visits/?unit={code}", UNITS, FVIEW),
    R("page", "GET", "/campaigns/{fcampaign}/visits/{participant}/", PARTICIPANTS, FVISIT),
    R("page", "POST", "/campaigns/{fcampaign}/visits/{participant}/", PARTICIPANTS, FVISIT, _visit_form, ok=302),
    R("page", "GET", "/campaigns/{fcampaign}/difficulties/", FIELD_CAMPAIGN, FVIEW),
    # Raising tells the provincial group's people: the difficulty's audit row and the notices'.
    R("page", "POST", "/campaigns/{fcampaign}/difficulties/", UNITS, FRAISE, _raise_form, ok=302, audit_rows=2),
    R("page", "GET", "/notifications/", ["province"], SELF),  # one's own notices: no object
    # Field work: JSON API
    R("api", "GET", "/api/campaigns/{fcampaign}/visits?unit={code}", UNITS, FVIEW),
    R("api", "POST", "/api/campaigns/{fcampaign}/visits/{participant}", PARTICIPANTS, FVISIT, _visit_json),
    R("api", "GET", "/api/notifications", ["province"], SELF),
    # The card exchange campaign's reports: API, pages, exports, urging, starting a campaign.
    R("api", "GET", "/api/campaigns/{rcampaign}/report?unit={code}", UNITS, CVIEW),
    R("page", "GET", "/campaigns/{rcampaign}/?unit={code}", UNITS, CVIEW),
    R("page", "GET", "/campaigns/{rcampaign}/report.xlsx?unit={code}", UNITS, CVIEW),
    R("page", "GET", "/campaigns/{rcampaign}/report.pdf?unit={code}", UNITS, CVIEW),
    R("page", "POST", "/campaigns/{rcampaign}/urge/", UNITS, CMANAGE, lambda w, u: {"unit": u.code}, _unit_officer,
      ok=302, audit_rows=2),
    R("page", "GET", "/campaigns/", ["province"], CLIST),
    R("api", "GET", "/api/campaigns", ["province"], CLIST),
    R("page", "POST", "/campaigns/", UNITS, CCREATE, _campaign_form, ok=302),
    # The handbook: a cell secretary's pages (the member's own home: test_handbook_home below).
    R("page", "GET", "/handbook/cell/{unit}/", CELLS, HANDBOOK),
    R("page", "POST", "/handbook/members/{member}/code/", MEMBERS, HANDBOOK, lambda w, m: {}),  # the slip: 200
    # Members without an account (member_a1 has one: unlinking it would hide member_a1 from themselves).
    R("page", "POST", "/handbook/members/{member}/register/", ["member_a2", "member_b1"], HANDBOOK, lambda w, m: {}),
    R("page", "POST", "/handbook/members/{member}/no-smartphone/", MEMBERS, HANDBOOK,
      lambda w, m: {"version": m.version}, ok=302),
    R("page", "GET", "/handbook/members/{member}/evaluation/", MEMBERS, HANDBOOK),
    R("page", "POST", "/handbook/members/{member}/evaluation/", MEMBERS, HANDBOOK,
      lambda w, m: {"year": 2025, "score": "85.5", "note": ""}, ok=302),
    R("page", "GET", "/handbook/members/{member}/fees/", MEMBERS, HANDBOOK),
    R("page", "POST", "/handbook/members/{member}/fees/", MEMBERS, HANDBOOK,
      lambda w, m: {"month": "10/2026", "amount": "30000", "note": ""}, ok=302),
    # Library: JSON API
    R("api", "GET", "/api/library/documents/{doc}", DOCS, LVIEW),
    R("api", "GET", "/api/library/documents/{doc}/reads", DOCS, LCOUNT),
    R("api", "GET", "/api/library/documents/{doc}/opinions", DOCS, LVIEW),
    R("api", "POST", "/api/library/documents/{doc}/opinions", DOCS, LVIEW, lambda w, d: {"text": "Ý kiến"}, ok=201),
    R("api", "PUT", "/api/library/documents/{doc}/bookmark", DOCS, LVIEW, ok=204),
    R("api", "POST", "/api/library/documents/{doc}/withdraw", DOCS, LDECIDE, lambda w, d: {}),
    R("api", "POST", "/api/library/opinions/{opinion}/answer", OPINIONS, LDECIDE, lambda w, o: {"answer": "Trả lời"},
      notifies_author=True),
    R("api", "GET", "/api/library/study/topics/{topic}", TOPICS, LVIEW),
    R("api", "GET", "/api/library/study/topics/{topic}/results", TOPICS, LCOUNT),
    R("api", "POST", "/api/library/study/topics/{topic}/attempts", TOPICS, LSTUDY,
      lambda w, t: {"answers": _right_answers(t)}, ok=201),
    R("api", "POST", "/api/library/feedback/{fb}/answer", FEEDBACK, LDECIDE, lambda w, f: {"answer": "Trả lời"},
      notifies_author=True),
    # Library: pages
    R("page", "GET", "/library/documents/{doc}/", DOCS, LVIEW),
    R("page", "GET", "/library/documents/{doc}/download/", DOCS, LVIEW, audited=True),
    R("page", "GET", "/library/documents/{doc}/reads/", DOCS, LCOUNT),
    R("page", "POST", "/library/documents/{doc}/bookmark/", DOCS, LVIEW, lambda w, d: {}, ok=302),
    R("page", "POST", "/library/documents/{doc}/opinions/", DOCS, LVIEW, lambda w, d: {"text": "Ý kiến"}, ok=302),
    R("page", "POST", "/library/documents/{doc}/withdraw/", DOCS, LDECIDE, lambda w, d: {}, ok=302),
    R("page", "POST", "/library/opinions/{opinion}/answer/", OPINIONS, LDECIDE, lambda w, o: {"answer": "Trả lời"},
      ok=302, notifies_author=True),
    R("page", "GET", "/library/study/{topic}/", TOPICS, LVIEW),
    R("page", "GET", "/library/study/{topic}/results/", TOPICS, LCOUNT),
    R("page", "POST", "/library/study/{topic}/quiz/", TOPICS, LSTUDY,
      lambda w, t: {f"q{q}": c for q, c in _right_answers(t).items()}, ok=302),
    R("page", "POST", "/library/feedback/{fb}/answer/", FEEDBACK, LDECIDE, lambda w, f: {"answer": "Trả lời"},
      ok=302, notifies_author=True),
    # Meetings: minutes, opinions and votes (pages)
    R("page", "GET", "/meetings/{meet}/minutes/", DRAFTS, MIN_DRAFT),
    R("page", "GET", "/meetings/{held}/minutes/", HELD, MIN_READ),
    R("page", "GET", "/meetings/{meet}/minutes/edit/", DRAFTS, MIN_MANAGE),
    R("page", "POST", "/meetings/{meet}/minutes/edit/", DRAFTS, MIN_MANAGE, _minutes_form, ok=302),
    R("page", "POST", "/meetings/{meet}/minutes/approve/", DRAFTS, MIN_MANAGE,
      lambda w, m: {"version": _minutes_version(m)}, ok=302),
    R("page", "GET", "/meetings/{meet}/minutes.pdf", DRAFTS, MIN_DRAFT, audited=True),
    R("page", "GET", "/meetings/{held}/minutes.pdf", HELD, MIN_READ, audited=True),
    R("page", "GET", "/meetings/{meet}/comments/", DRAFTS, MIN_SEE),
    R("page", "POST", "/meetings/{meet}/comments/", DRAFTS, MIN_COMMENT,
      lambda w, m: {"about": "", "text": "Ý kiến", "idempotency_key": ""}, ok=302),
    R("page", "GET", "/meetings/{meet}/votes/", DRAFTS, MIN_MANAGE),
    R("page", "POST", "/meetings/{meet}/votes/", DRAFTS, MIN_MANAGE, _vote_body, ok=302),
    R("page", "POST", "/meetings/votes/{vote}/remove/", VOTES, MIN_MANAGE, lambda w, v: {}, ok=302),
    # ... and the JSON API
    R("api", "GET", "/api/meetings/{meet}/minutes", DRAFTS, MIN_DRAFT),
    R("api", "GET", "/api/meetings/{held}/minutes", HELD, MIN_READ),
    R("api", "PUT", "/api/meetings/{meet}/minutes", DRAFTS, MIN_MANAGE, _minutes_json),
    R("api", "POST", "/api/meetings/{meet}/minutes/approve", DRAFTS, MIN_MANAGE,
      lambda w, m: {"version": _minutes_version(m)}),
    R("api", "GET", "/api/meetings/{meet}/comments", DRAFTS, MIN_SEE),
    R("api", "POST", "/api/meetings/{meet}/comments", DRAFTS, MIN_COMMENT, lambda w, m: {"text": "Ý kiến"}, ok=201),
    R("api", "GET", "/api/meetings/{meet}/votes", DRAFTS, MIN_DRAFT),
    R("api", "GET", "/api/meetings/{held}/votes", HELD, MIN_READ),
    R("api", "POST", "/api/meetings/{meet}/votes", DRAFTS, MIN_MANAGE, _vote_body, ok=201),
    R("api", "DELETE", "/api/meetings/votes/{vote}", VOTES, MIN_MANAGE, ok=204),
    # Party cards: JSON API
    R("api", "GET", "/api/cards?unit={code}", UNITS, KVIEW),
    R("api", "GET", "/api/cards/pending?unit={unit}", UNITS, KVIEW),
    R("api", "GET", "/api/cards/{card}", CARDS, KVIEW),
    R("api", "GET", "/api/cards/members/{member}", MEMBERS, KVIEW),
    R("api", "POST", "/api/cards/members/{member}/issue", CARD_MEMBERS, KISSUE, lambda w, m: {}, _ready_for_card,
      ok=201),
    R("api", "POST", "/api/cards/members/{member}/photo", MEMBERS, KISSUE, _photo_body, ok=201, multipart=True),
    R("api", "POST", "/api/cards/issue-bulk", ["cell_a1", "cell_b1"], KISSUE, lambda w, u: {"unit": u.pk, "expected": 1},
      _cell_ready),
    R("api", "POST", "/api/cards/{card}/reissue", CARDS, KISSUE, _card_change(reason="lost"), ok=201, audit_rows=2),
    R("api", "POST", "/api/cards/{card}/revoke", CARDS, KREVOKE, _card_change(reason="issued_in_error")),
    R("api", "POST", "/api/cards/{card}/suspend", CARDS, KREVOKE, _card_change()),
    R("api", "POST", "/api/cards/{card}/reinstate", CARDS, KREVOKE, _card_change(), _suspended),
    # Party cards: pages
    R("page", "GET", "/cards/?unit={code}", UNITS, KVIEW),
    R("page", "GET", "/cards/pending/?unit={code}", UNITS, KVIEW),
    R("page", "POST", "/cards/pending/?unit={code}", ["cell_a1", "cell_b1"], KISSUE,
      lambda w, u: {"expected": 1, "day": "02/11/2026"}, _cell_ready, ok=302),
    R("page", "GET", "/cards/{card}/", CARDS, KVIEW),
    R("page", "GET", "/cards/{card}/portrait.jpg", CARDS, KVIEW),
    R("page", "GET", "/cards/{card}/face.pdf", CARDS, KVIEW),  # signs the printed QR: needs the test keys
    R("page", "GET", "/cards/members/{member}/issue/", CARD_MEMBERS, KISSUE),
    R("page", "POST", "/cards/members/{member}/issue/", CARD_MEMBERS, KISSUE, lambda w, m: {"day": "02/11/2026"},
      _ready_for_card, ok=302),
    R("page", "GET", "/cards/members/{member}/photo/", MEMBERS, KISSUE),
    R("page", "POST", "/cards/members/{member}/photo/", MEMBERS, KISSUE, _photo_form, ok=302),
    *[R("page", "GET", f"/cards/{{card}}/{slug}/", CARDS, need, setup=setup)
      for slug, need, setup in [("reissue", KISSUE, None), ("revoke", KREVOKE, None), ("suspend", KREVOKE, None),
                                ("reinstate", KREVOKE, _suspended)]],
    R("page", "POST", "/cards/{card}/reissue/", CARDS, KISSUE, _card_change(reason="lost", day="10/11/2026"),
      ok=302, audit_rows=2),
    R("page", "POST", "/cards/{card}/revoke/", CARDS, KREVOKE, _card_change(reason="issued_in_error", day="10/11/2026"),
      ok=302),
    R("page", "POST", "/cards/{card}/suspend/", CARDS, KREVOKE, _card_change(day="10/11/2026"), ok=302),
    R("page", "POST", "/cards/{card}/reinstate/", CARDS, KREVOKE, _card_change(day="10/11/2026"), _suspended, ok=302),
    # Cell meetings: JSON API
    R("api", "GET", "/api/meetings?unit={unit}", UNITS, VIEW),
    R("api", "GET", "/api/meetings/{meeting}", MEETINGS, MVIEW),
    R("api", "POST", "/api/meetings/checkin", MEETINGS, MCHECKIN, lambda w, m: {"token": m.checkin_token}, ok=201,
      hidden=422),
    R("api", "POST", "/api/meetings/{meeting}/attendance", MEETINGS, MMANAGE,
      lambda w, m: {"marks": [{"member": _meeting_member(w, m).pk, "status": "present"}]}),
    # ... and pages
    R("page", "GET", "/meetings/new/?unit={unit}", UNITS, MUNIT_MANAGE),
    R("page", "POST", "/meetings/new/?unit={unit}", UNITS, MUNIT_MANAGE, _meeting_form, ok=302,
      rows=_notifies_cell_a1),
    R("page", "GET", "/meetings/units/{unit}/registrations/", UNITS, MUNIT_VIEW),
    R("page", "GET", "/meetings/units/{unit}/attendance/", CELLS, MUNIT_VIEW),
    R("page", "GET", "/meetings/{meeting}/", MEETINGS, MVIEW),
    R("page", "GET", "/meetings/{meeting}/calendar.ics", MEETINGS, MVIEW),
    R("page", "GET", "/meetings/{meeting}/qr/", MEETINGS, MMANAGE),
    R("page", "GET", "/meetings/{meeting}/edit/", MEETINGS, MMANAGE),
    R("page", "POST", "/meetings/{meeting}/edit/", MEETINGS, MMANAGE, _meeting_edit_form, ok=302),
    R("page", "POST", "/meetings/{meeting}/cancel/", MEETINGS, MMANAGE,
      lambda w, m: {"reason": "Mưa lũ", "version": m.version}, ok=302, rows=_notifies_cell_a1),
    R("page", "POST", "/meetings/{meeting}/agenda/", MEETINGS, MMANAGE, lambda w, m: {"title": "Thông báo"}, ok=302),
    R("page", "POST", "/meetings/{meeting}/attachments/", MEETINGS, MMANAGE,
      lambda w, m: {"title": "", "document": "", "file": _pdf()}, ok=302),
    R("page", "POST", "/meetings/{meeting}/invitations/", MEETINGS, MMANAGE,
      lambda w, m: {"name": "Đồng chí Bí thư xã", "member": ""}, ok=302),
    R("page", "POST", "/meetings/{meeting}/attendance/", MEETINGS, MMANAGE,
      lambda w, m: {f"status_{_meeting_member(w, m).pk}": "present"}, ok=302),
    R("page", "GET", "/meetings/c/{token}/", MEETINGS, MVIEW),
    R("page", "POST", "/meetings/c/{token}/", MEETINGS, MCHECKIN, lambda w, m: {"idempotency_key": "k1"}, ok=302),
    R("page", "GET", "/meetings/attachments/{attachment}/download/", ATTACHMENTS, MVIEW, audited=True),
    R("page", "POST", "/meetings/attachments/{attachment}/remove/", ATTACHMENTS, MMANAGE, lambda w, a: {}, ok=302),
    R("page", "POST", "/meetings/agenda/{agenda}/remove/", AGENDA, MMANAGE, lambda w, a: {}, ok=302),
    R("page", "POST", "/meetings/invitations/{invitation}/remove/", GUESTS, MMANAGE, lambda w, g: {}, ok=302),
    # The handbook adoption report (a unit by its code): JSON API, pages and the XLSX
    R("api", "GET", "/api/adoption/report?unit={code}", UNITS, ADOPTION),
    R("api", "GET", "/api/adoption/trend?unit={code}&period=2026-Q3", UNITS, ADOPTION),
    R("page", "GET", "/adoption/?unit={code}", UNITS, ADOPTION),
    R("page", "GET", "/adoption/trend/?unit={code}", UNITS, ADOPTION),
    R("page", "GET", "/adoption/report.xlsx?unit={code}&period=2026", UNITS, ADOPTION),
]


def _pdf() -> Any:
    from tests.library.fixtures import pdf_upload

    return pdf_upload()

FIELD_NEEDS = {FVIEW, FVISIT, FMANAGE, FRAISE, SELF}


def expected_status(route: Route, scope: Scope | None, target: str, role: str = "") -> int:
    if scope is None:
        return 401 if route.surface == "api" else 302
    if route.needs in FIELD_NEEDS:
        return _field_status(route, role, scope, target)
    if route.needs in MINUTES_NEEDS:
        return _minutes_status(route, role, target)
    if route.needs in MEETING_NEEDS:
        return _meeting_status(route, role, scope, target)
    if route.needs in (RVIEW, RRESOLVE, RFIX):
        return _reconcile_status(route, scope, target)
    if route.needs in (CVIEW, CMANAGE, CLIST, CCREATE):
        return _campaign_status(route, scope, target)
    if route.needs == CAMPAIGN:
        if "{campaign}" in route.url and "campaign_all" not in scope.campaign:
            return 404  # the campaign itself is hidden
        return route.ok if target in scope.campaign else route.hidden
    if route.needs in (LVIEW, LDECIDE, LCOUNT, LSTUDY):
        return _library_status(route, role, target)
    if route.needs in (KVIEW, KISSUE, KREVOKE):
        return _card_status(route, role, target)
    if route.needs == ADOPTION:
        return route.ok if target in scope.adoption else 404
    visible = scope.members if target.startswith("member_") else scope.units
    if target not in visible:
        return 404
    if route.needs == VIEW:
        return route.ok
    allowed = {MANAGE: scope.manage, CONTACT: scope.contact, HANDBOOK: scope.handbook}[route.needs]
    return route.ok if target in allowed else 403


def _library_status(route: Route, role: str, target: str) -> int:
    """Hidden → 404; seen but not one's to decide, count or study → 403."""
    reading = LIBRARY_SCOPES[role]
    assert reading is not None
    if target not in reading.reads:
        return 404
    allowed = {LVIEW: True, LDECIDE: target in reading.decides, LCOUNT: reading.counts,
               LSTUDY: reading.studies}[route.needs]
    return route.ok if allowed else 403


def _reconcile_status(route: Route, scope: Scope, target: str) -> int:
    """A result (match, discrepancy) outside RECONCILE_VIEW is hidden (404); a unit the role sees
    without it is visible but not permitted (403). A correction needs MEMBER_MANAGE too."""
    if target.startswith("job_"):  # a job is seen where its unit's results are, or not at all
        return route.ok if target[4:] in scope.reconcile else 404
    member = _result_member(target)
    if member is not None and member not in scope.reconcile:
        return 404
    if member is None and target not in scope.units:
        return 404
    if target not in scope.reconcile and member is None:
        return 403
    if route.needs == RFIX and (member or target) not in scope.manage:
        return 403
    return route.ok


def check_private_headers(response: Any) -> None:
    """Every answer, whatever its status, forbids inline scripts and any stored copy."""
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers.get("Cache-Control")


def _watched() -> list[tuple[Any, tuple[str, ...]]]:
    """What a refused request must leave as it was: per model, the fields compared row by row, or
    () to compare its row count only. Members, their events and the audit rows come first (_state's
    first three items, which the checks below read by position)."""
    from dangvien.campaign.models import Participant, StepRecord
    from dangvien.credentials.models import Card, Portrait
    from dangvien.library.models import Bookmark, Feedback, Opinion, QuizAttempt
    from dangvien.meetings.models import (
        AgendaItem,
        Attachment,
        Attendance,
        Comment,
        Invitation,
        Meeting,
        Minutes,
        Speech,
        Vote,
    )
    from dangvien.reconcile.models import Discrepancy, Match

    return [
        (Member, ("version", "status", "unit", "pending_unit", "phone", "hometown", "official_date",
                  "temporary_unit", "updated_at")),
        (MemberEvent, ()), (AuditEntry, ()),
        (Match, ("decision", "so_dinh_danh")), (Discrepancy, ("state",)),
        (Participant, ("version", "stage", "hold", "care")), (StepRecord, ()),
        (Bookmark, ()), (Opinion, ("answer",)), (Feedback, ("answer",)), (QuizAttempt, ()),
        (Meeting, ("version", "status", "topic")), (AgendaItem, ()), (Attachment, ()), (Invitation, ()),
        (Attendance, ("status", "member")), (Minutes, ("status", "version")), (Speech, ()), (Comment, ()),
        (Vote, ("votes_for",)), (Card, ("status", "version")), (Portrait, ()),
    ]


def _state() -> tuple:
    """Everything a refused request must leave as it was, read in plain SQL (the matrix reads it
    twice a target: through the ORM it cost a quarter of the matrix's time; the row counts in one
    statement, a round trip each made it half the PostgreSQL run's): (members, event count, audit row
    count, then the other tables and the withdrawn documents)."""
    from dangvien.library.models import Document

    quote = connection.ops.quote_name
    watched = _watched()
    counts = [f"(SELECT count(*) FROM {quote(model._meta.db_table)})" for model, names in watched if not names]
    withdrawn_at = quote(Document._meta.get_field("withdrawn_at").column)
    withdrawn = f"(SELECT count(*) FROM {quote(Document._meta.db_table)} WHERE {withdrawn_at} IS NOT NULL)"
    state: list[Any] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join([*counts, withdrawn])}")
        *counted, withdrawn_count = cursor.fetchone()
        next_count = iter(counted)
        for model, names in watched:
            if not names:
                state.append(next(next_count))
                continue
            columns = ", ".join(quote(field.column) for field in
                                (model._meta.pk, *(model._meta.get_field(n) for n in names)))
            cursor.execute(f"SELECT {columns} FROM {quote(model._meta.db_table)} ORDER BY 1")
            state.append(cursor.fetchall())
    state.append(withdrawn_count)
    return tuple(state)


def _request(client: Client, route: Route, url: str, body: dict[str, Any] | None):
    if route.method == "GET":
        return client.get(url)
    if route.surface == "api" and not route.multipart:
        return client.generic(route.method, url, data=_json(body), content_type="application/json")
    return client.post(url, body)


def _json(body: dict[str, Any] | None) -> str:
    import json

    return json.dumps(body or {})


def _campaign_status(route: Route, scope: Scope, target: str) -> int:
    """A unit outside CAMPAIGN_VIEW is hidden (404): its figures are not the actor's; a visible one
    without CAMPAIGN_MANAGE refuses an urge (403). The list answers whoever sees campaigns somewhere
    (the API: an empty list for the others); starting one needs CAMPAIGN_MANAGE somewhere, and a
    unit the actor cannot see is the form's refusal (200, nothing written)."""
    if route.needs == CLIST:
        return 200 if scope.report or route.surface == "api" else 403
    if route.needs == CCREATE:
        if not scope.report_manage:
            return 403
        if target not in scope.units:
            return 200
        return route.ok if target in scope.report_manage else 403
    if target not in scope.report:
        return 404
    return route.ok if route.needs == CVIEW or target in scope.report_manage else 403


@pytest.fixture(scope="class")
def shared_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One world for all the class's cases (tests/shared.py), each case on its own copy of the
    objects. Building it for each of the 1,500 cases was a quarter of the matrix's time."""
    yield from built_once(django_db_blocker, build_world)


@pytest.mark.django_db
class TestScope:
    @pytest.mark.parametrize("role", list(ROLE_SCOPES))
    @pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
    def test_scope(self, route: Route, role: str, request, shared_world: World) -> None:
        check_route(route, role, request, copy.deepcopy(shared_world))


def check_route(route: Route, role: str, request, world: World) -> None:
    """The role's answer from the route for each of its targets, and what the answer changed."""
    if route.url.endswith("/face.pdf"):
        request.getfixturevalue("test_keys")  # the card face signs its printed QR
    scope = ROLE_SCOPES[role]
    client = Client()
    if scope is not None:
        client.force_login(getattr(world, role))
    problems = []
    for target_name in route.targets:
        fieldwork = "{fcampaign}" in route.url
        target = _field_target(world, target_name) if fieldwork and target_name in (*PARTICIPANTS, *GROUPS, *FIELD_CAMPAIGN) \
            else _target(world, target_name)
        if route.setup is not None:
            route.setup(world, target)
        if isinstance(target, Member):
            target = Member.objects.select_related("unit").get(pk=target.pk)
        url = route.url.format(unit=target.pk, member=target.pk, match=target.pk, fix=target.pk, job=target.pk,
                               part=target.pk, camp=target.pk, participant=target.pk, group=target.pk,
                               code=getattr(target, "code", ""),
                               campaign=_campaign(world).pk if "{campaign}" in route.url else "",
                               fcampaign=_fieldwork(world).pk if fieldwork else "",
                               rcampaign=_report_campaign_id(world) if "{rcampaign}" in route.url else "",
                               doc=target.pk, topic=target.pk, opinion=target.pk, fb=target.pk,
                               meet=target.pk, held=target.pk, vote=target.pk, card=target.pk,
                               meeting=target.pk, token=getattr(target, "checkin_token", ""), attachment=target.pk,
                               agenda=target.pk, invitation=target.pk)
        body = route.body(world, target) if route.body else None
        expected = expected_status(route, scope, target_name, role)
        before = _state()
        response = _request(client, route, url, body)
        got = response.status_code
        check_private_headers(response)
        if got != expected:
            problems.append(f"{target_name}: expected {expected}, got {got} {response.content[:300]!r}")
            continue
        after = _state()
        if got == 302 and scope is None:
            assert response["Location"].startswith("/accounts/login/"), response["Location"]
        if got == 404 and route.surface == "api":
            assert set(response.json()) == {"detail"}  # nothing about the object
        refused = scope is None or got != route.ok
        if route.audited and not refused:
            assert after[:2] == before[:2], f"{target_name}: {route.method} {url} ({got}) changed data"
            assert after[2] == before[2] + 1, f"{target_name}: an audited read must add one audit row"
        elif route.method == "GET" or refused:
            assert after == before, f"{target_name}: {route.method} {url} ({got}) changed data"
        else:
            rows = route.rows_added(getattr(world, role), target)
            assert after[2] == before[2] + rows, \
                f"{target_name}: a permitted write must add {rows} audit row(s), added {after[2] - before[2]}"
    assert not problems, f"{role} {route.method} {route.url}:\n" + "\n".join(problems)


# --- the member's handbook: no object in the URL, the actor's own record only --------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
def test_handbook_home(role: str) -> None:
    """/handbook/ shows the actor's own record: the member's; a login with no member record has no
    handbook (404, like any absent object); anonymous: the login."""
    world = build_world()
    client = Client()
    if ROLE_SCOPES[role] is not None:
        client.force_login(getattr(world, role))
    before = _state()
    response = client.get("/handbook/")
    check_private_headers(response)
    assert _state() == before
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif role == "member_user_a1":
        html = response.content.decode()
        assert response.status_code == 200 and world.member_a1.full_name in html
        assert all(getattr(world, other).full_name not in html for other in MEMBERS if other != "member_a1")
    else:
        assert response.status_code == 404


# --- lists: no object in the URL, but the same scope decides what they show ---------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r, scope in ROLE_SCOPES.items() if scope is not None])
def test_lists_show_exactly_the_scope(role: str) -> None:
    world = build_world()
    scope = ROLE_SCOPES[role]
    assert scope is not None
    client = Client()
    client.force_login(getattr(world, role))
    members = {name: getattr(world, name) for name in MEMBERS}
    units = {name: getattr(world, name) for name in UNITS}

    api_members = {item["id"] for item in client.get("/api/members", {"page_size": 200}).json()["items"]}
    assert api_members == {members[n].pk for n in scope.members}
    assert {u["id"] for u in client.get("/api/units").json()} == {units[n].pk for n in scope.units}

    # Links rather than names: the pages' help texts use sample names.
    page = client.get("/members/").content.decode()
    for name, member in members.items():
        assert (f'href="/members/{member.pk}/"' in page) == (name in scope.members), name
    # The tree page shows a few levels only, so hidden units must be absent; visible ones may be cut.
    page = client.get("/units/").content.decode()
    for name, unit in units.items():
        if name not in scope.units:
            assert f'href="/units/{unit.pk}/"' not in page and unit.name not in page, name


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r, reading in LIBRARY_SCOPES.items() if reading is not None])
def test_library_lists_show_exactly_the_scope(role: str) -> None:
    world = build_world()
    reading = LIBRARY_SCOPES[role]
    assert reading is not None
    documents = {name: _library_target(world, name) for name in DOCS}
    topics = {name: _library_target(world, name) for name in TOPICS}
    client = Client()
    client.force_login(getattr(world, role))
    page = client.get("/library/").content.decode()
    for name, document in documents.items():
        assert (f'href="/library/documents/{document.pk}/"' in page) == (name in reading.reads), name
    api = {item["id"] for item in client.get("/api/library/documents").json()["items"]}
    assert api == {d.pk for name, d in documents.items() if name in reading.reads}
    page = client.get("/library/study/").content.decode()
    for name, topic in topics.items():
        assert (f'href="/library/study/{topic.pk}/"' in page) == (name in reading.reads), name
    assert {t["id"] for t in client.get("/api/library/study/topics").json()} == {
        t.pk for name, t in topics.items() if name in reading.reads}


# --- the installable handbook: public, the same for everyone, no personal data -------------------


def _logged_in_as(role: str) -> tuple[World, Client]:
    """A world, and a client logged in as the role (anonymous for the role without a scope)."""
    world = build_world()
    client = Client()
    if ROLE_SCOPES[role] is not None:
        client.force_login(getattr(world, role))
    return world, client


def _read_without_writing(client: Client, url: str) -> Any:
    """The page, answered 200, and nothing written."""
    before = _state()
    response = client.get(url)
    assert response.status_code == 200
    assert _state() == before
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
@pytest.mark.parametrize("url", ["/handbook/manifest.webmanifest", "/handbook/sw.js"])
def test_handbook_app_files_are_public_and_impersonal(role: str, url: str) -> None:
    world, client = _logged_in_as(role)
    response = _read_without_writing(client, url)
    body = response.content.decode()
    assert all(getattr(world, name).full_name not in body for name in MEMBERS)
    assert "X-Dangvien-Offline-Copy" not in response.headers


# --- the card verifier page's trust list and service worker: public, the same for everyone ----------


@pytest.mark.django_db
@pytest.mark.usefixtures("test_keys")
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
@pytest.mark.parametrize("url", ["/cards/verify/trust.json", "/cards/verify/sw.js"])
def test_card_verifier_files_are_public_and_the_same_for_everyone(role: str, url: str) -> None:
    _world, client = _logged_in_as(role)
    before = _state()
    response = _read_without_writing(client, url)
    assert response.content == Client().get(url).content  # what anyone gets
    assert client.post(url).status_code in (403, 405)  # nothing to write
    assert _state() == before
    assert "X-Dangvien-Offline-Copy" not in response.headers


# --- the card status lists: public like a revocation list, the same for everyone, no personal data ------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
def test_card_status_lists_are_public_and_the_same_for_everyone(role: str, keys_module, status_endpoint) -> None:
    world = build_world()
    client = Client()
    if ROLE_SCOPES[role] is not None:
        client.force_login(getattr(world, role))
    before = _state()
    response = client.get("/cards/status/7")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/statuslist+cwt"
    assert "public" in response["Cache-Control"]
    assert response.content == Client().get("/cards/status/7").content  # what anyone gets
    assert client.get("/cards/status/8").status_code == 404
    assert client.post("/cards/status/7").status_code in (403, 405)  # nothing to write
    assert _state() == before


# --- cell meetings: the pages without an object in the URL, and what the lists show -------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
def test_meetings_own_pages_and_lists(role: str) -> None:
    """A member's own pages (my meetings, my attendance, the check-in page) exist for a login with a
    member record only; the lists show exactly the meetings the role sees (MUST-SHOW)."""
    world = build_world()
    meetings = {name: _meeting(world, name.split("_")[1]) for name in MEETINGS}
    scope = MEETING_SCOPES[role]
    client = Client()
    if scope is not None:
        client.force_login(getattr(world, role))
    before = _state()
    own = ["/meetings/mine/", "/meetings/mine/attendance/", "/meetings/checkin/"]
    responses = {url: client.get(url) for url in [*own, "/meetings/", "/meetings/calendar/", "/api/meetings/mine",
                                                  "/api/meetings"]}
    for response in responses.values():
        check_private_headers(response)
    assert _state() == before
    if scope is None:
        assert all(responses[url].status_code == 401 for url in ("/api/meetings/mine", "/api/meetings"))
        assert all(r["Location"].startswith("/accounts/login/") for url, r in responses.items()
                   if not url.startswith("/api/"))
        return
    member = role == "member_user_a1"
    assert [responses[url].status_code for url in own] == [200 if member else 404] * 3
    assert responses["/meetings/calendar/"].status_code == 200
    mine = {item["id"] for item in responses["/api/meetings/mine"].json()}
    assert mine == ({meetings["meeting_a1"].pk} if member else set())
    listed = {item["id"] for item in responses["/api/meetings"].json()["items"]}
    assert listed == {meetings[name].pk for name in MEETINGS if name in scope.sees}
    page = responses["/meetings/"]
    if scope.manages:
        body = page.content.decode()
        for name, meeting in meetings.items():
            assert (f'href="/meetings/{meeting.pk}/"' in body) == (name in scope.sees), name
    else:  # a member, or a role without the meetings' permissions: their own meetings
        assert page.status_code == 302 and page["Location"] == "/meetings/mine/"
        if member:
            body = responses["/meetings/mine/"].content.decode()
            assert f'href="/meetings/{meetings["meeting_a1"].pk}/"' in body
            assert f'href="/meetings/{meetings["meeting_b1"].pk}/"' not in body


# --- the member's own card with its phone QR, and the public verifier page -----------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("test_keys")
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
def test_my_card_shows_the_actors_own_card_only(role: str) -> None:
    """/cards/mine/ has no object in the URL: the member's own card; a login with no member record: 404
    (like the handbook); anonymous: the login. Signing a phone credential writes nothing."""
    world = build_world()
    own, other = _card(world, "card_a1"), _card(world, "card_b1")
    client = Client()
    if ROLE_SCOPES[role] is not None:
        client.force_login(getattr(world, role))
    before = _state()
    response = client.get("/cards/mine/", {"chosen": "1", "show": ["name", "card_number"]})
    check_private_headers(response)
    assert _state() == before
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif role == "member_user_a1":
        html = response.content.decode()
        assert response.status_code == 200 and own.display_number in html and "data-qr-text" in html
        assert other.display_number not in html and world.member_b1.full_name not in html
    else:
        assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.usefixtures("test_keys")
@pytest.mark.parametrize("role", list(ROLE_SCOPES))
def test_the_card_verifier_page_is_public_and_writes_nothing(role: str) -> None:
    world = build_world()
    client = Client(enforce_csrf_checks=True)
    if ROLE_SCOPES[role] is not None:
        client.force_login(getattr(world, role))
    before = _state()
    page = client.get("/cards/verify/")
    check_private_headers(page)
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    answer = client.post("/cards/verify/", {"text": "hello", "csrfmiddlewaretoken": token})
    assert answer.status_code == 200 and 'data-reason="not_a_card_qr"' in answer.content.decode()
    assert "X-Dangvien-Offline-Copy" not in answer.headers
    assert _state() == before
    assert all(getattr(world, name).full_name not in answer.content.decode() for name in MEMBERS)
