"""Each kind of noise a party record carries is matched to the right person of a small extract
(the test's people among 3,000 other citizens); what must not be linked without an officer is not.
Expectations are written by hand from the people below."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.members.models import Member
from dangvien.reconcile.models import Band, Discrepancy, Kind, Match
from dangvien.reconcile.runs import reconciliation_run
from tests.factories import make_member
from tests.reconcile.conftest import crowd, load_snapshot, person

D = dt.date


def cid(sex: str, year: int, serial: int) -> str:
    return make_citizen_id("064", sex, year, serial)


# The people of the extract the members below stand for (their true records).
HUNG = person(cid("M", 1980, 101), "Nguyễn Văn Hùng", "14/02/1980", "Nam")
HOA = person(cid("F", 1985, 102), "Trần Thị Hoa", "03/05/1985", "Nữ")
THUY = person(cid("F", 1978, 103), "Lê Thị Thủy", "21/09/1978", "Nữ", xa="Phường Pleiku")
TUAN = person(cid("M", 1970, 104), "Phạm Minh Tuấn", "20/07/1970", "Nam", so_cmnd="230123456")
NAM = person(cid("M", 1982, 105), "Hoàng Văn Nam", "11/04/1982", "Nam")
LAN = person(cid("F", 1975, 106), "Vũ Thị Lan", "30/06/1975", "Nữ", xa="Phường Pleiku")
DUNG = person(cid("M", 1966, 107), "Đỗ Tiến Dũng", "08/12/1966", "Nam", xa="Xã Phù Cát")
KHOA = person(cid("M", 1991, 108), "Bùi Đăng Khoa", "17/10/1991", "Nam")
# The new tone placement (Hòa) in the extract, the old one (Hoà) on the record.
HOA_TONE = person(cid("F", 1983, 114), "Phan Thị Hòa", "12/08/1983", "Nữ")
QUAN = person(cid("M", 1988, 109), "Ngô Minh Quân", "25/03/1988", "Nam")
# The person a one-digit typo in HAI's ID hits: same province, sex and year, someone else.
HAI = person(cid("M", 1979, 110), "Đinh Văn Hải", "02/06/1979", "Nam")
OTHER_OF_HAI = person(cid("M", 1979, 111), "Lương Văn Tâm", "19/01/1979", "Nam")
# Two namesakes born the same day in the same commune: no record can tell them apart.
TWIN_A = person(cid("F", 1960, 112), "Đặng Thùy Linh", "02/09/1960", "Nữ")
TWIN_B = person(cid("F", 1960, 113), "Đặng Thùy Linh", "02/09/1960", "Nữ")
PEOPLE = [HUNG, HOA, THUY, TUAN, NAM, LAN, DUNG, KHOA, HOA_TONE, QUAN, HAI, OTHER_OF_HAI, TWIN_A, TWIN_B]


def _member(world, name: str, sex: str, birth: D | None, *, year: int | None = None, citizen_id=None,
            hometown: str = "Xã Ia Grai, tỉnh Gia Lai", **extra) -> Member:
    extra = {"date_of_birth": birth, "birth_year": year or birth.year, **extra} if birth is None else extra
    return make_member(world.cell_a1, full_name=name, sex=sex, birth=birth or D(year, 1, 1),
                       citizen_id=citizen_id, hometown=hometown, **extra)


@pytest.fixture
def reconciled(world):
    """The members, each with one kind of noise (most also without a citizen ID, so that the
    probabilistic pass must find them), reconciled against the extract."""
    members = {
        "correct": _member(world, "Nguyễn Văn Hùng", "M", D(1980, 2, 14), citizen_id=HUNG["so_dinh_danh"]),
        "missing_diacritics": _member(world, "Tran Thi Hoa", "F", D(1985, 5, 3)),
        "nfd": _member(world, "Lê Thị Thủy", "F", D(1978, 9, 21), hometown="Phường Pleiku, tỉnh Gia Lai"),
        "old_cmnd_dropped_middle": _member(world, "Phạm Tuấn", "M", D(1970, 7, 20), old_id_number="230123456"),
        "day_month_swap": _member(world, "Hoàng Văn Nam", "M", D(1982, 11, 4)),
        "year_only": _member(world, "Vũ Thị Lan", "F", None, year=1975, hometown="Phường Pleiku, tỉnh Gia Lai"),
        "abolished_hometown": _member(world, "Đỗ Tiến Dũng", "M", D(1966, 12, 8),
                                      hometown="Xã Cát Tân, huyện Phù Cát, tỉnh Bình Định"),
        "name_typo": _member(world, "Bùi Đăng Khao", "M", D(1991, 10, 17)),
        "tone_placement": _member(world, "Phan Thị Hoà", "F", D(1983, 8, 12)),
        "id_one_digit": _member(world, "Ngô Minh Quân", "M", D(1988, 3, 25),
                                citizen_id=QUAN["so_dinh_danh"][:-1] + "7"),
        "id_transposed": _member(world, "Hoàng Văn Nam", "M", D(1982, 4, 11), citizen_id=None),
        "id_typo_hits_other": _member(world, "Đinh Văn Hải", "M", D(1979, 6, 2),
                                      citizen_id=OTHER_OF_HAI["so_dinh_danh"]),
        "twin": _member(world, "Đặng Thùy Linh", "F", D(1960, 9, 2)),
        "absent": _member(world, "Trịnh Công Sơn", "M", D(1939, 2, 28)),
    }
    # A record typed on an old system: decomposed (NFD) text, as imported before the registry cleaned it.
    Member.objects.filter(pk=members["nfd"].pk).update(full_name=unicodedata.normalize("NFD", "Lê Thị Thủy"))
    # The transposed ID: two adjacent digits of NAM's number swapped (a second record of NAM's
    # would clash with the first on the extract side; so it stands for a cousin record).
    nam = NAM["so_dinh_danh"]
    Member.objects.filter(pk=members["id_transposed"].pk).update(
        citizen_id=nam[:8] + nam[9] + nam[8] + nam[10:])
    snapshot = load_snapshot(PEOPLE + crowd(3_000))
    run = reconciliation_run(actor=world.admin, unit=world.province, snapshot=snapshot)
    matches = {key: Match.objects.get(run=run, member=m) for key, m in members.items()}
    return run, matches


EXPECTED_LINKS = {
    "correct": (Band.EXACT, HUNG),
    "nfd": (Band.AUTO, THUY),
    "missing_diacritics": (Band.AUTO, HOA),
    "old_cmnd_dropped_middle": (Band.AUTO, TUAN),
    "day_month_swap": (Band.AUTO, NAM),
    "year_only": (Band.AUTO, LAN),
    "abolished_hometown": (Band.AUTO, DUNG),
    "name_typo": (Band.AUTO, KHOA),
    "tone_placement": (Band.AUTO, HOA_TONE),
    "id_one_digit": (Band.AUTO, QUAN),
    "id_transposed": (Band.AUTO, NAM),
}


def test_each_kind_of_noise_is_matched_to_its_person(reconciled):
    _, matches = reconciled
    got = {key: (matches[key].band, matches[key].so_dinh_danh) for key in EXPECTED_LINKS}
    assert got == {key: (band, p["so_dinh_danh"]) for key, (band, p) in EXPECTED_LINKS.items()}


def _kinds(match: Match) -> set[tuple[str, str]]:
    return set(Discrepancy.objects.filter(match=match).values_list("field", "kind"))


def test_the_differences_are_listed_field_by_field_with_their_kind(reconciled):
    _, matches = reconciled
    assert _kinds(matches["correct"]) == set()
    assert _kinds(matches["missing_diacritics"]) == {("full_name", Kind.DIACRITICS_ONLY), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["nfd"]) == {("full_name", Kind.UNICODE_FORM), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["old_cmnd_dropped_middle"]) == {("full_name", Kind.MIDDLE_NAME), ("citizen_id", Kind.OLD_ID)}
    assert _kinds(matches["day_month_swap"]) == {("date_of_birth", Kind.DAY_MONTH_SWAP), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["year_only"]) == {("date_of_birth", Kind.YEAR_ONLY), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["abolished_hometown"]) == {("hometown", Kind.MERGER_HOMETOWN), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["name_typo"]) == {("full_name", Kind.TYPO), ("citizen_id", Kind.MISSING)}
    assert _kinds(matches["id_one_digit"]) == {("citizen_id", Kind.TYPO)}
    suggestion = Discrepancy.objects.get(match=matches["id_one_digit"])
    assert (suggestion.record_value, suggestion.population_value) == (
        QUAN["so_dinh_danh"][:-1] + "7", QUAN["so_dinh_danh"])
    swap = Discrepancy.objects.get(match=matches["day_month_swap"], field="date_of_birth")
    assert (swap.record_value, swap.population_value, swap.state) == ("04/11/1982", "11/04/1982", "open")


def test_an_id_typo_that_hits_another_person_is_not_linked_to_them(reconciled):
    _, matches = reconciled
    match = matches["id_typo_hits_other"]
    # The ID on record is Lương Văn Tâm's; name and birth date are Đinh Văn Hải's, one digit away.
    assert (match.band, match.so_dinh_danh) == (Band.AUTO, HAI["so_dinh_danh"])
    assert [c["so_dinh_danh"] for c in match.candidates][:2] == [HAI["so_dinh_danh"], OTHER_OF_HAI["so_dinh_danh"]]
    assert _kinds(match) == {("citizen_id", Kind.TYPO)}


def test_two_equally_good_candidates_go_to_review(reconciled):
    _, matches = reconciled
    match = matches["twin"]
    assert (match.band, match.so_dinh_danh) == (Band.REVIEW, None)
    top = match.candidates[:2]
    assert {c["so_dinh_danh"] for c in top} == {TWIN_A["so_dinh_danh"], TWIN_B["so_dinh_danh"]}
    assert top[0]["probability"] == pytest.approx(top[1]["probability"]) and top[0]["probability"] < 0.5
    assert top[0]["weights"]["name"]["level"] == "exact" and top[0]["weights"]["birth"]["level"] == "exact"
    assert top[0]["person"]["ho_ten"] == "Đặng Thùy Linh"
    assert not Discrepancy.objects.filter(match=match).exists()  # nothing to correct until someone decides


def test_a_member_absent_from_the_extract_gets_no_link(reconciled):
    _, matches = reconciled
    match = matches["absent"]
    assert match.band == Band.NONE and match.so_dinh_danh is None


def test_the_run_counts_its_bands_and_is_audited(reconciled, world):
    from dangvien.core.models import AuditEntry

    run, matches = reconciled
    members = Member.objects.count()
    assert run.count_members == members == len(matches) + 3  # and the world's own three members
    assert run.count_exact + run.count_auto + run.count_review + run.count_none == members
    assert run.count_discrepancies == Discrepancy.objects.filter(match__run=run).count()
    entry = AuditEntry.objects.get(action="reconcile.run", object_id=str(run.pk))
    assert entry.after["count_members"] == members and entry.unit_path == world.province.path
