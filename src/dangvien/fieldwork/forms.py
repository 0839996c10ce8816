"""Page forms for the field work. They only parse what a browser sends (dates, codes, choices);
every rule lives in services.py, whose errors the views put back on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.campaign.models import Care, Participant, Step, step_number
from dangvien.fieldwork.models import GroupRole, Outcome, WorkingGroup
from dangvien.fieldwork.services import STEPS_AT_VISIT
from dangvien.members.forms import VnDateField


def _code_field(label: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=32, help_text=_("The unit's code, e.g. GL-A."))


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = _code_field(_("Formed at (province or commune)"))


class PersonForm(forms.Form):
    user: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Person"), queryset=None)  # type: ignore[arg-type]
    role = forms.ChoiceField(label=_("Role in the group"), choices=GroupRole.choices, initial=GroupRole.MEMBER)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = lambda user: (  # type: ignore[attr-defined]
            f"{user.get_full_name()} ({user.username})" if user.get_full_name() else user.username)


class AssignForm(forms.Form):
    unit = _code_field(_("Unit"))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Owner"), queryset=None)  # type: ignore[arg-type]
    due_on = VnDateField(label=_("Due on"))
    unit = _code_field(_("Unit"))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class VisitForm(forms.Form):
    """Plan a day, record the visit made with the steps done there, mark the member's care: one
    small form, usable on a phone without JavaScript."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    visited_on = VnDateField(label=_("Visited on"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—"), *Outcome.choices])
    steps = forms.MultipleChoiceField(label=_("Steps done at the visit"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    planned_on = VnDateField(label=_("Plan a visit on"), required=False,
                             help_text=_("With a visit recorded: the next visit."))
    care = forms.ChoiceField(label=_("Needs a home visit because"), required=False, choices=Care.choices)
    group = forms.ModelChoiceField(label=_("Working group"), required=False,
                                   queryset=WorkingGroup.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, participant: Participant, groups: list[WorkingGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the steps still to do, in order: a member declared already is offered the photo.
        self.fields["steps"].choices = [(s.value, s.label) for s in map(Step, STEPS_AT_VISIT)  # type: ignore[attr-defined]
                                        if participant.stage < step_number(s)]
        if len(groups) > 1:
            self.fields["group"].queryset = WorkingGroup.objects.filter(pk__in=[g.pk for g in groups])  # type: ignore[attr-defined]
        else:
            del self.fields["group"]


class VisitPolicyForm(forms.Form):
    elderly_age = forms.IntegerField(label=_("Home visit from the age of"), min_value=0, max_value=150)


class DifficultyForm(forms.Form):
    unit = _code_field(_("Unit"))
    title = forms.CharField(label=_("Difficulty"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
