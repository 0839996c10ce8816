from __future__ import annotations

from django.http import HttpRequest

from dangvien.handbook.display import display_of


def display(request: HttpRequest) -> dict[str, object]:
    """The display modes every page's <html> element carries (base.html)."""
    chosen = display_of(request)
    return {"display": chosen, "display_classes": chosen.classes}
