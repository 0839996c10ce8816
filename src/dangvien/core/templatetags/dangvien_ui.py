"""Small template helpers shared by every page."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import QueryDict
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# What inline_static can put in the page, and the element that carries it.
_INLINE_ELEMENTS = {".css": ("style", '<link rel="stylesheet" href="{}">'), ".js": ("script", '<script src="{}"></script>')}


@register.simple_tag(takes_context=True)
def inline_static(context: dict, name: str) -> SafeString:
    """One of the site's own static files (a style sheet or a script) written into the page, under
    the Content-Security-Policy's nonce. On a slow connection every extra file costs a round trip
    (2 s each on DevTools' "Slow 3G"): the style sheet inline lets the page paint with its HTML
    (docs/benchmarks.md, issue 11). Without a nonce (no request in the context) the file is linked
    as before, which 'self' allows."""
    element, fallback = _INLINE_ELEMENTS[Path(name).suffix]
    request = context.get("request")
    lazy_nonce = getattr(request, "csp_nonce", None)  # django-csp's: false until first read, so no "if not"
    if lazy_nonce is None:
        return format_html(fallback, static(name))
    nonce = str(lazy_nonce)  # reading it puts it in the response's policy
    text = _static_text(name) if settings.DEBUG else _static_text_cached(name)
    # The file is ours, from the app's static directory, not user input: safe to write as it is.
    return format_html("<{} nonce=\"{}\">{}</{}>", element, nonce, mark_safe(text), element)  # noqa: S308


def _static_text(name: str) -> str:
    """The file's text, as the static files finders find it (the app's source, not the collected
    copy). It must not close its own element early."""
    path = finders.find(name)
    if not path or isinstance(path, list):
        raise template.TemplateSyntaxError(f"inline_static: no static file {name!r}")
    text = Path(path).read_text(encoding="utf-8")
    element = _INLINE_ELEMENTS[Path(name).suffix][0]
    if f"</{element}" in text.lower():
        raise template.TemplateSyntaxError(f"inline_static: {name!r} contains </{element}")
    return text


# Read once per process (in DEBUG, at every page, so that an edited file shows at once).
_static_text_cached = functools.cache(_static_text)


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
