import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages and shares are asserted in English unless a test asks for Vietnamese."""
    with translation.override("en"):
        yield
