from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    COMMITTEE_OFFICER = "committee_officer", _("Committee officer")
    CELL_SECRETARY = "cell_secretary", _("Cell secretary")
    CARD_OFFICER = "card_officer", _("Card data officer")
    MEMBER = "member", _("Party member")


class UserManager(DjangoUserManager):
    def _create_user_object(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def]
        # Django's create_user sets the password hash directly, not through set_password.
        user = super()._create_user_object(username, email, password, **extra_fields)
        user.activated_at = timezone.now() if user.has_usable_password() else None
        return user


class User(AbstractUser):
    """A login. What it may do comes from its role assignments, never from is_staff flags alone."""

    member = models.OneToOneField(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="account"
    )
    # When the login got the usable password it has (a member's handbook registration: activation,
    # a secretary's code, a reset); empty while it has none. Kept by set_password,
    # set_unusable_password and the manager's create_user, the only ways a password is set, so
    # "has a usable password" is this column being set: handbook.counting counts registered accounts
    # by it through an index, without reading password hashes. Accounts older than the column took
    # their date_joined (migration 0003).
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta(AbstractUser.Meta):
        indexes = [
            # Members' registered handbook accounts (handbook.counting.registered_accounts, the same
            # condition, no parameter in it: SQLite uses a partial index only for a query that repeats
            # its terms): what the adoption report joins to the members, without reading user rows.
            models.Index(fields=["member", "activated_at"], name="accounts_user_registered",
                         condition=models.Q(is_active=True, member__isnull=False, activated_at__isnull=False)),
        ]

    def set_password(self, raw_password: str | None) -> None:
        """Django's, plus the activation time: set when the password becomes usable, emptied when it
        does not (Django's set_password(None) disables password login). The caller saves the row
        (with this column)."""
        super().set_password(raw_password)
        if raw_password is None:
            self.activated_at = None
        elif self.activated_at is None:
            self.activated_at = timezone.now()

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.activated_at = None


class RoleAssignment(models.Model):
    """Permission = what (role) × where (unit subtree). A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="unique_role_assignment")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit or '*'}"
