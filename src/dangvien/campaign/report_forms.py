"""The form that starts a campaign (the list page's, for committee officers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
from dangvien.campaign.models import Step
from dangvien.members.models import Status

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
    # The eligibility rule; the defaults are Directive 51's (campaign.eligibility.Rule).
    statuses = forms.MultipleChoiceField(
        label=_("Eligible statuses"), widget=forms.CheckboxSelectMultiple,
        choices=[(status, Status(status).label) for status in SNAPSHOT_STATUSES],
        initial=list(Rule().statuses),
        help_text=_("Directive 51: official members, the exempted and those attending elsewhere for a while; "
                    "probationary members get their card on recognition as official."))
    require_card = forms.BooleanField(label=_("Only members who already hold a party card"), required=False,
                                      initial=Rule().require_card)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        rule = Rule(statuses=tuple(data["statuses"]), require_card=data["require_card"])
        return {**{k: data[k] for k in ("name", "start", "deadline", "headline_step", "precision")}, "rule": rule}
