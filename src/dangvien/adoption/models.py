"""What the adoption report needs recorded that no other table holds: which members used the
handbook in which months (docs/adoption.md, "Active members")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberActivity(models.Model):
    """The months of a year in which a member used the handbook (any request while logged in):
    bit m - 1 of `months` is set for month m. One row a member and year, so a year's report reads
    at most one row a member whatever the period (a row a month made a year's trend twelve times the
    rows). The middleware sets a month's bit at most once a session and month (adoption.middleware);
    the row is its own record, not audited (like a document's read receipt).

    `unit` is the member's cell while they are on the roll, and empty once they left it: the report
    groups this one table by it, without joining the members (adoption.apps follows the member's
    moves through the member hooks, as the card campaign's participants do)."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    months = models.PositiveIntegerField(_("months used"), default=0)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("member's handbook use")
        verbose_name_plural = _("members' handbook use")
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="adoption_activity_member_year")]
        # The report's GROUP BY (a year's rows of a subtree, by cell, with their months) reads it alone.
        indexes = [models.Index(fields=["year", "unit", "months"], name="adoption_activity_report")]

    def __str__(self) -> str:
        return f"member {self.member_id} in {self.year}: {self.months:012b}"
