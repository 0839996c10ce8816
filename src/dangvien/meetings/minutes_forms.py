"""The page forms of the minutes, opinions and votes. They only shape input (dates, times, the
discussion's rows); the services check it, and a service's errors land back on the forms."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvien.meetings.minutes_services import MAX_TEXT, MAX_VOTES, SpeechEntry
from dangvien.meetings.models import Minutes

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
TIME_FORMATS = ["%H:%M", "%Hh%M", "%H.%M", "%H:%M:%S"]
BLANK_SPEECH_ROWS = 3  # empty rows offered under the discussion (no script needed to add more)


def new_key() -> str:
    """A fresh idempotency key for an opinion form: sending it twice records once."""
    return uuid.uuid4().hex


class MinutesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    day = forms.DateField(label=_("Date"), input_formats=DATE_FORMATS, help_text=_("dd/mm/yyyy"))
    started = forms.TimeField(label=_("Started at"), input_formats=TIME_FORMATS, help_text=_("hh:mm"),
                              widget=forms.TimeInput(format="%H:%M", attrs={"inputmode": "numeric"}))
    ended = forms.TimeField(label=_("Ended at"), input_formats=TIME_FORMATS, required=False,
                            help_text=_("hh:mm; needed to approve the minutes."),
                            widget=forms.TimeInput(format="%H:%M", attrs={"inputmode": "numeric"}))
    place = forms.CharField(label=_("Place"), max_length=255)
    chair = forms.CharField(label=_("Chaired by"), max_length=120)
    secretary = forms.CharField(label=_("Minutes taken by"), max_length=120)
    conclusions = forms.CharField(label=_("Conclusions"), required=False, max_length=MAX_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("What the meeting decided; needed to approve the minutes."))

    def times(self) -> tuple[dt.datetime, dt.datetime | None]:
        """The start and end as moments in the site's time zone (the end on the same day)."""
        data = self.cleaned_data
        started = timezone.make_aware(dt.datetime.combine(data["day"], data["started"]))
        ended = timezone.make_aware(dt.datetime.combine(data["day"], data["ended"])) if data.get("ended") else None
        return started, ended


def minutes_initial(minutes: Minutes | None, meeting: Any) -> dict[str, Any]:
    """The form's values: the saved minutes, or for new ones what the meeting was scheduled as."""
    if minutes is None:
        start = timezone.localtime(meeting.starts_at)
        return {"version": 0, "day": start.date(), "started": start.time(), "place": meeting.place}
    start = timezone.localtime(minutes.started_at)
    end = timezone.localtime(minutes.ended_at) if minutes.ended_at else None
    return {"version": minutes.version, "day": start.date(), "started": start.time(),
            "ended": end.time() if end else None, "place": minutes.place, "chair": minutes.chair,
            "secretary": minutes.secretary, "conclusions": minutes.conclusions}


class SpeechForm(forms.Form):
    agenda_item = forms.TypedChoiceField(label=_("On the agenda item"), required=False, coerce=int,
                                         empty_value=None)
    speaker = forms.CharField(label=_("Speaker"), required=False, max_length=120)
    text = forms.CharField(label=_("Said"), required=False, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, agenda: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", _("(the meeting as a whole)")), *agenda]  # type: ignore[attr-defined]

    def entry(self) -> SpeechEntry | None:
        """The row as a speech; None for a row left empty (how a speech is taken out)."""
        data = self.cleaned_data
        if not (data.get("speaker") or "").strip() and not (data.get("text") or "").strip():
            return None
        return SpeechEntry(speaker=data.get("speaker") or "", text=data.get("text") or "",
                           agenda_item_id=data.get("agenda_item"))


SpeechFormSet = forms.formset_factory(SpeechForm, extra=0, max_num=200, absolute_max=200, validate_max=True)


def speech_formset(data: Any, speeches: list[Any], agenda: list[tuple[int, str]]) -> Any:
    """The discussion's rows: the saved speeches, then a few empty ones."""
    initial = [{"agenda_item": s.agenda_item_id, "speaker": s.speaker, "text": s.text} for s in speeches]
    initial += [{} for _ in range(BLANK_SPEECH_ROWS)]
    return SpeechFormSet(data, initial=initial if data is None else None, prefix="speech",
                         form_kwargs={"agenda": agenda})


class CommentForm(forms.Form):
    about = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(label=_("Your opinion"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, targets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = {t.key: t for t in targets}
        self.fields["about"].choices = [(t.key, t.label) for t in targets]  # type: ignore[attr-defined]


class VoteForm(forms.Form):
    question = forms.CharField(label=_("What was voted on"), max_length=255)
    agenda_item = forms.TypedChoiceField(label=_("Agenda item"), required=False, coerce=int, empty_value=None)
    votes_for = forms.IntegerField(label=_("For"), min_value=0, max_value=MAX_VOTES,
                                   widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, max_value=MAX_VOTES, initial=0,
                                       widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    abstentions = forms.IntegerField(label=_("Abstentions"), min_value=0, max_value=MAX_VOTES, initial=0,
                                     widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args: Any, agenda: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", _("(none)")), *agenda]  # type: ignore[attr-defined]
