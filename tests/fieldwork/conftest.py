import pytest

from tests.fieldwork.fixtures import Field, build_field


@pytest.fixture
def field(world) -> Field:
    return build_field(world)
