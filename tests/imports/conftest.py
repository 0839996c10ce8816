"""Fixtures of the import and export tests: member files built in the test (tests/files.py)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from tests.files import Formula, write_csv, write_xlsx

__all__ = ["HEADER", "ROW", "Formula", "english_client", "write_csv", "write_xlsx"]

HEADER = ["Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Ngày vào Đảng", "Ngày chính thức", "Mã chi bộ",
          "Trạng thái"]
ROW = ["Nguyễn Văn An", "Nam", "17/05/1980", "064080012345", "02/03/2010", "02/03/2011", "GL-A-01-01", "Chính thức"]


@pytest.fixture
def csv_file(tmp_path) -> Callable[..., pathlib.Path]:
    def make(rows: Sequence[Sequence[Any]], name: str = "members.csv", **kwargs: Any) -> pathlib.Path:
        return write_csv(tmp_path / name, rows, **kwargs)

    return make


@pytest.fixture
def xlsx_file(tmp_path) -> Callable[..., pathlib.Path]:
    def make(rows: Sequence[Sequence[Any]], name: str = "members.xlsx", **kwargs: Any) -> pathlib.Path:
        return write_xlsx(tmp_path / name, rows, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are asserted in English; the default language is Vietnamese.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Uploaded files go under the test's own directory.
    settings.MEDIA_ROOT = tmp_path / "media"


def english_client(client, user):
    """`client` logged in as `user`, asking for English pages."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
