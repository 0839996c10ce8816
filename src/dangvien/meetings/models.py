"""Party cell meetings: the schedule registered ahead, the agenda and the documents sent ahead, the
invitations, attendance (QR check-in or the secretary's mark), the minutes, opinions and open votes.

A meeting belongs to one unit: a cell's regular (monthly) and thematic meetings, or a committee's
meeting at the unit the committee leads. It counts as held in the app once its minutes are
approved: that is what the adoption report counts for "cells active in the app".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Regular (monthly)")
    THEMATIC = "thematic", _("Thematic")
    COMMITTEE = "committee", _("Committee")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")  # the minutes are approved
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    topic = models.CharField(_("topic"), max_length=255)
    place = models.CharField(_("place"), max_length=255)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices,
                              default=MeetingStatus.SCHEDULED)
    # When the secretary registered it: a regular meeting is due by the end of the previous month.
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # The secret in the check-in QR shown at the meeting (random, per meeting).
    checkin_token = models.CharField(max_length=43, unique=True)
    held_at = models.DateTimeField(null=True, blank=True)  # when the minutes were approved
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["unit", "starts_at"]),
            models.Index(fields=["status", "starts_at", "unit"]),  # the adoption report: held in a period
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.starts_at:%Y-%m-%d})"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("agenda item"), max_length=255)
    presenter = models.CharField(_("presented by"), max_length=120, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique")]

    def __str__(self) -> str:
        return str(self.title)


class Attachment(models.Model):
    """A document sent ahead of the meeting: a file uploaded for it, or a library document."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to="meetings/", blank=True, max_length=200)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    document = models.ForeignKey("library.Document", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return str(self.title)


class Invitation(models.Model):
    """Who is expected: each member on the cell's roll at scheduling (and members added later), and
    guests (a member of another unit, or a name only)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    guest_name = models.CharField(_("guest"), max_length=120, blank=True)
    is_guest = models.BooleanField(default=False)  # guests do not count in present / total
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="invitation_member_unique",
                                    condition=models.Q(member__isnull=False)),
        ]

    def __str__(self) -> str:
        return str(self.guest_name or self.member_id)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Absent with reason")
    UNEXCUSED = "unexcused", _("Absent without reason")


class CheckInMethod(models.TextChoices):
    QR = "qr", _("QR check-in")
    SECRETARY = "secretary", _("Marked by the secretary")


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("attendance"), max_length=16, choices=AttendanceStatus.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    method = models.CharField(max_length=16, choices=CheckInMethod.choices)
    # When the member scanned the code (an offline scan syncs later and keeps its own time).
    checked_in_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=64, blank=True)  # an offline check-in sent twice counts once

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_member_unique"),
            # A check-in synced from the phone's queue carries its key: sent twice, recorded once.
            models.UniqueConstraint(fields=["member", "idempotency_key"], name="attendance_checkin_idempotent",
                                    condition=~models.Q(idempotency_key="")),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return str(f"{self.member_id}: {self.status}")


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(_("status"), max_length=16, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=255)
    chair = models.CharField(_("chaired by"), max_length=120)
    secretary = models.CharField(_("minutes taken by"), max_length=120)
    # Present / total as the minutes state them, fixed at approval (attendance may be corrected later).
    present_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(default=0)
    conclusions = models.TextField(_("conclusions"), blank=True)
    # Fixed at approval with the counts (empty while a draft, which reads the live attendance and
    # agenda): [{"member_id", "name", "status", "reason"}] and [{"id", "position", "title", "presenter"}].
    fixed_absentees = models.JSONField(default=list, blank=True)
    fixed_agenda = models.JSONField(default=list, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return str(f"minutes of {self.meeting_id}")


class Speech(models.Model):
    """One contribution to the discussion, in order: who spoke on which agenda item, and what."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="speeches")
    position = models.PositiveSmallIntegerField()
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    speaker = models.CharField(_("speaker"), max_length=120)
    text = models.TextField(_("said"))

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return str(self.speaker)


class Comment(models.Model):
    """A member's opinion on the agenda or a document sent ahead, before the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="comments")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attachment = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("opinion"))
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "idempotency_key"], name="meeting_comment_idempotent",
                                    condition=~models.Q(idempotency_key="")),
        ]

    def __str__(self) -> str:
        return str(self.text[:40])


class Vote(models.Model):
    """An open vote and its counts (secret ballots stay on paper)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    question = models.CharField(_("question"), max_length=255)
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    abstentions = models.PositiveIntegerField(_("abstentions"))
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return str(self.question)


class CalendarFeed(models.Model):
    """The secret in a user's calendar feed address (calendar apps send no session cookie)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=43, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.user_id)
