"""The two-phase import pages: upload → preview → confirm → task → result and rejected rows."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.imports.models import BatchStatus, ImportBatch
from dangvien.imports.tasks import apply_import_batch
from dangvien.members.models import Member
from tests.imports.conftest import HEADER, english_client, write_xlsx

pytestmark = pytest.mark.django_db

NEW_ID = make_citizen_id("064", "M", 1985, 777_001)


def member_file(tmp_path, name: str = "members.xlsx") -> SimpleUploadedFile:
    rows = [
        HEADER,
        ["Phạm Minh Tuấn", "Nam", "12/04/1985", NEW_ID, "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"],
        ["Võ Thị Lan", "Nữ", "31/02/1960", make_citizen_id("064", "F", 1960, 777_002), "19/05/2012",
         "19/05/2013", "GL-A-01-01", "Chính thức"],
        ["Đỗ Văn Hùng", "Nam", "01/01/1970", make_citizen_id("064", "M", 1970, 777_003), "19/05/2012",
         "19/05/2013", "GL-B-01", "Chính thức"],
    ]
    path = write_xlsx(tmp_path / name, rows)
    return SimpleUploadedFile(name, path.read_bytes())


def upload(client, unit, file) -> ImportBatch:
    response = client.post("/imports/new/", {"unit": unit.pk, "file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_upload_preview_confirm_done_and_rejected_download(client, world, tmp_path):
    client = english_client(client, world.officer_a)
    before = Member.objects.count()
    batch = upload(client, world.commune_a, member_file(tmp_path))

    assert batch.status == BatchStatus.PLANNED
    assert (batch.count_new, batch.count_updated, batch.count_rejected) == (1, 0, 2)
    assert Member.objects.count() == before  # checking writes nothing
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Confirm the import" in page
    assert "Ngày sinh" in page and "31/02/1960" in page  # the bad date: its column and reason
    assert "Phạm Minh Tuấn" in page  # the sample of changes

    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status in {BatchStatus.QUEUED, BatchStatus.DONE}  # DONE under the immediate backend
    apply_import_batch.call(batch.pk)  # what the worker runs; a no-op if it already ran

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    assert (batch.result_created, batch.result_updated) == (1, 0)
    assert batch.percent == 100
    assert Member.objects.count() == before + 1
    assert Member.objects.filter(citizen_id=NEW_ID, unit=world.cell_a1).exists()
    assert client.get(f"/imports/{batch.pk}/progress.json").json()["percent"] == 100
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "1 member added" in page and "Confirm the import" not in page
    assert list(AuditEntry.objects.filter(object_type="import_batch").values_list("action", flat=True)
                .order_by("seq")) == ["import.upload", "import.confirm", "import.done"]

    response = client.get(f"/imports/{batch.pk}/rejected.xlsx")
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))) \
        .get_sheet_by_index(0).to_python()
    assert sheet[0] == ["Line", "Column", "Reason"]
    by_line = {int(row[0]): row for row in sheet[1:]}
    assert set(by_line) == {3, 4}
    assert by_line[3][1] == "Ngày sinh" and "31/02/1960" in by_line[3][2]


def test_confirm_twice_does_not_import_twice(client, world, tmp_path):
    client = english_client(client, world.officer_a)
    batch = upload(client, world.commune_a, member_file(tmp_path))
    client.post(f"/imports/{batch.pk}/confirm/")
    apply_import_batch.call(batch.pk)
    client.post(f"/imports/{batch.pk}/confirm/")
    apply_import_batch.call(batch.pk)
    assert Member.objects.filter(citizen_id=NEW_ID).count() == 1


def test_other_communes_officer_gets_404(client, world, tmp_path):
    batch = upload(english_client(client, world.officer_a), world.commune_a, member_file(tmp_path))
    other = english_client(client, world.officer_b)
    for url in ("", "progress.json", "rejected.xlsx"):
        assert other.get(f"/imports/{batch.pk}/{url}").status_code == 404
    assert other.post(f"/imports/{batch.pk}/confirm/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PLANNED


def test_province_officer_sees_a_communes_batch(client, world, tmp_path):
    batch = upload(english_client(client, world.officer_a), world.commune_a, member_file(tmp_path))
    assert english_client(client, world.province_officer).get(f"/imports/{batch.pk}/").status_code == 200


def test_cannot_import_into_a_unit_outside_scope(client, world, tmp_path):
    client = english_client(client, world.officer_b)
    response = client.post("/imports/new/", {"unit": world.commune_a.pk, "file": member_file(tmp_path)})
    assert response.status_code == 200  # the form again, with the unit refused
    assert "errorlist" in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert client.get(f"/imports/new/?unit={world.commune_a.pk}").status_code == 404


def test_user_without_member_manage_is_refused(client, world):
    assert english_client(client, world.member_user_a1).get("/imports/new/").status_code == 403


def test_upload_form_offers_managed_units_and_the_template(client, world):
    client = english_client(client, world.officer_a)
    page = client.get(f"/imports/new/?unit={world.commune_a.pk}").content.decode()
    assert world.commune_a.name in page and world.commune_b.name not in page
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))) \
        .get_sheet_by_index(0).to_python()
    assert "Họ và tên" in sheet[0]


def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(client, world):
    client = english_client(client, world.officer_a)
    before = Member.objects.count()
    fake = SimpleUploadedFile("members.xlsx", b"this is not a spreadsheet at all")
    batch = upload(client, world.commune_a, fake)
    assert batch.status == BatchStatus.REFUSED
    assert batch.error
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert batch.error in page.replace("&#x27;", "'").replace("&quot;", '"') or "Nothing was imported" in page
    assert "Confirm the import" not in page
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REFUSED
    assert Member.objects.count() == before


def test_a_file_of_another_type_is_refused_and_not_stored(client, world):
    client = english_client(client, world.officer_a)
    batch = upload(client, world.commune_a, SimpleUploadedFile("notes.pdf", b"%PDF-1.4"))
    assert batch.status == BatchStatus.REFUSED
    assert ".xlsx" in batch.error and not batch.file
    assert "Nothing was imported" in client.get(f"/imports/{batch.pk}/").content.decode()


def test_in_progress_page_polls_and_has_a_fallback(client, world, tmp_path):
    client = english_client(client, world.officer_a)
    batch = upload(client, world.commune_a, member_file(tmp_path))
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING, progress_done=1, progress_total=4)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<progress id="batch-progress" max="100" value="25"' in page
    assert 'http-equiv="refresh"' in page and "progress.json" in page
    assert client.get(f"/imports/{batch.pk}/progress.json").json() == {
        "status": "running", "status_label": "Importing", "done": 1, "total": 4, "percent": 25, "finished": False,
        "text": "1 of 4 rows written"}



def test_export_register_of_a_visible_unit_streams_csv_and_xlsx(client, world):
    import io

    import openpyxl

    client.force_login(world.officer_a)
    response = client.get(f"/imports/export/{world.commune_a.pk}.csv")
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Nguyễn Thị Hà" in text and "Trần Văn Đức" in text and "Lê Thị Hoà" not in text
    response = client.get(f"/imports/export/{world.commune_a.pk}.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Nguyễn Thị Hà", "Trần Văn Đức"]


def test_export_register_outside_scope_is_404(client, world):
    client.force_login(world.officer_a)
    assert client.get(f"/imports/export/{world.commune_b.pk}.csv").status_code == 404
    client.force_login(world.member_user_a1)
    assert client.get(f"/imports/export/{world.cell_a1.pk}.csv").status_code == 404
    client.force_login(world.officer_a)
    assert client.get(f"/imports/export/{world.commune_a.pk}.pdf").status_code == 404


def test_the_preview_names_the_members_an_update_changes(client, world, tmp_path):
    member = world.member_a1
    rows = [HEADER, [member.full_name, "Nữ", member.date_of_birth.strftime("%d/%m/%Y"), member.citizen_id,
                     member.admission_date.strftime("%d/%m/%Y"), member.official_date.strftime("%d/%m/%Y"),
                     member.unit.code, "Chính thức"]]
    rows[1][0] = "Nguyễn Thị Hạ"  # a changed name is shown as the new name
    rows.append([world.member_a2.full_name, "Nam", world.member_a2.date_of_birth.strftime("%d/%m/%Y"),
                 world.member_a2.citizen_id, world.member_a2.admission_date.strftime("%d/%m/%Y"), "",
                 world.cell_a2.code, "Dự bị"])
    rows[2][4] = "03/09/2025"  # only the admission date changes: the name comes from the record
    path = write_xlsx(tmp_path / "updates.xlsx", rows)
    batch = upload(english_client(client, world.officer_a), world.commune_a,
                   SimpleUploadedFile("updates.xlsx", path.read_bytes()))
    assert batch.count_updated == 2, batch.rejections
    assert [change["name"] for change in batch.changes_sample] == ["Nguyễn Thị Hạ", world.member_a2.full_name]
