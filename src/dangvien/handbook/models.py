"""The electronic handbook (Sổ tay đảng viên điện tử, QĐ 339-QĐ/TW): members' accounts, the codes
cell secretaries issue, the throttle on activation, display preferences and the rights-and-duties
page. A member's own data (record, history, evaluations, fees) stays in the member registry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangvien.members.models import Status

# Who uses the handbook (QĐ 339): official and probationary members, not exempted ones; a member
# temporarily transferred out stays on the home cell's roll.
HANDBOOK_STATUSES = frozenset({Status.OFFICIAL, Status.PROBATIONARY, Status.TEMPORARILY_OUT})


class ActivationCode(models.Model):
    """A one-time code a cell secretary gives a member: it creates the member's account (activation,
    assisted registration) or sets a new password on it (reset without email). Only its keyed
    digest is stored; the code itself is shown once, on the secretary's slip."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "used_at"])]

    def __str__(self) -> str:
        return f"code for member {self.member_id}"


class ActivationFailure(models.Model):
    """One failed activation, under each key it counts against ("cid:<keyed citizen ID>",
    "ip:<address>"). Rows older than the lock window are deleted as new ones arrive."""

    key = models.CharField(max_length=80)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self) -> str:
        return f"{self.key} at {self.at}"


class DisplayPreference(models.Model):
    """Large text and high contrast, kept for the user on every device (a cookie keeps them for
    pages seen before logging in)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    large_text = models.BooleanField(_("large text"), default=False)
    high_contrast = models.BooleanField(_("high contrast"), default=False)

    def __str__(self) -> str:
        return f"display of user {self.user_id}"


class RightsText(models.Model):
    """The rights and duties of a party member, as the handbook shows them. Administrators publish
    a new version; versions are never edited, so what members were shown stays on record."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    body = models.TextField(_("text"), help_text=_("Plain text; a blank line starts a new paragraph."))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-version"]
        verbose_name = _("rights and duties (version)")
        verbose_name_plural = _("rights and duties (versions)")

    def __str__(self) -> str:
        return f"v{self.version}"
