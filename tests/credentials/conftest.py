"""The credentials tests' keys and sample card.

`test_keys`: a keyring made once per test worker in a temporary folder, with a fixed passphrase, at
NOW minus one day (its signers sign from then for a year): two issuing authorities, TW (the default)
and GL, each with a chip, phone, status and batch signer under one P-384 root. The fixture points
settings.DANGVIEN["KEYS_DIR"] and DANGVIEN_KEY_PASSPHRASE at it, so `signer_for(...)` and
`trust_list()` answer from it. A test that rotates keys makes a keyring of its own (`fresh_keys`).

`chip_data(**changes)`: a sample card's data (lds.ChipData) with a small real JPEG portrait.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from django.utils import translation
from PIL import Image

from dangvien.campaign.eligibility import SNAPSHOT_STATUSES, Rule
from dangvien.campaign.models import Campaign
from dangvien.campaign.services import campaign_create
from dangvien.credentials.lds import ChipData
from dangvien.credentials.models import Portrait
from dangvien.credentials.services import portrait_record
from dangvien.members.models import Member
from tests.credentials.fixtures import jpeg, send_to_production

# The keyring's fixtures live in keyring.py (a plugin of tests/conftest.py); its names, for the tests.
from tests.credentials.keyring import MADE_AT, TEST_PASSPHRASE, TEST_SCRYPT_N, TestKeys  # noqa: F401
from tests.factories import World, build_world, make_user


@pytest.fixture(scope="session")
def portrait_jpeg() -> bytes:
    """A small real JPEG (48 x 64, a gradient), so that the tests stay fast where they flip every byte."""
    image = Image.new("RGB", (48, 64))
    image.putdata([(x * 5, y * 4, 128) for y in range(64) for x in range(48)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=40)
    return buffer.getvalue()


SAMPLE = ChipData(
    card_number="GL-0012345",
    full_name="Nguyễn Thị Hồng Đào",
    family_name="Nguyễn",
    given_names="Thị Hồng Đào",
    sex="F",
    date_of_birth=dt.date(1984, 9, 2),
    birth_year=1984,
    citizen_id="064184000123",
    place_of_birth="Xã Ia Grai, Gia Lai",
    address="12 Hùng Vương, Phường Pleiku, Gia Lai",
    nationality="VNM",
    issuing_authority="Ban Tổ chức Trung ương",
    issued_on=dt.date(2026, 11, 20),
    expires_on=None,
    admission_date=dt.date(2010, 5, 19),
    official_date=dt.date(2011, 5, 19),
    committee_code="GL.PK",
    status_list_uri="https://the.example/cards/status/1",
    status_index=70_000,
    reissue_count=1,
    portrait_jpeg=b"",
)


@pytest.fixture
def chip_data(portrait_jpeg) -> Callable[..., ChipData]:
    def make(**changes) -> ChipData:
        return replace(SAMPLE, **{"portrait_jpeg": portrait_jpeg, **changes})

    return make


# --- the card lifecycle tests' world (cred-cards) ---

START, DEADLINE = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


@pytest.fixture
def english():
    # The card tests assert messages in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield


@dataclass
class Cards:
    """The world's province under a campaign: member_a1 and member_b1 sent to production with a
    photo each; member_a2 (probationary in the world) is in the campaign too, at stage 0."""

    world: World
    campaign: Campaign
    a1: Member
    a2: Member
    b1: Member
    card_officer_b: object

    def photo(self, member: Member, shade: int = 0) -> Portrait:
        return portrait_record(actor=self.world.admin, member=member, data=jpeg(shade=shade),
                               taken_on=dt.date(2026, 10, 20))


def cards_world(world: World) -> Cards:
    campaign = campaign_create(actor=world.admin, unit=world.province, name="Đổi thẻ 2026", start=START,
                               deadline=DEADLINE, rule=Rule(statuses=SNAPSHOT_STATUSES, require_card=False))
    cards = Cards(world, campaign, world.member_a1, world.member_a2, world.member_b1,
                  make_user("the_b", "card_officer", world.commune_b))
    send_to_production(world.member_a1, world.member_b1)
    cards.photo(world.member_a1)
    cards.photo(world.member_b1, shade=7)
    return cards


@pytest.fixture
def cards(db) -> Cards:
    return cards_world(build_world())
