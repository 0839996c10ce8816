"""Page forms for the member registry. They only parse what a browser sends (dates, numbers,
codes); every rule about the record lives in validation.py and the services, whose errors the
views put back on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from dangvien.core.errors import NotFound
from dangvien.members import validation
from dangvien.members.models import DisciplineForm as DisciplineChoice
from dangvien.members.models import Member
from dangvien.org.models import Unit
from dangvien.org.selectors import cell_for_transfer, unit_get_by_code_for

# Day first as Vietnamese write it, and ISO as machines and <input type=date> send it.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]


class VnDateField(forms.DateField):
    """A date typed as dd/mm/yyyy (or ISO). An impossible date such as 31/02/1960 matches no
    format and gets the 'invalid' message."""

    default_error_messages = {"invalid": _("Enter a real date as dd/mm/yyyy, e.g. 02/09/1975.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault("widget", forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": _("dd/mm/yyyy")}))
        super().__init__(**kwargs)


def _note_field() -> forms.CharField:
    return forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _decision_field() -> forms.CharField:
    return forms.CharField(label=_("Decision number"), required=False, max_length=100,
                           help_text=_("Number and date of the resolution or decision, if any."))


# --- lifecycle events ------------------------------------------------------------------------


class EventForm(forms.Form):
    """Every event form carries the version of the record the user saw, so that a change made
    meanwhile by someone else is refused instead of silently overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any = None, member: Member | None = None, **kwargs: Any) -> None:
        self.actor, self.member = actor, member
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class RecognizeOfficialForm(EventForm):
    official_date = VnDateField(label=_("Official date"))
    decision = _decision_field()
    note = _note_field()


class TransferOutForm(EventForm):
    date = VnDateField(label=_("Date of transfer"))
    destination_unit = forms.CharField(
        label=_("Receiving cell code"), required=False, max_length=32,
        help_text=_("If the receiving cell is on this system, give its code; it will then take the member in."))
    destination = forms.CharField(
        label=_("Destination"), required=False, max_length=255,
        help_text=_("Otherwise name the party organization the member moves to."))
    decision = _decision_field()
    note = _note_field()

    def clean_destination_unit(self) -> Unit | None:
        code = self.cleaned_data["destination_unit"].strip()
        if not code:
            return None
        return cell_for_transfer(code)


class TransferInForm(EventForm):
    date = VnDateField(label=_("Date of arrival"))
    unit = forms.CharField(label=_("Receiving cell code"), max_length=32,
                           help_text=_("A cell you manage."))
    decision = _decision_field()
    note = _note_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.member is not None and self.member.pending_unit:
            self.initial.setdefault("unit", self.member.pending_unit.code)  # the cell the transfer is addressed to

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"].strip()
        try:
            return unit_get_by_code_for(self.actor, code)
        except NotFound:
            raise forms.ValidationError(_("You have no cell with the code %(code)s.") % {"code": code}) from None


class TransferTemporarilyForm(EventForm):
    date = VnDateField(label=_("Start date"))
    destination = forms.CharField(label=_("Attending at"), max_length=255,
                                  help_text=_("The party organization the member attends meanwhile."))
    until = VnDateField(label=_("Until"), required=False)
    decision = _decision_field()
    note = _note_field()


class ReturnForm(EventForm):
    date = VnDateField(label=_("Date of return"))
    note = _note_field()


class ExemptForm(EventForm):
    date = VnDateField(label=_("Exempted from"))
    reason = forms.CharField(label=_("Reason"), max_length=255, help_text=_("Old age, illness..."))
    decision = _decision_field()
    note = _note_field()


class LiftExemptionForm(EventForm):
    date = VnDateField(label=_("Date"))
    decision = _decision_field()
    note = _note_field()


class DisciplineEventForm(EventForm):
    date = VnDateField(label=_("Date of the decision"))
    # Named like the service's argument so that its errors land on this field.
    form = forms.ChoiceField(label=_("Form of discipline"), choices=[("", "—"), *DisciplineChoice.choices])
    decision = _decision_field()
    note = _note_field()


class RemoveForm(EventForm):
    date = VnDateField(label=_("Date"))
    reason = forms.CharField(label=_("Reason"), max_length=255)
    decision = _decision_field()
    note = _note_field()


class RecordDeathForm(EventForm):
    date = VnDateField(label=_("Date of death"))
    note = _note_field()


# --- profile data ----------------------------------------------------------------------------

# The profile in the groups the pages show; together they hold every field a correction may change.
PROFILE_GROUPS: list[tuple[Any, list[str]]] = [
    (_("Identity"), ["full_name", "birth_name", "aliases", "sex", "date_of_birth", "birth_year", "place_of_birth",
                     "hometown", "ethnicity", "religion", "citizen_id", "old_id_number"]),
    (_("Party record"), ["admission_date", "admission_ceremony_date", "official_date", "profile_number",
                         "card_number", "badge_number"]),
    (_("Contact"), ["phone", "has_smartphone", "permanent_residence", "temporary_residence"]),
    (_("Background"), ["education", "political_theory", "professional_qualification", "foreign_language",
                       "occupation_at_admission", "occupation", "service_background"]),
]
# Identifiers are checked by the services after spaces and dots are dropped, so the form lets
# them through longer than the column.
_IDENTIFIERS = {"citizen_id", "old_id_number", "phone", "profile_number", "card_number"}


def member_field(name: str) -> models.Field:
    """A concrete column of Member (its label, blank flag and default form field)."""
    field = Member._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def profile_field(name: str) -> forms.Field:
    model_field = member_field(name)
    label = capfirst(model_field.verbose_name)
    if name in validation.DATE_FIELDS:
        return VnDateField(label=label, required=not model_field.blank)
    if name in _IDENTIFIERS:
        return forms.CharField(label=label, required=False, max_length=40)
    field = model_field.formfield()
    assert field is not None
    if name == "birth_year":
        field.required = False  # taken from the date of birth when that is known
        field.help_text = _("Only needed when the full date of birth is unknown.")
    return field


class ProfileForm(forms.Form):
    """The fields of `names` (profile fields), grouped as PROFILE_GROUPS."""

    names: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.names:
            self.fields[name] = profile_field(name)
        self.fields["note"] = _note_field()

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        out = []
        for title, names in PROFILE_GROUPS:
            fields = [self[n] for n in names if n in self.fields]
            if fields:
                out.append((title, fields))
        return out


class AdmitForm(ProfileForm):
    names = [n for _, group in PROFILE_GROUPS for n in group if n != "official_date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"] = _decision_field()
        self.fields["date_of_birth"].required = True


class CorrectForm(ProfileForm):
    names = [n for _, group in PROFILE_GROUPS for n in group]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)

    def changes(self) -> dict[str, Any]:
        """Only the fields the user changed: untouched legacy values are not re-judged."""
        return {n: self.cleaned_data[n] for n in self.changed_data if n in self.names}


class ContactForm(CorrectForm):
    names = list(validation.CONTACT_FIELDS)


def profile_initial(member: Member, names: list[str]) -> dict[str, Any]:
    return {"version": member.version, **{n: getattr(member, n) for n in names}}
