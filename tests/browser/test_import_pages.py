"""The two-phase import in a real browser: upload, preview with errors, confirm, the progress bar
reaching 100%, the rejected rows downloaded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from python_calamine import CalamineWorkbook

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.tasks import apply_import_batch, undo_import_batch
from dangvien.members.models import Member
from tests.factories import PASSWORD, build_world
from tests.imports.conftest import HEADER, write_xlsx

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def test_officer_imports_a_file_and_downloads_the_rejected_rows(page: Page, live_server, world, tmp_path):
    new_id = make_citizen_id("064", "M", 1985, 999_001)
    path = write_xlsx(tmp_path / "dang-vien.xlsx", [
        HEADER,
        ["Phạm Minh Tuấn", "Nam", "12/04/1985", new_id, "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"],
        ["Võ Thị Lan", "Nữ", "31/02/1960", make_citizen_id("064", "F", 1960, 999_002), "19/05/2012",
         "19/05/2013", "GL-A-01-01", "Chính thức"],
    ])
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "xa_a")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/units/")

    page.get_by_role("link", name="Nhập dữ liệu", exact=True).click()
    page.select_option("#id_unit", str(world.commune_a.pk))
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Tải lên và kiểm tra").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    batch = ImportBatch.objects.get()
    # Each count in its place (the <dd> after its label): the first row is new, the second rejected.
    counts = page.locator("#batch-counts")
    expect(counts.locator("dt")).to_have_text(["Đảng viên mới", "Đảng viên được cập nhật", "Không thay đổi",
                                               "Dòng bị từ chối"])
    expect(counts.locator("dd")).to_have_text(["1", "0", "0", "1"])
    expect(page.locator("#rejections tbody tr")).to_have_count(1)
    expect(page.locator("#rejections tbody tr")).to_contain_text("Ngày sinh")
    expect(page.locator("#rejections tbody tr")).to_contain_text("31/02/1960")
    expect(page.locator("#changes")).to_contain_text("Phạm Minh Tuấn")

    page.get_by_role("button", name="Xác nhận nhập").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_be_visible()
    batch.refresh_from_db()
    if batch.status == BatchStatus.QUEUED:
        apply_import_batch.call(batch.pk)  # the worker; the page polls meanwhile and reloads when done
    expect(page.locator("#batch-result")).to_be_visible(timeout=10_000)
    expect(progress).to_have_attribute("value", "100")
    assert Member.objects.filter(citizen_id=new_id).exists()

    with page.expect_download() as download_info:
        page.locator("#download-rejected").click()
    saved = tmp_path / "rejected.xlsx"
    download_info.value.save_as(saved)
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_index(0).to_python()
    assert [int(rows[1][0]), rows[1][1]] == [3, "Ngày sinh"] and "31/02/1960" in rows[1][2]

    # Undo the whole import: confirm the browser's dialog, the worker runs the task, the page follows.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Hoàn tác lượt nhập này").click()
    expect(page.locator("#batch-status")).to_be_visible()
    batch.refresh_from_db()
    if batch.status == BatchStatus.UNDO_QUEUED:
        undo_import_batch.call(batch.pk)
    expect(page.locator("#undo-done")).to_be_visible(timeout=10_000)
    assert not Member.objects.filter(citizen_id=new_id).exists()
