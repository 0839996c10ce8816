"""Every write of the handbook: activation, the codes cell secretaries issue, assisted
registration, the no-smartphone mark, display preferences and the rights-and-duties text. Each
checks permission in the actor's scope, runs in one transaction and writes an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.accounts.permissions import can, require
from dangvien.accounts.services import user_password_set
from dangvien.core.audit import audit_record
from dangvien.core.text import nfc
from dangvien.handbook import throttle
from dangvien.handbook.display import Display
from dangvien.handbook.models import HANDBOOK_STATUSES, ActivationCode, DisplayPreference, RightsText
from dangvien.handbook.permissions import HANDBOOK_CELL, HANDBOOK_CONTENT
from dangvien.members.models import Member, Status
from dangvien.members.selectors import member_lock_for
from dangvien.members.services import member_update_contact

CODE_DIGITS = 8


class ActivationLocked(Exception):
    """Too many failed activations for this citizen ID or from this address: try again later."""

    def __init__(self, minutes: int):
        super().__init__(f"Activation locked for {minutes} minutes.")
        self.minutes = minutes


def _identity_refused() -> ValidationError:
    # One message for every wrong combination (unknown citizen ID, wrong date or card number, a
    # member who may not use the handbook): nothing tells which part was wrong.
    return ValidationError(_("These details do not match a party member who can activate the handbook. Check "
                             "your citizen ID, date of birth and party card number, or ask your cell secretary "
                             "for a code."), code="no_match")


def _code_refused() -> ValidationError:
    return ValidationError(_("This code is wrong, already used or expired. Ask your cell secretary for a new one."),
                           code="no_match")


# --- codes -------------------------------------------------------------------------------------------


def code_digest(code: str) -> str:
    """The stored form of a code: keyed, so the table alone gives no code back."""
    return hmac.new(settings.SECRET_KEY.encode(), f"handbook-code:{code}".encode(), hashlib.sha256).hexdigest()


def normalize_code(text: str) -> str:
    """A code as typed ("1234 5678", "1234-5678") as its digits."""
    return re.sub(r"[\s.\-]", "", text or "")


def format_code(code: str) -> str:
    return f"{code[:4]} {code[4:]}"


@dataclass(frozen=True)
class IssuedCode:
    """What the secretary's slip shows, once: the code is stored nowhere in clear."""

    member: Member
    code: str
    expires_at: dt.datetime
    username: str  # the member's login name (the one the code will create, if no account exists yet)
    has_account: bool

    @property
    def shown(self) -> str:
        return format_code(self.code)


def _new_code(actor: Any, member: Member) -> IssuedCode:
    """A fresh code for the member; any earlier unused one stops working."""
    ActivationCode.objects.filter(member=member, used_at__isnull=True).delete()
    expires = timezone.now() + dt.timedelta(days=settings.DANGVIEN["ACTIVATION_CODE_DAYS"])
    for _attempt in range(5):
        code = str(secrets.randbelow(10**CODE_DIGITS)).zfill(CODE_DIGITS)
        try:
            with transaction.atomic():
                ActivationCode.objects.create(member=member, digest=code_digest(code), expires_at=expires,
                                              issued_by=actor if getattr(actor, "pk", None) else None)
        except IntegrityError:  # the same digits as another member's live code: draw again
            continue
        account = User.objects.filter(member=member).first()
        return IssuedCode(member=member, code=code, expires_at=expires, has_account=account is not None,
                          username=account.username if account else login_name_for(member))
    raise RuntimeError("Could not draw an unused activation code.")


def _require_handbook_user(member: Member) -> None:
    if member.status not in HANDBOOK_STATUSES:
        raise ValidationError(_("Only official and probationary members who are not exempted use the handbook; "
                                "this member is %(status)s.") % {"status": Status(member.status).label.lower()})


def _cell_member(actor: Any, member: Member) -> Member:
    """The member under a row lock, in the actor's scope (404), where they do the cell's handbook
    work (403)."""
    fresh = member_lock_for(actor, member.pk)
    if not can(actor, HANDBOOK_CELL, fresh.unit):
        raise PermissionDenied(_("You do not have permission to do this for the member."))
    return fresh


def activation_code_issue(*, actor: Any, member: Member) -> IssuedCode:
    """A cell secretary gives a member a one-time code: it activates the handbook for a member
    without an account, and sets a new password for one who has an account (a reset without
    email)."""
    with transaction.atomic():
        member = _cell_member(actor, member)
        _require_handbook_user(member)
        issued = _new_code(actor, member)
        audit_record(actor=actor, action="handbook.code_issue", object_type="member", object_id=member.pk,
                     after={"expires_at": issued.expires_at, "for": "password" if issued.has_account else "activation"},
                     unit_path=member.unit.path)
        return issued


def account_register_assisted(*, actor: Any, member: Member) -> IssuedCode:
    """A cell secretary registers a member on their behalf: the account is created without a
    password, and the member sets one with the code on the slip (at the activation page)."""
    with transaction.atomic():
        member = _cell_member(actor, member)
        _require_handbook_user(member)
        if User.objects.filter(member=member).exists():
            raise ValidationError(_("This member already has an account. Issue a code to set a new password."))
        user = _create_account(member, password=None)
        issued = _new_code(actor, member)
        audit_record(actor=actor, action="handbook.register_assisted", object_type="user", object_id=user.pk,
                     after={"username": user.username, "member": member.pk, "code_expires_at": issued.expires_at},
                     unit_path=member.unit.path)
        return issued


def member_mark_no_smartphone(*, actor: Any, member: Member, expected_version: int) -> Member:
    """The member has no smartphone: the cell leaves them out of the handbook's target. A change
    of the member's contact data (audited, in the history), which the secretary may make."""
    return member_update_contact(actor=actor, member=member, expected_version=expected_version,
                                 changes={"has_smartphone": False})


# --- activation ----------------------------------------------------------------------------------


def login_name_for(member: Member) -> str:
    """A member logs in with their citizen ID, the number they know by heart; without one (or if
    taken by a staff login), with "dv" and the record's number."""
    if member.citizen_id and not User.objects.filter(username=member.citizen_id).exists():
        return member.citizen_id
    return f"dv{member.pk}"


def _create_account(member: Member, password: str | None) -> User:
    username = login_name_for(member)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("The login name %(name)s is taken; ask the system administrator.") % {"name": username})
    user = User(username=username, first_name=member.full_name[:150], member=member)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.MEMBER, unit=member.unit)
    return user


def check_new_password(password: str) -> None:
    """The password rules, checked before anything is looked up: an error about the password must
    not tell whether the identity or the code was right."""
    try:
        validate_password(password)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None


def _member_by_identity(citizen_id: str, date_of_birth: dt.date | None, card_number: str) -> Member | None:
    """The member these three facts describe, if they may activate; None for any mismatch."""
    member = Member.objects.select_related("unit").filter(citizen_id=citizen_id).first() if citizen_id else None
    card = re.sub(r"[\s.\-]", "", card_number or "").upper()
    if (member is None or date_of_birth is None or member.date_of_birth != date_of_birth
            or not member.card_number or not hmac.compare_digest(member.card_number.upper(), card)
            or member.status not in HANDBOOK_STATUSES):
        return None
    return member


def account_activate(*, citizen_id: str = "", date_of_birth: dt.date | None = None, card_number: str = "",
                     code: str = "", password: str, address: str) -> User:
    """A member activates their handbook account and sets its password: with their citizen ID,
    date of birth and party card number, or with a code from their cell secretary (which also
    sets a new password on an account that exists). Failures are counted per citizen ID and per
    client address (handbook.throttle); past the limit, ActivationLocked, whatever is typed."""
    code = normalize_code(code)
    citizen_id = re.sub(r"\s", "", citizen_id or "")
    keys = [throttle.address_key(address)] + ([throttle.citizen_key(citizen_id)] if citizen_id and not code else [])
    if throttle.is_locked(keys):
        raise ActivationLocked(settings.DANGVIEN["ACTIVATION_LOCK_MINUTES"])
    check_new_password(password)
    try:
        with transaction.atomic():
            if code:
                user, action = _activate_with_code(code, password)
            else:
                user, action = _activate_with_identity(citizen_id, date_of_birth, card_number, password)
            audit_record(actor=user, action=action, object_type="user", object_id=user.pk,
                         after={"username": user.username, "member": user.member_id},
                         unit_path=user.member.unit.path if user.member else "")
    except ValidationError as error:
        if getattr(error, "code", None) == "no_match":
            throttle.record_failure(keys)
        raise
    throttle.clear(keys)
    return user


def _activate_with_identity(citizen_id: str, date_of_birth: dt.date | None, card_number: str,
                            password: str) -> tuple[User, str]:
    member = _member_by_identity(citizen_id, date_of_birth, card_number)
    if member is None:
        raise _identity_refused()
    if User.objects.filter(member=member).exists():
        # Only someone who knows all three facts learns this; they cannot take the account over
        # with them (a new password needs the old one, an email link or a secretary's code).
        raise ValidationError(_("You already have an account: log in with your citizen ID. If you forgot the "
                                "password, ask your cell secretary for a code."), code="has_account")
    return _create_account(member, password), "handbook.activate"


def _activate_with_code(code: str, password: str) -> tuple[User, str]:
    found = (ActivationCode.objects.select_for_update().select_related("member__unit")
             .filter(digest=code_digest(code), used_at__isnull=True, expires_at__gt=timezone.now()).first())
    if found is None or found.member.status not in HANDBOOK_STATUSES:
        raise _code_refused()
    member = found.member
    account = User.objects.filter(member=member).first()
    if account is not None and not account.is_active:
        raise _code_refused()  # an account an administrator closed stays closed
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    if account is None:
        return _create_account(member, password), "handbook.activate_with_code"
    # An account that exists (assisted registration, or a forgotten password): the code sets its
    # password, through the accounts service (its own audit row says a password was set).
    user_password_set(actor=account, user=account, password=password)
    return account, "handbook.password_set_with_code"


# --- display and content ---------------------------------------------------------------------------


def display_preference_set(*, actor: Any, display: Display) -> Display:
    """Keep the user's display modes for every device they log in on."""
    with transaction.atomic():
        stored = DisplayPreference.objects.select_for_update().filter(user_id=actor.pk).first()
        before = {"large_text": stored.large_text, "high_contrast": stored.high_contrast} if stored else None
        DisplayPreference.objects.update_or_create(
            user_id=actor.pk, defaults={"large_text": display.large_text, "high_contrast": display.high_contrast})
        audit_record(actor=actor, action="handbook.display_set", object_type="user", object_id=actor.pk,
                     before=before, after={"large_text": display.large_text, "high_contrast": display.high_contrast})
        return display


def rights_text_publish(*, actor: Any, body: str) -> RightsText:
    """Publish a new version of the rights-and-duties text (system administrators)."""
    with transaction.atomic():
        require(actor, HANDBOOK_CONTENT, None)
        text = "\n".join(line.rstrip() for line in nfc(body).splitlines()).strip()
        if not text:
            raise ValidationError({"body": [_("The text is empty.")]})
        last = RightsText.objects.select_for_update().order_by("-version").first()
        published = RightsText.objects.create(version=(last.version + 1) if last else 1, body=text,
                                              published_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="handbook.rights_publish", object_type="rights_text",
                     object_id=published.version, after={"version": published.version, "characters": len(text)})
        return published

