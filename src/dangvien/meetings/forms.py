"""The meetings' page forms: they parse what was typed; every rule is in services.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvien.meetings.models import AttendanceStatus, MeetingKind

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"  # the phone's own date picker

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    topic = forms.CharField(label=_("Topic"), max_length=255)
    place = forms.CharField(label=_("Place"), max_length=255)
    day = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS, widget=DateInput())
    start = forms.TimeField(label=_("Starts at"), input_formats=["%H:%M"], widget=TimeInput())
    end = forms.TimeField(label=_("Ends at"), input_formats=["%H:%M"], widget=TimeInput(), required=False,
                          help_text=_("Optional."))
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("One item a line; more can be added on the meeting's page."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]] | None = None, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        if editing:
            del self.fields["agenda"]

    def starts_ends(self) -> tuple[dt.datetime, dt.datetime | None]:
        data = self.cleaned_data
        starts = timezone.make_aware(dt.datetime.combine(data["day"], data["start"]))
        ends = timezone.make_aware(dt.datetime.combine(data["day"], data["end"])) if data.get("end") else None
        return starts, ends

    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("agenda", "").splitlines() if line.strip()]


def meeting_initial(meeting: Any) -> dict[str, Any]:
    starts = timezone.localtime(meeting.starts_at)
    return {"kind": meeting.kind, "topic": meeting.topic, "place": meeting.place, "day": starts.date(),
            "start": starts.time(), "end": timezone.localtime(meeting.ends_at).time() if meeting.ends_at else None,
            "version": meeting.version}


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=255)
    version = forms.IntegerField(widget=forms.HiddenInput)


class AgendaForm(forms.Form):
    title = forms.CharField(label=_("Agenda item"), max_length=255)
    presenter = forms.CharField(label=_("Presented by"), max_length=120, required=False)


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255, required=False,
                            help_text=_("Optional: the file's or document's name by default."))
    file = forms.FileField(label=_("File"), required=False,
                           help_text=_("PDF, Word, Excel, OpenDocument, JPEG or PNG."))
    document = forms.TypedChoiceField(label=_("Or a library document"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, documents: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "—")] + [(d.pk, d.title) for d in documents]  # type: ignore[attr-defined]


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Guest's name"), max_length=120, required=False)
    member = forms.CharField(label=_("Or a member: card number or citizen ID"), max_length=20, required=False)
    expected = forms.BooleanField(label=_("Counts in attendance (a member of the committee)"), required=False)


class CalendarForm(forms.Form):
    action = forms.ChoiceField(choices=[("create", "create"), ("revoke", "revoke")])


ATTENDANCE_CHOICES = [("", _("Not recorded"))] + list(AttendanceStatus.choices)
