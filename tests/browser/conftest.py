"""Real-browser tests: Chromium from the system (never downloaded) against pytest-django's
live_server."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls
# made from the test body (building the test data) as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Vietnamese browser, as most users have; the language switch test changes it from the page.
    return {**browser_context_args, "locale": "vi-VN"}



@pytest.fixture(autouse=True)
def _no_blocked_content(page):
    """Any script or style the Content-Security-Policy blocks fails the test: the page would be
    broken for users."""
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield
    assert not blocked, blocked
