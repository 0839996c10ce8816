import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield
