"""Personal names are names: hostile text is refused on every path (service and page forms, API,
import), with a specific message; real Vietnamese and ethnic-minority names are kept; apostrophes
fold in search."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from dangvien.imports.services import import_plan
from dangvien.members.models import Member
from dangvien.members.selectors import MemberFilter, member_list
from dangvien.members.services import member_correct
from tests.factories import make_member
from tests.imports.test_services import new_values, parsed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield

HOSTILE = {
    "<script>alert('x')</script>": "symbols or emoji (“<”)",
    "Robert'); DROP TABLE members;--": "not “)”",
    "Nguyễn\u200bVăn An": "U+200B",
    "Nguyễn Văn \u202eAn": "U+202E",
    "Lê Thị Hoa 🌸": "symbols or emoji (“🌸”)",
    "Trần Văn \u2066An\u2069": "U+2066",
    "Phạm Văn Số 1": "digits",
}
REAL = ["Ksor H'Bơ", "Rơ Mah Hlin", "Y Ngông Niê Kdăm", "Nguyễn Thị Hoà", "Âu Dương Phong", "H'Hen Niê",
        "Nguyễn-Trần Bảo Ngọc", "Lò Văn Á", "Đinh Thị Ánh"]


@pytest.mark.parametrize(("name", "reason"), HOSTILE.items())
def test_hostile_names_are_refused_by_the_service(world, name, reason):
    member = world.member_a1
    with pytest.raises(ValidationError) as error:
        member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                       changes={"full_name": name})
    assert any(reason in message for message in error.value.message_dict["full_name"])
    assert Member.objects.get(pk=member.pk).full_name == member.full_name


@pytest.mark.parametrize(("name", "reason"), HOSTILE.items())
def test_hostile_names_are_refused_by_the_api(world, client: Client, name, reason):
    client.force_login(world.officer_a)
    member = world.member_a1
    response = client.patch(f"/api/members/{member.pk}", {"version": member.version, "changes": {
        "full_name": name}}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert reason in " ".join(response.json()["errors"]["full_name"])
    assert Member.objects.get(pk=member.pk).full_name == member.full_name


@pytest.mark.parametrize(("name", "reason"), HOSTILE.items())
def test_hostile_names_are_refused_by_the_page(world, client: Client, name, reason):
    from dangvien.members.forms import CorrectForm
    from tests.test_scope_matrix import _page_form_data

    client.force_login(world.officer_a)
    client.cookies["django_language"] = "en"
    member = Member.objects.select_related("unit").get(pk=world.member_a1.pk)
    response = client.post(f"/members/{member.pk}/edit/", _page_form_data(CorrectForm, member, full_name=name),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the form again, with the message
    assert escape(reason) in response.content.decode()
    assert Member.objects.get(pk=member.pk).full_name == member.full_name


@pytest.mark.parametrize(("name", "reason"), HOSTILE.items())
def test_hostile_names_are_refused_by_the_import(world, name, reason):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a,
                       parsed=parsed(new_values(world.cell_a1, full_name=name)))
    assert plan.to_write == 0
    assert [r.line for r in plan.rejections] == [2]
    assert any(reason in r.message for r in plan.rejections)


@pytest.mark.parametrize("field", ["birth_name", "aliases"])
def test_every_name_field_is_checked(world, field):
    member = world.member_a1
    with pytest.raises(ValidationError) as error:
        member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                       changes={field: "Nguyễn \u202eAn"})
    assert "U+202E" in error.value.message_dict[field][0]


def test_aliases_may_be_a_list(world):
    member = world.member_a1
    member = member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                            changes={"aliases": "Hai Hà, Út; Bé Ba"})
    assert member.aliases == "Hai Hà, Út; Bé Ba"


@pytest.mark.parametrize("name", REAL)
def test_real_names_are_kept(world, name):
    member = make_member(world.cell_a1, full_name=name)
    assert member.full_name == name
    plan = import_plan(actor=world.officer_a, unit=world.commune_a,
                       parsed=parsed(new_values(world.cell_a1, full_name=name)))
    assert plan.rejections == [] and plan.to_write == 1


def test_the_curly_apostrophe_is_stored_straight(world):
    member = make_member(world.cell_a1, full_name="Ksor H’Bơ")
    assert member.full_name == "Ksor H'Bơ"


# --- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Ksor H'Ngăn", "ksor h ngan", "ksor hngan", "hngan", "H’Ngăn", "h'ngan",
                                   "ngan", "ksor"])
def test_apostrophe_names_are_found_however_typed(world, query):
    her = make_member(world.cell_a1, full_name="Ksor H'Ngăn", sex="F")
    make_member(world.cell_a1, full_name="Ksor Hồng", sex="F")
    found = set(member_list(world.officer_a, MemberFilter(query=query)))
    assert her in found
    assert all("ngăn" in m.full_name.lower() or query == "ksor" for m in found)
