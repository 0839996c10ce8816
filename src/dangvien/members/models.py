"""The member registry and each member's activity history (quá trình sinh hoạt đảng)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary")
    OFFICIAL = "official", _("Official")
    EXEMPTED = "exempted", _("Exempted from activities")
    TEMPORARILY_OUT = "temporarily_out", _("Temporarily transferred out")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    REMOVED = "removed", _("Removed from the roll")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")


# Members counted on a cell's roll (a temporarily transferred member stays counted at home).
ON_ROLL_STATUSES = frozenset({Status.PROBATIONARY, Status.OFFICIAL, Status.EXEMPTED, Status.TEMPORARILY_OUT})


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class ServiceBackground(models.TextChoices):
    NONE = "", _("None")
    ARMY = "army", _("Army")
    POLICE = "police", _("Police")
    RETIRED = "retired", _("Retired")


class Member(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="members", verbose_name=_("cell"))
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, db_index=True)

    # Identity (form 2-HSĐV). Text is stored NFC (core.text.clean).
    full_name = models.CharField(_("full name"), max_length=120)
    family_name = models.CharField(max_length=60, editable=False)
    middle_name = models.CharField(max_length=60, editable=False)
    given_name = models.CharField(max_length=60, editable=False)
    birth_name = models.CharField(_("birth name"), max_length=120, blank=True)
    aliases = models.CharField(_("aliases"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))  # sometimes only the year is known
    place_of_birth = models.CharField(_("place of birth"), max_length=200, blank=True)
    hometown = models.CharField(_("hometown"), max_length=200, blank=True)
    permanent_residence = models.CharField(_("permanent residence"), max_length=255, blank=True)
    temporary_residence = models.CharField(_("temporary residence"), max_length=255, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=40, blank=True)
    religion = models.CharField(_("religion"), max_length=40, blank=True)
    citizen_id = models.CharField(_("citizen ID"), max_length=12, null=True, blank=True, unique=True)
    old_id_number = models.CharField(_("old ID number"), max_length=9, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    has_smartphone = models.BooleanField(_("has a smartphone"), null=True, blank=True)
    # Whether the member has a registered handbook account (handbook.counting's rule), kept by the
    # database: triggers on the logins set it, and one on this row puts it back whatever a save writes
    # (handbook migration 0003). The adoption report counts it from an index instead of joining every
    # member to the logins.
    handbook_registered = models.BooleanField(default=False, db_default=False, editable=False)

    # Background.
    education = models.CharField(_("general education"), max_length=40, blank=True)
    political_theory = models.CharField(_("political theory level"), max_length=60, blank=True)
    professional_qualification = models.CharField(_("professional qualification"), max_length=120, blank=True)
    foreign_language = models.CharField(_("foreign language"), max_length=60, blank=True)
    occupation_at_admission = models.CharField(_("occupation at admission"), max_length=120, blank=True)
    occupation = models.CharField(_("current occupation"), max_length=120, blank=True)
    service_background = models.CharField(
        _("army/police/retired"), max_length=10, choices=ServiceBackground.choices, blank=True, default=""
    )

    # Party record.
    admission_date = models.DateField(_("admission decision date"))
    admission_ceremony_date = models.DateField(_("admission ceremony date"), null=True, blank=True)
    official_date = models.DateField(_("official date"), null=True, blank=True)
    profile_number = models.CharField(_("profile number"), max_length=12, null=True, blank=True, unique=True)
    card_number = models.CharField(_("party card number"), max_length=20, null=True, blank=True, unique=True)
    badge_number = models.CharField(_("badge number"), max_length=20, blank=True)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    temporary_unit = models.CharField(_("temporarily attending at"), max_length=255, blank=True)
    # An official transfer to a unit on this system waits here until the receiving side accepts it;
    # the receiving committee sees the member while it waits.
    pending_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming_members"
    )

    # Derived, for search and the Vietnamese list order (core.text).
    search_name = models.CharField(max_length=260, editable=False)
    # Four hex characters a letter (core.text.collation_key) for a name of up to 120 characters.
    sort_key = models.CharField(max_length=600, editable=False)

    # Optimistic concurrency: every write checks and bumps it (a stale edit is refused).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_key", "id"]
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["unit", "sort_key"]),
            # Covering indexes for the list and search at province scale (docs/benchmarks.md): the
            # list walks members in name order, and with the scope columns and the search key in the
            # index, skipping to page 500 or filtering by name reads the index, not the table rows.
            models.Index(fields=["sort_key", "id", "unit", "pending_unit", "search_name"],
                         name="members_member_order_cover"),
            models.Index(fields=["unit", "pending_unit", "search_name"], name="members_member_scope_cover"),
            # The members marked as having no smartphone, by cell: the handbook adoption report's
            # target leaves them out (a few percent of the rows; the report reads this index alone).
            models.Index(fields=["unit", "status"], name="members_member_no_smartphone",
                         condition=models.Q(has_smartphone=False)),
            # The members with a registered handbook account, by cell (the adoption report's count).
            models.Index(fields=["unit", "status"], name="members_member_registered",
                         condition=models.Q(handbook_registered=True)),
        ]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self) -> str:
        return self.full_name


class EventKind(models.TextChoices):
    """The registry's own kinds of history event. Other apps add theirs (members/events.py), so the
    column takes any registered kind, not only these."""

    ADMITTED = "admitted", _("Admitted to the Party")
    RECOGNIZED_OFFICIAL = "recognized_official", _("Recognized as official member")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out (official)")
    TRANSFERRED_IN = "transferred_in", _("Transferred in")
    TEMPORARILY_OUT = "temporarily_out", _("Transferred out temporarily")
    RETURNED = "returned", _("Returned from temporary transfer")
    EXEMPTED = "exempted", _("Exempted from activities")
    EXEMPTION_LIFTED = "exemption_lifted", _("Exemption lifted")
    DISCIPLINED = "disciplined", _("Disciplined")
    REMOVED = "removed", _("Removed from the roll")
    DIED = "died", _("Died")
    CORRECTED = "corrected", _("Data corrected")


class DisciplineForm(models.TextChoices):
    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    DISMISSAL = "dismissal", _("Dismissal from post")
    EXPULSION = "expulsion", _("Expulsion")


class MemberEvent(models.Model):
    """One dated entry of a member's activity history. Appended by services, never edited."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)  # a kind registered in members/events.py
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    decision = models.CharField(_("decision number"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["effective_date", "id"]
        indexes = [models.Index(fields=["member", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.kind_label}"

    @property
    def kind_label(self) -> str:
        # Imported here: the table of kinds is built on this module.
        from dangvien.members.events import event_label

        return event_label(self.kind)


class Classification(models.TextChoices):
    """Year-end classification of a member (QĐ 366-QĐ/TW, 2025), from the score out of 100."""

    EXCELLENT = "excellent", _("Excellently completed duties")
    GOOD = "good", _("Well completed duties")
    COMPLETED = "completed", _("Completed duties")
    NOT_COMPLETED = "not_completed", _("Did not complete duties")


class MemberEvaluation(models.Model):
    """A member's year-end evaluation, recorded by the cell (one a year; a correction replaces it).
    The classification is stored as decided under the thresholds of the day it was recorded."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.DecimalField(_("score (of 100)"), max_digits=4, decimal_places=1)
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="members_evaluation_once_a_year"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="members_evaluation_score_range"),
        ]
        verbose_name = _("year-end evaluation")
        verbose_name_plural = _("year-end evaluations")

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}: {self.score}"


class FeePayment(models.Model):
    """Party fee (đảng phí) paid by a member for one month, recorded by the cell. `month` is the
    month's first day."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="fee_payments")
    month = models.DateField(_("month"))
    amount = models.PositiveIntegerField(_("amount (VND)"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="members_fee_once_a_month"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="members_fee_positive"),
        ]
        verbose_name = _("party fee payment")
        verbose_name_plural = _("party fee payments")

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%m/%Y}: {self.amount}"
