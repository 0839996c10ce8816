"""The officer's decisions on reconciliation results (reconcile/services.py), with expectations
written out by hand: what the record says after, the history event, the audit rows, and what a
refusal leaves unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.errors import NotFound
from dangvien.core.models import AuditEntry
from dangvien.members.bulk import Refused
from dangvien.members.models import EventKind, Member, MemberEvent
from dangvien.members.services import member_correct
from dangvien.reconcile import services
from dangvien.reconcile.models import Decision, Discrepancy, Field, Kind, State
from tests.factories import make_member
from tests.reconcile.fixtures import candidate, linked_match, person, review_match

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def _actions(since: int) -> list[str]:
    return list(AuditEntry.objects.filter(seq__gt=since).order_by("seq").values_list("action", flat=True))


def _last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


# --- discrepancies, one at a time ---------------------------------------------------------------


def _unaccented(world):
    """member_a1's name written without diacritics, as a noisy record has it."""
    member = make_member(world.cell_a1, full_name="Tran Thi Lan", sex="F", birth=dt.date(1982, 4, 7))
    match = linked_match(member, member.citizen_id, discrepancies=[
        (Field.FULL_NAME, Kind.DIACRITICS_ONLY, "Tran Thi Lan", "Trần Thị Lan"),
        (Field.DATE_OF_BIRTH, Kind.DAY_MONTH_SWAP, "1982-04-07", "1982-07-04")])
    return member, match


def test_accepting_corrects_the_record_with_history_and_audit(world):
    member, match = _unaccented(world)
    name = match.discrepancies.get(field=Field.FULL_NAME)
    since = _last_seq()
    services.discrepancy_accept(actor=world.officer_a, discrepancy=name)
    after = _fresh(member)
    assert after.full_name == "Trần Thị Lan"
    assert (after.family_name, after.middle_name, after.given_name) == ("Trần", "Thị", "Lan")
    assert after.version == member.version + 1
    event = MemberEvent.objects.filter(member=member).latest("id")
    assert event.kind == EventKind.CORRECTED and event.details == {"fields": ["full_name"]}
    assert event.actor_id == world.officer_a.pk
    assert _actions(since) == ["member.corrected", "reconcile.discrepancy_accepted"]
    row = AuditEntry.objects.get(action="reconcile.discrepancy_accepted")
    assert row.object_id == str(name.pk) and row.after["state"] == "accepted" and row.before["state"] == "open"
    name.refresh_from_db()
    assert (name.state, name.decided_by_id) == (State.ACCEPTED, world.officer_a.pk)
    # The other field of the same member is still open, and still applies: its field did not move.
    birth = match.discrepancies.get(field=Field.DATE_OF_BIRTH)
    services.discrepancy_accept(actor=world.officer_a, discrepancy=birth)
    after = _fresh(member)
    assert (after.date_of_birth, after.birth_year, after.version) == (dt.date(1982, 7, 4), 1982, member.version + 2)


def test_a_record_changed_since_the_run_is_not_overwritten(world):
    member, match = _unaccented(world)
    member_correct(actor=world.officer_a, member=member, expected_version=member.version,
                   changes={"full_name": "Trần Thị Lam"})
    name = match.discrepancies.get(field=Field.FULL_NAME)
    before, since = _fresh(member), _last_seq()
    with pytest.raises(ValidationError) as refused:
        services.discrepancy_accept(actor=world.officer_a, discrepancy=name)
    assert "changed after the reconciliation compared it" in str(refused.value)
    assert "Trần Thị Lam" in str(refused.value) and "Tran Thi Lan" in str(refused.value)
    assert _fresh(member).full_name == "Trần Thị Lam" and _fresh(member).version == before.version
    assert Discrepancy.objects.get(pk=name.pk).state == State.OPEN
    assert _actions(since) == []


def test_rejecting_needs_a_reason_and_leaves_the_record(world):
    member, match = _unaccented(world)
    birth = match.discrepancies.get(field=Field.DATE_OF_BIRTH)
    with pytest.raises(ValidationError) as refused:
        services.discrepancy_reject(actor=world.officer_a, discrepancy=birth, reason="   ")
    assert refused.value.message_dict == {"reason": ["Give the reason."]}
    assert Discrepancy.objects.get(pk=birth.pk).state == State.OPEN
    since = _last_seq()
    services.discrepancy_reject(actor=world.officer_a, discrepancy=birth, reason="Lý lịch gốc ghi 07/04")
    birth.refresh_from_db()
    assert (birth.state, birth.reason) == (State.REJECTED, "Lý lịch gốc ghi 07/04")
    assert _fresh(member).version == member.version and _fresh(member).date_of_birth == dt.date(1982, 4, 7)
    assert _actions(since) == ["reconcile.discrepancy_rejected"]
    with pytest.raises(ValidationError, match="already decided"):
        services.discrepancy_accept(actor=world.officer_a, discrepancy=birth)


def test_who_may_decide_a_discrepancy(world):
    member, match = _unaccented(world)
    name = match.discrepancies.get(field=Field.FULL_NAME)
    for outsider in (world.officer_b, world.secretary_a1, world.member_user_a1):
        with pytest.raises(NotFound):
            services.discrepancy_accept(actor=outsider, discrepancy=name)
    # A card officer sees and decides results, but a correction changes the record: that is the
    # committee's (MEMBER_MANAGE).
    with pytest.raises(PermissionDenied):
        services.discrepancy_accept(actor=world.card_officer_a, discrepancy=name)
    assert Discrepancy.objects.get(pk=name.pk).state == State.OPEN
    services.discrepancy_reject(actor=world.card_officer_a, discrepancy=name, reason="Tên khai sinh không dấu")
    assert Discrepancy.objects.get(pk=name.pk).state == State.REJECTED


def test_a_superseded_result_is_not_applied(world):
    member, match = _unaccented(world)
    match.current = False
    match.save()
    with pytest.raises(ValidationError, match="newer reconciliation"):
        services.discrepancy_accept(actor=world.officer_a, discrepancy=match.discrepancies.first())


# --- review items -------------------------------------------------------------------------------


def _review_item(world):
    """member_a1 (Nguyễn Thị Hà, 09/08/1975) with no citizen ID on record, written without
    diacritics; two candidates: the right person first, a namesake born a year later."""
    member = world.member_a1
    right_id = member.citizen_id
    member_correct(actor=world.admin, member=member, expected_version=member.version,
                   changes={"citizen_id": None, "full_name": "Nguyen Thi Ha"})
    member = _fresh(member)
    right = person(so_dinh_danh=right_id, ho_ten="Nguyễn Thị Hà", ngay_sinh="09/08/1975")
    namesake = person(so_dinh_danh=make_citizen_id("064", "F", 1976, 9001), ho_ten="Nguyễn Thị Hà",
                      ngay_sinh="09/08/1976", que_quan_xa="Xã Chư Păh")
    match = review_match(member, [candidate(right, 0.62, name=4.1, birth=9.8, sex=1.0, hometown=5.2),
                                  candidate(namesake, 0.31, name=4.1, birth=-2.5, sex=1.0, hometown=-1.2)])
    return member, match, right_id


def test_accepting_a_candidate_links_and_lists_its_differences(world):
    member, match, right_id = _review_item(world)
    since = _last_seq()
    services.match_accept(actor=world.officer_a, match=match, so_dinh_danh=right_id)
    match.refresh_from_db()
    assert (match.decision, match.so_dinh_danh, match.decided_by_id) == (Decision.ACCEPTED, right_id,
                                                                         world.officer_a.pk)
    found = {(d.field, d.kind, d.record_value, d.population_value) for d in match.discrepancies.all()}
    assert found == {(Field.FULL_NAME, Kind.DIACRITICS_ONLY, "Nguyen Thi Ha", "Nguyễn Thị Hà"),
                     (Field.CITIZEN_ID, Kind.MISSING, "", right_id)}
    assert _actions(since) == ["reconcile.match_accepted"]
    assert _fresh(member).version == member.version  # linking alone changes no record
    # The missing citizen ID is a discrepancy to accept: then it is on the record.
    services.discrepancy_accept(actor=world.officer_a, discrepancy=match.discrepancies.get(field=Field.CITIZEN_ID))
    assert _fresh(member).citizen_id == right_id


def test_a_candidate_must_be_one_of_the_list_and_free(world):
    member, match, right_id = _review_item(world)
    with pytest.raises(ValidationError) as refused:
        services.match_accept(actor=world.officer_a, match=match, so_dinh_danh="001234567890")
    assert refused.value.message_dict == {"so_dinh_danh": ["This person is not among the candidates."]}
    # Another member took the right person's citizen ID meanwhile: linking both would be wrong.
    make_member(world.cell_a2, full_name="Phạm Thị Hà", sex="F", birth=dt.date(1975, 8, 9), citizen_id=right_id)
    with pytest.raises(ValidationError, match="already linked to another member, Phạm Thị Hà"):
        services.match_accept(actor=world.officer_a, match=match, so_dinh_danh=right_id)
    match.refresh_from_db()
    assert match.decision == Decision.UNDECIDED and not match.discrepancies.exists()


def test_rejecting_every_candidate(world):
    member, match, _right = _review_item(world)
    with pytest.raises(ValidationError):
        services.match_reject(actor=world.officer_a, match=match, reason="")
    services.match_reject(actor=world.officer_a, match=match, reason="Đã chuyển sinh hoạt về tỉnh khác")
    match.refresh_from_db()
    assert (match.decision, match.so_dinh_danh) == (Decision.REJECTED, None)
    with pytest.raises(ValidationError, match="already decided"):
        services.match_accept(actor=world.officer_a, match=match, so_dinh_danh=_right)
    with pytest.raises(NotFound):
        services.match_reject(actor=world.officer_b, match=match, reason="x")


# --- many at once -------------------------------------------------------------------------------


def _unaccented_names(world) -> list[Discrepancy]:
    """Three diacritics-only name fixes in commune A (two cells) and one in commune B."""
    found = []
    for cell, name, right in [(world.cell_a1, "Le Van Hung", "Lê Văn Hùng"), (world.cell_a2, "Vo Thi Mai", "Võ Thị Mai"),
                              (world.cell_a2, "Dang Van Tam", "Đặng Văn Tâm"), (world.cell_b1, "Ho Van Nam", "Hồ Văn Nam")]:
        member = make_member(cell, full_name=name)
        match = linked_match(member, member.citizen_id, discrepancies=[
            (Field.FULL_NAME, Kind.DIACRITICS_ONLY, name, right), (Field.SEX, Kind.OTHER, "M", "F")])
        found.append(match.discrepancies.get(field=Field.FULL_NAME))
    return found


def test_bulk_accepts_one_kind_in_one_subtree(world):
    fixes = _unaccented_names(world)
    count = services.discrepancies_accept_bulk(actor=world.officer_a, unit=world.commune_a, field=Field.FULL_NAME,
                                               kind=Kind.DIACRITICS_ONLY, expected_count=3)
    assert count == 3
    names = {Member.objects.get(pk=d.member_id).full_name for d in fixes}
    assert names == {"Lê Văn Hùng", "Võ Thị Mai", "Đặng Văn Tâm", "Ho Van Nam"}  # commune B's untouched
    assert [Discrepancy.objects.get(pk=d.pk).state for d in fixes] == [State.ACCEPTED] * 3 + [State.OPEN]
    assert Discrepancy.objects.filter(field=Field.SEX, state=State.OPEN).count() == 4  # another field: left


def test_bulk_refuses_all_when_one_record_moved(world):
    fixes = _unaccented_names(world)
    moved = Member.objects.get(pk=fixes[1].member_id)
    member_correct(actor=world.officer_a, member=moved, expected_version=moved.version,
                   changes={"full_name": "Võ Thị Mây"})
    since = _last_seq()
    with pytest.raises(Refused) as refused:
        services.discrepancies_accept_bulk(actor=world.officer_a, unit=world.commune_a, field=Field.FULL_NAME,
                                           kind=Kind.DIACRITICS_ONLY)
    assert [p.key for p in refused.value.problems] == [f"Võ Thị Mây ({world.cell_a2.code})"]
    assert _actions(since) == []
    assert [Discrepancy.objects.get(pk=d.pk).state for d in fixes] == [State.OPEN] * 4
    assert Member.objects.get(pk=fixes[0].member_id).full_name == "Le Van Hung"
    with pytest.raises(ValidationError, match="2 such differences are open now, not 3"):
        Discrepancy.objects.filter(pk=fixes[1].pk).update(state=State.REJECTED)
        services.discrepancies_accept_bulk(actor=world.officer_a, unit=world.commune_a, field=Field.FULL_NAME,
                                           kind=Kind.DIACRITICS_ONLY, expected_count=3)


def test_bulk_needs_the_committee_over_the_unit(world):
    _unaccented_names(world)
    with pytest.raises(PermissionDenied):
        services.discrepancies_accept_bulk(actor=world.officer_b, unit=world.commune_a, field=Field.FULL_NAME,
                                           kind=Kind.DIACRITICS_ONLY)
    with pytest.raises(PermissionDenied):
        services.discrepancies_accept_bulk(actor=world.card_officer_a, unit=world.commune_a, field=Field.FULL_NAME,
                                           kind=Kind.DIACRITICS_ONLY)
    assert not Discrepancy.objects.filter(state=State.ACCEPTED).exists()


def test_bulk_writes_what_accepting_one_by_one_writes(world):
    """Parity (tests/members/test_bulk.py): the same fixes accepted in bulk and one by one, on the same
    registry rolled back in between, write the same member columns, history events, audit rows and
    discrepancy states."""
    from tests.members.test_bulk import written_by

    fixes = _unaccented_names(world)[:3]
    states: dict[str, list] = {}

    def decided(label):
        states[label] = list(Discrepancy.objects.order_by("pk").values_list("pk", "state", "decided_by", "decided_at"))

    def bulk():
        services.discrepancies_accept_bulk(actor=world.officer_a, unit=world.commune_a, field=Field.FULL_NAME,
                                           kind=Kind.DIACRITICS_ONLY, note="Theo CSDL dân cư")
        decided("bulk")

    def one_by_one():
        for fix in fixes:
            services.discrepancy_accept(actor=world.officer_a, discrepancy=fix, note="Theo CSDL dân cư")
        decided("one_by_one")

    in_bulk, singly = written_by(bulk), written_by(one_by_one)
    by_object = lambda rows: sorted(rows, key=lambda a: (a["action"], str(a["object_id"])))  # noqa: E731
    assert in_bulk["members"] == singly["members"] and len(in_bulk["members"]) == 3
    assert in_bulk["events"] == singly["events"]
    assert [e["note"] for e in in_bulk["events"]] == ["Theo CSDL dân cư"] * 3
    assert by_object(in_bulk["audit"]) == by_object(singly["audit"])
    assert sorted(a["action"] for a in in_bulk["audit"]) == ["member.corrected"] * 3 + ["reconcile.discrepancy_accepted"] * 3
    assert states["bulk"] == states["one_by_one"]
    assert sum(state == State.ACCEPTED for _pk, state, *_ in states["bulk"]) == 3
