"""A police card officer of the provincial working group records a home visit on a phone, without
JavaScript: the elderly member's declaration and photo are taken at home, and the member's stage in
the campaign moves on."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from dangvien.campaign.models import Participant, StepRecord
from dangvien.fieldwork.models import HomeVisit
from tests.factories import PASSWORD, build_world
from tests.fieldwork.fixtures import build_field

pytestmark = pytest.mark.browser


@pytest.fixture
def field(transactional_db):
    return build_field(build_world())


def test_a_group_member_records_a_home_visit_with_the_data_collection(browser: Browser, live_server, field):
    context = browser.new_context(java_script_enabled=False, locale="vi-VN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    base, campaign = live_server.url, field.campaign
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", field.world.card_officer_a.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()

    page.goto(f"{base}/campaigns/{campaign.pk}/visits/?unit=GL-A")
    lan = field.participant(field.elderly)
    row = page.locator(f"#participant-{lan.pk}")
    expect(row).to_contain_text("Trần Thị Lan")
    expect(row).to_contain_text("78")
    expect(row).to_contain_text("Thôn 3, xã Ia Grai")
    expect(row).to_contain_text("Tổ công tác tỉnh")
    row.get_by_role("link", name="Trần Thị Lan").click()

    expect(page.locator("h1")).to_have_text("Trần Thị Lan")
    page.fill("#id_visited_on", "20/11/2026")
    page.select_option("#id_outcome", "photo_taken")
    page.check("#id_steps input[value=declared]")
    page.check("#id_steps input[value=photographed]")
    page.fill("#id_note", "Đồng chí Lan không đi lại được, chụp ảnh tại nhà")
    page.locator("#save-visit").click()

    # Back on the worklist of the member's cell: the visit's outcome is there.
    expect(page.locator(".messages")).to_contain_text("Trần Thị Lan")
    expect(page.locator(f"#participant-{lan.pk}")).to_contain_text("20/11/2026")
    lan.refresh_from_db()
    assert (lan.stage, lan.stage_on.isoformat()) == (2, "2026-11-20")
    assert list(StepRecord.objects.filter(participant=lan).values_list("step", flat=True)) == [
        "declared", "photographed"]
    visit = HomeVisit.objects.get(participant=lan)
    assert (visit.outcome, visit.group_id, visit.recorded_by_id) == ("photo_taken", field.group.pk,
                                                                     field.world.card_officer_a.pk)
    assert Participant.objects.get(pk=lan.pk).version == 3
    context.close()
