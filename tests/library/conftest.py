import pytest
from django.utils import translation

from tests.library.fixtures import Library, build_library


@pytest.fixture(autouse=True)
def _english():
    # Services word their refusals in the active language; these tests read the English ones.
    with translation.override("en"):
        yield


@pytest.fixture
def lib(db) -> Library:
    return build_library()
