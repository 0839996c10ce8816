"""Small template helpers shared by every page."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def status_badge(member: Any) -> str:
    """A member's status as a coloured label; the text carries the meaning, the colour only helps."""
    return format_html('<span class="badge badge-{}">{}</span>', member.status, member.get_status_display())


@register.simple_tag(takes_context=True)
def query_with(context: dict, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def form_row_class(field: Any) -> str:
    return "form-row has-error" if field.errors else "form-row"
