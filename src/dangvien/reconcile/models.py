"""Reconciliation of members against a population extract snapshot: a run over one unit's subtree,
one match per member and run (the member's best link to the extract, or none, with the candidates
an officer weighs in review), and the fields on which a linked record disagrees with the extract.

A run is written in one transaction when its work is done (`finished_at` is set then): a run that
crashes leaves nothing. The background job that computes it (`job`) carries the progress; a run
from the command line has no job. A newer run over a member marks that member's older match not
`current`; only current matches feed the queues and the summaries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Run(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    snapshot = models.ForeignKey("population.Snapshot", on_delete=models.PROTECT, related_name="runs",
                                 verbose_name=_("snapshot"))
    # The background job that computed it (its progress page); empty for a command-line run.
    job = models.OneToOneField("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Empty for a run started at the server shell by the system operator.
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("started by"))
    count_members = models.PositiveIntegerField(_("members"), default=0)
    count_exact = models.PositiveIntegerField(_("exact matches"), default=0)
    count_auto = models.PositiveIntegerField(_("automatic matches"), default=0)
    count_review = models.PositiveIntegerField(_("to review"), default=0)
    count_none = models.PositiveIntegerField(_("not found"), default=0)
    count_discrepancies = models.PositiveIntegerField(_("discrepancies"), default=0)
    # What produced the bands: engine version, thresholds, the model's trained parameters, timings.
    engine = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        return f"Run #{self.pk} ({self.unit_id}, snapshot {self.snapshot_id})"


class Band(models.TextChoices):
    EXACT = "exact", _("Exact")  # pass 1: the citizen ID on record is in the extract, name or birth date agree
    AUTO = "auto", _("Matched automatically")  # pass 2: one candidate, sure and far ahead of any other
    REVIEW = "review", _("Needs review")  # pass 2: candidates an officer must choose among
    NONE = "none", _("Not found")  # no plausible candidate in the extract


class Decision(models.TextChoices):
    UNDECIDED = "", _("Undecided")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Match(models.Model):
    """A member's link to the extract in one run. `so_dinh_danh` is the linked person (exact, auto,
    or a review item once accepted); `candidates` lists, best first, what pass 2 weighed:
    [{"so_dinh_danh", "probability", "match_weight", "person": {extract fields}, "weights": {field:
    match weight}}] (an exact match holds its one person with no weights)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="matches")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    current = models.BooleanField(default=True)  # from the member's latest run
    band = models.CharField(_("band"), max_length=8, choices=Band.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True, default="")
    probability = models.FloatField(_("match probability"), null=True, blank=True)
    # NULL when none is linked (the contract with the review pages), never "".
    so_dinh_danh = models.CharField(_("matched citizen ID"), max_length=12, null=True, blank=True)  # noqa: DJ001
    candidates = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "member"], name="reconcile_match_once_a_run"),
            models.UniqueConstraint(fields=["member"], condition=models.Q(current=True),
                                    name="reconcile_match_one_current"),
        ]
        indexes = [models.Index(fields=["run", "band"]), models.Index(fields=["band", "current", "decision"])]
        verbose_name = _("match")
        verbose_name_plural = _("matches")

    def __str__(self) -> str:
        return f"Match #{self.pk} member {self.member_id} {self.band}"


class Field(models.TextChoices):
    """The member fields compared with the extract."""

    FULL_NAME = "full_name", _("full name")
    DATE_OF_BIRTH = "date_of_birth", _("date of birth")
    SEX = "sex", _("sex")
    HOMETOWN = "hometown", _("hometown")
    CITIZEN_ID = "citizen_id", _("citizen ID")
    OLD_ID = "old_id_number", _("old ID number")


class Kind(models.TextChoices):
    """How a field differs: what an officer accepts in bulk is one kind of one field."""

    DIACRITICS_ONLY = "diacritics_only", _("diacritics only")
    TONE_PLACEMENT = "tone_placement", _("tone mark placement")
    UNICODE_FORM = "unicode_form", _("decomposed (NFD) characters")
    CASE_OR_SPACING = "case_or_spacing", _("capitals or spacing")
    MIDDLE_NAME = "middle_name", _("middle name missing or different")
    DAY_MONTH_SWAP = "day_month_swap", _("day and month swapped")
    YEAR_ONLY = "year_only", _("only the year on record")
    TYPO = "typo", _("typing error")
    MISSING = "missing", _("missing on record")
    OLD_ID = "old_id", _("old ID number instead of the citizen ID")
    MERGER_HOMETOWN = "merger_hometown", _("hometown named with units merged in 2025")
    OTHER = "other", _("other difference")


class State(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Discrepancy(models.Model):
    """A field on which the member record and the linked extract row disagree; the population
    value is the suggested correction."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="discrepancies")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(_("field"), max_length=24, choices=Field.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    record_value = models.CharField(_("on record"), max_length=255, blank=True)
    population_value = models.CharField(_("in the population database"), max_length=255, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "state"]), models.Index(fields=["field", "kind", "state"])]
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")

    def __str__(self) -> str:
        return f"{self.field} ({self.kind}) of member {self.member_id}"
