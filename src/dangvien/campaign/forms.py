"""The pipeline's forms: light, no JavaScript, a date typed as dd/mm/yyyy defaulting to today."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.campaign.models import Care, HoldReason, Step
from dangvien.members.forms import VnDateField
from dangvien.members.validation import today

NOTE_MAX = 255


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=Step.choices)
    day = VnDateField(label=_("Done on"))
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = today()


class IdsField(forms.Field):
    """Record numbers sent as repeated fields (the list's checkboxes). Any number is accepted here:
    the service checks each one, and refuses those not in the campaign or not in the actor's scope."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Tick the members the step was done for."),
                              "invalid": _("The list of members was damaged: reload the page.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not all(isinstance(item, str) and item.isdigit() and len(item) <= 18 for item in value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return [int(item) for item in value]


class BulkStepForm(StepForm):
    participants = IdsField()


class HoldForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the member cannot complete now"), choices=HoldReason.choices)
    note = forms.CharField(label=_("Details"), required=False, max_length=NOTE_MAX)


class UndoForm(forms.Form):
    reason = forms.CharField(label=_("Why the latest step is undone"), max_length=NOTE_MAX)


class CareForm(forms.Form):
    care = forms.ChoiceField(label=_("Needs a home visit because"), choices=Care.choices, required=False)


class StepFileForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=Step.choices)
    day = VnDateField(label=_("Done on (rows without a date)"))
    file = forms.FileField(label=_("Step file (.xlsx, .csv or .parquet)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.parquet"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = today()
