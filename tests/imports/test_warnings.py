"""Registry first (issue 9): a row whose citizen ID disagrees with its own structure or with the
record, or that carries an old CMND instead, is imported with a warning, not rejected; a value that
cannot be stored (wrong length) is still rejected. Messages as in docs/import-format.md."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.imports.services import import_apply, import_plan
from dangvien.imports.tasks import apply_import_batch
from dangvien.members.models import Member
from dangvien.members.services import member_correct, member_register
from dangvien.members.validation import PROFILE_FIELDS, record_warnings
from tests.imports.conftest import HEADER, english_client, write_xlsx
from tests.imports.test_services import new_values, parsed, reasons, values_of
from tests.imports.test_views import upload

pytestmark = pytest.mark.django_db


def warnings_of(plan, line: int) -> list[tuple[str, str]]:
    return [(w.column, w.message) for w in plan.warnings if w.line == line]


def test_ids_disagreeing_with_the_record_are_imported_with_warnings_and_a_wrong_length_is_rejected(world):
    rows = [
        new_values(world.cell_a1, sex="M", citizen_id="064185000101"),  # 4th digit 1: a woman
        new_values(world.cell_a1, citizen_id="064086000102"),  # year digits 86, the record 1985
        new_values(world.cell_a1, citizen_id="099085000103"),  # 099: no province has it
        new_values(world.cell_a1, citizen_id="064785000104"),  # 4th digit 7
        new_values(world.cell_a1, citizen_id="06408500010"),  # 11 digits: cannot be stored
    ]
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(*rows))
    assert plan.counts == {"new": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert plan.warned_lines == [2, 3, 4, 5]
    assert warnings_of(plan, 2) == [("Số CCCD", "The 4th digit says female but the record says male.")]
    assert warnings_of(plan, 3) == [
        ("Số CCCD", "The ID's century and year digits say born in 1986 but the record says 1985.")]
    assert warnings_of(plan, 4) == [("Số CCCD", "099 is not a province code used in citizen IDs.")]
    assert warnings_of(plan, 5) == [("Số CCCD", "The 4th digit (century and sex) must be 0 to 5, not 7.")]
    # The rejection is the only one, and is not also a warning.
    assert reasons(plan, 6) == [("Số CCCD", "A citizen ID has exactly 12 digits.")]
    assert warnings_of(plan, 6) == []

    import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    stored = Member.objects.get(citizen_id="064185000101")
    assert stored.sex == "M"  # stored as written: which one is wrong is for reconciliation to say
    assert [w.message for w in record_warnings(stored)] == ["The 4th digit says female but the record says male."]
    assert not Member.objects.filter(citizen_id="06408500010").exists()


def test_an_import_and_the_register_service_store_a_mismatching_id_alike(world):
    """Parity: the row the import writes and the record member_register writes from the same data
    have the same columns and the same warnings."""
    data = new_values(world.cell_a1, sex="F", citizen_id="064085000201")  # 4th digit 0: a man
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(data))
    [created_id] = import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan).created_ids
    twin = member_register(actor=world.officer_a, unit=world.cell_a1, status=data["status"], data={
        **{k: v for k, v in data.items() if k in PROFILE_FIELDS}, "citizen_id": "064085000202"})
    created = Member.objects.get(pk=created_id)
    for f in Member._meta.concrete_fields:
        if f.attname not in {"id", "citizen_id", "created_at", "updated_at"}:
            assert getattr(created, f.attname) == getattr(twin, f.attname), f.attname
    assert record_warnings(created) == record_warnings(twin) != []


def test_an_update_to_a_mismatching_sex_is_written_with_its_warning(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(world.member_a1, sex="M")))  # her citizen ID says female
    assert plan.counts == {"new": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    [updated] = plan.rows
    assert updated.changes == {"sex": ("F", "M")}
    assert warnings_of(plan, 2) == [("Số CCCD", "The 4th digit says female but the record says male.")]


def test_an_old_cmnd_in_the_citizen_id_column_is_stored_as_the_old_id_with_warnings(world):
    row = new_values(world.cell_a1, citizen_id="212 345 678")  # spaces as typed
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(row))
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert plan.rows[0].record["citizen_id"] is None and plan.rows[0].record["old_id_number"] == "212345678"
    assert warnings_of(plan, 2) == [
        ("Số CCCD", "212345678 has 9 digits: an old ID (CMND) number, stored as the old ID number."),
        ("Số CMND", "No citizen ID is recorded, only the old ID (CMND) number 212345678."),
    ]
    [created_id] = import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan).created_ids

    # The old ID is how the next import of the same register recognizes the member.
    again = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(row))
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    changed = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed({**row, "phone": "0912345678"}))
    assert [(r.action, r.member_id) for r in changed.rows] == [("updated", created_id)]

    # A correction with the citizen ID makes the warning go: it is computed, never stored.
    member = Member.objects.get(pk=created_id)
    member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                   changes={"citizen_id": make_citizen_id("064", "M", 1985, 300)})
    assert record_warnings(Member.objects.get(pk=created_id)) == []


def test_an_old_cmnd_beside_another_old_id_is_rejected(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, citizen_id="212345678", old_id_number="230000001")))
    assert reasons(plan, 2) == [("Số CCCD", "212345678 has 9 digits: an old ID (CMND) number, and the old ID "
                                            "number already holds another one. Enter the 12-digit citizen ID "
                                            "here, or leave it empty.")]


def test_an_old_cmnd_in_the_citizen_id_column_never_replaces_another_stored_old_id(world):
    m = world.member_a1
    member_correct(actor=world.admin, member=m, expected_version=m.version,
                   changes={"old_id_number": "230000001", "profile_number": "123456GL"})
    m.refresh_from_db()
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(m, citizen_id="212345678")))  # matched by the profile number
    assert reasons(plan, 2) == [("Số CCCD", "212345678 has 9 digits: an old ID (CMND) number, and the old ID "
                                            "number already holds another one. Enter the 12-digit citizen ID "
                                            "here, or leave it empty.")]
    same = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(m, citizen_id="230000001")))
    assert same.counts == {"new": 0, "updated": 0, "unchanged": 1, "rejected": 0}


def test_rows_known_only_by_an_old_id_must_be_told_apart(world):
    for member in (world.member_a1, world.member_a2):
        member_correct(actor=world.admin, member=member, expected_version=member.version,
                       changes={"old_id_number": "230000009"})
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, citizen_id=None, old_id_number="230000001"),
        new_values(world.cell_a2, citizen_id=None, old_id_number="230000001", full_name="Phạm Văn Bình"),
        new_values(world.cell_a1, citizen_id=None, old_id_number="230000009"),
    ))
    assert reasons(plan, 2) == [("Số CMND", "Line 2 has the same old ID (CMND) number as line 3.")]
    assert reasons(plan, 3) == [("Số CMND", "Line 3 has the same old ID (CMND) number as line 2.")]
    assert reasons(plan, 4) == [("Số CMND", "2 members in Đảng bộ xã Ia Grai have this old ID (CMND) number: add "
                                            "the citizen ID or the profile number to tell which one the row is.")]
    assert not plan.rows


def test_a_row_without_any_identifier_is_still_rejected(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, citizen_id=None)))
    assert reasons(plan, 2) == [("Số CCCD", "A new member needs a citizen ID, an old ID (CMND) number or a profile "
                                            "number, so that the record can be recognized on a later import.")]


def test_the_preview_and_result_pages_list_warnings_apart_from_the_rejected_rows(client, world, tmp_path):
    client = english_client(client, world.officer_a)
    rows = [
        HEADER,
        ["Phạm Minh Tuấn", "Nam", "12/04/1985", "064185000301", "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"],
        ["Võ Thị Lan", "Nữ", "12/04/1985", "06418500030", "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"],
        # An old CMND typed as a number: Excel keeps 212345678, the reader does not pad it to 12 digits.
        ["Đỗ Văn Hùng", "Nam", "01/01/1970", 212345678, "19/05/2012", "19/05/2013", "GL-A-01-01", "Chính thức"],
    ]
    path = write_xlsx(tmp_path / "warned.xlsx", rows)
    batch = upload(client, world.commune_a, SimpleUploadedFile("warned.xlsx", path.read_bytes()))
    assert (batch.count_new, batch.count_rejected, batch.count_warned) == (2, 1, 2)
    assert [(w["line"], w["column"]) for w in batch.warnings] == [(2, "Số CCCD"), (4, "Số CCCD"), (4, "Số CMND")]
    page = client.get(f"/imports/{batch.pk}/").content.decode().replace("&#x27;", "'")
    assert "Rows with warnings (imported)" in page and "Rows with warnings</h2>" in page
    assert "The 4th digit says female but the record says male." in page
    assert "212345678 has 9 digits: an old ID (CMND) number, stored as the old ID number." in page

    client.post(f"/imports/{batch.pk}/confirm/")
    apply_import_batch.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.result_created, batch.count_warned) == (2, 2)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "2 rows written with warnings" in page
    assert Member.objects.get(old_id_number="212345678").citizen_id is None

    response = client.get(f"/imports/{batch.pk}/rejected.xlsx")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))) \
        .get_sheet_by_index(0).to_python()
    assert [int(row[0]) for row in sheet[1:]] == [3]  # the rejection only, not the warnings
