"""Member registry pages. Views only parse input, call a selector or a service, and turn the
service's errors into messages on the form; every rule lives in the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvien.accounts.permissions import Permission, can
from dangvien.core.errors import NotFound
from dangvien.core.forms import put_errors
from dangvien.members import forms as member_forms
from dangvien.members import services, validation
from dangvien.members.events import EventAction, EventType, event_details, recordable_event_types
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.members.permissions import MEMBER_EDIT_CONTACT, MEMBER_MANAGE
from dangvien.members.selectors import ORDERINGS, MemberFilter, MemberPages, member_get_for, member_history
from dangvien.members.selectors import member_list as select_members
from dangvien.org.models import Unit
from dangvien.org.permissions import UNIT_VIEW
from dangvien.org.selectors import unit_get_by_code_for, unit_get_for, units_visible_to

LIST_COLUMNS = ["id", "full_name", "sex", "birth_year", "status", "citizen_id", "unit__id", "unit__name"]
# Above this many visible units the unit filter is a code box instead of a select.
MAX_UNIT_CHOICES = 300

SORT_CHOICES = [
    ("name", gettext_lazy("Name A–Z")),
    ("-name", gettext_lazy("Name Z–A")),
    ("birth", gettext_lazy("Oldest first")),
    ("-birth", gettext_lazy("Youngest first")),
    ("admission", gettext_lazy("Earliest admitted first")),
    ("-admission", gettext_lazy("Latest admitted first")),
]


# --- list ------------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _page_numbers(page: Page) -> list[int | None]:
    """A few numbers around the current page plus the first and last; None marks a gap."""
    last, current = page.paginator.num_pages, page.number
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _unit_filter(request: HttpRequest) -> tuple[Unit | None, list[Unit] | None]:
    """The unit the list is restricted to (from ?unit=<pk> or ?unit_code=) and the units to offer
    in a select (None when there are too many: the page then offers a code box)."""
    actor = request.user
    unit: Unit | None = None
    if code := request.GET.get("unit_code", "").strip():
        unit = unit_get_by_code_for(actor, code)
    elif (pk := _int(request.GET.get("unit"))) is not None:
        unit = unit_get_for(actor, pk)
    choices = list(units_visible_to(actor).order_by("path").only("pk", "name", "depth", "path")
                   [:MAX_UNIT_CHOICES + 1])
    return unit, (choices if len(choices) <= MAX_UNIT_CHOICES else None)


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    """Search and browse. Whatever the page number: one COUNT and one OFFSET/LIMIT query."""
    unit, unit_choices = _unit_filter(request)
    status = request.GET.get("status", "")
    order = request.GET.get("order", "name")
    flt = MemberFilter(
        query=request.GET.get("q", "").strip(), unit=unit,
        status=status if status in Status.values else "",
        order=order if order in ORDERINGS else "name",
    )
    # Only the shown columns: deep pages skip over many rows, and narrow rows make that cheaper.
    rows = MemberPages(select_members(request.user, flt), LIST_COLUMNS)
    # Paginator only counts and slices; its type stub also asks for iteration and int indexing.
    paginator: Paginator[Member] = Paginator(rows, settings.DANGVIEN["MEMBER_PAGE_SIZE"])  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    min_depth = min((u.depth for u in unit_choices), default=0) if unit_choices else 0
    return render(request, "members/list.html", {
        "filter": flt, "page_obj": page, "page_numbers": _page_numbers(page),
        "unit_choices": [(u, "– " * (u.depth - min_depth)) for u in unit_choices] if unit_choices is not None else None,
        "status_choices": Status.choices, "sort_choices": SORT_CHOICES,
        "can_admit": unit is not None and unit.holds_members and can(request.user, MEMBER_MANAGE, unit),
    })


# --- detail ----------------------------------------------------------------------------------


def _recordable(slug: str) -> tuple[EventType, EventAction]:
    """The kind a user records at /members/<id>/events/<slug>/, and how."""
    for event_type in recordable_event_types():
        if event_type.action is not None and event_type.action.slug == slug:
            return event_type, event_type.action
    raise Http404("No such event.")


def _details(event: MemberEvent) -> list[str]:
    """The event's details as short readable lines."""
    lines = event_details(event).describe()
    if event.decision:
        lines.append(_("Decision: %(decision)s") % {"decision": event.decision})
    return lines


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_get_for(request.user, pk)
    events = list(member_history(request.user, pk))
    actor = request.user
    recordable = [t for t in recordable_event_types() if services.member_may_record(actor, member, t.kind)]
    actions = [t.action for t in recordable]
    # How the page shows each: not yet possible (and from when), or ending membership.
    action_rows = [{"action": t.action, "not_before": services.member_event_not_before(member, t.kind),
                    "grave": t.kind in GRAVE_EVENTS} for t in recordable]
    return render(request, "members/detail.html", {
        "member": member,
        "warnings": validation.record_warnings(member),
        "groups": _profile_groups(member),
        "history": [{"event": e, "status_label": _status_label(e.to_status), "details": _details(e),
                     "status_changed": bool(e.to_status) and e.from_status != e.to_status} for e in events],
        "actions": actions,
        "can_correct": can(actor, MEMBER_MANAGE, member.unit),
        "can_edit_contact": can(actor, MEMBER_EDIT_CONTACT, member.unit),
        "action_rows": action_rows,
        "can_view_unit": can(actor, UNIT_VIEW, member.unit),  # a member reading their own record may not
    })


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _display(member: Member, name: str) -> Any:
    value = getattr(member, name)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if name in ("sex", "service_background"):
        return getattr(member, f"get_{name}_display")() if value else ""
    if name == "has_smartphone":
        return {True: _("Yes"), False: _("No")}.get(value, "")
    return value


def _profile_groups(member: Member) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    groups = []
    for title, names in member_forms.PROFILE_GROUPS:
        facts = [(member_forms.member_field(n).verbose_name, _display(member, n)) for n in names]
        if title == member_forms.PROFILE_GROUPS[1][0]:
            facts.insert(0, (_("Cell"), member.unit.name))
            if member.status_date:
                facts.append((_("Status since"), member.status_date.strftime("%d/%m/%Y")))
            if member.temporary_unit:
                facts.append((_("Temporarily attending at"), member.temporary_unit))
            if member.pending_unit:
                facts.append((_("Transfer addressed to"), member.pending_unit.name))
            if member.death_date:
                facts.append((_("Date of death"), member.death_date.strftime("%d/%m/%Y")))
        groups.append((title, [(label, value) for label, value in facts if value not in (None, "")]))
    return groups


# --- writes ----------------------------------------------------------------------------------


def _put_errors(form: forms.Form, error: ValidationError) -> None:
    stale = _("Someone else changed this record while you were working on it, so nothing was saved. "
               "Open the record again to see the current data, then redo your change.")
    put_errors(form, error, stale=stale)


def _warn_saved(request: HttpRequest, member: Member, data: dict[str, Any]) -> None:
    """After a save, what the saved record still has doubtful (stored, not refused: reconciliation
    with the population database resolves it), and an old ID moved out of the citizen ID field."""
    notes = [w.message for w in validation.record_warnings(member)]
    if old_id := validation.old_id_in_citizen_id(data):
        notes.insert(0, _("%(value)s has 9 digits: an old ID (CMND) number, stored as the old ID number.")
                     % {"value": old_id})
    if notes:
        messages.warning(request, " ".join([_("Saved with warnings:"), *notes]))


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one, which must fail validation), else None."""
    return request.POST if request.method == "POST" else None


def _member_for_write(request: HttpRequest, pk: int, perm: Permission) -> Member:
    member = member_get_for(request.user, pk)  # 404 outside the actor's scope
    if not can(request.user, perm, member.unit):
        raise PermissionDenied(_("You do not have permission to change this member."))
    return member


# Events that end membership: shown apart from the others, and confirmed before they are sent.
GRAVE_EVENTS = frozenset({EventKind.REMOVED, EventKind.DIED})


@login_required
def member_event(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    event_type, action = _recordable(kind)
    member = member_get_for(request.user, pk)
    if not services.member_event_permitted(request.user, member, event_type.kind):
        raise PermissionDenied(_("You do not have permission to change this member."))
    form = action.form(_posted(request), initial={"version": member.version}, actor=request.user, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            action.service(actor=request.user, member=member, expected_version=form.cleaned_data["version"],
                           **form.service_kwargs())
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Recorded: %(event)s.") % {"event": action.title})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/event_form.html", {
        "member": member, "form": form, "title": action.title,
        "status_allows": member.status in event_type.allowed_from,
        "not_before": services.member_event_not_before(member, event_type.kind),
        "grave": event_type.kind in GRAVE_EVENTS,
    })


def _correction(request: HttpRequest, pk: int, *, perm: Permission, form_class: type[member_forms.CorrectForm],
                service: Callable[..., Member], title: str) -> HttpResponse:
    member = _member_for_write(request, pk, perm)
    form = form_class(_posted(request), initial=member_forms.profile_initial(member, form_class.names))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("members:detail", pk=member.pk)
        try:
            member = service(actor=request.user, member=member, expected_version=form.cleaned_data["version"],
                             changes=changes, note=form.cleaned_data["note"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            _warn_saved(request, member, changes)
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/profile_form.html", {"member": member, "form": form, "title": title})


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _correction(request, pk, perm=MEMBER_MANAGE, form_class=member_forms.CorrectForm,
                       service=services.member_correct, title=_("Correct the record"))


@login_required
def member_contact(request: HttpRequest, pk: int) -> HttpResponse:
    return _correction(request, pk, perm=MEMBER_EDIT_CONTACT, form_class=member_forms.ContactForm,
                       service=services.member_update_contact, title=_("Update contact details"))


@login_required
def member_admit(request: HttpRequest) -> HttpResponse:
    """Admit a new (probationary) member into the cell given by ?unit=<pk>."""
    unit_id = _int(request.GET.get("unit"))
    if unit_id is None:
        raise NotFound("No unit given.")
    unit = unit_get_for(request.user, unit_id)
    if not can(request.user, MEMBER_MANAGE, unit):
        raise PermissionDenied(_("You do not have permission to admit members here."))
    form = member_forms.AdmitForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = {n: form.cleaned_data[n] for n in form.names}
        try:
            member = services.member_admit(actor=request.user, unit=unit, data=data,
                                           decision=form.cleaned_data["decision"], note=form.cleaned_data["note"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("%(name)s was admitted as a probationary member.") % {"name": member.full_name})
            _warn_saved(request, member, data)
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/profile_form.html", {"unit": unit, "form": form, "title": _("Admit a new member")})

