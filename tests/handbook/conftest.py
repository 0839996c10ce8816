import datetime as dt

import pytest

from tests.factories import make_member

ACTIVATE = "/handbook/activate/"
NEW_PASSWORD = "tre-xanh-Ia-Grai-42"


@pytest.fixture
def newcomer(world):
    """An official member of cell A1 with a party card and no account yet."""
    return make_member(world.cell_a1, full_name="Rơ Mah Hlin", sex="M", birth=dt.date(1979, 4, 30),
                       card_number="05123456")


def identity(member, **changes):
    """The activation form filled in with the member's own papers."""
    return {"citizen_id": member.citizen_id, "date_of_birth": member.date_of_birth.strftime("%d/%m/%Y"),
            "card_number": member.card_number, "code": "", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
            **changes}


def with_code(code, **changes):
    return {"citizen_id": "", "date_of_birth": "", "card_number": "", "code": code, "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD, **changes}
