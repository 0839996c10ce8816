"""The import page: the officer's unit preselected when they manage one, a header-only file refused
with its reason."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from dangvien.imports.reading import read_member_file
from tests.imports.conftest import HEADER, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def test_the_only_unit_is_preselected(client: Client, world):
    client.force_login(world.officer_a)
    form = client.get("/imports/new/").context["form"]
    assert form["unit"].value() == world.commune_a.pk


def test_an_officer_of_several_units_chooses(client: Client, world):
    from dangvien.accounts.models import Role, RoleAssignment

    RoleAssignment.objects.create(user=world.officer_a, role=Role.COMMITTEE_OFFICER, unit=world.commune_b)
    client.force_login(world.officer_a)
    assert client.get("/imports/new/").context["form"]["unit"].value() is None


@pytest.mark.parametrize("write", [write_csv, write_xlsx])
def test_a_header_only_file_is_refused_with_its_reason(tmp_path, write):
    path = tmp_path / ("empty.csv" if write is write_csv else "empty.xlsx")
    write(path, [HEADER])
    with translation.override("en"):
        parsed = read_member_file(path)
    assert parsed.rows == []
    assert [e.message for e in parsed.file_errors] == [
        "The file has no data rows: there is a header but no member under it."]
