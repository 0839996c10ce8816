"""Large-text and high-contrast display modes: where the choice is kept and read.

A logged-in user's choice is stored on the server (DisplayPreference) and copied into the session at
login, so pages read it without a query. A cookie keeps it too, for the pages seen before logging in
(the login and activation pages) and on a phone nobody logged in on yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

COOKIE = "dv_display"
SESSION_KEY = "dangvien_display"
LARGE, CONTRAST = "large", "contrast"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600


@dataclass(frozen=True)
class Display:
    large_text: bool = False
    high_contrast: bool = False

    @classmethod
    def parse(cls, value: str | None) -> Display:
        words = set((value or "").split("."))
        return cls(large_text=LARGE in words, high_contrast=CONTRAST in words)

    def stored(self) -> str:
        return ".".join(word for word, on in ((LARGE, self.large_text), (CONTRAST, self.high_contrast)) if on)

    @property
    def classes(self) -> str:
        """The classes of the page's <html> element (site.css styles them)."""
        return " ".join(name for name, on in (("text-large", self.large_text), ("contrast-high", self.high_contrast))
                        if on)


def display_of(request: HttpRequest) -> Display:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and SESSION_KEY in request.session:
        return Display.parse(request.session[SESSION_KEY])
    return Display.parse(request.COOKIES.get(COOKIE))


def load_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On login (connected in handbook.apps): the user's stored choice, if they made one."""
    from dangvien.handbook.models import DisplayPreference

    if request is None or not hasattr(request, "session"):
        return
    stored = DisplayPreference.objects.filter(user_id=user.pk).first()
    if stored is not None:
        request.session[SESSION_KEY] = Display(stored.large_text, stored.high_contrast).stored()
