"""Page forms of the handbook: they parse what a browser sends; the services hold the rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvien.members.forms import VnDateField


def _numeric(placeholder: str = "") -> dict[str, str]:
    # A phone shows its number pad; nothing is remembered on a shared phone.
    return {"inputmode": "numeric", "autocomplete": "off", **({"placeholder": placeholder} if placeholder else {})}


class ActivationForm(forms.Form):
    citizen_id = forms.CharField(label=_("Citizen ID number"), required=False, max_length=20,
                                 widget=forms.TextInput(attrs=_numeric()))
    date_of_birth = VnDateField(label=_("Date of birth"), required=False)
    card_number = forms.CharField(label=_("Party card number"), required=False, max_length=24,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}))
    code = forms.CharField(label=_("Code from your cell secretary"), required=False, max_length=20,
                           widget=forms.TextInput(attrs=_numeric("1234 5678")))
    password1 = forms.CharField(label=_("New password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 10 characters, not only digits."))
    password2 = forms.CharField(label=_("New password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("code"):
            missing = [name for name in ("citizen_id", "date_of_birth", "card_number")
                       if not data.get(name) and name not in self.errors]
            if missing:
                for name in missing:
                    self.add_error(name, _("Fill this in, or use a code from your cell secretary instead."))
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class EvaluationForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1930, max_value=2100)
    score = forms.DecimalField(label=_("Score (of 100)"), min_value=0, max_value=100, decimal_places=1,
                               widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1  # the year just ended


_MONTH = re.compile(r"\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*")


class MonthField(forms.CharField):
    """A month typed as mm/yyyy: its first day."""

    default_error_messages = {"invalid": _("Enter the month as mm/yyyy, e.g. 10/2026.")}

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = _MONTH.fullmatch(text)
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match[2]), int(match[1]), 1)


class FeeForm(forms.Form):
    month = MonthField(label=_("Month"), widget=forms.TextInput(attrs={"placeholder": _("mm/yyyy"),
                                                                       "inputmode": "numeric"}))
    amount = forms.IntegerField(label=_("Amount (VND)"), min_value=1,
                                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1000"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = timezone.localdate().strftime("%m/%Y")


class VersionForm(forms.Form):
    """A write on the member record, made on the version the page showed."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
