"""Unit tree pages: counts over each subtree, scoping, and a query count independent of size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dangvien.members import services
from dangvien.members.models import Status
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _english(client):
    # Assertions below read English messages; the language switch is tested in tests/accounts.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _row(response, unit):
    return next(r for r in response.context["rows"] if r.unit.pk == unit.pk)


def test_tree_counts_roll_up_over_the_subtree(client, world):
    m = world.member_a1
    services.member_exempt(actor=world.admin, member=m, expected_version=m.version, date=dt.date(2026, 1, 1),
                           reason="Tuổi cao")
    make_member(world.cell_a1, full_name="Võ Văn Tám", birth=dt.date(1950, 1, 1), status=Status.OFFICIAL)
    gone = make_member(world.cell_a1, full_name="Hồ Thị Lan", sex="F", birth=dt.date(1955, 1, 1))
    services.member_remove(actor=world.admin, member=gone, expected_version=gone.version, date=dt.date(2026, 1, 1),
                           reason="Bỏ sinh hoạt")
    client.force_login(world.officer_a)
    response = client.get(reverse("units:tree"))
    assert response.status_code == 200
    commune = _row(response, world.commune_a)
    # On the roll: Hà (exempted), Tám (official), Đức (probationary); Lan was removed.
    assert (commune.level, commune.on_roll, commune.official, commune.probationary) == (0, 3, 1, 1)
    cell = _row(response, world.org_a)
    assert (cell.level, cell.on_roll) == (1, 3)
    # Two levels below the root: the cells (level 3 from the province) are reached on their own page.
    assert {r.unit.pk for r in response.context["rows"]} == {world.commune_a.pk, world.org_a.pk,
                                                             world.cell_a1.pk, world.cell_a2.pk}
    html = response.content.decode()
    assert reverse("units:unit", args=[world.cell_a1.pk]) in html
    assert f'{reverse("members:list")}?unit={world.cell_a1.pk}' in html
    assert world.commune_b.name not in html


def test_unit_page_shows_its_subtree_and_breadcrumb(client, world):
    client.force_login(world.province_officer)
    response = client.get(reverse("units:unit", args=[world.org_a.pk]))
    assert [r.unit.pk for r in response.context["rows"]] == [world.org_a.pk, world.cell_a1.pk, world.cell_a2.pk]
    assert [u.pk for u in response.context["ancestors"]] == [world.province.pk, world.commune_a.pk]
    response = client.get(reverse("units:unit", args=[world.cell_a1.pk]))
    assert response.context["can_admit"]
    assert reverse("members:admit") + f"?unit={world.cell_a1.pk}" in response.content.decode()


def test_out_of_scope_unit_is_404(client, world):
    client.force_login(world.officer_a)
    assert client.get(reverse("units:unit", args=[world.commune_b.pk])).status_code == 404
    assert client.get(reverse("units:unit", args=[999999])).status_code == 404


def test_login_required(client, world):
    response = client.get(reverse("units:tree"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("user", ["officer_a", "admin"])
def test_tree_query_count_does_not_grow(client, world, user):
    client.force_login(getattr(world, user))
    tree, unit = reverse("units:tree"), reverse("units:unit", args=[world.org_a.pk])
    before = (_queries(client, tree), _queries(client, unit))
    for c in range(5):
        cell = unit_create(actor=world.admin, kind=UnitKind.CELL, code=f"GL-A-01-Y{c}", name=f"Chi bộ {c}",
                           parent=world.org_a)
        for i in range(12):
            make_member(cell, full_name="Nguyễn Văn Năm", birth=dt.date(1960 + i, 1, 1))
    org = unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-A-02", name="Chi bộ Trạm y tế",
                      parent=world.commune_a)
    make_member(org, full_name="Lý Thị Sáu", sex="F", birth=dt.date(1980, 1, 1))
    assert (_queries(client, tree), _queries(client, unit)) == before
    response = client.get(unit)
    assert _row(response, world.org_a).on_roll == 62


def test_kind_labels_follow_the_unit_name(world):
    from dangvien.org.models import Unit

    def label(kind: str, name: str) -> str:
        return Unit(kind=kind, name=name).kind_label

    with translation.override("en"):
        assert label(UnitKind.COMMUNE, "Đảng bộ phường Pleiku") == "Ward committee"
        assert label(UnitKind.COMMUNE, "Đảng bộ xã Ia Grai") == "Commune committee"
        assert label(UnitKind.COMMUNE, "Đảng bộ đặc khu Phú Quốc") == "Special zone committee"
        assert label(UnitKind.PROVINCE, "Đảng bộ thành phố Huế") == "City committee"
        assert label(UnitKind.PROVINCE, "Đảng bộ tỉnh Gia Lai") == "Provincial committee"
        assert label(UnitKind.CELL, "Chi bộ phường 3") == "Cell"


def test_every_unit_row_offers_its_register_export(client, world):
    client.force_login(world.officer_a)
    html = client.get(reverse("units:tree")).content.decode()
    for unit in (world.commune_a, world.org_a, world.cell_a1):
        for fmt in ("xlsx", "csv"):
            assert reverse("imports:export", args=[unit.pk, fmt]) in html


def test_a_plain_member_lands_on_their_handbook(client, world):
    client.force_login(world.member_user_a1)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("handbook:home")
    page = client.get(reverse("members:detail", args=[world.member_a1.pk])).content.decode()
    assert f'?unit={world.cell_a1.pk}"' not in page  # the cell's member list would be a 404 for them
    client.force_login(world.secretary_a1)
    assert client.get(reverse("home"))["Location"] == reverse("units:tree")
