"""Step files (what a police data-entry team sends back) and the `dangvien campaign` command."""

import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangvien.campaign.models import Campaign, Participant, Step, StepRecord
from dangvien.campaign.services import steps_record
from dangvien.campaign.steps_file import steps_file_record
from dangvien.core.models import AuditEntry
from tests.factories import make_member
from tests.files import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

OCT_5 = dt.date(2026, 10, 5)


def _errors(result) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in result.errors]


def _stages(pipeline) -> dict[str, int]:
    return {m.full_name: pipeline.participant(m).stage for m in (pipeline.ha, pipeline.son, pipeline.lan, pipeline.binh)}


def test_a_file_by_citizen_id_records_the_step_with_each_rows_date_and_note(pipeline, tmp_path):
    path = write_csv(tmp_path / "khai-bao.csv", [
        ["STT", "Họ và tên", "Số CCCD", "Ngày", "Ghi chú"],
        [1, "Nguyễn Thị Hà", pipeline.ha.citizen_id, "03/10/2026", "Công an xã Ia Grai"],
        [2, "Phạm Văn Sơn", pipeline.son.citizen_id, "2026-10-04", ""],
        [3, "Trần Thị Lan", pipeline.lan.citizen_id, "", ""],
    ])
    result = steps_file_record(actor=pipeline.world.card_officer_a, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path, day=OCT_5)
    assert (result.ok, result.rows, result.recorded) == (True, 3, 3)
    assert sorted(StepRecord.objects.values_list("participant__member__full_name", "day", "note")) == [
        ("Nguyễn Thị Hà", dt.date(2026, 10, 3), "Công an xã Ia Grai"),
        ("Phạm Văn Sơn", dt.date(2026, 10, 4), ""),
        ("Trần Thị Lan", OCT_5, ""),
    ]


def test_card_numbers_in_english_headers_in_xlsx(pipeline, tmp_path):
    path = write_xlsx(tmp_path / "the.xlsx", [["card_number", "date"], ["64000101", dt.date(2026, 10, 6)],
                                              [64000103, "06/10/2026"]])
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path)
    assert (result.ok, result.recorded) == (True, 2)
    assert _stages(pipeline) == {"Nguyễn Thị Hà": 1, "Phạm Văn Sơn": 0, "Trần Thị Lan": 1, "Lê Văn Bình": 0}


def test_parquet(pipeline, tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"citizen_id": [pipeline.ha.citizen_id], "note": ["Chụp ảnh tại nhà"]}), path)
    steps_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED, day=OCT_5,
                 participant_ids=[pipeline.participant(pipeline.ha).pk])
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign,
                               step=Step.PHOTOGRAPHED, path=path, day=OCT_5)
    assert (result.ok, result.recorded) == (True, 1)
    assert StepRecord.objects.get(step="photographed").note == "Chụp ảnh tại nhà"


def test_every_refused_row_is_named_by_line_and_nothing_is_written(pipeline, tmp_path):
    world = pipeline.world
    outsider = make_member(world.cell_b1, full_name="Vũ Văn Tâm", card_number="64000199")
    steps_record(actor=world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED, day=OCT_5,
                 participant_ids=[pipeline.participant(pipeline.son).pk])
    path = write_csv(tmp_path / "buoc.csv", [
        ["Số CCCD", "Số thẻ đảng", "Ngày"],
        [pipeline.ha.citizen_id, "", "05/10/2026"],  # fine
        ["064099000001", "", ""],  # nobody
        [pipeline.binh.citizen_id, "", ""],  # commune B: outside the card officer's scope
        [pipeline.son.citizen_id, "", ""],  # declared already
        [pipeline.ha.citizen_id, "", ""],  # twice
        [world.member_a2.citizen_id, "", ""],  # probationary: not counted
        [pipeline.lan.citizen_id, "", "31/02/2026"],  # no such date
        ["12345", "", ""],  # malformed
        ["", "", "05/10/2026"],  # no key
        [pipeline.lan.citizen_id, "64000101", ""],  # the card is Hà's
        [outsider.citizen_id, "", ""],  # outside the scope as well
    ])
    before = (StepRecord.objects.count(), AuditEntry.objects.count())
    result = steps_file_record(actor=world.card_officer_a, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path, day=OCT_5)
    assert (result.ok, result.recorded) == (False, 0)
    lines = [(line, message) for line, message in _errors(result)]
    assert [line for line, _m in lines] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    messages = dict(lines)
    assert messages[3] == messages[4] == messages[12] == "No member with this citizen ID in your scope."
    assert messages[5] == "“Data declared” is already recorded."
    assert messages[6] == "The same member as line 2: list each member once."
    assert messages[7] == "This member is not in the campaign's figures (not eligible, or left it)."
    assert messages[8] == "31/02/2026 is not a date: there is no such day."
    assert messages[9] == "A citizen ID has exactly 12 digits."
    assert messages[10] == "Give the member's citizen ID or party card number."
    assert messages[11] == "The citizen ID and the party card number are not of the same member."
    assert (StepRecord.objects.count(), AuditEntry.objects.count()) == before


def test_a_member_not_in_the_campaign(pipeline, tmp_path):
    other = Campaign.objects.create(name="Khác", unit=pipeline.world.commune_b, start=OCT_5, deadline=OCT_5)
    path = write_csv(tmp_path / "f.csv", [["Số CCCD"], [pipeline.binh.citizen_id]])
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=other, step=Step.DECLARED, path=path)
    assert _errors(result) == [(2, "This member is not in this campaign.")]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "The file is empty."),
    ("noheader.csv", b"a,b,c\r\n1,2,3\r\n", "No header row found"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Old Excel files (.xls) are not accepted"),
    ("fake.xlsx", b"citizen_id\r\n", "is not an Excel workbook"),
    ("header-only.csv", "Số CCCD\r\n".encode(), "The file lists no member."),
])
def test_hostile_files_are_refused_whole(pipeline, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path)
    assert not result.ok and result.recorded == 0
    assert message in result.errors[0].message, result.errors


def test_a_file_over_the_size_limit_is_refused(pipeline, tmp_path):
    path = write_csv(tmp_path / "big.csv", [["Số CCCD"], *[[pipeline.ha.citizen_id]] * 200])
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path, max_bytes=1000)
    assert "at most" in result.errors[0].message and not StepRecord.objects.exists()


def test_windows_1258_is_read(pipeline, tmp_path):
    path = write_csv(tmp_path / "cp.csv", [["Số CCCD", "Ghi chú"], [pipeline.ha.citizen_id, "Đã khai báo"]],
                     encoding="cp1258")
    result = steps_file_record(actor=pipeline.world.province_officer, campaign=pipeline.campaign, step=Step.DECLARED,
                               path=path, day=OCT_5)
    assert result.ok, result.errors
    assert StepRecord.objects.get().note == "Đã khai báo"


def test_the_command_records_and_its_dry_run_does_not(pipeline, tmp_path):
    path = write_csv(tmp_path / "f.csv", [["citizen_id"], [pipeline.ha.citizen_id], [pipeline.binh.citizen_id]])
    out = io.StringIO()
    call_command("campaign", "step", str(pipeline.campaign.pk), "--step", "declared", str(path), "--date",
                 "05/10/2026", "--dry-run", stdout=out)
    assert "2 members would be recorded (dry run: nothing written) from 2 rows" in out.getvalue()
    assert not StepRecord.objects.exists()
    call_command("campaign", "step", str(pipeline.campaign.pk), "--step", "declared", str(path), "--date",
                 "05/10/2026", stdout=out)
    assert set(StepRecord.objects.values_list("day", flat=True)) == {OCT_5}
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 problems in 2 rows; nothing was recorded"):
        call_command("campaign", "step", str(pipeline.campaign.pk), "--step", "declared", str(path), stdout=out)
    assert "f.csv: line 2: “Data declared” is already recorded." in out.getvalue()


def test_the_command_acts_within_the_users_scope(pipeline, tmp_path):
    path = write_csv(tmp_path / "f.csv", [["citizen_id"], [pipeline.binh.citizen_id]])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("campaign", "step", str(pipeline.campaign.pk), "--step", "declared", str(path),
                     "--user", "the_a", stdout=out)
    assert "line 2: No member with this citizen ID in your scope." in out.getvalue()
    assert not Participant.objects.filter(stage__gt=0).exists()


def test_the_command_creates_a_campaign(world):
    from tests.factories import make_member

    make_member(world.cell_b1, full_name="Lê Văn Bình", card_number="64000104")
    out = io.StringIO()
    call_command("campaign", "create", "--unit", "GL-B", "--name", "Đổi thẻ phường Pleiku", "--start", "01/10/2026",
                 "--deadline", "31/12/2026", "--user", "xa_b", stdout=out)
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.unit, campaign.start) == ("Đổi thẻ phường Pleiku", world.commune_b,
                                                              dt.date(2026, 10, 1))
    assert f"Campaign {campaign.pk}: Đổi thẻ phường Pleiku over GL-B, 1 eligible members" in out.getvalue()
    with pytest.raises(CommandError, match="No unit with code GL-A"):
        call_command("campaign", "create", "--unit", "GL-A", "--name", "X", "--start", "01/10/2026",
                     "--deadline", "31/12/2026", "--user", "xa_b", stdout=out)
