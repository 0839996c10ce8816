"""The form that starts a campaign (the list page's, for committee officers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.campaign.models import Step

DATE_INPUT = ["%d/%m/%Y", "%Y-%m-%d"]


class CampaignCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.CharField(label=_("Unit code"), max_length=32,
                           help_text=_("The committee whose whole subtree takes part, e.g. GL."))
    start = forms.DateField(label=_("Start"), input_formats=DATE_INPUT, help_text=_("dd/mm/yyyy"))
    deadline = forms.DateField(label=_("Deadline"), input_formats=DATE_INPUT, help_text=_("dd/mm/yyyy"))
    headline_step = forms.ChoiceField(label=_("Completed means"), choices=Step.choices, initial=Step.CONFIRMED)
    precision = forms.TypedChoiceField(label=_("Decimals in percentages"), coerce=int, initial=2,
                                       choices=[(n, str(n)) for n in range(4)])

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("name", "start", "deadline", "headline_step", "precision")}
