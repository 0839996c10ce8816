"""What keeps a member from the "compared with the population database" step: the reconciliation
must have linked the member to a person in the extract, and no discrepancy it found may be open
(docs/campaign.md). One query for any number of members, so a police team's file of 10,000 rows is
checked at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from dangvien.reconcile.models import Match, State


def comparison_blockers(member_ids: Iterable[int]) -> dict[int, str]:
    """member id -> why the comparison step cannot be recorded yet, for the blocked ones."""
    ids = list(member_ids)
    linked: dict[int, int] = {}
    for chunk in _chunks(ids, 5000):
        rows = (Match.objects.filter(member_id__in=chunk, current=True, so_dinh_danh__isnull=False)
                .annotate(open_count=Count("discrepancies", filter=Q(discrepancies__state=State.OPEN)))
                .values_list("member_id", "open_count"))
        linked.update(rows)
    blockers: dict[int, str] = {}
    for member_id in ids:
        if member_id not in linked:
            blockers[member_id] = _("Not yet linked to a person in the population database: reconcile the "
                                    "member's data first.")
        elif linked[member_id]:
            blockers[member_id] = _("%(count)s discrepancies with the population database are unresolved.") % {
                "count": linked[member_id]}
    return blockers


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
