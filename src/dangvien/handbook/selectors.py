"""Every read of the handbook, scoped to the acting user: a member reads their own record only (the
member registry's own-record scope), a secretary their cell's members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Cast, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign.formatting import format_percent, percent
from dangvien.campaign.models import Participant, Step, StepRecord, step_number
from dangvien.core.errors import NotFound
from dangvien.core.prepared import Prepared, record_columns, record_from_row
from dangvien.handbook.counting import has_registered_account, in_target
from dangvien.handbook.models import HANDBOOK_STATUSES, ActivationCode, RightsText
from dangvien.handbook.permissions import HANDBOOK_CELL
from dangvien.library.models import QuizAttempt
from dangvien.members.events import event_label
from dangvien.members.models import (
    ON_ROLL_STATUSES,
    Classification,
    FeePayment,
    Member,
    MemberEvaluation,
    MemberEvent,
)
from dangvien.members.permissions import MEMBER_VIEW
from dangvien.members.selectors import member_get_for
from dangvien.notifications.models import Notification
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_for

FEE_MONTHS_SHOWN = 12
EVALUATIONS_SHOWN = 5
NOTIFICATIONS_SHOWN = 5


# --- the member's own pages ------------------------------------------------------------------------


def own_member(actor: Any) -> Member:
    """The actor's own member record, with its unit's name and path; NotFound for a login that is
    not a member's. One prepared read by key, then the scope's own test of a member record (an
    active user's MEMBER_VIEW holds on their own record)."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        raise NotFound(_("This login is not linked to a party member."))
    rows = _OWN_MEMBER(member_id)
    if not rows:
        raise NotFound(_("No such member."))
    member = record_from_row(Member, rows[0])
    member.unit = record_from_row(Unit, rows[0][len(record_columns(Member)):])
    if not scope_for(actor, MEMBER_VIEW).covers_member(member):  # an inactive login sees nothing
        raise NotFound(_("No such member."))
    return member


@dataclass(frozen=True)
class CardStatus:
    """Where the member's chip card is, from the card campaign (QĐ: Directive 51-CT/TW)."""

    stage: str  # "handed_over", "produced", "in_progress", "not_started"
    step_label: str  # the last step done
    day: dt.date | None  # when it was done


def card_status(member: Member) -> CardStatus | None:
    """The member's card in the latest campaign that counts them (None: in no campaign). The member
    was read through a scoped selector: this reads rows of that member only."""
    rows = _CARD(member.pk)
    if not rows:
        return None
    stage, stage_on, handed_on = rows[0]
    if stage == 0:
        return CardStatus("not_started", "", None)
    last = Step(Step.values[stage - 1])
    if stage >= step_number(Step.HANDED_OVER):
        return CardStatus("handed_over", str(last.label), handed_on or stage_on)
    return CardStatus("produced" if stage >= step_number(Step.PRODUCED) else "in_progress", str(last.label), stage_on)


@dataclass(frozen=True)
class TopicResult:
    """The member's results on one study topic: their best score of all attempts."""

    topic_id: int
    title: str
    best: int
    total: int
    attempts: int
    last_at: dt.datetime


def study_results(member: Member) -> list[TopicResult]:
    """The member's political study results, per topic, the latest studied first (one query)."""
    return [TopicResult(*row) for row in _STUDY(member.pk)]


def _classification_label(code: str) -> str:
    """A year-end classification's label; "" for none recorded."""
    return str(Classification(code).label) if code else ""


@dataclass(frozen=True)
class HistoryLine:
    day: dt.date
    label: str
    unit_name: str
    decision: str


@dataclass(frozen=True)
class EvaluationLine:
    year: int
    score: Decimal
    classification: str

    @property
    def classification_label(self) -> str:
        return _classification_label(self.classification)


@dataclass(frozen=True)
class FeeLine:
    month: dt.date
    amount: int


@dataclass(frozen=True)
class NoticeLine:
    title: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


@dataclass(frozen=True)
class Home:
    member: Member
    history: list[HistoryLine]
    evaluations: list[EvaluationLine]
    fees: list[FeeLine]
    fees_this_year: int
    card: CardStatus | None
    study: list[TopicResult]
    notifications: list[NoticeLine]
    unread: int


def handbook_home(actor: Any) -> Home:
    """What the member's home page shows, all of it the actor's own: seven reads by key, each
    compiled once (core/prepared.py; the page is every member's landing page, issue 11)."""
    member = own_member(actor)  # the scope is checked here, once: the lists below are this member's
    fees = _FEES(member.pk, timezone.localdate().year)
    notices = _NOTICES(actor.pk)
    return Home(
        member=member,
        history=[HistoryLine(day, event_label(kind), unit_name, decision)
                 for kind, day, decision, unit_name in _HISTORY(member.pk)],
        evaluations=[EvaluationLine(*row) for row in _EVALUATIONS(member.pk)],
        fees=[FeeLine(month, amount) for month, amount, _year_total in fees],
        fees_this_year=(fees[0][2] or 0) if fees else 0,  # the window's sum, the same on every row
        card=card_status(member),
        study=study_results(member),
        notifications=[NoticeLine(*row[:4]) for row in notices],
        unread=notices[0][4] if notices else 0,  # likewise: the unread among all, not the five shown
    )


# The home's reads, each of one member's (or one login's) rows by key.
_OWN_MEMBER = Prepared(lambda member_id: Member.objects.filter(pk=member_id).values_list(
    *record_columns(Member), *(f"unit__{column}" for column in record_columns(Unit))), takes=(int,))
_HISTORY = Prepared(lambda member_id: MemberEvent.objects.filter(member_id=member_id)
                    .order_by("effective_date", "id").values_list("kind", "effective_date", "decision", "unit__name"),
                    takes=(int,))
_EVALUATIONS = Prepared(lambda member_id: MemberEvaluation.objects.filter(member_id=member_id)
                        .order_by("-year").values_list("year", "score", "classification")[:EVALUATIONS_SHOWN],
                        takes=(int,))
# The latest months, each row with the sum of the year's (a window over all the member's rows: a
# month paid in advance for next year is listed and not counted). The year is compared as a
# number, so that it is a parameter of the prepared read.
_FEES = Prepared(lambda member_id, year: FeePayment.objects.filter(member_id=member_id)
                 .annotate(paid_year=Cast(ExtractYear("month"), IntegerField()))
                 .annotate(year_total=Window(Sum("amount", filter=Q(paid_year=year))))
                 .order_by("-month").values_list("month", "amount", "year_total")[:FEE_MONTHS_SHOWN], takes=(int, int))
_HANDED_OVER_ON = StepRecord.objects.filter(participant=OuterRef("pk"), step=Step.HANDED_OVER).values("day")[:1]
_CARD = Prepared(lambda member_id: Participant.objects.filter(member_id=member_id, eligible=True, left_on__isnull=True)
                 .annotate(handed_on=Subquery(_HANDED_OVER_ON))
                 .order_by("-campaign__start", "-pk").values_list("stage", "stage_on", "handed_on")[:1], takes=(int,))
_STUDY = Prepared(lambda member_id: QuizAttempt.objects.filter(member_id=member_id).order_by()
                  .values("topic_id", "topic__title")
                  .annotate(best=Max("score"), total=Max("total"), attempts=Count("id"), last_at=Max("submitted_at"))
                  .order_by("-last_at", "topic_id")
                  .values_list("topic_id", "topic__title", "best", "total", "attempts", "last_at"), takes=(int,))
# The newest notices, each row with the number of unread among all the login's notices.
_NOTICES = Prepared(lambda user_id: Notification.objects.filter(recipient_id=user_id)
                    .annotate(unread=Window(Count("pk", filter=Q(read_at__isnull=True))))
                    .values_list("title", "link", "created_at", "read_at", "unread")[:NOTIFICATIONS_SHOWN], takes=(int,))


def rights_text_current() -> RightsText | None:
    """The rights and duties as last published (the same for every member)."""
    return RightsText.objects.order_by("-version").first()


# --- the cell secretary's pages --------------------------------------------------------------------


def member_for_handbook(actor: Any, member_id: int) -> Member:
    """A member a secretary's page is about: in scope (404), where the actor does the cell's
    handbook work (403)."""
    member = member_get_for(actor, member_id)
    if not can(actor, HANDBOOK_CELL, member.unit):
        raise PermissionDenied(_("You do not have permission to do this for the member."))
    return member


def cell_for_handbook(actor: Any, unit_id: int) -> Unit:
    """A cell the actor sees (404 otherwise) and does the handbook work of (403)."""
    unit = unit_get_for(actor, unit_id)
    if not unit.holds_members:
        raise NotFound(_("This unit is not a cell."))
    if not can(actor, HANDBOOK_CELL, unit):
        raise PermissionDenied(_("You do not have permission to see this cell's handbook accounts."))
    return unit


def cells_for_handbook(actor: Any) -> list[Unit]:
    """The cells the actor is bound to as a cell secretary (where /handbook/cell/ goes first)."""
    from dangvien.accounts.models import Role, RoleAssignment

    ids = RoleAssignment.objects.filter(user_id=actor.pk, role=Role.CELL_SECRETARY).values("unit_id")
    return list(Unit.objects.filter(pk__in=ids).order_by("path"))


class AccountState:
    ACTIVE = "active"
    CODE_ISSUED = "code_issued"
    NONE = "none"
    NO_SMARTPHONE = "no_smartphone"
    NOT_A_USER = "not_a_user"  # exempted: not a handbook user (QĐ 339)


@dataclass(frozen=True)
class RosterRow:
    member: Member
    state: str
    username: str
    evaluation_year: int | None
    classification: str
    fee_months_this_year: int

    @property
    def classification_label(self) -> str:
        return _classification_label(self.classification)


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    users: int  # members who may use the handbook
    active: int  # members on the roll with a registered account (handbook.counting)
    target: int  # users leaving out those marked without a smartphone (the press's second figure)

    def percent(self, of: int) -> str:
        """active / of as the reports round it (half up, whole percent); "—" of nobody."""
        return format_percent(percent(self.active, of, 0))


def cell_roster(actor: Any, unit: Unit) -> Roster:
    """The cell's members on the roll with their handbook account state, latest evaluation and the
    months of fees paid this year: one query. `unit` comes from cell_for_handbook."""
    if not can(actor, HANDBOOK_CELL, unit):
        raise PermissionDenied(_("You do not have permission to see this cell's handbook accounts."))
    now = timezone.now()
    accounts = User.objects.filter(member_id=OuterRef("pk"), is_active=True)
    latest = MemberEvaluation.objects.filter(member_id=OuterRef("pk")).order_by("-year")
    members = (Member.objects.filter(unit=unit, status__in=ON_ROLL_STATUSES).order_by("sort_key", "pk")
               .annotate(
                   username=Subquery(accounts.values("username")[:1]),
                   usable=has_registered_account(),
                   in_target=in_target(),
                   live_code=Exists(ActivationCode.objects.filter(member_id=OuterRef("pk"), used_at__isnull=True,
                                                                  expires_at__gt=now)),
                   evaluation_year=Subquery(latest.values("year")[:1]),
                   classification=Subquery(latest.values("classification")[:1]),
                   fee_months=Count("fee_payments", filter=Q(fee_payments__month__year=timezone.localdate().year)),
               ))
    rows = []
    for member in members:
        rows.append(RosterRow(member=member, state=_state(member), username=member.username or "",
                              evaluation_year=member.evaluation_year, classification=member.classification or "",
                              fee_months_this_year=member.fee_months))
    # handbook.counting's rules, as the adoption report counts: registered over every member on the
    # roll, the target without the members marked as having no smartphone whatever their account.
    return Roster(rows=rows, users=sum(r.state != AccountState.NOT_A_USER for r in rows),
                  active=sum(bool(getattr(r.member, "usable")) for r in rows),  # noqa: B009 - annotations
                  target=sum(bool(getattr(r.member, "in_target")) for r in rows))  # noqa: B009


def _state(member: Any) -> str:
    if member.status not in HANDBOOK_STATUSES:
        return AccountState.NOT_A_USER
    if member.usable:
        return AccountState.ACTIVE
    if member.live_code:
        return AccountState.CODE_ISSUED
    if member.has_smartphone is False:
        return AccountState.NO_SMARTPHONE
    return AccountState.NONE
