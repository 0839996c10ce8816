"""A campaign's field work: the working groups that go to the cells and to members' homes, their
tasks, the home visits they make, and the difficulties units raise to the provincial working group.

A WorkingGroup belongs to one campaign and is formed at a unit (the province's or a commune's
working group). Its people are users (a committee officer, the police card data officers...), each
the group's leader or a member of it; the units assigned to it are subtrees of the campaign's unit,
where its people record home visits. A HomeVisit is one visit to one participant: planned for a day,
then made (the day and the outcome). A Difficulty goes from a unit up to the provincial working
group, which answers it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Members aged this or more on the day need a home visit, unless the campaign says otherwise
# (VisitPolicy): Directive 51 has the elderly collected at home, and the provinces' plans say 75.
DEFAULT_ELDERLY_AGE = 75


class GroupKind(models.TextChoices):
    PROVINCE = "province", _("Provincial working group")
    COMMUNE = "commune", _("Commune working group")


class WorkingGroup(models.Model):
    campaign = models.ForeignKey("campaign.Campaign", on_delete=models.CASCADE, related_name="working_groups")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("formed at"))
    kind = models.CharField(_("kind"), max_length=10, choices=GroupKind.choices)
    name = models.CharField(_("name"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "unit__path", "pk"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")

    def __str__(self) -> str:
        return self.name


class GroupRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    MEMBER = "member", _("Member")


class GroupPerson(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_groups")
    role = models.CharField(_("role in the group"), max_length=10, choices=GroupRole.choices, default=GroupRole.MEMBER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="fieldwork_person_once")]
        ordering = ["group", "role", "user__username"]
        verbose_name = _("working group person")
        verbose_name_plural = _("working group people")

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class GroupUnit(models.Model):
    """A subtree of the campaign's unit the group works in."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "unit"], name="fieldwork_unit_once")]
        ordering = ["group", "unit__path"]
        verbose_name = _("assigned unit")
        verbose_name_plural = _("assigned units")

    def __str__(self) -> str:
        return f"{self.unit} to {self.group}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Task(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due_on = models.DateField(_("due on"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    status = models.CharField(_("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due_on"])]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title


class VisitPolicy(models.Model):
    """The campaign's home-visit settings (a campaign without one uses the defaults)."""

    campaign = models.OneToOneField("campaign.Campaign", on_delete=models.CASCADE, related_name="visit_policy")
    elderly_age = models.PositiveSmallIntegerField(_("home visit from the age of"), default=DEFAULT_ELDERLY_AGE)

    class Meta:
        verbose_name = _("home visit settings")
        verbose_name_plural = _("home visit settings")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.elderly_age}+"


class Outcome(models.TextChoices):
    DATA_COLLECTED = "data_collected", _("Data collected")
    PHOTO_TAKEN = "photo_taken", _("Data collected and photo taken")
    NOT_AT_HOME = "not_at_home", _("Not at home")
    POSTPONED = "postponed", _("Postponed at the member's request")
    IN_HOSPITAL = "in_hospital", _("Member in hospital")
    OTHER = "other", _("Other (see the note)")


class HomeVisit(models.Model):
    """One visit to a member's home: planned (planned_on), then made (visited_on and the outcome).
    A visit made without a plan has no planned day."""

    participant = models.ForeignKey("campaign.Participant", on_delete=models.CASCADE, related_name="home_visits")
    group = models.ForeignKey(WorkingGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits",
                              verbose_name=_("working group"))
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A visit made has its outcome; a plan has neither.
            models.CheckConstraint(condition=models.Q(visited_on__isnull=True, outcome="")
                                   | (models.Q(visited_on__isnull=False) & ~models.Q(outcome="")),
                                   name="fieldwork_visit_outcome_with_day"),
            models.CheckConstraint(condition=models.Q(planned_on__isnull=False) | models.Q(visited_on__isnull=False),
                                   name="fieldwork_visit_planned_or_made"),
        ]
        ordering = ["participant", "pk"]
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")

    def __str__(self) -> str:
        return f"visit to participant {self.participant_id}"


class DifficultyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Difficulty(models.Model):
    """A difficulty a unit raises to the campaign's provincial working group (the group formed at the
    campaign's unit; the committee officers there when it has none yet)."""

    campaign = models.ForeignKey("campaign.Campaign", on_delete=models.CASCADE, related_name="difficulties")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by unit"))
    group = models.ForeignKey(WorkingGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="difficulties", verbose_name=_("addressed to"))
    title = models.CharField(_("difficulty"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=DifficultyStatus.choices,
                              default=DifficultyStatus.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "status"])]
        verbose_name = _("difficulty")
        verbose_name_plural = _("difficulties")

    def __str__(self) -> str:
        return self.title
