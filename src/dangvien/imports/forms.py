from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangvien.org.models import Unit

# Above this many managed units the unit is typed as a code instead of picked from a select.
MAX_UNIT_CHOICES = 300


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{'— ' * obj.depth}{obj.name} ({obj.code})"


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Member file (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    def __init__(self, *args: Any, units: QuerySet[Unit], initial_unit: Unit | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.units = units
        choices = list(units.order_by("path").only("pk", "name", "code", "depth", "path")[:MAX_UNIT_CHOICES + 1])
        if initial_unit is None and choices:
            # The officer's own unit, preselected: the top of what they manage, when that is one unit.
            tops = [u for u in choices if not any(u.path.startswith(o.path) and u is not o for o in choices)]
            initial_unit = tops[0] if len(tops) == 1 else None
        help_text = _("Rows go to the cells named in their “Mã chi bộ” column, under this unit.")
        if len(choices) <= MAX_UNIT_CHOICES:
            self.fields["unit"] = UnitChoiceField(queryset=units.order_by("path"), label=_("Import into"),
                                                  help_text=help_text, initial=initial_unit)
        else:
            self.fields["unit_code"] = forms.CharField(label=_("Import into (unit code)"), help_text=help_text,
                                                       initial=initial_unit.code if initial_unit else "")
        self.order_fields(["unit", "unit_code", "file"])

    def clean_unit_code(self) -> Unit:
        code = self.cleaned_data["unit_code"].strip()
        unit = self.units.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("You do not manage a unit with the code “%(code)s”."),
                                        params={"code": code})
        return unit

    def chosen_unit(self) -> Unit:
        return self.cleaned_data.get("unit") or self.cleaned_data["unit_code"]
