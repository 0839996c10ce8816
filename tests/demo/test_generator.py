"""The synthetic province: determinism, realism of the shares, validity of every record, the tree's
shape, the demo logins and the audit chain."""

from __future__ import annotations

import datetime as dt
import io
import random
import unicodedata
from collections import Counter

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.core import names
from dangvien.core.audit import audit_verify
from dangvien.core.models import AuditEntry
from dangvien.core.text import name_sort_key, search_key, split_name
from dangvien.demo.generator import DemoDataExists, generate
from dangvien.demo.people import DATA_EPOCH, MemberFactory
from dangvien.demo.tree import gia_lai_communes, plan_tree
from dangvien.members import validation
from dangvien.members.models import Member, MemberEvent, Status
from dangvien.members.selectors import MemberFilter, member_list
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind

N = 600


def _snapshot() -> list[tuple]:
    members = list(Member.objects.order_by("id").values_list(
        "id", "full_name", "sex", "date_of_birth", "citizen_id", "profile_number", "card_number", "unit__code",
        "status", "admission_date"))
    units = list(Unit.objects.order_by("path").values_list("id", "code", "name", "path", "kind"))
    return members + units


def _in_memory(n: int, seed: str) -> list:
    """Plan and draw `n` members without the database (for shares, which need a large sample)."""
    plan = plan_tree(n, random.Random(f"{seed}:tree"))
    factory = MemberFactory(seed, gia_lai_communes(), dt.date(2026, 11, 21))
    return [row for i, u in enumerate(plan) if u.kind in MEMBER_UNIT_KINDS for row in factory.members_of(i, u)]


@pytest.mark.django_db
def test_same_seed_gives_the_same_province_and_another_seed_does_not():
    generate(members=N, seed=7, reset=True)
    first = _snapshot()
    generate(members=N, seed=7, reset=True)
    assert _snapshot() == first
    generate(members=N, seed=8, reset=True)
    assert _snapshot() != first
    assert len(first) > N


@pytest.mark.django_db
def test_every_generated_record_passes_validation_and_carries_derived_names():
    generate(members=N, seed=1, reset=True)
    today = validation.today()
    members = list(Member.objects.all())
    assert len(members) == N
    for m in random.Random(0).sample(members, 300):
        record = {f: getattr(m, f) for f in validation.PROFILE_FIELDS}
        assert validation.check(record) == {}, (m.full_name, validation.check(record))
        assert unicodedata.is_normalized("NFC", m.full_name)
        assert (m.family_name, m.middle_name, m.given_name) == split_name(m.full_name)
        assert m.search_name == search_key(m.full_name)
        assert m.sort_key == name_sort_key(m.full_name)
        if m.status == Status.PROBATIONARY:
            assert m.official_date is None and m.card_number is None
            assert today - relativedelta(months=12) <= m.admission_date <= today
        else:
            start = m.admission_ceremony_date or m.admission_date
            assert m.official_date >= start + relativedelta(months=12)
            assert m.official_date - m.admission_date < dt.timedelta(days=400)
    assert len({m.citizen_id for m in members}) == N
    assert len({m.profile_number for m in members}) == N


@pytest.mark.django_db
def test_history_events_match_the_statuses():
    generate(members=N, seed=3, reset=True)
    events = Counter(MemberEvent.objects.values_list("kind", flat=True))
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert events["admitted"] == N
    assert events["recognized_official"] == N - statuses[Status.PROBATIONARY]
    assert events["exempted"] == statuses[Status.EXEMPTED]
    assert events["died"] == statuses[Status.DECEASED]
    for m in Member.objects.exclude(status__in=[Status.OFFICIAL, Status.PROBATIONARY]).prefetch_related("events"):
        last = list(m.events.all())[-1]
        assert last.to_status == m.status and last.effective_date == m.status_date


def test_shares_are_realistic():
    rows = _in_memory(20_000, "shares")
    n = len(rows)
    share = lambda pred: sum(1 for r in rows if pred(r)) / n  # noqa: E731
    kinh = [r for r in rows if r.record["ethnicity"] == "Kinh"]
    families = Counter(split_name(r.record["full_name"])[0] for r in kinh)
    assert 0.34 < families["Nguyễn"] / len(kinh) < 0.42
    assert 0.09 < families["Trần"] / len(kinh) < 0.15
    assert 0.07 < families["Lê"] / len(kinh) < 0.12
    assert 0.15 <= share(lambda r: r.record["ethnicity"] != "Kinh") <= 0.25
    assert share(lambda r: r.record["ethnicity"] == "Gia Rai") > 0.05
    assert share(lambda r: r.record["ethnicity"] == "Ba Na") > 0.04
    assert 0.13 <= share(lambda r: DATA_EPOCH.year - r.record["birth_year"] > 70) <= 0.22
    assert 0.94 <= share(lambda r: r.status == Status.OFFICIAL) <= 0.97
    assert 0.025 <= share(lambda r: r.status == Status.PROBATIONARY) <= 0.045
    assert 0.008 <= share(lambda r: r.status == Status.EXEMPTED) <= 0.02
    assert 0.25 <= share(lambda r: r.record["sex"] == "F") <= 0.45
    assert share(lambda r: r.record["religion"] == "Không") > 0.85
    assert share(lambda r: r.record["citizen_id"][:3] in ("064", "052")) > 0.8
    # Women's names carry women's middle names, men's men's.
    assert not [r for r in kinh if r.record["sex"] == "M" and " Thị " in r.record["full_name"]]
    assert not [r for r in kinh if r.record["sex"] == "F" and " Văn " in r.record["full_name"]]
    # Elderly members hold smartphones less often than young ones.
    young = [r for r in rows if DATA_EPOCH.year - r.record["birth_year"] < 40]
    old = [r for r in rows if DATA_EPOCH.year - r.record["birth_year"] > 75]
    assert (sum(bool(r.record["has_smartphone"]) for r in old) / len(old)
            < sum(bool(r.record["has_smartphone"]) for r in young) / len(young) - 0.3)


def test_tree_scales_with_the_number_of_members():
    plan = plan_tree(141_794, random.Random("2026:tree"))
    kinds = Counter(u.kind for u in plan)
    assert kinds[UnitKind.COMMUNE] == 135
    assert 2_500 <= kinds[UnitKind.CELL] <= 3_600
    sizes = [u.size for u in plan if u.kind in MEMBER_UNIT_KINDS]
    assert sum(sizes) == 141_794
    assert min(sizes) >= 10 and max(sizes) <= 120
    small = plan_tree(N, random.Random("x:tree"))
    assert sum(u.size for u in small) == N
    assert all(u.size >= 10 for u in small if u.kind in MEMBER_UNIT_KINDS)


@pytest.mark.django_db
def test_tree_shape_in_the_database():
    generate(members=N, seed=5, reset=True)
    units = {u.pk: u for u in Unit.objects.all()}
    communes = [u for u in units.values() if u.kind == UnitKind.COMMUNE]
    assert len(communes) == 135
    assert {u.name for u in communes} >= {"Đảng bộ phường Pleiku", "Đảng bộ xã Ia Grai", "Đảng bộ phường Quy Nhơn"}
    counts = Counter(Member.objects.values_list("unit_id", flat=True))
    for u in units.values():
        if u.parent_id:
            parent = units[u.parent_id]
            assert u.code.startswith(parent.code + "-") and u.path.startswith(parent.path)
        if u.kind == UnitKind.GRASSROOTS_CELL:
            assert 1 <= counts[u.pk] < 30
        if u.kind == UnitKind.CELL:
            assert 10 <= counts[u.pk] <= 120
        if u.kind == UnitKind.GRASSROOTS_COMMITTEE:
            cells = [c for c in units.values() if c.parent_id == u.pk]
            assert len(cells) >= 2 and sum(counts[c.pk] for c in cells) >= 30
    assert set(counts) <= {pk for pk, u in units.items() if u.kind in MEMBER_UNIT_KINDS}


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_scopes():
    summary = generate(members=N, seed=2, reset=True, password="demo-password-123")
    assert [login.username for login in summary.logins] == ["admin", "tinh", "xa", "bithu", "canbothe", "dangvien"]
    roles = {(a.user.username, a.role): a.unit for a in RoleAssignment.objects.select_related("user", "unit")}
    province = Unit.objects.get(code="GL")
    commune = roles[("xa", Role.COMMITTEE_OFFICER)]
    cell = roles[("bithu", Role.CELL_SECRETARY)]
    assert roles[("admin", Role.ADMIN)] is None
    assert roles[("tinh", Role.COMMITTEE_OFFICER)] == province
    assert commune.kind == UnitKind.COMMUNE and commune.name == "Đảng bộ phường Pleiku"
    assert roles[("canbothe", Role.CARD_OFFICER)] == commune
    assert cell.kind in MEMBER_UNIT_KINDS and cell.path.startswith(commune.path)
    assert roles[("dangvien", Role.MEMBER)] == cell
    member_user = User.objects.get(username="dangvien")
    assert member_user.member.unit == cell and member_user.member.status == Status.OFFICIAL
    for username in ("admin", "tinh", "xa", "bithu", "canbothe", "dangvien"):
        assert User.objects.get(username=username).check_password("demo-password-123")

    def visible(username: str) -> int:
        return member_list(User.objects.get(username=username), MemberFilter()).count()

    assert visible("tinh") == visible("admin") == N
    assert visible("xa") == Member.objects.filter(unit__path__startswith=commune.path).count() < N
    assert visible("bithu") == Member.objects.filter(unit=cell).count()
    assert visible("dangvien") == 1


@pytest.mark.django_db
def test_one_audit_row_summarizes_the_run_and_the_chain_verifies():
    generate(members=N, seed=4, reset=True)
    generate(members=N, seed=4, reset=True)
    count, problem = audit_verify()
    assert problem is None and count >= 2
    entry = AuditEntry.objects.filter(action="demo.generate").order_by("-seq").first()
    assert entry.after["members"] == N
    assert entry.after["statuses"]["official"] == Member.objects.filter(status=Status.OFFICIAL).count()
    assert entry.before["members"] == N  # the reset deleted the first run's members


@pytest.mark.django_db
def test_reset_keeps_a_demo_user_who_acted_and_gives_back_the_role():
    from dangvien.core.audit import audit_record

    generate(members=N, seed=6, reset=True)
    xa = User.objects.get(username="xa")
    audit_record(actor=xa, action="test.acted", object_type="unit", object_id=1)  # protects the user row
    generate(members=N, seed=6, reset=True, password="another-password-1")
    xa_again = User.objects.get(username="xa")
    assert xa_again.pk == xa.pk and xa_again.check_password("another-password-1")
    assert [(a.role, a.unit.name) for a in xa_again.role_assignments.select_related("unit")] == [
        (Role.COMMITTEE_OFFICER, "Đảng bộ phường Pleiku")]
    assert audit_verify()[1] is None


@pytest.mark.django_db
def test_refuses_to_generate_twice_without_reset():
    generate(members=N, seed=4, reset=True)
    with pytest.raises(DemoDataExists):
        generate(members=N, seed=4)
    assert Member.objects.count() == N


@pytest.mark.django_db
def test_command_prints_the_logins():
    out = io.StringIO()
    call_command("demo-data", "--members", "300", "--seed", "9", "--reset", "--password", "pw-demo-2026", stdout=out)
    text = out.getvalue()
    assert "Generated 300 members" in text
    for username in ("admin", "tinh", "xa", "bithu", "canbothe", "dangvien"):
        assert f"\n{username} " in text
    assert text.count("pw-demo-2026") == 6
    assert Member.objects.count() == 300


def test_name_lists_are_nfc_and_follow_the_name_order():
    for value in [*names.MALE_GIVEN, *names.FEMALE_GIVEN, *names.JRAI_MALE_GIVEN, *names.JRAI_FEMALE_GIVEN,
                  *names.BAHNAR_MALE_GIVEN, *names.BAHNAR_FEMALE_GIVEN,
                  *(s for s, _ in names.KINH_SURNAMES), *(s for s, _ in names.JRAI_FAMILIES)]:
        assert unicodedata.is_normalized("NFC", value), value
    rng = random.Random(1)
    assert names.jrai_name(rng, "F").split(" ")[0] in {"Ksor", "Rơ", "Siu", "Nay", "Kpă", "Rah", "Puih", "Kpuih"}
    assert all(names.kinh_name(rng, "F").split(" ")[0] in {s.split(" ")[0] for s, _ in names.KINH_SURNAMES}
               for _ in range(200))


@pytest.mark.django_db
def test_the_home_cell_has_evaluations_and_fees_and_the_member_lands_on_the_handbook():
    import datetime as dt

    from django.test import Client

    from dangvien.members.models import FeePayment, MemberEvaluation

    summary = generate(members=N, seed=3, reset=True, password="demo-password-123", as_of=dt.date(2026, 11, 21))
    member = User.objects.get(username="dangvien").member
    cell = member.unit
    assert summary.evaluations == MemberEvaluation.objects.count() > 0
    assert summary.fees == FeePayment.objects.count() > 0
    assert set(MemberEvaluation.objects.values_list("member__unit", flat=True)) == {cell.pk}
    assert set(MemberEvaluation.objects.values_list("year", flat=True)) <= {2023, 2024, 2025}
    months = set(FeePayment.objects.values_list("month", flat=True))
    assert min(months) >= dt.date(2025, 12, 1) and max(months) == dt.date(2026, 11, 1)
    for evaluation in MemberEvaluation.objects.all():
        expected = ("excellent" if evaluation.score >= 90 else "good" if evaluation.score >= 70
                    else "completed" if evaluation.score >= 50 else "not_completed")
        assert evaluation.classification == expected
    name, citizen_id, born, card = summary.activation
    example = Member.objects.get(citizen_id=citizen_id)
    assert (example.full_name, example.date_of_birth, example.card_number, example.unit) == (name, born, card, cell)
    assert not User.objects.filter(member=example).exists()
    client = Client()
    response = client.post("/accounts/login/", {"username": "dangvien", "password": "demo-password-123"}, follow=True)
    assert response.redirect_chain[-1][0] == "/handbook/" and member.full_name in response.content.decode()
    # A second reset deletes them with the members, and what other apps keep of a member (a code).
    from dangvien.handbook.services import activation_code_issue

    activation_code_issue(actor=User.objects.get(username="bithu"), member=example)
    generate(members=N, seed=3, reset=True, as_of=dt.date(2026, 11, 21))
    assert MemberEvaluation.objects.count() == summary.evaluations
