"""The documents library (documents, bookmarks, read receipts, opinions), political study (topics,
quizzes, attempts) and feedback about the app.

Documents and topics are published at a unit for its whole subtree. Opinions, feedback and quiz
attempts carry an idempotency key chosen by the sender's device: a resend after a dropped connection
finds the row the first send made instead of making a second one (unique per author and key).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

IDEMPOTENCY_KEY_LENGTH = 64


class DocumentKind(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    DIRECTIVE = "directive", _("Directive")
    GUIDANCE = "guidance", _("Guidance")
    STUDY_MATERIAL = "study_material", _("Study material")


class Document(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("published at"))
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    number = models.CharField(_("document number"), max_length=50, blank=True)  # e.g. 57-NQ/TW
    title = models.CharField(_("title"), max_length=255)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"), blank=True)
    # Stored under MEDIA_ROOT/library/ with a random name; the name the committee uploaded is kept apart.
    file = models.FileField(_("PDF file"), upload_to="library/", blank=True, max_length=200)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    published_on = models.DateField(_("date"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # core.text.search_key of the number, title, summary and text: accent-insensitive word search.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["unit", "published_on"])]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "document"], name="library_unique_bookmark")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.document_id}"


class ReadReceipt(models.Model):
    """A member opened the document (the first time): what "read by 312 of 413" counts."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="receipts")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "member"], name="library_unique_receipt")]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.document_id}"


def _key_constraint(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["author", "idempotency_key"], condition=~Q(idempotency_key=""), name=name)


class Answered(models.Model):
    """A message to a committee and the committee's answer."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("text"))
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_LENGTH, blank=True)
    created_at = models.DateTimeField()
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Opinion(Answered):
    """A reader's opinion on a document; the publishing committee answers it."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="opinions")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [_key_constraint("library_unique_opinion_key")]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self) -> str:
        return self.text[:60]


class Feedback(Answered):
    """Feedback about the app, answered by a committee over the sender's unit (none: administrators)."""

    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_key_constraint("library_unique_feedback_key")]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return self.text[:60]


class StudyTopic(models.Model):
    """A political study topic: materials (documents) and a short multiple-choice quiz."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("published at"))
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="topics", verbose_name=_("materials"))
    published_on = models.DateField(_("date"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("study topic")
        verbose_name_plural = _("study topics")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    topic = models.ForeignKey(StudyTopic, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)
    correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text[:60]


class QuizAttempt(models.Model):
    """A member's scored attempt at a topic's quiz: the cell's training results."""

    topic = models.ForeignKey(StudyTopic, on_delete=models.CASCADE, related_name="attempts")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)  # question id -> the chosen choice's id
    score = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_LENGTH, blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["topic", "member"])]
        constraints = [_key_constraint("library_unique_attempt_key")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.score}/{self.total}"
