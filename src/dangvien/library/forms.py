"""The library's page forms. They only shape input; the services check it (a service's errors land
back on the form's fields)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangvien.library.models import DocumentKind
from dangvien.library.quiz import CORRECT_MARK
from dangvien.org.models import Unit

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def new_key() -> str:
    """A fresh idempotency key for a form: sending the page's form twice (a resend after a dropped
    connection) records it once."""
    return uuid.uuid4().hex


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{'– ' * obj.depth}{obj.name}"


class PublishForm(forms.Form):
    unit = UnitChoiceField(label=_("Published at"), queryset=Unit.objects.none(),
                           help_text=_("Everyone in this unit and the units below it may read it."))
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    number = forms.CharField(label=_("Document number"), required=False, max_length=50)
    title = forms.CharField(label=_("Title"), max_length=255)
    published_on = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS, required=False,
                                   help_text=_("dd/mm/yyyy; today when left empty."))
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 10}))
    file = forms.FileField(label=_("PDF file"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class TopicForm(forms.Form):
    unit = UnitChoiceField(label=_("Published at"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    documents = forms.ModelMultipleChoiceField(label=_("Materials"), queryset=Unit.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    quiz = forms.CharField(
        label=_("Quiz"), widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One question a block, blocks separated by an empty line: the question on the first "
                    "line, then one answer a line; put %(mark)s before each right answer.") % {"mark": CORRECT_MARK})

    def __init__(self, *args: Any, units: Any, documents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["documents"].queryset = documents  # type: ignore[attr-defined]
