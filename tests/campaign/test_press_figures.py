"""The figures of the press (Gia Lai, 2025): three communes at 1,718/1,718, 617/646 and 629/629 and
the province at 138,263/141,794, as the report and its page show them in both languages."""

import re

import pytest
from django.test import Client

from dangvien.campaign.models import Campaign
from dangvien.campaign.reports import campaign_report
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.campaign.fixtures import bare_campaign, bulk_members, bulk_participants
from tests.factories import World, build_world
from tests.shared import built_once

# One worker builds the 141,794 members once for the module (`shared`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("campaign-press")]

CONFIRMED = 4  # stage of "confirmed", the headline step
# (code, name, eligible, completed); the fourth commune holds the rest of the province.
COMMUNES = [
    ("GL-C1", "Đảng bộ xã Ia Hrú", 1718, 1718),
    ("GL-C2", "Đảng bộ xã Ia Pia", 646, 617),
    ("GL-C3", "Đảng bộ xã Ia Ko", 629, 629),
    ("GL-C4", "Đảng bộ phường Diên Hồng", 141794 - 1718 - 646 - 629, 138263 - 1718 - 617 - 629),
]


def _build_press() -> tuple[World, int]:
    """The world, the campaign and the press's communes."""
    world = build_world()
    campaign = bare_campaign(world.province)
    for code, name, eligible, completed in COMMUNES:
        commune = unit_create(actor=world.admin, kind=UnitKind.COMMUNE, code=code, name=name, parent=world.province)
        cell = unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code=f"{code}-01", name=f"Chi bộ {name}",
                           parent=commune)
        bulk_members(cell, eligible)
        # Done: some handed over, the rest confirmed; not done: some compared, the rest not started.
        bulk_participants(campaign, cell, stages=[(completed // 2, 7), (completed - completed // 2, CONFIRMED),
                                                  ((eligible - completed) // 2, 3),
                                                  (eligible - completed - (eligible - completed) // 2, 0)])
    return world, campaign.pk


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, _build_press)


@pytest.fixture
def world(shared, db):
    return shared[0]


@pytest.fixture
def press(shared, db):
    """The campaign read afresh: the tests change its precision."""
    return Campaign.objects.get(pk=shared[1])


def _shares(report, language):
    return {row.unit.code: row.figures.share(language) for row in report.rows}


def test_the_province_and_its_communes_as_the_press_counts(world, press):
    report = campaign_report(world.province_officer, press, world.province)
    assert report.figures.share("en") == "138,263/141,794 = 97.51%"
    assert report.figures.share("vi") == "138.263/141.794 = 97,51%"
    assert (report.figures.eligible, report.figures.completed, report.figures.remaining) == (141794, 138263, 3531)
    assert _shares(report, "en") == {"GL-C1": "1,718/1,718 = 100%", "GL-C2": "617/646 = 95.51%",
                                     "GL-C3": "629/629 = 100%", "GL-C4": "135,299/138,801 = 97.48%",
                                     "GL-A": "0/0 = —", "GL-B": "0/0 = —"}
    press.precision = 1
    report = campaign_report(world.province_officer, press, world.province)
    assert _shares(report, "en")["GL-C2"] == "617/646 = 95.5%"
    assert _shares(report, "vi")["GL-C2"] == "617/646 = 95,5%"
    press.precision = 0
    report = campaign_report(world.province_officer, press, world.province)
    assert _shares(report, "en")["GL-C2"] == "617/646 = 96%"
    assert report.figures.share("en") == "138,263/141,794 = 98%"


def test_ranking_puts_full_communes_first_together(world, press):
    report = campaign_report(world.province_officer, press, world.province)
    assert [(row.unit.code, row.rank) for row in report.rows] == [
        ("GL-C1", 1), ("GL-C3", 1), ("GL-C4", 3), ("GL-C2", 4), ("GL-A", None), ("GL-B", None)]


def _texts(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["138,263/141,794 = 97.51%", "1,718/1,718 = 100%", "617/646 = 95.5%", "629/629 = 100%"]),
    ("vi", ["138.263/141.794 = 97,51%", "1.718/1.718 = 100%", "617/646 = 95,5%", "629/629 = 100%"]),
])
def test_the_page_shows_the_press_strings(world, press, language, expected):
    client = Client(headers={"accept-language": language})
    client.force_login(world.province_officer)
    page = _texts(client.get(f"/campaigns/{press.pk}/?unit=GL").content.decode())
    assert "138,263/141,794 = 97.51%" in page if language == "en" else "138.263/141.794 = 97,51%" in page
    press.precision = 1
    press.save()
    page = _texts(client.get(f"/campaigns/{press.pk}/?unit=GL").content.decode())
    for text in expected[1:]:
        assert text in page, text
    press.precision = 0
    press.save()
    page = _texts(client.get(f"/campaigns/{press.pk}/").content.decode())
    assert "617/646 = 96%" in page
