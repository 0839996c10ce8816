"""The synthetic extract: the members' true data among other citizens, the ground truth, and
noise written into the member records through the bulk writer (audited, in their history)."""

from __future__ import annotations

import csv
from io import StringIO

import pyarrow.csv as pacsv
import pytest
from django.core.management import call_command

from dangvien.core.citizen_id import problems
from dangvien.members.models import Member, MemberEvent
from dangvien.population.generator import generate_extract
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_extract_truth_and_noise(tmp_path, world):
    for i in range(40):
        make_member(world.cell_a1,
                    full_name=["Nguyễn Thị Hoà", "Trần Văn Thuỷ", "Lê Minh Khoa"][i % 3],
                    hometown="Xã Phù Cát, tỉnh Gia Lai")
    before = {m.pk: (m.full_name, m.date_of_birth, m.citizen_id, m.hometown) for m in Member.objects.all()}
    rates = {"typo": 20, "tone_placement": 20, "old_hometown": 20, "absent": 10, "missing_id": 10}
    result = generate_extract(unit=world.province, out=tmp_path / "x.csv", citizens=500, truth=tmp_path / "t.csv",
                              seed=7, apply_noise=True, actor=world.province_officer, rates=rates)
    table = pacsv.read_csv(tmp_path / "x.csv", convert_options=pacsv.ConvertOptions(
        column_types={"so_dinh_danh": "string", "so_cmnd": "string"}))
    assert table.num_rows == result.citizens >= 500
    ids = table.column("so_dinh_danh").to_pylist()
    assert len(set(ids)) == len(ids) and all(len(i) == 12 for i in ids)
    by_id = dict(zip(ids, table.to_pylist(), strict=True))
    sample = [r for r in table.to_pylist() if r["so_dinh_danh"] not in {v[2] for v in before.values()}][:200]
    for row in sample:  # other citizens' IDs agree with their sex and birth year
        year = int(str(row["ngay_sinh"])[-4:])
        assert problems(row["so_dinh_danh"], sex="F" if row["gioi_tinh"] == "Nữ" else "M", birth_year=year) == []
    with (tmp_path / "t.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    assert len(truth) == len(before)
    for entry in truth:
        member = Member.objects.get(pk=entry["member_id"])
        true_name, _day, true_id, true_home = before[member.pk]
        if entry["noise"] == "absent":
            assert entry["so_dinh_danh"] == "" and true_id not in by_id
            continue
        assert by_id[true_id]["ho_ten"] == true_name  # the extract holds the true data
        # A record without its citizen ID: the kind of its own, or a share of the name, date and
        # hometown noises (old records made before the 12-digit ID).
        lost_id = entry["noise"] == "missing_id" or entry["id_dropped"] == "yes"
        assert (member.citizen_id is None) == lost_id, entry
        if entry["id_dropped"] == "yes":
            assert entry["noise"] in ("typo", "tone_placement", "old_hometown")
        if entry["noise"] == "tone_placement":
            assert member.full_name != true_name and member.full_name.lower().replace("oà", "òa").replace(
                "uỷ", "ủy") == true_name.lower().replace("oà", "òa").replace("uỷ", "ủy")
        elif entry["noise"] == "old_hometown":
            assert "Bình Định" in member.hometown
        elif entry["noise"] == "":
            assert member.full_name == true_name and member.hometown == true_home
    assert any(e["id_dropped"] == "yes" for e in truth) and any(e["noise"] == "missing_id" for e in truth)
    noisy = [e for e in truth if e["noise"] not in ("", "absent")]
    assert noisy and MemberEvent.objects.filter(member_id__in=[e["member_id"] for e in noisy]).exists()


def test_command(tmp_path, world):
    make_member(world.cell_a1)
    out = StringIO()
    call_command("population", "generate", "--members-from", world.province.code, "-o", str(tmp_path / "x.parquet"),
                 "--citizens", "100", stdout=out)
    assert f"citizens for {Member.objects.count()} members" in out.getvalue() and "(not applied)" in out.getvalue()
