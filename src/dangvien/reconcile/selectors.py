"""Every read of reconciliation results, scoped to the acting user: a match or a discrepancy is seen
where the actor holds RECONCILE_VIEW over the member's cell (out of scope looks like absent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.jobs.models import Job
from dangvien.jobs.selectors import job_get_for, jobs_visible_to
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.org.models import Unit
from dangvien.org.rollup import Rollup, rollup
from dangvien.org.selectors import UnitNode, unit_tree
from dangvien.population.models import Snapshot
from dangvien.reconcile.models import Band, Decision, Discrepancy, Match, Run, State
from dangvien.reconcile.permissions import RECONCILE_VIEW

# runs.JOB_KIND, written again: runs.py loads the matching engine (Splink), which no page needs.
RUN_JOB_KIND = "reconcile.run"


def _units_q(actor: Any, unit: Unit | None = None) -> Q:
    """Units where the actor holds RECONCILE_VIEW (within `unit`'s subtree, when given)."""
    q = scope_for(actor, RECONCILE_VIEW).q("path")
    return q & Q(**subtree_filter(unit.path)) if unit is not None else q


def _member_in_scope(actor: Any, unit: Unit | None = None, prefix: str = "member__") -> Q:
    """A filter on rows linked to a member: the member's cell in the actor's scope. A subquery of unit
    ids, as members/selectors.py does: each row is tested by its own columns."""
    return Q(**{f"{prefix}unit_id__in": Unit.objects.filter(_units_q(actor, unit)).values("id")})


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


# --- matches and the review queue ---------------------------------------------------------------


def matches_visible_to(actor: Any) -> QuerySet[Match]:
    if not _authenticated(actor) or not scope_for(actor, RECONCILE_VIEW).has_units:
        return Match.objects.none()
    return Match.objects.filter(_member_in_scope(actor))


def match_get_for(actor: Any, match_id: int) -> Match:
    match = (matches_visible_to(actor).select_related("member", "member__unit", "run", "run__snapshot")
             .filter(pk=match_id).first())
    if match is None:
        raise NotFound(_("No such match."))
    return match


def match_lock_for(actor: Any, match_id: int) -> Match:
    """The match locked for a service's write, if the actor may see it."""
    match = (matches_visible_to(actor).select_for_update(of=("self",)).select_related("member", "member__unit")
             .filter(pk=match_id).first())
    if match is None:
        raise NotFound(_("No such match."))
    return match


# The queue's order: cell by cell down the tree, members in list order within a cell.
QUEUE_ORDER = ("member__unit__path", "member__sort_key", "id")


def review_queue(actor: Any, unit: Unit | None = None) -> QuerySet[Match]:
    """The current matches an officer must decide (band review, undecided) in the actor's scope,
    within `unit`'s subtree when given, in queue order."""
    matches = matches_visible_to(actor).filter(current=True, band=Band.REVIEW, decision=Decision.UNDECIDED)
    if unit is not None:
        matches = matches.filter(_member_in_scope(actor, unit))
    return matches.select_related("member", "member__unit").order_by(*QUEUE_ORDER)


def queue_after(actor: Any, match: Match, unit: Unit | None = None) -> Match | None:
    """The queue's item after `match` (wrapping around to the first), None when nothing else waits."""
    queue = review_queue(actor, unit).exclude(pk=match.pk)
    key = (match.member.unit.path, match.member.sort_key, match.pk)
    later = queue.filter(Q(member__unit__path__gt=key[0])
                         | Q(member__unit__path=key[0], member__sort_key__gt=key[1])
                         | Q(member__unit__path=key[0], member__sort_key=key[1], id__gt=key[2])).first()
    return later or queue.first()


def member_match(actor: Any, member: Member) -> Match | None:
    """The member's current match, if the actor may see reconciliation results there, with the
    number of its open discrepancies (`open_count`): one query for the member page."""
    return (matches_visible_to(actor).filter(member_id=member.pk, current=True).select_related("run")
            .annotate(open_count=Count("discrepancies", filter=Q(discrepancies__state=State.OPEN))).first())


# --- discrepancies -------------------------------------------------------------------------------


def discrepancies_visible_to(actor: Any) -> QuerySet[Discrepancy]:
    if not _authenticated(actor) or not scope_for(actor, RECONCILE_VIEW).has_units:
        return Discrepancy.objects.none()
    return Discrepancy.objects.filter(_member_in_scope(actor))


def discrepancy_get_for(actor: Any, discrepancy_id: int) -> Discrepancy:
    found = (discrepancies_visible_to(actor).select_related("member", "member__unit", "match")
             .filter(pk=discrepancy_id).first())
    if found is None:
        raise NotFound(_("No such discrepancy."))
    return found


def discrepancy_lock_for(actor: Any, discrepancy_id: int) -> Discrepancy:
    found = (discrepancies_visible_to(actor).select_for_update(of=("self",))
             .select_related("member", "member__unit", "match").filter(pk=discrepancy_id).first())
    if found is None:
        raise NotFound(_("No such discrepancy."))
    return found


@dataclass(frozen=True)
class DiscrepancyFilter:
    unit: Unit | None = None  # a unit the actor may see: its subtree only
    field: str = ""
    kind: str = ""
    state: str = State.OPEN  # "" for every state
    member: int | None = None  # one member's only


def discrepancy_list(actor: Any, flt: DiscrepancyFilter) -> QuerySet[Discrepancy]:
    """Discrepancies of current matches (an older run's are superseded), filtered, in list order."""
    rows = discrepancies_visible_to(actor).filter(match__current=True)
    if flt.unit is not None:
        rows = rows.filter(_member_in_scope(actor, flt.unit))
    if flt.member is not None:
        rows = rows.filter(member_id=flt.member)
    if flt.field:
        rows = rows.filter(field=flt.field)
    if flt.kind:
        rows = rows.filter(kind=flt.kind)
    if flt.state:
        rows = rows.filter(state=flt.state)
    return rows.select_related("member", "member__unit").order_by("member__unit__path", "member__sort_key", "id")


def discrepancy_groups(actor: Any, unit: Unit | None = None) -> list[tuple[str, str, int]]:
    """(field, kind, count) of the open discrepancies, most numerous first: what bulk accept offers."""
    rows = discrepancy_list(actor, DiscrepancyFilter(unit=unit)).order_by()
    counts: dict[tuple[str, str], int] = {}
    for field_name, kind in rows.values_list("field", "kind"):
        counts[(field_name, kind)] = counts.get((field_name, kind), 0) + 1
    return sorted(((f, k, n) for (f, k), n in counts.items()), key=lambda item: (-item[2], item[0], item[1]))


# --- runs ----------------------------------------------------------------------------------------


def runs_visible_to(actor: Any) -> QuerySet[Run]:
    if not _authenticated(actor) or not scope_for(actor, RECONCILE_VIEW).has_units:
        return Run.objects.none()
    return Run.objects.filter(unit__in=Unit.objects.filter(_units_q(actor)))


# --- the per-unit summary ------------------------------------------------------------------------

MATCHED, REVIEW, NOT_FOUND = "matched", "review", "not_found"


def _outcomes(matches: QuerySet[Match]) -> QuerySet[Match]:
    """Each current match as one outcome, and whether it has an open discrepancy."""
    return matches.annotate(
        outcome=Case(
            When(decision=Decision.REJECTED, then=Value(NOT_FOUND)),
            When(decision=Decision.ACCEPTED, then=Value(MATCHED)),
            When(band__in=[Band.EXACT, Band.AUTO], then=Value(MATCHED)),
            When(band=Band.REVIEW, then=Value(REVIEW)),
            default=Value(NOT_FOUND),
        ),
        open_discrepancies=Exists(Discrepancy.objects.filter(match_id=OuterRef("pk"), state=State.OPEN)),
    )


@dataclass
class Summary:
    """A unit's figures over its whole subtree (members on the roll only)."""

    members: int = 0
    matched: int = 0  # linked to the population database: exact, automatic, or accepted in review
    with_discrepancies: int = 0  # of the matched, those with an open discrepancy
    review: int = 0
    not_found: int = 0
    not_reconciled: int = 0  # on the roll, in no run yet

    @classmethod
    def of(cls, counts: dict[Any, int]) -> Summary:
        members = counts.get("members", 0)
        figures = cls(
            members=members,
            matched=counts.get((MATCHED, False), 0) + counts.get((MATCHED, True), 0),
            with_discrepancies=counts.get((MATCHED, True), 0),
            review=counts.get((REVIEW, False), 0) + counts.get((REVIEW, True), 0),
            not_found=counts.get((NOT_FOUND, False), 0) + counts.get((NOT_FOUND, True), 0),
        )
        figures.not_reconciled = max(members - figures.matched - figures.review - figures.not_found, 0)
        return figures

    @property
    def percent(self) -> Decimal | None:
        """matched / members as a percentage rounded to two places (97.51), None for no members."""
        if not self.members:
            return None
        return (Decimal(100 * self.matched) / self.members).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def share(self) -> str:
        """The committee's way: "138263/141794 = 97.51%" (pages format the numbers themselves)."""
        return f"{self.matched}/{self.members} = {self.percent}%" if self.members else ""


@dataclass
class SummaryNode:
    unit: Unit
    summary: Summary
    children: list[SummaryNode] = field(default_factory=list)


def summary_units(actor: Any, root: Unit | None = None, max_depth: int | None = None) -> list[Unit]:
    """The units a summary shows: where the actor holds RECONCILE_VIEW, under `root` when given, at
    most `max_depth` levels below the root (or below the actor's own top units)."""
    units = Unit.objects.filter(_units_q(actor, root))
    if max_depth is not None:
        scope = scope_for(actor, RECONCILE_VIEW)
        top = root.depth if root is not None else (
            0 if scope.everywhere or not scope.paths else min(len(p) // SEGMENT - 1 for p in scope.paths))
        units = units.filter(depth__lte=top + max_depth)
    return list(units.order_by("path"))


def reconcile_summary(actor: Any, root: Unit | None = None, max_depth: int | None = None) -> list[SummaryNode]:
    """The per-unit summary at every level as a tree: three queries whatever the depth (the units,
    the current matches by cell and outcome, the members on the roll by cell), summed up the tree by
    org.rollup."""
    if not _authenticated(actor):
        return []
    units = summary_units(actor, root, max_depth)
    if not units:
        return []
    paths = {u.pk: u.path for u in units}
    in_scope = Unit.objects.filter(_units_q(actor, root)).values("id")
    matches = _outcomes(Match.objects.filter(current=True, member__unit_id__in=in_scope,
                                             member__status__in=ON_ROLL_STATUSES))
    outcome_counts = rollup(matches, keys=["outcome", "open_discrepancies"], unit_field="member__unit", paths=paths)
    members = rollup(Member.objects.filter(unit_id__in=in_scope, status__in=ON_ROLL_STATUSES), paths=paths)
    merged = Rollup({path: {**counts} for path, counts in outcome_counts.by_path.items()})
    for path, counts in members.by_path.items():
        merged.by_path.setdefault(path, {})["members"] = counts.get(None, 0)
    return [_summary_node(node) for node in unit_tree(units, merged)]


def _summary_node(node: UnitNode) -> SummaryNode:
    return SummaryNode(node.unit, Summary.of(node.counts), [_summary_node(child) for child in node.children])


def summary_roots(actor: Any) -> list[Unit]:
    """The top units of the actor's summary: every province for an administrator, else each unit
    where the actor holds RECONCILE_VIEW."""
    scope = scope_for(actor, RECONCILE_VIEW)
    if not _authenticated(actor) or not scope.has_units:
        return []
    if scope.everywhere:
        return list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    return list(Unit.objects.filter(path__in=scope.paths).order_by("path"))


# --- run jobs ------------------------------------------------------------------------------------


def run_jobs_visible_to(actor: Any) -> QuerySet[Job]:
    """Reconciliation jobs: the actor's own, and those over a subtree where they see results."""
    return jobs_visible_to(actor, scope_for(actor, RECONCILE_VIEW), kind=RUN_JOB_KIND)


def run_job_get_for(actor: Any, job_id: int) -> Job:
    return job_get_for(actor, scope_for(actor, RECONCILE_VIEW), job_id, kind=RUN_JOB_KIND)


def run_of_job(job: Job) -> Run | None:
    return Run.objects.filter(job=job).select_related("unit", "snapshot").first()


def snapshots_for_runs() -> QuerySet[Snapshot]:
    """The snapshots a run may use, newest first (a snapshot is national data: no unit scope)."""
    return Snapshot.objects.order_by("-taken_on", "-pk")
