"""Member pages: search, the profile and its history, every lifecycle form, and what a user
sees when input is bad or the record changed meanwhile."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangvien.members import services
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _english(client):
    # Assertions below read English messages; the language switch is tested in tests/accounts.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def officer(client, world):
    client.force_login(world.officer_a)
    return client


def _names(response) -> list[str]:
    return [m.full_name for m in response.context["page_obj"].object_list]


def _detail(pk: int) -> str:
    return reverse("members:detail", args=[pk])


def _event(pk: int, kind: str) -> str:
    return reverse("members:event", args=[pk, kind])


# --- list and search -------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "nguyen thi ha", "NGUYỄN THỊ HÀ", unicodedata.normalize("NFD", "Nguyễn Thị Hà"), "  Nguyen   thi ha ",
])
def test_search_ignores_accents_case_and_normal_form(officer, world, query):
    response = officer.get(reverse("members:list"), {"q": query})
    assert response.status_code == 200
    assert _names(response) == ["Nguyễn Thị Hà"]
    assert "Nguyễn Thị Hà" in response.content.decode()


def test_search_hoa_finds_both_tone_placements(client, world):
    make_member(world.cell_a1, full_name="Phạm Thị Hòa", sex="F", birth=dt.date(1970, 1, 1))
    make_member(world.cell_a1, full_name="Đỗ Văn Hoàng", birth=dt.date(1971, 1, 1))
    client.force_login(world.province_officer)
    response = client.get(reverse("members:list"), {"q": "hoa"})
    # "hoa" is a word prefix of Hoàng too; the two tone placements Hoà / Hòa both match.
    assert set(_names(response)) == {"Lê Thị Hoà", "Phạm Thị Hòa", "Đỗ Văn Hoàng"}
    response = client.get(reverse("members:list"), {"q": "thi hoà"})
    assert set(_names(response)) == {"Lê Thị Hoà", "Phạm Thị Hòa"}


def test_list_is_scoped_and_filters_by_unit_and_status(officer, world):
    assert set(_names(officer.get(reverse("members:list")))) == {"Nguyễn Thị Hà", "Trần Văn Đức"}
    response = officer.get(reverse("members:list"), {"unit": world.cell_a2.pk})
    assert _names(response) == ["Trần Văn Đức"]
    response = officer.get(reverse("members:list"), {"status": Status.OFFICIAL})
    assert _names(response) == ["Nguyễn Thị Hà"]
    response = officer.get(reverse("members:list"), {"unit_code": world.cell_a1.code})
    assert _names(response) == ["Nguyễn Thị Hà"]
    # A unit outside the officer's subtree is absent, not an empty list.
    assert officer.get(reverse("members:list"), {"unit": world.cell_b1.pk}).status_code == 404


def test_list_sorts(client, world):
    client.force_login(world.admin)
    names = _names(client.get(reverse("members:list"), {"order": "name"}))
    # Vietnamese order: given name first (Đức < Hà < Hoà).
    assert names == ["Trần Văn Đức", "Nguyễn Thị Hà", "Lê Thị Hoà"]
    assert _names(client.get(reverse("members:list"), {"order": "-name"})) == names[::-1]
    assert _names(client.get(reverse("members:list"), {"order": "birth"}))[0] == "Lê Thị Hoà"
    assert _names(client.get(reverse("members:list"), {"order": "-admission"}))[0] == "Trần Văn Đức"


def _grow(world, cells: int, per_cell: int) -> None:
    for c in range(cells):
        cell = unit_create(actor=world.admin, kind=UnitKind.CELL, code=f"GL-A-01-X{c}", name=f"Chi bộ thôn {c}",
                           parent=world.org_a)
        for i in range(per_cell):
            make_member(cell, full_name=f"Nguyễn Văn Tư {c} {i}".replace(f" {c} {i}", ""),
                        birth=dt.date(1960 + i % 30, 1 + i % 12, 1 + c % 28))


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_member_list_query_count_does_not_grow_with_rows(officer, world, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "MEMBER_PAGE_SIZE": 50}
    url = reverse("members:list")
    small = _queries(officer, url, {})
    small_page2 = _queries(officer, url, {"page": 1, "unit": world.org_a.pk})
    _grow(world, cells=6, per_cell=10)
    assert Member.objects.count() >= 63
    assert _queries(officer, url, {}) == small
    assert _queries(officer, url, {"page": 2, "unit": world.org_a.pk}) == small_page2
    response = officer.get(url, {"page": 2})
    assert response.context["page_obj"].paginator.count == 62
    assert len(response.context["page_obj"].object_list) == 12


def test_pager_shows_first_last_and_nearby_pages(officer, world, settings):
    settings.DANGVIEN = {**settings.DANGVIEN, "MEMBER_PAGE_SIZE": 2}
    _grow(world, cells=2, per_cell=10)  # 22 members: 11 pages
    response = officer.get(reverse("members:list"), {"page": 6, "q": "nguyen"})
    assert response.context["page_numbers"] == [1, None, 4, 5, 6, 7, 8, None, 11]
    html = response.content.decode()
    assert "?page=11&amp;q=nguyen" in html and 'aria-current="page">6<' in html


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_profile_history_and_only_allowed_actions(officer, world):
    response = officer.get(_detail(world.member_a2.pk))  # probationary
    html = response.content.decode()
    assert "Trần Văn Đức" in html and world.member_a2.citizen_id in html
    assert [e.kind for e in response.context["history"][0:1] for e in [e["event"]]] == [EventKind.ADMITTED]
    slugs = {a.slug for a in response.context["actions"]}
    assert slugs == {"recognize-official", "transfer-out", "transfer-temporarily", "exempt", "discipline",
                     "remove", "record-death"}
    assert _event(world.member_a2.pk, "recognize-official") in html
    assert _event(world.member_a2.pk, "lift-exemption") not in html


def test_detail_out_of_scope_is_404_and_secretary_sees_no_lifecycle_buttons(client, world):
    client.force_login(world.officer_a)
    assert client.get(_detail(world.member_b1.pk)).status_code == 404
    assert client.get(_event(world.member_b1.pk, "exempt")).status_code == 404
    client.force_login(world.secretary_a1)
    response = client.get(_detail(world.member_a1.pk))
    assert response.status_code == 200
    assert response.context["actions"] == [] and not response.context["can_correct"]
    assert reverse("members:contact", args=[world.member_a1.pk]) in response.content.decode()


def test_view_only_user_gets_403_on_write_forms(client, world):
    client.force_login(world.secretary_a1)
    m = world.member_a1
    assert client.get(_event(m.pk, "exempt")).status_code == 403
    assert client.post(_event(m.pk, "exempt"), {"version": m.version, "date": "01/01/2026",
                                                "reason": "x"}).status_code == 403
    assert client.get(reverse("members:edit", args=[m.pk])).status_code == 403
    assert client.get(reverse("members:admit") + f"?unit={world.cell_a1.pk}").status_code == 403
    assert client.get(reverse("members:contact", args=[m.pk])).status_code == 200
    client.force_login(world.card_officer_a)
    assert client.get(reverse("members:contact", args=[m.pk])).status_code == 403
    m.refresh_from_db()
    assert m.status == Status.OFFICIAL and m.version == 1


# --- lifecycle forms: happy paths ------------------------------------------------------------

HAPPY = [
    ("recognize-official", "member_a2", {"official_date": "02/10/2026", "decision": "12-NQ/CB"},
     Status.OFFICIAL, EventKind.RECOGNIZED_OFFICIAL),
    ("transfer-out", "member_a1", {"date": "2026-10-01", "destination": "Đảng bộ xã Chư Sê"},
     Status.TRANSFERRED_OUT, EventKind.TRANSFERRED_OUT),
    ("transfer-temporarily", "member_a1", {"date": "01/10/2026", "destination": "Trường Chính trị tỉnh",
                                           "until": "01/06/2027"},
     Status.TEMPORARILY_OUT, EventKind.TEMPORARILY_OUT),
    ("exempt", "member_a1", {"date": "01/10/2026", "reason": "Tuổi cao, sức yếu"},
     Status.EXEMPTED, EventKind.EXEMPTED),
    ("discipline", "member_a1", {"date": "01/10/2026", "form": "reprimand"}, Status.OFFICIAL, EventKind.DISCIPLINED),
    ("remove", "member_a1", {"date": "01/10/2026", "reason": "Bỏ sinh hoạt 3 tháng"}, Status.REMOVED,
     EventKind.REMOVED),
    ("record-death", "member_a1", {"date": "01/10/2026"}, Status.DECEASED, EventKind.DIED),
]


@pytest.mark.parametrize(("kind", "who", "data", "status", "event"), HAPPY, ids=[h[0] for h in HAPPY])
def test_lifecycle_form_records_event(officer, world, kind, who, data, status, event):
    member = getattr(world, who)
    assert officer.get(_event(member.pk, kind)).status_code == 200
    response = officer.post(_event(member.pk, kind), {"version": member.version, **data}, follow=True)
    assert response.redirect_chain == [(_detail(member.pk), 302)]
    member.refresh_from_db()
    assert member.status == status and member.version == 2
    assert member.events.order_by("-id").first().kind == event
    html = response.content.decode()
    assert "msg-success" in html
    assert str(EventKind(event).label) in html  # in the history timeline


def _record(actor, member, service, **kwargs):
    return service(actor=actor, member=member, expected_version=member.version, **kwargs)


def test_return_and_lift_exemption_forms(officer, world):
    m = _record(world.officer_a, world.member_a1, services.member_transfer_temporarily,
                date=dt.date(2026, 3, 1), destination="Học viện Chính trị")
    response = officer.post(_event(m.pk, "return"), {"version": m.version, "date": "01/09/2026"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.OFFICIAL and m.temporary_unit == ""
    m = _record(world.officer_a, m, services.member_exempt, date=dt.date(2026, 9, 2), reason="Ốm dài ngày")
    response = officer.post(_event(m.pk, "lift-exemption"), {"version": m.version, "date": "01/11/2026"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.OFFICIAL
    assert [e.kind for e in m.events.order_by("id")][-2:] == [EventKind.EXEMPTED, EventKind.EXEMPTION_LIFTED]


def test_transfer_between_communes_through_the_forms(client, world):
    m = world.member_a1
    client.force_login(world.officer_a)
    response = client.post(_event(m.pk, "transfer-out"),
                           {"version": m.version, "date": "01/10/2026", "destination_unit": world.cell_b1.code})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.pending_unit == world.cell_b1
    client.force_login(world.officer_b)
    page = client.get(_detail(m.pk))
    assert "transfer-in" in {a.slug for a in page.context["actions"]}
    form = client.get(_event(m.pk, "transfer-in"))
    assert form.context["form"].initial["unit"] == world.cell_b1.code
    response = client.post(_event(m.pk, "transfer-in"),
                           {"version": m.version, "date": "15/10/2026", "unit": world.cell_b1.code})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.unit == world.cell_b1 and m.status == Status.OFFICIAL and m.pending_unit is None


def test_transfer_out_to_unknown_cell_code_is_a_field_error(officer, world):
    m = world.member_a1
    response = officer.post(_event(m.pk, "transfer-out"),
                            {"version": m.version, "date": "01/10/2026", "destination_unit": "NO-SUCH"})
    assert response.status_code == 200
    assert response.context["form"].errors["destination_unit"]
    m.refresh_from_db()
    assert m.status == Status.OFFICIAL and m.version == 1


def test_edit_contact_and_correct_forms(client, world):
    m = world.member_a1
    client.force_login(world.secretary_a1)
    url = reverse("members:contact", args=[m.pk])
    form = client.get(url).context["form"]
    data = {"version": m.version, "phone": "0912 345 678", "permanent_residence": "Thôn 3, xã Ia Grai",
            "temporary_residence": "", "has_smartphone": "true"}
    assert set(form.fields) == {"version", "phone", "permanent_residence", "temporary_residence",
                                "has_smartphone", "note"}
    assert client.post(url, data).status_code == 302
    m.refresh_from_db()
    assert (m.phone, m.has_smartphone, m.version) == ("0912345678", True, 2)

    client.force_login(world.officer_a)
    url = reverse("members:edit", args=[m.pk])
    initial = client.get(url).context["form"].initial
    data = {k: ("" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
            for k, v in initial.items()}
    data.update({"hometown": "Xã Chư Păh, Gia Lai", "has_smartphone": "true"})
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(_detail(m.pk), 302)]
    m.refresh_from_db()
    assert m.hometown == "Xã Chư Păh, Gia Lai" and m.version == 3
    assert m.events.order_by("-id").first().details == {"fields": ["hometown"]}


def test_admit_form(officer, world):
    url = reverse("members:admit") + f"?unit={world.cell_a1.pk}"
    assert officer.get(url).status_code == 200
    data = {"full_name": "Nguyễn  Văn   Bình", "sex": "M", "date_of_birth": "12/05/1998",
            "citizen_id": "064098123456", "admission_date": "03/02/2026", "decision": "15-QĐ/ĐU"}
    response = officer.post(url, data)
    member = Member.objects.get(full_name="Nguyễn Văn Bình")
    assert response.status_code == 302 and response["Location"] == _detail(member.pk)
    assert member.status == Status.PROBATIONARY and member.unit == world.cell_a1 and member.birth_year == 1998
    assert member.events.get().decision == "15-QĐ/ĐU"
    # A grassroots committee is not a cell: the service's message shows at the top.
    response = officer.post(reverse("members:admit") + f"?unit={world.org_a.pk}", {**data, "citizen_id": ""})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Member.objects.filter(full_name="Nguyễn Văn Bình").count() == 1


# --- lifecycle forms: bad input --------------------------------------------------------------


def _unchanged(member: Member) -> None:
    events = member.events.count()
    version = member.version
    member.refresh_from_db()
    assert member.version == version and member.events.count() == events


def _form_data(client, url: str) -> dict:
    initial = client.get(url).context["form"].initial
    return {k: ("" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
            for k, v in initial.items()}


def test_a_wrong_length_citizen_id_is_refused_on_the_field(officer, world):
    m = world.member_a1
    url = reverse("members:edit", args=[m.pk])
    data = _form_data(officer, url)
    data["citizen_id"] = "99917500000"
    response = officer.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors["citizen_id"]
    assert errors == ["A citizen ID has exactly 12 digits."]
    assert errors[0] in response.content.decode()
    _unchanged(m)
    assert m.citizen_id != "99917500000"


def test_a_citizen_id_disagreeing_with_the_record_is_saved_with_a_warning_until_corrected(officer, world):
    """Registry first (issue 9): saved, a warning after the save and a block on the member's page."""
    m = world.member_a1
    url = reverse("members:edit", args=[m.pk])
    data = _form_data(officer, url)
    data["citizen_id"] = "999175000001"  # 999: no province has it
    response = officer.post(url, data, follow=True)
    assert response.redirect_chain == [(_detail(m.pk), 302)]
    m.refresh_from_db()
    assert m.citizen_id == "999175000001"
    page = response.content.decode()
    assert "Saved with warnings: 999 is not a province code used in citizen IDs." in page
    assert 'id="record-warnings"' in page and "To check against the population database" in page

    data = _form_data(officer, url)
    data["citizen_id"] = "064175000001"
    response = officer.post(url, data, follow=True)
    page = response.content.decode()
    assert 'id="record-warnings"' not in page and "Saved with warnings" not in page
    m.refresh_from_db()
    assert m.citizen_id == "064175000001"


def test_the_member_page_lists_each_warning_in_vietnamese(client, world):
    m = world.member_a1  # a woman born in 1975
    services.member_correct(actor=world.admin, member=m, expected_version=m.version,
                            changes={"citizen_id": "064080000001"})
    client.force_login(world.officer_a)
    page = client.get(_detail(m.pk), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Cần đối chiếu với Cơ sở dữ liệu quốc gia về dân cư" in page
    assert "Chữ số thứ 4 cho biết giới tính nam nhưng hồ sơ ghi nữ." in page
    assert "năm 1980" in page and "1975" in page


def test_admitting_with_an_old_cmnd_in_the_citizen_id_field_stores_it_as_the_old_id(officer, world):
    url = reverse("members:admit") + f"?unit={world.cell_a1.pk}"
    data = {"full_name": "Lê Văn Cường", "sex": "M", "date_of_birth": "12/05/1998",
            "citizen_id": "230 123 456", "admission_date": "03/02/2026"}
    response = officer.post(url, data, follow=True)
    member = Member.objects.get(full_name="Lê Văn Cường")
    assert (member.citizen_id, member.old_id_number) == (None, "230123456")
    page = response.content.decode()
    assert ("Saved with warnings: 230123456 has 9 digits: an old ID (CMND) number, stored as the old ID number. "
            "No citizen ID is recorded, only the old ID (CMND) number 230123456.") in page


def test_future_date_is_refused(officer, world):
    m = world.member_a1
    future = (dt.date.today() + dt.timedelta(days=10)).strftime("%d/%m/%Y")
    response = officer.post(_event(m.pk, "exempt"), {"version": m.version, "date": future, "reason": "Ốm"})
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert "errorlist" in response.content.decode()
    _unchanged(m)
    assert m.status == Status.OFFICIAL


@pytest.mark.parametrize("value", ["31/02/1960", "2026-13-01", "hôm qua"])
def test_impossible_date_is_a_field_error(officer, world, value):
    m = world.member_a1
    response = officer.post(_event(m.pk, "record-death"), {"version": m.version, "date": value})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["date"]
    assert 'id="id_date_error"' in response.content.decode()
    _unchanged(m)


def test_impossible_date_of_birth_in_correction(officer, world):
    m = world.member_a1
    url = reverse("members:edit", args=[m.pk])
    initial = officer.get(url).context["form"].initial
    data = {k: ("" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
            for k, v in initial.items()}
    data["date_of_birth"] = "31/02/1960"
    response = officer.post(url, data)
    assert "date_of_birth" in response.context["form"].errors
    _unchanged(m)


def test_official_date_before_admission_is_refused(officer, world):
    m = world.member_a1
    url = reverse("members:edit", args=[m.pk])
    initial = officer.get(url).context["form"].initial
    data = {k: ("" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
            for k, v in initial.items()}
    data["official_date"] = "01/01/2009"  # admitted 02/03/2010
    response = officer.post(url, data)
    assert response.context["form"].errors["official_date"]
    _unchanged(m)
    assert m.official_date == dt.date(2011, 3, 2)


def test_recognizing_a_deceased_member_is_refused_with_a_message(officer, world):
    m = _record(world.officer_a, world.member_a2, services.member_record_death, date=dt.date(2026, 1, 5))
    response = officer.post(_event(m.pk, "recognize-official"), {"version": m.version, "official_date": "02/10/2026"})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors and "deceased" in errors[0]
    assert "msg-warning" in response.content.decode()  # the page also says the event does not apply
    _unchanged(m)
    assert m.status == Status.DECEASED


def test_stale_version_is_refused_with_a_clear_message(officer, world):
    m = world.member_a1
    seen = m.version
    _record(world.officer_a, m, services.member_update_contact, changes={"phone": "0987654321"})
    response = officer.post(_event(m.pk, "exempt"), {"version": seen, "date": "01/10/2026", "reason": "Ốm"})
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    m.refresh_from_db()
    assert m.status == Status.OFFICIAL and m.version == seen + 1
    assert not MemberEvent.objects.filter(member=m, kind=EventKind.EXEMPTED).exists()
    # The re-shown form keeps the stale version: saving again does not slip through.
    assert response.context["form"]["version"].value() == str(seen)


def test_stale_version_on_correction(officer, world):
    m = world.member_a1
    url = reverse("members:edit", args=[m.pk])
    initial = officer.get(url).context["form"].initial
    data = {k: ("" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
            for k, v in initial.items()}
    _record(world.officer_a, m, services.member_update_contact, changes={"phone": "0987654321"})
    data["hometown"] = "Xã khác"
    response = officer.post(url, data)
    assert "Someone else changed this record" in response.content.decode()
    m.refresh_from_db()
    assert m.hometown == "Xã Ia Grai, Gia Lai"


def test_unknown_event_kind_is_404(officer, world):
    assert officer.get(_event(world.member_a1.pk, "promote")).status_code == 404
