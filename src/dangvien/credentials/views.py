"""Card pages. Views only parse input, call a selector or a service, and turn the service's errors
into messages on the form; every rule lives in the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvien.accounts.permissions import Permission, can, scope_for
from dangvien.core.forms import put_errors
from dangvien.credentials import forms as card_forms
from dangvien.credentials import services
from dangvien.credentials.models import TAKEN_BACK_REASONS, Card, CardStatus
from dangvien.credentials.permissions import CARD_ISSUE, CARD_REVOKE, CARD_VIEW
from dangvien.credentials.selectors import (
    CardFilter,
    card_get_for,
    card_list,
    cards_of_member,
    latest_portrait,
    latest_portraits,
    member_get_for,
    members_awaiting_cards,
    portrait_get_for,
)
from dangvien.members.models import Member
from dangvien.members.validation import today
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_by_code_for, unit_roots_for

# --- helpers ---------------------------------------------------------------------------------------------


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _put_errors(form: forms.Form, error: ValidationError) -> None:
    stale = _("Someone else changed this card while you were working on it, so nothing was saved. Open "
               "the card again to see where it stands, then redo your change.")
    put_errors(form, error, stale=stale)


def _member_for(request: HttpRequest, member_id: int, perm: Permission) -> Member:
    """The member if the actor sees their cards (404), with `perm` at their cell (403)."""
    member = member_get_for(request.user, member_id)
    if not can(request.user, perm, member.unit):
        raise PermissionDenied(_("You do not have permission to do this with this member's card."))
    return member


def _unit_from_query(request: HttpRequest) -> Unit | None:
    code = request.GET.get("unit", "").strip()
    return unit_get_by_code_for(request.user, code) if code else None


def _require_some_scope(request: HttpRequest) -> None:
    if not scope_for(request.user, CARD_VIEW).has_units:
        raise PermissionDenied(_("You do not see anyone's cards."))


# --- lists -------------------------------------------------------------------------------------------------


@login_required
def card_list_page(request: HttpRequest) -> HttpResponse:
    _require_some_scope(request)
    unit = _unit_from_query(request)
    status = request.GET.get("status", "")
    flt = CardFilter(unit=unit, status=status if status in CardStatus.values else "",
                     query=request.GET.get("q", "").strip()[:100])
    paginator: Paginator[Card] = Paginator(card_list(request.user, flt), settings.DANGVIEN["MEMBER_PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "credentials/list.html", {
        "filter": flt, "page_obj": page, "status_choices": CardStatus.choices,
        "may_issue": scope_for(request.user, CARD_ISSUE).has_units,
    })


@login_required
def pending_page(request: HttpRequest) -> HttpResponse:
    """Members of a unit's subtree sent to production and holding no card: issue them all at once."""
    _require_some_scope(request)
    unit = _unit_from_query(request)
    if unit is None:
        roots = unit_roots_for(request.user)
        unit = roots[0] if len(roots) == 1 else None
    waiting = list(members_awaiting_cards(request.user, unit)[:1000]) if unit else []
    may_issue = unit is not None and can(request.user, CARD_ISSUE, unit)
    form = card_forms.BulkIssueForm(_posted(request), initial={"expected": len(waiting), "day": today()})
    if request.method == "POST":
        if not may_issue or unit is None:
            raise PermissionDenied(_("You do not have permission to issue cards here."))
        if form.is_valid():
            try:
                result = services.cards_issue_bulk(actor=request.user, unit=unit, day=form.cleaned_data["day"],
                                                   expected=form.cleaned_data["expected"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("%(count)s cards issued.") % {"count": len(result.cards)})
                if result.without_photo:
                    messages.warning(request, _("%(count)s members have no photo yet and were left out.")
                                     % {"count": len(result.without_photo)})
                return redirect(f"{request.path}?unit={unit.code}")
    photos = set(latest_portraits([m.pk for m in waiting]))
    return render(request, "credentials/pending.html", {
        "unit": unit, "waiting": waiting, "photos": photos, "may_issue": may_issue, "form": form,
    })


# --- one card ----------------------------------------------------------------------------------------------


@login_required
def card_page(request: HttpRequest, pk: int) -> HttpResponse:
    card = card_get_for(request.user, pk)
    actor, unit = request.user, card.member.unit
    actions = [action for action in CARD_ACTIONS.values()
               if action.applies(card) and can(actor, action.permission, unit)]
    return render(request, "credentials/card.html", {
        "card": card, "member": card.member, "actions": actions,
        "cards": list(cards_of_member(actor, card.member)),
        "taken_back": card.revocation_reason in TAKEN_BACK_REASONS,
    })


@login_required
def card_face(request: HttpRequest, pk: int) -> HttpResponse:
    """The card's faces, front and back, as the card maker prints them (PDF, two pages)."""
    from dangvien.credentials.faces import faces_pdf

    card = card_get_for(request.user, pk)
    response = HttpResponse(faces_pdf([card]), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{card.display_number}.pdf"'
    return response


@login_required
def card_portrait(request: HttpRequest, pk: int) -> HttpResponse:
    card = card_get_for(request.user, pk)
    return HttpResponse(portrait_get_for(request.user, card), content_type="image/jpeg")


@dataclass(frozen=True)
class CardAction:
    slug: str
    title: Any
    form: type[forms.Form]
    service: Callable[..., Card]
    permission: Permission
    statuses: tuple[str, ...]  # the card's statuses it applies to
    grave: bool = False

    def applies(self, card: Card) -> bool:
        return card.status in self.statuses


LIVE = (CardStatus.ACTIVE, CardStatus.SUSPENDED)
CARD_ACTIONS = {a.slug: a for a in [
    CardAction("reissue", gettext_lazy("Re-issue (lost, damaged)"), card_forms.ReissueForm, services.card_reissue,
               CARD_ISSUE, LIVE),
    CardAction("suspend", gettext_lazy("Suspend (reported lost)"), card_forms.SuspendForm, services.card_suspend,
               CARD_REVOKE, (CardStatus.ACTIVE,)),
    CardAction("reinstate", gettext_lazy("Reinstate"), card_forms.ReinstateForm, services.card_reinstate,
               CARD_REVOKE, (CardStatus.SUSPENDED,)),
    CardAction("revoke", gettext_lazy("Revoke"), card_forms.RevokeForm, services.card_revoke, CARD_REVOKE, LIVE,
               grave=True),
]}


@login_required
def card_action(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    action = CARD_ACTIONS.get(slug)
    if action is None:
        raise Http404(_("No such action."))
    card = card_get_for(request.user, pk)
    if not can(request.user, action.permission, card.member.unit):
        raise PermissionDenied(_("You do not have permission to do this with this member's card."))
    form: Any = action.form(_posted(request), initial={"version": card.version, "day": today()})
    if request.method == "POST" and form.is_valid():
        try:
            changed = action.service(actor=request.user, card=card, expected_version=form.cleaned_data["version"],
                                     **form.service_kwargs())
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Recorded: %(action)s.") % {"action": action.title})
            return redirect("credentials:card", pk=changed.pk)
    return render(request, "credentials/card_form.html", {
        "card": card, "member": card.member, "form": form, "title": action.title, "grave": action.grave,
        "applies": action.applies(card),
    })


# --- a member's card and photo ------------------------------------------------------------------------------


@login_required
def member_issue(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_for(request, member_id, CARD_ISSUE)
    form = card_forms.IssueForm(_posted(request), initial={"day": today()})
    if request.method == "POST" and form.is_valid():
        try:
            card = services.card_issue(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Card %(number)s issued.") % {"number": card.display_number})
            return redirect("credentials:card", pk=card.pk)
    return render(request, "credentials/member_form.html", {
        "member": member, "form": form, "title": _("Issue the party card"), "portrait": latest_portrait(member),
    })


@login_required
def member_photo(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_for(request, member_id, CARD_ISSUE)
    form = card_forms.PortraitForm(_posted(request), request.FILES or None, initial={"taken_on": today()})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["photo"]
        limit = int(settings.DANGVIEN["PORTRAIT_MAX_BYTES"])
        try:
            data = upload.read(limit + 1)  # the service refuses what is over the limit
            services.portrait_record(actor=request.user, member=member, data=data,
                                     taken_on=form.cleaned_data["taken_on"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The photo was saved: the member's next card takes it."))
            return redirect("members:detail", pk=member.pk)
    return render(request, "credentials/member_form.html", {
        "member": member, "form": form, "title": _("Card photo"), "upload": True, "portrait": latest_portrait(member),
    })
