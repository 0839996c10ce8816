"""Field work pages: working groups (people, units, tasks), my tasks, the home-visit worklist and
the visit form, difficulties. Views parse input, call a selector or a service, and turn a service's
refusal into errors on the form or a message; every rule lives in services.py. Every form works
without JavaScript (the visit form is one small page for a phone on a poor connection)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangvien.accounts.permissions import can, scope_for
from dangvien.campaign.models import Campaign, Care, Participant
from dangvien.campaign.permissions import CAMPAIGN_MANAGE, CAMPAIGN_VIEW
from dangvien.campaign.selectors import campaign_get_for, participant_get_for
from dangvien.core.errors import NotFound
from dangvien.core.forms import put_errors
from dangvien.fieldwork import forms as fieldwork_forms
from dangvien.fieldwork import selectors, services
from dangvien.fieldwork.models import DifficultyStatus, Outcome, Task
from dangvien.fieldwork.permissions import FIELDWORK_MANAGE, FIELDWORK_RAISE
from dangvien.members.validation import today
from dangvien.org.models import Unit
from dangvien.org.selectors import unit_get_by_code_for

WORKLIST_PAGE = 50


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _put_errors(form: forms.Form, error: ValidationError) -> None:
    stale = _("Someone else changed this member's campaign record while you were working on it, so "
               "nothing was saved. Open it again and redo your change.")
    put_errors(form, error, stale=stale)


def _unit_for(request: HttpRequest, code: str, field: str, form: forms.Form) -> Unit | None:
    """The unit with the posted code if the actor sees it; an error on the form otherwise (a hidden
    unit reads as an unknown code)."""
    try:
        return unit_get_by_code_for(request.user, code.strip())
    except NotFound:
        form.add_error(field, _("No unit with this code."))
        return None


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return campaign_get_for(request.user, campaign_id)


def _nav(campaign: Campaign, section: str) -> dict[str, Any]:
    return {"campaign": campaign, "section": section}


# --- working groups ------------------------------------------------------------------------------


@login_required
def groups(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The campaign's working groups the actor sees; committee officers form new ones here."""
    campaign = _campaign(request, campaign_id)
    form = fieldwork_forms.GroupForm(_posted(request))
    if request.method == "POST":
        if not scope_for(request.user, FIELDWORK_MANAGE).has_units:
            raise PermissionDenied(_("You do not have permission to form working groups."))
        if form.is_valid() and (unit := _unit_for(request, form.cleaned_data["unit"], "unit", form)):
            if not can(request.user, FIELDWORK_MANAGE, unit):
                raise PermissionDenied(_("You do not have permission to form a working group there."))
            try:
                group = services.group_form(actor=request.user, campaign=campaign, unit=unit,
                                            name=form.cleaned_data["name"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Working group “%(name)s” formed.") % {"name": group.name})
                return redirect("fieldwork:group", campaign.pk, group.pk)
    rows = selectors.groups_visible_to(request.user, campaign)
    return render(request, "fieldwork/groups.html", {
        **_nav(campaign, "groups"), "groups": rows, "form": form,
        "can_form": scope_for(request.user, FIELDWORK_MANAGE).has_units,
    })


def _group_page(request: HttpRequest, campaign: Campaign, group: Any, **forms_: Any) -> HttpResponse:
    manage = selectors.group_may_manage(request.user, group)
    people = selectors.group_people(group)
    context = {
        **_nav(campaign, "groups"), "group": group, "people": people, "units": selectors.group_units(group),
        "tasks": [(task, selectors.task_overdue(task)) for task in selectors.group_tasks(group)],
        "can_manage": manage, "can_update": manage or selectors.is_group_person(request.user, group),
    }
    if manage:
        context["person_form"] = forms_.get("person_form") or fieldwork_forms.PersonForm(
            candidates=selectors.candidates_for_group(group))
        context["assign_form"] = forms_.get("assign_form") or fieldwork_forms.AssignForm()
        context["task_form"] = forms_.get("task_form") or fieldwork_forms.TaskForm(
            people=selectors.group_users(group), initial={"unit": group.unit.code})
    return render(request, "fieldwork/group.html", context)


@login_required
def group_detail(request: HttpRequest, campaign_id: int, group_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    group = selectors.group_get_for(request.user, campaign, group_id)
    return _group_page(request, campaign, group)


def _group_for_change(request: HttpRequest, campaign_id: int, group_id: int) -> tuple[Campaign, Any]:
    campaign = _campaign(request, campaign_id)
    group = selectors.group_get_for(request.user, campaign, group_id)
    if not selectors.group_may_manage(request.user, group):
        raise PermissionDenied(_("You do not have permission to change this working group."))
    return campaign, group


@login_required
@require_POST
def group_person_add(request: HttpRequest, campaign_id: int, group_id: int) -> HttpResponse:
    campaign, group = _group_for_change(request, campaign_id, group_id)
    form = fieldwork_forms.PersonForm(request.POST, candidates=selectors.candidates_for_group(group))
    if form.is_valid():
        try:
            services.group_person_add(actor=request.user, group=group, user=form.cleaned_data["user"],
                                      role=form.cleaned_data["role"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("%(user)s is now in the group.") % {"user": form.cleaned_data["user"]})
            return redirect("fieldwork:group", campaign.pk, group.pk)
    return _group_page(request, campaign, group, person_form=form)


@login_required
@require_POST
def group_unit_assign(request: HttpRequest, campaign_id: int, group_id: int) -> HttpResponse:
    campaign, group = _group_for_change(request, campaign_id, group_id)
    form = fieldwork_forms.AssignForm(request.POST)
    if form.is_valid() and (unit := _unit_for(request, form.cleaned_data["unit"], "unit", form)):
        try:
            services.group_unit_assign(actor=request.user, group=group, unit=unit)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("%(unit)s is assigned to the group.") % {"unit": unit.name})
            return redirect("fieldwork:group", campaign.pk, group.pk)
    return _group_page(request, campaign, group, assign_form=form)


@login_required
@require_POST
def task_create(request: HttpRequest, campaign_id: int, group_id: int) -> HttpResponse:
    campaign, group = _group_for_change(request, campaign_id, group_id)
    form = fieldwork_forms.TaskForm(request.POST, people=selectors.group_users(group))
    if form.is_valid() and (unit := _unit_for(request, form.cleaned_data["unit"], "unit", form)):
        try:
            services.task_create(actor=request.user, group=group, title=form.cleaned_data["title"],
                                 owner=form.cleaned_data["owner"], due_on=form.cleaned_data["due_on"], unit=unit)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Task added."))
            return redirect("fieldwork:group", campaign.pk, group.pk)
    return _group_page(request, campaign, group, task_form=form)


# --- tasks ---------------------------------------------------------------------------------------


@login_required
def tasks(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """My tasks and my groups' tasks, the overdue ones first."""
    campaign = _campaign(request, campaign_id)
    rows: list[Task] = list(selectors.tasks_for(request.user, campaign))
    overdue = [t for t in rows if selectors.task_overdue(t)]
    rest = [t for t in rows if not selectors.task_overdue(t)]
    return render(request, "fieldwork/tasks.html", {
        **_nav(campaign, "tasks"), "tasks": [(t, True) for t in overdue] + [(t, False) for t in rest],
    })


@login_required
@require_POST
def task_status(request: HttpRequest, campaign_id: int, task_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    task = selectors.task_get_for(request.user, campaign, task_id)
    done = request.POST.get("done") == "1"
    services.task_set_status(actor=request.user, task=task, done=done)  # PermissionDenied → 403
    messages.success(request, _("“%(title)s” is marked done.") % {"title": task.title} if done
                     else _("“%(title)s” is open again.") % {"title": task.title})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else
                    reverse("fieldwork:tasks", args=[campaign.pk]))


# --- home visits ---------------------------------------------------------------------------------


def _reasons(participant: Participant, age: int, threshold: int) -> list[str]:
    reasons = []
    if age >= threshold:
        reasons.append(_("aged %(age)s") % {"age": age})
    if participant.member.status == "exempted":
        reasons.append(_("exempted"))
    if participant.care:
        reasons.append(str(Care(participant.care).label).lower())
    return reasons


@login_required
def visits(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The home-visit worklist of a unit (?unit=CODE; the actor's whole reach without one)."""
    campaign = _campaign(request, campaign_id)
    unit = None
    if code := request.GET.get("unit", "").strip():
        unit = unit_get_by_code_for(request.user, code)  # 404 when hidden
        if not can(request.user, CAMPAIGN_VIEW, unit):
            raise PermissionDenied(_("You do not have permission to see the campaign's members there."))
    day = today()
    threshold = selectors.elderly_age(campaign)
    paginator: Paginator[Participant] = Paginator(selectors.visit_worklist(request.user, campaign, unit, day),
                                                  WORKLIST_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    labels = selectors.group_labels(campaign)
    rows = []
    for participant in page:
        age = selectors.member_age(participant.member, day)
        rows.append({"p": participant, "age": age, "reasons": _reasons(participant, age, threshold),
                     "group": labels.for_unit(participant.unit),
                     "outcome": Outcome(outcome).label if (outcome := getattr(participant, "last_outcome", "")) else ""})
    return render(request, "fieldwork/visits.html", {
        **_nav(campaign, "visits"), "unit": unit, "page_obj": page, "rows": rows, "threshold": threshold,
        "policy_form": fieldwork_forms.VisitPolicyForm(initial={"elderly_age": threshold})
        if can(request.user, CAMPAIGN_MANAGE, campaign.unit) else None,
    })


@login_required
@require_POST
def visit_policy(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    if not can(request.user, CAMPAIGN_MANAGE, campaign.unit):
        raise PermissionDenied(_("You do not have permission to change the campaign's settings."))
    form = fieldwork_forms.VisitPolicyForm(request.POST)
    if form.is_valid():
        try:
            services.visit_policy_set(actor=request.user, campaign=campaign,
                                      elderly_age=form.cleaned_data["elderly_age"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Members aged %(age)s or more are now on the worklist.")
                             % {"age": form.cleaned_data["elderly_age"]})
    else:
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    return redirect("fieldwork:visits", campaign.pk)


def _participant(request: HttpRequest, campaign: Campaign, participant_id: int) -> Participant:
    participant = participant_get_for(request.user, participant_id)
    if participant.campaign_id != campaign.pk:
        raise NotFound(_("No such member in the campaign."))
    return participant


@login_required
def visit_form(request: HttpRequest, campaign_id: int, participant_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    participant = _participant(request, campaign, participant_id)
    if not selectors.visit_permitted(request.user, participant):
        raise PermissionDenied(_("You do not have permission to record home visits for this member."))
    groups_here = selectors.visit_groups_for(request.user, participant)
    form = fieldwork_forms.VisitForm(_posted(request), participant=participant, groups=groups_here,
                                     initial={"version": participant.version, "care": participant.care})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.home_visit_record(
                actor=request.user, participant=participant, expected_version=data["version"],
                group=data.get("group"), planned_on=data["planned_on"], visited_on=data["visited_on"],
                outcome=data["outcome"], note=data["note"], steps=data["steps"],
                care=data["care"] if data["care"] != participant.care else None)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Saved for %(name)s.") % {"name": participant.member.full_name})
            worklist = reverse("fieldwork:visits", args=[campaign.pk])
            return redirect(f"{worklist}?{urlencode({'unit': participant.unit.code})}")
    day = today()
    return render(request, "fieldwork/visit_form.html", {
        **_nav(campaign, "visits"), "participant": participant, "member": participant.member,
        "age": selectors.member_age(participant.member, day), "form": form, "today": day,
        "visits": selectors.participant_visits(participant)[:5],
        "plan": selectors.open_plan(participant),
    })


# --- difficulties --------------------------------------------------------------------------------


@login_required
def difficulties(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The difficulties the actor sees (by status), the form to raise one, and answers."""
    campaign = _campaign(request, campaign_id)
    may_raise = scope_for(request.user, FIELDWORK_RAISE).has_units
    form = fieldwork_forms.DifficultyForm(_posted(request), initial={"unit": selectors.home_unit_code(request.user, campaign)})
    if request.method == "POST":
        if not may_raise:
            raise PermissionDenied(_("You do not have permission to raise difficulties."))
        if form.is_valid() and (unit := _unit_for(request, form.cleaned_data["unit"], "unit", form)):
            if not can(request.user, FIELDWORK_RAISE, unit):
                raise PermissionDenied(_("You do not have permission to raise difficulties for this unit."))
            try:
                services.difficulty_raise(actor=request.user, campaign=campaign, unit=unit,
                                          title=form.cleaned_data["title"],
                                          description=form.cleaned_data["description"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("The difficulty was sent to the provincial working group."))
                return redirect("fieldwork:difficulties", campaign.pk)
    status = request.GET.get("status", "")
    status = status if status in DifficultyStatus.values else ""
    rows = selectors.difficulties_visible_to(request.user, campaign, status)
    return render(request, "fieldwork/difficulties.html", {
        **_nav(campaign, "difficulties"), "rows": [(d, services.difficulty_may_close(request.user, d)) for d in rows],
        "form": form if may_raise else None, "status": status, "status_choices": DifficultyStatus.choices,
        "can_answer": selectors.difficulty_may_answer(request.user, campaign),
        "answer_form": fieldwork_forms.AnswerForm(),
    })


@login_required
@require_POST
def difficulty_answer(request: HttpRequest, campaign_id: int, difficulty_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    found = selectors.difficulty_get_for(request.user, campaign, difficulty_id)
    form = fieldwork_forms.AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the answer."))
    else:
        try:
            services.difficulty_answer(actor=request.user, difficulty=found, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The answer was sent."))
    return redirect(f"{reverse('fieldwork:difficulties', args=[campaign.pk])}#difficulty-{found.pk}")


@login_required
@require_POST
def difficulty_close(request: HttpRequest, campaign_id: int, difficulty_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    found = selectors.difficulty_get_for(request.user, campaign, difficulty_id)
    services.difficulty_close(actor=request.user, difficulty=found)
    messages.success(request, _("The difficulty is closed."))
    return redirect("fieldwork:difficulties", campaign.pk)
