"""The XLSX, the PDF (rendered to an image, its text read back), the JSON API and the command line
show the same numbers as the page."""

import io
import json
import re

import pypdfium2
import pytest
from django.core.management import call_command
from django.test import Client
from python_calamine import CalamineWorkbook

from dangvien.campaign.models import STEPS
from tests.campaign.fixtures import bare_campaign, bulk_members, bulk_participants

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    """commune_a: cell_a1 1,203 members, 1,180 confirmed; cell_a2 40, 9 confirmed; commune_b: 7/7."""
    campaign = bare_campaign(world.province)
    for cell, stages in ((world.cell_a1, [(600, 7), (580, 4), (23, 2)]), (world.cell_a2, [(9, 5), (31, 0)]),
                         (world.cell_b1, [(7, 6)])):
        bulk_members(cell, sum(n for n, _ in stages))
        bulk_participants(campaign, cell, stages=stages)
    return campaign


def _client(world, language="vi"):
    client = Client(headers={"accept-language": language})
    client.force_login(world.province_officer)
    return client


def _page_shares(client, campaign, unit):
    """{unit code: share} of the page's table, and the headline."""
    page = client.get(f"/campaigns/{campaign.pk}/?unit={unit}").content.decode()
    rows = dict(re.findall(r'<tr data-unit="([^"]+)".*?<td class="share">([^<]+)</td>', page, re.S))
    headline = re.search(r'id="headline">.*?<strong>([^<]+)</strong>', page, re.S).group(1)
    return headline, rows


def test_the_page_figures(world, campaign):
    headline, rows = _page_shares(_client(world), campaign, "GL")
    assert headline == "1.196/1.250 = 95,68%"
    assert rows == {"GL-A": "1.189/1.243 = 95,66%", "GL-B": "7/7 = 100%"}


def test_xlsx_holds_every_unit_with_the_pages_numbers(world, campaign):
    _, page = _page_shares(_client(world, "en"), campaign, "GL")
    response = _client(world, "en").get(f"/campaigns/{campaign.pk}/report.xlsx?unit=GL")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0)
    rows = sheet.to_python()
    header = rows[0]
    table = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert list(table) == ["GL", "GL-A", "GL-A-01", "GL-A-01-01", "GL-A-01-02", "GL-B", "GL-B-01"]
    assert {code: table[code]["Completed / eligible"] for code in page} == page
    gl_a = table["GL-A-01-01"]
    assert (gl_a["Eligible"], gl_a["Completed"], gl_a["Remaining"], gl_a["Rank"]) == (1203, 1180, 23, 1)
    assert round(table["GL"]["Share completed"], 6) == 0.9568
    assert [table["GL"][label] for label in header[3:3 + len(STEPS)]] == [1219, 1219, 1196, 1196, 616, 607, 600]


def _pdf_text(content: bytes) -> tuple[str, tuple[int, int]]:
    document = pypdfium2.PdfDocument(content)
    page = document[0]
    image = page.render(scale=2).to_pil()
    # The picture is a page with ink on it, not blank: some pixels are dark.
    assert image.convert("L").getextrema()[0] < 64
    return page.get_textpage().get_text_range(), image.size


def test_pdf_is_the_committees_report_with_the_pages_numbers(world, campaign):
    headline, page = _page_shares(_client(world, "vi"), campaign, "GL")
    response = _client(world, "en").get(f"/campaigns/{campaign.pk}/report.pdf?unit=GL")  # always Vietnamese
    assert response["Content-Type"] == "application/pdf"
    text, size = _pdf_text(b"".join(response.streaming_content))
    assert size[1] > size[0]  # A4, portrait
    flat = re.sub(r"\s+", " ", text)
    for expected in ("ĐẢNG CỘNG SẢN VIỆT NAM", "ĐẢNG BỘ TỈNH GIA LAI", "BÁO CÁO TIẾN ĐỘ ĐỔI THẺ ĐẢNG VIÊN",
                     "Gia Lai, ngày 21 tháng 11 năm 2026", "Tổng cộng", "T/M BAN THƯỜNG VỤ"):
        assert expected in flat, expected
    # Each unit's line: eligible, completed, percentage, remaining, as on the page.
    assert "Đảng bộ xã Ia Grai 1.243 1.189 95,66% 54" in flat
    assert "Đảng bộ phường Pleiku 7 7 100% 0" in flat
    assert "Tổng cộng 1.250 1.196 95,68% 54" in flat
    assert page["GL-A"] == "1.189/1.243 = 95,66%" and headline == "1.196/1.250 = 95,68%"


def test_json_api_has_the_pages_numbers(world, campaign):
    client = _client(world, "en")
    _, page = _page_shares(client, campaign, "GL-A")
    body = client.get(f"/api/campaigns/{campaign.pk}/report", {"unit": "GL-A"}).json()
    assert (body["unit"]["code"], body["figures"]["share"], body["figures"]["percent"]) == (
        "GL-A", "1,189/1,243 = 95.66%", "95.66")
    assert {child["unit"]["code"]: child["figures"]["share"] for child in body["children"]} == page == {
        "GL-A-01": "1,189/1,243 = 95.66%"}
    assert body["figures"]["done"] == dict(zip(STEPS, [1212, 1212, 1189, 1189, 609, 600, 600], strict=True))
    listed = client.get("/api/campaigns").json()
    assert [(c["id"], c["unit_code"], c["precision"]) for c in listed] == [(campaign.pk, "GL", 2)]


def test_api_hides_what_the_officer_may_not_see(world, campaign):
    client = Client()
    client.force_login(world.officer_b)
    assert client.get(f"/api/campaigns/{campaign.pk}/report", {"unit": "GL-A"}).status_code == 404
    assert client.get(f"/api/campaigns/{campaign.pk}/report").json()["figures"]["eligible"] == 7


def test_command_line_report_in_each_format(world, campaign, tmp_path):
    out = io.StringIO()
    call_command("campaign", "report", str(campaign.pk), "--unit", "GL", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("code,unit,level,eligible,declared,")
    assert lines[1].startswith("GL,Đảng bộ tỉnh Gia Lai,0,1250,") and "1.196/1.250 = 95,68%" in lines[1]
    out = io.StringIO()
    call_command("campaign", "report", str(campaign.pk), "--unit", "GL-B", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["figures"]["share"] == "7/7 = 100%"
    target = tmp_path / "report.xlsx"
    call_command("campaign", "report", str(campaign.pk), "--format", "xlsx", "-o", str(target), stdout=io.StringIO())
    assert CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()[1][0] == "GL"
    target = tmp_path / "report.pdf"
    call_command("campaign", "report", str(campaign.pk), "--format", "pdf", "-o", str(target), stdout=io.StringIO())
    assert "Tổng cộng 1.250 1.196 95,68% 54" in re.sub(r"\s+", " ", _pdf_text(target.read_bytes())[0])
