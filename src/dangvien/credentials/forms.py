"""Page forms for the cards: they parse what a browser sends; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.credentials.models import REISSUE_REASONS, RevocationReason
from dangvien.members.forms import VnDateField


def _note() -> forms.CharField:
    return forms.CharField(label=_("Note"), required=False, max_length=255,
                           help_text=_("The decision's number, who reported the loss..."))


class IssueForm(forms.Form):
    day = VnDateField(label=_("Issued on"))
    note = _note()


class _CardForm(forms.Form):
    """Every change to a card carries the version the user saw: a change made meanwhile is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    day = VnDateField(label=_("Date"))
    note = _note()

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ReissueForm(_CardForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[(r.value, r.label) for r in REISSUE_REASONS])
    field_order = ["reason", "day", "note"]


class RevokeForm(_CardForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=RevocationReason.choices)
    field_order = ["reason", "day", "note"]


class SuspendForm(_CardForm):
    pass


class ReinstateForm(_CardForm):
    pass


class PortraitForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG)"), help_text=_(
        "Head and shoulders, upright, at least 240 × 320 pixels. It is scaled and stored without its metadata."))
    taken_on = VnDateField(label=_("Taken on"))


class BulkIssueForm(forms.Form):
    expected = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    day = VnDateField(label=_("Issued on"))
