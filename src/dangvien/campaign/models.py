"""The chip card exchange campaign (Directive 51-CT/TW, 2025): who is eligible, and where each
eligible member is in the pipeline from declaring their data to holding the new card.

A Participant is one member in one campaign: eligible or excluded (with the reason), in the cell
they are in now (kept in step with transfers by campaign.participation), the number of pipeline steps
done, and a hold when the member cannot complete now. Each recorded step is a StepRecord, dated, with
who recorded it. Reports count participants per unit (org.rollup) from the participant rows alone,
so a province or the nation is one GROUP BY over one indexed table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    """The pipeline, in order. A step may be recorded only after the one before it."""

    DECLARED = "declared", _("Data declared")
    PHOTOGRAPHED = "photographed", _("Photo taken")
    COMPARED = "compared", _("Compared with the population database")
    CONFIRMED = "confirmed", _("Confirmed and signed by the member")
    SENT = "sent", _("Sent to the Central Organizing Committee")
    PRODUCED = "produced", _("Card produced")
    HANDED_OVER = "handed_over", _("Card handed over")


STEPS: tuple[str, ...] = tuple(Step.values)


def step_number(step: str) -> int:
    """1 for the first step ... 7 for the hand-over: a participant's `stage` once it is done."""
    return STEPS.index(step) + 1


class Exclusion(models.TextChoices):
    """Why a member in the campaign's unit is not eligible (the snapshot keeps the reason)."""

    PROBATIONARY = "probationary", _("Probationary member: gets the card on recognition as official")
    NO_CARD = "no_card", _("Holds no party card yet")
    STATUS = "status", _("Status not eligible under the campaign's rule")


class Departure(models.TextChoices):
    """Why a participant left the campaign after its snapshot: no longer counted anywhere."""

    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the campaign's unit")
    REMOVED = "removed", _("Removed from the roll")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")


class HoldReason(models.TextChoices):
    """Why an eligible member cannot complete now (reported apart, still counted as remaining)."""

    ABROAD = "abroad", _("Abroad")
    HOSPITAL = "hospital", _("In hospital or gravely ill")
    AWAY = "away", _("Working or studying far away")
    NO_CITIZEN_ID = "no_citizen_id", _("No chip citizen ID card yet")
    OTHER = "other", _("Other reason")


class Care(models.TextChoices):
    """Why a member needs a home visit beyond age and exemption (marked by the cell or the group)."""

    NONE = "", _("None")
    SICK = "sick", _("Sick")
    DISABLED = "disabled", _("Disabled")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    # The eligibility rule (campaign.eligibility.Rule as JSON): the default is Directive 51's.
    rule = models.JSONField(_("eligibility rule"), default=dict)
    # The step the headline figure counts as completed ("138,263/141,794 = 97.51%").
    headline_step = models.CharField(_("completed means"), max_length=16, choices=Step.choices,
                                     default=Step.CONFIRMED)
    # Decimals in the percentages (0: integer rounding as the press does).
    precision = models.PositiveSmallIntegerField(_("decimals in percentages"), default=2)
    snapshot_date = models.DateField(_("eligibility taken on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["-start", "-pk"]
        verbose_name = _("card exchange campaign")
        verbose_name_plural = _("card exchange campaigns")

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    # The member's cell now: reports group by it (no join to the member table).
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    eligible = models.BooleanField(_("eligible"))
    exclusion = models.CharField(_("not eligible because"), max_length=16, choices=Exclusion.choices,
                                 blank=True, default="")
    # Number of pipeline steps done (0 none ... 7 handed over); the dated records are StepRecords.
    stage = models.PositiveSmallIntegerField(_("steps done"), default=0)
    stage_on = models.DateField(_("last step on"), null=True, blank=True)
    hold = models.CharField(_("cannot complete now"), max_length=16, choices=HoldReason.choices,
                            blank=True, default="")
    hold_note = models.CharField(_("details"), max_length=255, blank=True)
    hold_since = models.DateField(null=True, blank=True)
    care = models.CharField(_("needs a home visit because"), max_length=10, choices=Care.choices, blank=True,
                            default="")
    joined_on = models.DateField(_("in the campaign since"))
    left_on = models.DateField(_("left the campaign on"), null=True, blank=True)
    departure = models.CharField(_("left because"), max_length=16, choices=Departure.choices,
                                 blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="campaign_participant_once"),
            models.CheckConstraint(condition=models.Q(stage__gte=0, stage__lte=len(STEPS)),
                                   name="campaign_participant_stage_range"),
        ]
        indexes = [
            # The report: counts by (unit, stage, hold) of the counted participants, read from the
            # index alone, in (unit, stage, hold) order once the campaign is fixed, so that the GROUP BY
            # streams (no sort, no hash table of a million groups). Partial: the counted rows only; the
            # condition's columns last, so that SQLite too answers from the index alone.
            models.Index(fields=["campaign", "unit", "stage", "hold", "eligible", "left_on"],
                         name="campaign_participant_counted",
                         condition=models.Q(eligible=True, left_on__isnull=True)),
            models.Index(fields=["member"]),
        ]
        verbose_name = _("campaign participant")
        verbose_name_plural = _("campaign participants")

    def __str__(self) -> str:
        return f"{self.member_id} in campaign {self.campaign_id}"

    @property
    def counted(self) -> bool:
        """Whether the member counts in the campaign's figures (eligible and still in it)."""
        return self.eligible and self.left_on is None


class StepRecord(models.Model):
    """One pipeline step done for one participant: when, and who recorded it."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    day = models.DateField(_("date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "step"], name="campaign_step_once")]
        # The daily progress chart: how many reached a step on each day.
        indexes = [models.Index(fields=["step", "day"])]
        ordering = ["participant", "day", "pk"]
        verbose_name = _("step record")
        verbose_name_plural = _("step records")

    def __str__(self) -> str:
        return f"{self.step} on {self.day} for participant {self.participant_id}"
