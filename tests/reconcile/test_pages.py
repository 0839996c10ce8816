"""Scoped reads of reconciliation results: the queue, the per-unit summary (figures worked out by
hand), the pages and the API, and an officer outside the unit who sees no queue item anywhere."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from dangvien.reconcile.models import Band, Decision, Field, Kind
from dangvien.reconcile.selectors import reconcile_summary, review_queue
from tests.factories import make_member
from tests.reconcile.fixtures import candidate, linked_match, none_match, person, review_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(world):
    """member_a1 exact with an open name fix; member_a2 under review; member_b1 not found; one more
    member in cell A1 never reconciled."""
    a1 = linked_match(world.member_a1, world.member_a1.citizen_id, discrepancies=[
        (Field.HOMETOWN, Kind.MERGER_HOMETOWN, "Xã Ia Grai, Gia Lai", "Xã Ia Grai, tỉnh Gia Lai")])
    who = person(so_dinh_danh=world.member_a2.citizen_id, ho_ten="Trần Văn Đức", ngay_sinh="01/01/1990",
                 gioi_tinh="Nam")
    a2 = review_match(world.member_a2, [candidate(who, 0.4, name=6.0, birth=9.1, sex=1.0, hometown=-0.8)])
    b1 = none_match(world.member_b1)
    make_member(world.cell_a1, full_name="Đinh Văn Khoa")
    return {"a1": a1, "a2": a2, "b1": b1}


def _find(nodes, code):
    for node in nodes:
        if node.unit.code == code:
            return node
        if (found := _find(node.children, code)) is not None:
            return found
    return None


def test_the_summary_counts_each_unit_over_its_subtree(world, results):
    tree = reconcile_summary(world.province_officer)
    figures = {code: _find(tree, code).summary for code in ("GL", "GL-A", "GL-A-01-01", "GL-A-01-02", "GL-B")}
    province, commune_a, cell_a1, cell_a2, commune_b = (figures[c] for c in ("GL", "GL-A", "GL-A-01-01",
                                                                              "GL-A-01-02", "GL-B"))
    assert (province.members, province.matched, province.with_discrepancies, province.review, province.not_found,
            province.not_reconciled) == (4, 1, 1, 1, 1, 1)
    assert province.share == "1/4 = 25.00%"
    assert (commune_a.members, commune_a.matched, commune_a.review, commune_a.not_reconciled) == (3, 1, 1, 1)
    assert commune_a.share == "1/3 = 33.33%"
    assert (cell_a1.members, cell_a1.matched, cell_a1.with_discrepancies) == (2, 1, 1)
    assert (cell_a2.review, cell_a2.matched) == (1, 0)
    assert (commune_b.not_found, commune_b.share) == (1, "0/1 = 0.00%")
    # A decision moves the member: accepted in review is matched, rejected is not found.
    results["a2"].decision = Decision.ACCEPTED
    results["a2"].save()
    assert _find(reconcile_summary(world.officer_a), "GL-A").summary.share == "2/3 = 66.67%"
    # An officer of commune A sees commune A only.
    assert [node.unit.code for node in reconcile_summary(world.officer_a)] == ["GL-A"]


def test_the_queue_is_scoped(world, results):
    assert list(review_queue(world.officer_a)) == [results["a2"]]
    assert list(review_queue(world.province_officer)) == [results["a2"]]
    for outsider in (world.officer_b, world.secretary_a1, world.member_user_a1):
        assert list(review_queue(outsider)) == []
    assert list(review_queue(world.officer_a, world.cell_a1)) == []


def test_an_officer_outside_the_unit_sees_no_queue_item(world, results):
    """Selector above; here the page and the API, for commune B's officer."""
    client = Client()
    client.force_login(world.officer_b)
    page = client.get("/reconcile/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.member_a2.full_name not in html and 'id="queue-empty"' in html
    assert client.get(f"/reconcile/review/?match={results['a2'].pk}").status_code == 404
    assert client.get("/api/reconcile/queue").json() == {"items": [], "total": 0, "page": 1}
    assert client.get(f"/api/reconcile/matches/{results['a2'].pk}").status_code == 404
    assert client.get(f"/api/reconcile/queue?unit={world.commune_a.pk}").status_code == 404
    # Commune A's officer sees the item, with what each field contributed.
    client.force_login(world.officer_a)
    with translation.override("en"):
        html = client.get("/reconcile/review/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert world.member_a2.full_name in html and "+9.1" in html and "−0.8" not in html and "-0.8" in html
    items = client.get("/api/reconcile/queue").json()["items"]
    assert [(i["id"], i["band"], i["candidates"][0]["weights"]["birth"]["weight"]) for i in items] == [
        (results["a2"].pk, Band.REVIEW, 9.1)]


def test_deciding_from_the_page_without_javascript(world, results):
    client = Client()
    client.force_login(world.officer_a)
    match = results["a2"]
    response = client.post(f"/reconcile/matches/{match.pk}/accept/", {"so_dinh_danh": world.member_a2.citizen_id})
    assert response.status_code == 302 and response["Location"] == "/reconcile/review/"
    match.refresh_from_db()
    assert match.decision == Decision.ACCEPTED
    # The hometown fix of member A1, from the list.
    fix = results["a1"].discrepancies.get()
    response = client.post(f"/reconcile/discrepancies/{fix.pk}/reject/", {"reason": "", "unit": world.commune_a.pk})
    assert response.status_code == 302 and response["Location"] == f"/reconcile/discrepancies/?unit={world.commune_a.pk}"
    fix.refresh_from_db()
    assert fix.state == "open"  # no reason: refused, with the message on the list page
    client.post(f"/reconcile/discrepancies/{fix.pk}/accept/")
    world.member_a1.refresh_from_db()
    assert world.member_a1.hometown == "Xã Ia Grai, tỉnh Gia Lai"
    page = client.get(f"/members/{world.member_a1.pk}/").content.decode()
    assert 'id="member-reconciliation"' in page


def test_the_summary_xlsx(world, results):
    client = Client()
    client.force_login(world.officer_a)
    response = client.get(f"/reconcile/units/{world.commune_a.pk}/summary.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in rows] == ["GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02"]
    assert rows[0][2:8] == [3, 1, 1, 1, 0, 1]
    assert rows[0][8] == pytest.approx(1 / 3) and rows[0][9] == "1/3 = 33.33%"


def test_the_summary_api(world, results):
    client = Client()
    client.force_login(world.province_officer)
    body = client.get(f"/api/reconcile/units/{world.province.pk}/summary?depth=1").json()
    assert body["summary"] == {"members": 4, "matched": 1, "with_discrepancies": 1, "review": 1, "not_found": 1,
                               "not_reconciled": 1, "percent": 25.0, "share": "1/4 = 25.00%"}
    assert [(c["code"], c["summary"]["members"], c["children"]) for c in body["children"]] == [
        ("GL-A", 3, []), ("GL-B", 1, [])]
    client.force_login(world.secretary_a1)
    assert client.get(f"/api/reconcile/units/{world.cell_a1.pk}/summary").status_code == 403
