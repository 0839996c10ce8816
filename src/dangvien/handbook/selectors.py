"""Every read of the handbook, scoped to the acting user: a member reads their own record only (the
member registry's own-record scope), a secretary their cell's members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.models import User
from dangvien.accounts.permissions import can
from dangvien.campaign.formatting import format_percent, percent
from dangvien.campaign.models import Participant, Step, StepRecord, step_number
from dangvien.core.errors import NotFound
from dangvien.handbook.counting import has_registered_account, in_target
from dangvien.handbook.models import HANDBOOK_STATUSES, ActivationCode, RightsText
from dangvien.handbook.permissions import HANDBOOK_CELL
from dangvien.library.selectors import study_results_for_member
from dangvien.members.models import ON_ROLL_STATUSES, FeePayment, Member, MemberEvaluation, MemberEvent
from dangvien.members.selectors import evaluations_of, fee_payments_of, history_of, member_get_for
from dangvien.notifications.models import Notification
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_for

FEE_MONTHS_SHOWN = 12
NOTIFICATIONS_SHOWN = 5


# --- the member's own pages ------------------------------------------------------------------------


def own_member(actor: Any) -> Member:
    """The actor's own member record; NotFound for a login that is not a member's."""
    if not getattr(actor, "member_id", None):
        raise NotFound(_("This login is not linked to a party member."))
    return member_get_for(actor, actor.member_id)


@dataclass(frozen=True)
class CardStatus:
    """Where the member's chip card is, from the card campaign (QĐ: Directive 51-CT/TW)."""

    stage: str  # "handed_over", "produced", "in_progress", "not_started"
    step_label: str  # the last step done
    day: dt.date | None  # when it was done


def card_status(member: Member) -> CardStatus | None:
    """The member's card in the latest campaign that counts them (None: in no campaign). The member
    was read through a scoped selector: this reads rows of that member only."""
    participant = (Participant.objects.filter(member_id=member.pk, eligible=True, left_on__isnull=True)
                   .order_by("-campaign__start", "-pk").first())
    if participant is None:
        return None
    if participant.stage == 0:
        return CardStatus("not_started", "", None)
    last = Step(Step.values[participant.stage - 1])
    if participant.stage >= step_number(Step.HANDED_OVER):
        stage = "handed_over"
        handed = StepRecord.objects.filter(participant=participant, step=Step.HANDED_OVER).values_list("day", flat=True)
        day = handed.first() or participant.stage_on
    else:
        stage = "produced" if participant.stage >= step_number(Step.PRODUCED) else "in_progress"
        day = participant.stage_on
    return CardStatus(stage, str(last.label), day)


@dataclass(frozen=True)
class TopicResult:
    """The member's results on one study topic: their best score of all attempts."""

    topic_id: int
    title: str
    best: int
    total: int
    attempts: int
    last_at: dt.datetime


def study_results(actor: Any, member: Member) -> list[TopicResult]:
    """The member's political study results, per topic, the latest studied first (one query)."""
    rows = (study_results_for_member(actor, member.pk).order_by().values("topic_id", "topic__title")
            .annotate(best=Max("score"), total=Max("total"), attempts=Count("id"), last_at=Max("submitted_at"))
            .order_by("-last_at", "topic_id"))
    return [TopicResult(topic_id=row["topic_id"], title=row["topic__title"], best=row["best"], total=row["total"],
                        attempts=row["attempts"], last_at=row["last_at"]) for row in rows]


@dataclass(frozen=True)
class Home:
    member: Member
    history: list[MemberEvent]
    evaluations: list[MemberEvaluation]
    fees: list[FeePayment]
    fees_this_year: int
    card: CardStatus | None
    study: list[TopicResult]
    notifications: list[Notification]
    unread: int


def handbook_home(actor: Any) -> Home:
    """What the member's home page shows, all of it the actor's own."""
    member = own_member(actor)  # the scope is checked here, once: the lists below are this member's
    today = timezone.localdate()
    fees = fee_payments_of(member)
    mine = Notification.objects.filter(recipient_id=actor.pk)
    return Home(
        member=member,
        history=list(history_of(member)),
        evaluations=list(evaluations_of(member)[:5]),
        fees=list(fees[:FEE_MONTHS_SHOWN]),
        fees_this_year=fees.filter(month__year=today.year).aggregate(total=Sum("amount"))["total"] or 0,
        card=card_status(member),
        study=study_results(actor, member),
        notifications=list(mine.only("title", "link", "created_at", "read_at")[:NOTIFICATIONS_SHOWN]),
        unread=mine.filter(read_at__isnull=True).count(),
    )


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
        from dangvien.members.models import Classification

        return str(Classification(self.classification).label) if self.classification else ""


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
