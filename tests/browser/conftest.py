"""Real-browser tests: Chromium from the system (never downloaded) against pytest-django's
live_server."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls
# made from the test body (building the test data) as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# What the browser's fake camera films: a QR code of this text (the card verifier page's scan test).
CAMERA_QR_TEXT = "DV1:FROM THE CAMERA"


def _camera_video(path: Path) -> Path:
    """One 640 x 480 frame (Y4M, 4:2:0) showing CAMERA_QR_TEXT's QR code, which Chromium's fake camera
    plays in a loop."""
    from dangvien.credentials import qr

    picture = Image.open(io.BytesIO(qr.png(qr.screen_qr(CAMERA_QR_TEXT), scale=6)))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(picture.convert("RGB"), ((640 - picture.width) // 2, (480 - picture.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    chroma = [plane.resize((320, 240)).tobytes() for plane in (blue, red)]
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n" + luma.tobytes() + b"".join(chroma))
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, tmp_path_factory):
    camera = _camera_video(tmp_path_factory.mktemp("camera") / "qr.y4m")
    # A fake camera, allowed without asking: a page that scans reads CAMERA_QR_TEXT.
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": args}


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
