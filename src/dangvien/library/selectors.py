"""Every read of the library, scoped to the acting user.

A document (or study topic) published at a unit is for that unit's whole subtree: the reader sees it
when it was published at or above one of the reader's units (their grants, and a member's own cell),
or inside a subtree the reader holds LIBRARY_VIEW over. Anything else is absent (NotFound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import can, scope_for
from dangvien.core.errors import NotFound
from dangvien.core.scope import ancestor_paths, subtree_filter
from dangvien.core.text import search_words
from dangvien.library.models import (
    Bookmark,
    Document,
    Feedback,
    Opinion,
    QuizAttempt,
    ReadReceipt,
    StudyTopic,
)
from dangvien.library.permissions import FEEDBACK_ANSWER, LIBRARY_PUBLISH, LIBRARY_STATS, LIBRARY_VIEW
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.members.selectors import members_visible_to
from dangvien.org.models import Unit
from dangvien.org.rollup import rollup
from dangvien.org.selectors import units_visible_to

# --- where a reader reads ------------------------------------------------------------------------


def reader_member(actor: Any) -> Member | None:
    """The actor's own member record while it is on a cell's roll (a member who left reads no more
    as a member: no read receipts, no quiz)."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        return None
    return Member.objects.select_related("unit").filter(pk=member_id, status__in=ON_ROLL_STATUSES).first()


def _published_to_q(actor: Any, field: str = "unit__path") -> Q:
    """Rows published where the actor reads: at or above the actor's units, or inside them."""
    if not getattr(actor, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(actor, LIBRARY_VIEW)
    if scope.everywhere:
        return ~Q(pk__in=[])
    own = reader_member(actor)
    tops = [*scope.paths, *([own.unit.path] if own is not None else [])]
    above = sorted({path for top in tops for path in ancestor_paths(top)})
    return Q(**{f"{field}__in": above}) | scope.q(field)


def _live_q(actor: Any) -> Q:
    """A withdrawn document stays visible only where the actor may publish (to restore the record)."""
    return Q(withdrawn_at__isnull=True) | scope_for(actor, LIBRARY_PUBLISH).q("unit__path")


def documents_visible_to(actor: Any) -> QuerySet[Document]:
    return Document.objects.filter(_published_to_q(actor) & _live_q(actor))


def document_get_for(actor: Any, document_id: int) -> Document:
    document = documents_visible_to(actor).select_related("unit").filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("No such document."))
    return document


def document_lock_for(actor: Any, document_id: int) -> Document:
    """The document row locked for a write, if the actor sees it; NotFound otherwise."""
    document = (documents_visible_to(actor).select_for_update(of=("self",)).select_related("unit")
                .filter(pk=document_id).first())
    if document is None:
        raise NotFound(_("No such document."))
    return document


@dataclass(frozen=True)
class DocumentFilter:
    query: str = ""
    kind: str = ""
    bookmarked: bool = False


def document_search_q(query: str) -> Q:
    """Each word of the query must start a word of the number, title, summary or text (accents,
    case and tone placement ignored), as the member search does."""
    q = Q()
    for word in search_words(query):
        q &= Q(search_text__contains=f" {word}")
    return q


def document_list(actor: Any, flt: DocumentFilter) -> QuerySet[Document]:
    rows = documents_visible_to(actor).select_related("unit")
    if flt.kind:
        rows = rows.filter(kind=flt.kind)
    if flt.query:
        rows = rows.filter(document_search_q(flt.query))
    if flt.bookmarked:
        rows = rows.filter(Exists(Bookmark.objects.filter(document=OuterRef("pk"), user_id=actor.pk)))
    return rows.annotate(bookmarked=Exists(Bookmark.objects.filter(document=OuterRef("pk"), user_id=actor.pk)))


def document_is_bookmarked(actor: Any, document: Document) -> bool:
    return Bookmark.objects.filter(user_id=actor.pk, document=document).exists()


def may_publish_somewhere(actor: Any) -> bool:
    return scope_for(actor, LIBRARY_PUBLISH).has_units


def publishing_units(actor: Any) -> QuerySet[Unit]:
    """The units where the actor may publish, in tree order."""
    return units_visible_to(actor).filter(scope_for(actor, LIBRARY_PUBLISH).q()).order_by("path")


# --- read counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadCount:
    unit: Unit
    level: int  # 0 for the top rows, 1 for the units just below them
    read: int
    members: int

    @property
    def share(self) -> str:
        """ "312/413 = 75.5%": what the committee reports."""
        if not self.members:
            return f"{self.read}/0"
        return f"{self.read}/{self.members} = {self.read * 100 / self.members:.1f}%"


def _require_stats(actor: Any) -> None:
    if not scope_for(actor, LIBRARY_STATS).has_units:
        raise PermissionDenied(_("You do not have permission to see who has read or studied."))


def _count_units(actor: Any, root: Unit) -> list[tuple[Unit, int]]:
    """The units a count shows: the actor's topmost visible units inside `root`'s subtree (root
    itself when the actor sees it) and one level below them, each with its level."""
    units = list(units_visible_to(actor).filter(**subtree_filter(root.path)).filter(scope_for(actor, LIBRARY_STATS).q())
                 .order_by("path"))
    if not units:
        return []
    top = min(u.depth for u in units)
    tops = [u for u in units if u.depth == top]
    return [(u, u.depth - top) for u in units if u.depth <= top + 1 and any(u.path.startswith(t.path) for t in tops)]


def _members_under(actor: Any, root: Unit) -> QuerySet[Member]:
    """Members on the roll the actor sees in `root`'s subtree (members counted by their cell)."""
    cells = Unit.objects.filter(**subtree_filter(root.path)).filter(scope_for(actor, LIBRARY_STATS).q()).values("id")
    return members_visible_to(actor).filter(status__in=ON_ROLL_STATUSES, unit_id__in=cells)


def document_read_counts(actor: Any, document: Document) -> list[ReadCount]:
    """Who has read the document, per unit of the actor's part of its subtree: "read by 312 of
    413". Two grouped counts (org.rollup) whatever the tree's depth."""
    _require_stats(actor)
    shown = _count_units(actor, document.unit)
    if not shown:
        return []
    members = _members_under(actor, document.unit)
    paths = {u.pk: u.path for u, _level in shown}
    on_roll = rollup(members, paths=paths)
    read = rollup(ReadReceipt.objects.filter(document=document, member__in=members), unit_field="member__unit",
                  paths=paths)
    return [ReadCount(unit=u, level=level, read=read.total(u), members=on_roll.total(u)) for u, level in shown]


# --- opinions and feedback -----------------------------------------------------------------------


def opinions_visible_to(actor: Any) -> QuerySet[Opinion]:
    """One's own opinions, and every opinion on a document the actor's committee publishes."""
    if not getattr(actor, "is_authenticated", False):
        return Opinion.objects.none()
    return Opinion.objects.filter(Q(author_id=actor.pk) | scope_for(actor, LIBRARY_PUBLISH).q("document__unit__path"))


def document_opinions(actor: Any, document: Document) -> QuerySet[Opinion]:
    return opinions_visible_to(actor).filter(document=document).select_related("author", "answered_by")


def opinion_lock_for(actor: Any, opinion_id: int) -> Opinion:
    opinion = (opinions_visible_to(actor).select_for_update(of=("self",)).select_related("document__unit")
               .filter(pk=opinion_id).first())
    if opinion is None:
        raise NotFound(_("No such opinion."))
    return opinion


def opinion_get_for(actor: Any, opinion_id: int) -> Opinion:
    opinion = opinions_visible_to(actor).select_related("document__unit").filter(pk=opinion_id).first()
    if opinion is None:
        raise NotFound(_("No such opinion."))
    return opinion


def feedback_visible_to(actor: Any) -> QuerySet[Feedback]:
    """One's own feedback, and the feedback sent from the subtrees the actor answers for."""
    if not getattr(actor, "is_authenticated", False):
        return Feedback.objects.none()
    # Feedback bound to no unit (from a user bound to none) is the administrators' alone: an
    # officer whose grants cover every province still answers for units only.
    if can(actor, FEEDBACK_ANSWER, None):
        answerable = ~Q(pk__in=[])
    else:
        answerable = Q(unit__isnull=False) & scope_for(actor, FEEDBACK_ANSWER).q("unit__path")
    return Feedback.objects.filter(Q(author_id=actor.pk) | answerable)


def feedback_get_for(actor: Any, feedback_id: int) -> Feedback:
    found = feedback_visible_to(actor).select_related("unit").filter(pk=feedback_id).first()
    if found is None:
        raise NotFound(_("No such feedback."))
    return found


def feedback_lock_for(actor: Any, feedback_id: int) -> Feedback:
    found = (feedback_visible_to(actor).select_for_update(of=("self",)).select_related("unit")
             .filter(pk=feedback_id).first())
    if found is None:
        raise NotFound(_("No such feedback."))
    return found


def feedback_list(actor: Any) -> QuerySet[Feedback]:
    return feedback_visible_to(actor).select_related("author", "unit", "answered_by")


def may_answer_feedback(actor: Any, feedback: Feedback) -> bool:
    return can(actor, FEEDBACK_ANSWER, feedback.unit)


def may_answer_opinion(actor: Any, opinion: Opinion) -> bool:
    return can(actor, LIBRARY_PUBLISH, opinion.document.unit)


# --- political study -----------------------------------------------------------------------------


def topics_visible_to(actor: Any) -> QuerySet[StudyTopic]:
    return StudyTopic.objects.filter(_published_to_q(actor))


def topic_get_for(actor: Any, topic_id: int) -> StudyTopic:
    topic = topics_visible_to(actor).select_related("unit").filter(pk=topic_id).first()
    if topic is None:
        raise NotFound(_("No such study topic."))
    return topic


def topic_materials(actor: Any, topic: StudyTopic) -> QuerySet[Document]:
    """The topic's documents the actor may read (a material published elsewhere stays hidden)."""
    return documents_visible_to(actor).filter(topics=topic).select_related("unit")


def topic_quiz(topic: StudyTopic) -> list[Any]:
    """The questions with their choices, in order (two queries)."""
    return list(topic.questions.prefetch_related("choices"))


def member_attempts(actor: Any, topic: StudyTopic) -> QuerySet[QuizAttempt]:
    """The actor's own attempts at the topic's quiz, latest first."""
    member_id = getattr(actor, "member_id", None)
    if not member_id:
        return QuizAttempt.objects.none()
    return QuizAttempt.objects.filter(topic=topic, member_id=member_id)


@dataclass(frozen=True)
class StudyResult:
    member: Member
    attempts: int
    best: int | None
    total: int | None
    last_at: Any


def study_results(actor: Any, topic: StudyTopic) -> tuple[QuerySet[Member], int]:
    """The members whose results the actor sees for the topic (on the roll, in the topic's subtree,
    in the actor's LIBRARY_STATS scope) in list order, and how many of them have taken the quiz."""
    _require_stats(actor)
    members = _members_under(actor, topic.unit).select_related("unit").order_by("sort_key", "id")
    done = QuizAttempt.objects.filter(topic=topic, member__in=members).values("member").distinct().count()
    return members, done


def results_of(topic: StudyTopic, members: list[Member]) -> list[StudyResult]:
    """Each member's attempts at the topic: count, best score and the last one's time (one query)."""
    rows = {row["member"]: row for row in QuizAttempt.objects.filter(topic=topic, member__in=members)
            .values("member").annotate(n=Count("id"), best=Max("score"), total=Max("total"), last=Max("submitted_at"))}
    return [StudyResult(member=m, attempts=rows[m.pk]["n"] if m.pk in rows else 0,
                        best=rows[m.pk]["best"] if m.pk in rows else None,
                        total=rows[m.pk]["total"] if m.pk in rows else None,
                        last_at=rows[m.pk]["last"] if m.pk in rows else None) for m in members]


def may_see_stats(actor: Any, unit: Unit) -> bool:
    """Whether the actor counts readers or results anywhere in the unit's subtree."""
    scope = scope_for(actor, LIBRARY_STATS)
    return scope.covers(unit) or any(path.startswith(unit.path) for path in scope.paths)
