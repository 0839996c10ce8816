"""The meeting page's attendance form, written in Python: one block of radio buttons and a reason
a member, 50 and more on a cell's page, which the secretary reloads while the members check in.
As template loops it was most of the page's time (about 1,500 template nodes); format_html escapes
every value the same way."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from dangvien.meetings.models import AttendanceStatus, CheckInMethod

register = template.Library()


@register.simple_tag
def attendance_roll(rows: list[Any]) -> SafeString:
    statuses = list(AttendanceStatus.choices)
    guest, reason_label, placeholder = _("guest"), _("Reason"), _("Reason (for an absence)")
    items = []
    for row in rows:
        pk = row.member.pk
        attendance = row.attendance
        scanned = ""
        if attendance is not None and attendance.method == CheckInMethod.QR and attendance.checked_in_at:
            scanned = format_html('<p class="help">{}</p>', _("Checked in with the code at %(time)s") % {
                "time": date_format(localtime(attendance.checked_in_at), "H:i")})
        choices = format_html_join("", '<label><input type="radio" name="status_{}" value="{}"{}> {}</label>', (
            (pk, value, " checked" if row.status == value else "", label) for value, label in statuses))
        items.append(format_html(
            '<li><fieldset><legend>{}{}</legend>{}<div class="mt-choices">{}</div>'
            '<label for="reason-{}" class="visually-hidden">{}</label>'
            '<input type="text" id="reason-{}" name="reason_{}" value="{}" placeholder="{}" maxlength="255">'
            '</fieldset></li>',
            row.member.full_name, format_html(' <span class="muted">({})</span>', guest) if not row.expected else "",
            scanned, choices, pk, reason_label, pk, pk, attendance.reason if attendance else "", placeholder))
    return format_html('<ul class="mt-roll">{}</ul>', format_html_join("", "{}", ((item,) for item in items)))
