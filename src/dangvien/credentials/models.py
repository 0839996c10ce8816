"""The chip party card as a record: each card issued to a member, the token status lists their
statuses are published in, the member's card photo, and the counters card numbers are drawn from.

A member holds at most one live card (active or suspended). A card never changes its number, its
status-list entry or its photo once issued: a re-issue after loss or damage revokes the old card and
issues a new one that keeps the member's number with the re-issue counter one higher
(docs/credentials.md). Cards are never deleted: a revoked card stays revoked in its status list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


# The card still in the member's hands and answering for them: at most one per member.
LIVE_STATUSES = (CardStatus.ACTIVE, CardStatus.SUSPENDED)

# The 2-bit value a status takes in a token status list (draft-ietf-oauth-status-list: 0 valid,
# 1 invalid, 2 suspended).
STATUS_LIST_VALUES = {CardStatus.ACTIVE: 0, CardStatus.REVOKED: 1, CardStatus.SUSPENDED: 2}


class RevocationReason(models.TextChoices):
    """Why a card stopped answering for its holder."""

    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    DATA_CHANGED = "data_changed", _("Data on the card changed")
    EXPELLED = "expelled", _("Member expelled")
    REMOVED = "removed", _("Member removed from the roll")
    DECEASED = "deceased", _("Member deceased")
    ISSUED_IN_ERROR = "issued_in_error", _("Issued in error")


# The reasons for which a replacement is issued (card_reissue), and those the member hook applies.
REISSUE_REASONS = (RevocationReason.LOST, RevocationReason.DAMAGED, RevocationReason.DATA_CHANGED)
# The cell takes the card back from an expelled or removed member; the family keeps a dead member's.
TAKEN_BACK_REASONS = (RevocationReason.EXPELLED, RevocationReason.REMOVED)


class StatusList(models.Model):
    """One token status list: `size` two-bit entries, published at `uri`. A card's entry is drawn at
    random among the free ones (never reused), so a card's index tells nothing about when it was
    issued or who holds the neighbouring entries; a new list opens once `used` passes the fill
    threshold (settings.DANGVIEN["STATUS_LIST_FILL"])."""

    uri = models.CharField(_("published at"), max_length=255, unique=True)
    size = models.PositiveIntegerField(_("entries"))
    used = models.PositiveIntegerField(_("entries handed out"), default=0)
    full = models.BooleanField(default=False)  # no new index is drawn from it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return self.uri


class PortraitSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Photo step of the card exchange")
    UPLOAD = "upload", _("Uploaded by a card officer")


class Portrait(models.Model):
    """A member's card photo: a JPEG re-encoded on the way in (metadata stripped, scaled into
    PORTRAIT_BOX). The member's latest is the one a new card gets; a card keeps the one it was
    issued with. Kept in the database with the record: a chip image is a few kilobytes, and a
    production batch reads thousands at once."""

    # A photo goes with its member's record (a card that uses it protects it).
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    jpeg = models.BinaryField(editable=False)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(_("source"), max_length=16, choices=PortraitSource.choices)
    taken_on = models.DateField(_("taken on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["member", "-taken_on", "-id"], name="credentials_portrait_latest")]
        verbose_name = _("card photo")
        verbose_name_plural = _("card photos")

    def __str__(self) -> str:
        return f"photo {self.pk} of member {self.member_id}"


class ProductionBatch(models.Model):
    """A production run sent to the card maker: the cards of a unit's subtree issued and not yet in a
    batch, their print fields and chip files, a manifest, signed and encrypted (issue 13, item 4).
    Built in the background by a `jobs.Job` (its result file is the encrypted batch); a card belongs
    to at most one batch (Card.batch), so the next run takes the cards issued since."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    job = models.OneToOneField("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    card_count = models.PositiveIntegerField(default=0)
    manifest_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.card_count} cards)"


class Card(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    # The member's number for life: a re-issued card keeps it, with `reissue_count` one higher.
    number = models.CharField(_("card number"), max_length=32)
    reissue_count = models.PositiveSmallIntegerField(_("re-issue"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    issued_on = models.DateField(_("issued on"))
    # The committee whose name the card bears (the province at issue): the chip's issuing authority.
    authority = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issuing committee"))
    portrait = models.ForeignKey(Portrait, on_delete=models.PROTECT, related_name="cards")
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="cards")
    status_index = models.PositiveIntegerField()
    # Suspension, revocation: when, why, and who decided (the decision's number, if any).
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason"), max_length=20, choices=RevocationReason.choices, blank=True,
                                         default="")
    status_note = models.CharField(_("note"), max_length=255, blank=True)
    # The card this one replaced (a re-issue): `replaced_by` on the old one. RESTRICT, not PROTECT:
    # a card goes only with its replacement (the demo's reset deletes them all at once).
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.RESTRICT,
                                    related_name="replaced_by")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # The production batch that sent it to the card maker (none yet: the next run takes it).
    batch = models.ForeignKey(ProductionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic concurrency, as on members: every write checks and bumps it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status_list", "status_index"], name="credentials_card_status_entry"),
            models.UniqueConstraint(fields=["number", "reissue_count"], name="credentials_card_number_issue"),
            models.UniqueConstraint(fields=["member"], condition=Q(status__in=LIVE_STATUSES),
                                    name="credentials_card_one_live_per_member"),
        ]
        indexes = [models.Index(fields=["member", "status"]), models.Index(fields=["status_list", "status"])]
        verbose_name = _("party card")
        verbose_name_plural = _("party cards")

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """The number as printed: a re-issued card shows its re-issue after a dot (12345678.1)."""
        return f"{self.number}.{self.reissue_count}" if self.reissue_count else self.number

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def status_value(self) -> int:
        return STATUS_LIST_VALUES[CardStatus(self.status)]


class CardNumberCounter(models.Model):
    """The next sequence number of a card number scheme in one series (a province's, or the
    nation's): locked while a number is drawn, and moved in the same transaction as the card that
    takes it, so numbers are handed out without gaps and never twice."""

    scheme = models.CharField(max_length=40)
    series = models.CharField(max_length=16)
    next_value = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "series"], name="credentials_counter_series")]

    def __str__(self) -> str:
        return f"{self.scheme}/{self.series}: {self.next_value}"
