"""Every write to the member registry: lifecycle events, registration and admission, corrections.

Each service must check scope (404) and permission (403), refuse a stale edit, and on success
bump the version, append exactly one history event and exactly one audit row; on any refusal it
must change nothing."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dangvien.core.audit import audit_verify
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.models import AuditEntry
from dangvien.core.text import name_sort_key
from dangvien.members import services, validation
from dangvien.members.models import DisciplineForm, EventKind, Member, MemberEvent, Status
from dangvien.members.selectors import MemberFilter, member_get_for, member_list
from dangvien.members.validation import record_warnings
from dangvien.org.models import UnitKind
from dangvien.org.services import unit_create
from tests.clock import at
from tests.factories import make_member

P, O, E = Status.PROBATIONARY, Status.OFFICIAL, Status.EXEMPTED  # noqa: E741
TEMP, OUT = Status.TEMPORARILY_OUT, Status.TRANSFERRED_OUT
REMOVED, EXPELLED, DECEASED = Status.REMOVED, Status.EXPELLED, Status.DECEASED

SETUP_DAY = dt.date(2026, 3, 2)  # events that put a member in a status
DAY = dt.date(2026, 6, 1)  # the event under test


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English (the msgids); the default language is Vietnamese.
    with translation.override("en"):
        yield


# --- helpers -------------------------------------------------------------------------------------


def state(member: Member) -> tuple[dict, int, int]:
    """The member's stored row, its event count and the audit row count: what a refusal must leave."""
    fresh = Member.objects.get(pk=member.pk)
    row = {f.attname: getattr(fresh, f.attname) for f in Member._meta.concrete_fields if f.attname != "updated_at"}
    return row, MemberEvent.objects.filter(member=member).count(), AuditEntry.objects.count()


def last_event(member: Member) -> MemberEvent:
    return MemberEvent.objects.filter(member=member).order_by("-id").first()


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


_names = iter(f"Phạm Văn {chr(0x41 + i % 26)}{chr(0x61 + i // 26)}" for i in range(10**4))


def member_in(world, status: str) -> Member:
    """A fresh member of cell A1 in `status`, reached through the real services."""
    if status == P:
        return make_member(world.cell_a1, full_name=next(_names), status=P, admission=dt.date(2024, 1, 10),
                           official=None)
    m = make_member(world.cell_a1, full_name=next(_names))
    officer, v = world.officer_a, m.version
    put = {
        O: lambda: m,
        E: lambda: services.member_exempt(actor=officer, member=m, expected_version=v, date=SETUP_DAY,
                                          reason="Tuổi cao"),
        TEMP: lambda: services.member_transfer_temporarily(actor=officer, member=m, expected_version=v,
                                                           date=SETUP_DAY, destination="Trường Chính trị tỉnh"),
        OUT: lambda: services.member_transfer_out(actor=officer, member=m, expected_version=v, date=SETUP_DAY,
                                                  destination="Tỉnh Đắk Lắk"),
        REMOVED: lambda: services.member_remove(actor=officer, member=m, expected_version=v, date=SETUP_DAY,
                                                reason="Bỏ sinh hoạt"),
        EXPELLED: lambda: services.member_discipline(actor=officer, member=m, expected_version=v, date=SETUP_DAY,
                                                     form=DisciplineForm.EXPULSION),
        DECEASED: lambda: services.member_record_death(actor=officer, member=m, expected_version=v,
                                                       date=SETUP_DAY),
    }[status]
    member = put()
    assert member.status == status
    return member


def _event(name: str) -> Callable:
    """Call lifecycle event `name` on `member` as `actor` with valid arguments dated DAY."""
    def call(world, member, actor=None, version=None):
        kw = {"actor": actor or world.officer_a, "member": member,
              "expected_version": member.version if version is None else version}
        return {
            "recognize_official": lambda: services.member_recognize_official(**kw, official_date=DAY, decision="12-QĐ"),
            "transfer_out": lambda: services.member_transfer_out(**kw, date=DAY, destination="Tỉnh Kon Tum"),
            "transfer_in": lambda: services.member_transfer_in(**kw, date=DAY, unit=world.cell_a2),
            "transfer_temporarily": lambda: services.member_transfer_temporarily(
                **kw, date=DAY, destination="Học viện Chính trị", until=DAY + dt.timedelta(days=200)),
            "return": lambda: services.member_return(**kw, date=DAY),
            "exempt": lambda: services.member_exempt(**kw, date=DAY, reason="Ốm đau"),
            "lift_exemption": lambda: services.member_lift_exemption(**kw, date=DAY),
            "discipline": lambda: services.member_discipline(**kw, date=DAY, form=DisciplineForm.WARNING),
            "remove": lambda: services.member_remove(**kw, date=DAY, reason="Không đóng đảng phí"),
            "record_death": lambda: services.member_record_death(**kw, date=DAY),
        }[name]()
    return call


EVENTS = ["recognize_official", "transfer_out", "transfer_in", "transfer_temporarily", "return", "exempt",
          "lift_exemption", "discipline", "remove", "record_death"]
STATUSES = [P, O, E, TEMP, OUT, REMOVED, EXPELLED, DECEASED]
ON_ROLL = {P, O, E, TEMP}
ALLOWED = {
    "recognize_official": {P},
    "transfer_out": {P, O, E},
    "transfer_in": {OUT},
    "transfer_temporarily": {P, O},
    "return": {TEMP},
    "exempt": {P, O},
    "lift_exemption": {E},
    "discipline": ON_ROLL,
    "remove": ON_ROLL,
    "record_death": ON_ROLL,
}
KIND = {
    "recognize_official": EventKind.RECOGNIZED_OFFICIAL, "transfer_out": EventKind.TRANSFERRED_OUT,
    "transfer_in": EventKind.TRANSFERRED_IN, "transfer_temporarily": EventKind.TEMPORARILY_OUT,
    "return": EventKind.RETURNED, "exempt": EventKind.EXEMPTED, "lift_exemption": EventKind.EXEMPTION_LIFTED,
    "discipline": EventKind.DISCIPLINED, "remove": EventKind.REMOVED, "record_death": EventKind.DIED,
}


def expected_status(event: str, status: str) -> str:
    """Where `event` takes a member in `status` (members built by member_in(): all but P are official)."""
    return {
        "recognize_official": O, "transfer_out": OUT, "transfer_in": O, "transfer_temporarily": TEMP,
        "return": O, "exempt": E, "lift_exemption": O, "discipline": status, "remove": REMOVED,
        "record_death": DECEASED,
    }[event]


# --- the transition matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("event", EVENTS)
def test_transition_matrix(world, event, status):
    member = member_in(world, status)
    before_row, events, audits = state(member)
    if status not in ALLOWED[event]:
        with pytest.raises(ValidationError) as exc:
            _event(event)(world, member)
        messages = exc.value.message_dict
        assert list(messages) == ["status"]
        assert messages["status"][0].startswith("Cannot ")
        assert Status(status).label.lower() in messages["status"][0]
        assert state(member) == (before_row, events, audits)
        return

    result = _event(event)(world, member)
    new_status = expected_status(event, status)
    stored = Member.objects.get(pk=member.pk)
    assert result.status == stored.status == new_status
    assert stored.version == before_row["version"] + 1
    if new_status != status:
        assert stored.status_date == DAY
    assert MemberEvent.objects.filter(member=member).count() == events + 1
    ev = last_event(member)
    assert (ev.kind, ev.from_status, ev.to_status, ev.effective_date) == (KIND[event], status, new_status, DAY)
    assert ev.actor_id == world.officer_a.pk
    assert ev.unit_id == stored.unit_id
    assert AuditEntry.objects.count() == audits + 1
    row = last_audit()
    assert (row.action, row.object_type, row.object_id) == (f"member.{KIND[event]}", "member", str(member.pk))
    assert row.actor_id == world.officer_a.pk
    assert row.unit_path == stored.unit.path
    if new_status != status:
        assert (row.before["status"], row.after["status"]) == (status, new_status)
        assert (row.before["status_date"], row.after["status_date"]) == (before_row["status_date"].isoformat(),
                                                                         DAY.isoformat())
    else:
        assert "status" not in row.before and "status" not in row.after
    assert audit_verify()[1] is None


def test_matrix_allows_something_from_every_on_roll_status():
    for status in STATUSES:
        allowed = [e for e in EVENTS if status in ALLOWED[e]]
        assert bool(allowed) == (status in ON_ROLL or status == OUT), status


# --- happy paths in detail -----------------------------------------------------------------------


def test_recognize_official(world):
    m = world.member_a2  # probationary, admitted 2025-09-02
    m = services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 9, 2), decision="45-QĐ/ĐU", note="Đủ điều kiện")
    m.refresh_from_db()
    assert (m.status, m.official_date, m.status_date, m.version) == (O, dt.date(2026, 9, 2), dt.date(2026, 9, 2), 2)
    assert [e.kind for e in m.events.all()] == [EventKind.ADMITTED, EventKind.RECOGNIZED_OFFICIAL]
    ev = last_event(m)
    assert (ev.decision, ev.note, ev.from_status, ev.to_status) == ("45-QĐ/ĐU", "Đủ điều kiện", P, O)
    row = last_audit()
    assert row.before == {"status": "probationary", "official_date": None, "status_date": "2025-09-02"}
    assert row.after == {"status": "official", "official_date": "2026-09-02", "status_date": "2026-09-02",
                         "decision": "45-QĐ/ĐU"}


def test_probation_counts_from_the_ceremony_and_lasts_twelve_months(world):
    m = make_member(world.cell_a1, full_name="Hồ Thị Mai", sex="F", status=P, admission=dt.date(2025, 1, 10),
                    official=None, admission_ceremony_date=dt.date(2025, 2, 1))
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 1, 31))
    assert exc.value.message_dict == {"official_date": [
        "Probation lasts 12 months: the earliest official date is 01/02/2026."]}
    assert state(m) == before
    m = services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 2, 1))
    assert m.status == O


def test_probation_without_a_ceremony_counts_from_the_admission(world):
    m = world.member_a2
    with pytest.raises(ValidationError) as exc:
        services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=dt.date(2026, 9, 1))
    assert "01/09" not in exc.value.message_dict["official_date"][0]
    assert "02/09/2026" in exc.value.message_dict["official_date"][0]


def test_exempt_and_lift_keep_the_standing(world):
    m = world.member_a2  # probationary
    m = services.member_exempt(actor=world.officer_a, member=m, expected_version=m.version, date=dt.date(2026, 1, 5),
                               reason="  Ốm dài ngày ")
    assert (m.status, last_event(m).details) == (E, {"reason": "Ốm dài ngày"})
    assert last_audit().after["details"] == {"reason": "Ốm dài ngày"}
    m = services.member_lift_exemption(actor=world.officer_a, member=m, expected_version=m.version,
                                       date=dt.date(2026, 4, 5))
    assert m.status == P  # back to probationary, not official
    assert (last_event(m).from_status, last_event(m).to_status) == (E, P)


def test_exemption_needs_a_reason(world):
    m = world.member_a1
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_exempt(actor=world.officer_a, member=m, expected_version=m.version, date=DAY, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]
    assert state(m) == before


def test_reprimand_changes_no_field_but_is_in_history_and_audit(world):
    m = world.member_a1
    m = services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                                   form=DisciplineForm.REPRIMAND, decision="07-QĐKL")
    assert (m.status, m.version) == (O, 2)
    ev = last_event(m)
    assert (ev.kind, ev.from_status, ev.to_status, ev.details) == (EventKind.DISCIPLINED, O, O, {"form": "reprimand"})
    row = last_audit()
    assert row.action == "member.disciplined"
    assert row.before == {}
    assert row.after == {"decision": "07-QĐKL", "details": {"form": "reprimand"}}


def test_expulsion_ends_membership(world):
    m = world.member_a1
    m = services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                                   form=DisciplineForm.EXPULSION)
    assert (m.status, m.status_date) == (EXPELLED, DAY)


@pytest.mark.parametrize("form", [DisciplineForm.DISMISSAL, DisciplineForm.EXPULSION])
def test_probationary_member_can_only_be_reprimanded_or_warned(world, form):
    m = world.member_a2
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version, date=DAY, form=form)
    assert exc.value.message_dict == {"form": ["A probationary member can only be reprimanded or warned."]}
    assert state(m) == before


@pytest.mark.parametrize("form", [DisciplineForm.REPRIMAND, DisciplineForm.WARNING])
def test_probationary_member_reprimand_and_warning(world, form):
    m = world.member_a2
    m = services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version, date=DAY, form=form)
    assert (m.status, last_event(m).details) == (P, {"form": form})


def test_unknown_discipline_form(world):
    m = world.member_a1
    with pytest.raises(ValidationError) as exc:
        services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                                   form="banishment")
    assert list(exc.value.message_dict) == ["form"]


def test_removal_and_death(world):
    m = world.member_a1
    m = services.member_remove(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                               reason="Ba tháng không sinh hoạt")
    assert (m.status, last_event(m).details) == (REMOVED, {"reason": "Ba tháng không sinh hoạt"})
    m = world.member_a2
    m = services.member_record_death(actor=world.officer_a, member=m, expected_version=m.version, date=DAY)
    m.refresh_from_db()
    assert (m.status, m.death_date, m.status_date) == (DECEASED, DAY, DAY)
    assert last_audit().after == {"status": "deceased", "status_date": DAY.isoformat(), "death_date": DAY.isoformat()}


# --- transfers -------------------------------------------------------------------------------------


def test_transfer_out_to_a_unit_on_the_system_then_in_by_the_receiving_officer(world):
    m = world.member_a1
    m = services.member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=SETUP_DAY,
                                     destination_unit=world.cell_b1, decision="88-QĐ")
    assert (m.status, m.unit_id, m.pending_unit_id) == (OUT, world.cell_a1.pk, world.cell_b1.pk)
    assert last_event(m).details == {"destination": world.cell_b1.name, "destination_unit": world.cell_b1.pk}
    # The receiving commune sees the member while the transfer waits ...
    assert member_get_for(world.officer_b, m.pk) == m
    assert m in member_list(world.officer_b, MemberFilter())
    # ... but may not change the record before taking the member in.
    with pytest.raises(PermissionDenied):
        services.member_correct(actor=world.officer_b, member=m, expected_version=m.version,
                                changes={"hometown": "Pleiku"})
    # The sending side cannot take the member back into its own cell: the transfer is addressed
    # to commune B, where commune A's officer has no permission.
    with pytest.raises(PermissionDenied):
        services.member_transfer_in(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                                    unit=world.cell_a2)
    # The province officer manages both sides, but the transfer still goes where it is addressed.
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_in(actor=world.province_officer, member=m, expected_version=m.version, date=DAY,
                                    unit=world.cell_a2)
    assert list(exc.value.message_dict) == ["unit"]

    before_audits = AuditEntry.objects.count()
    m = services.member_transfer_in(actor=world.officer_b, member=m, expected_version=m.version, date=DAY,
                                    unit=world.cell_b1, decision="12-QĐ/ĐU")
    m.refresh_from_db()
    assert (m.status, m.unit_id, m.pending_unit_id, m.status_date) == (O, world.cell_b1.pk, None, DAY)
    ev = last_event(m)
    assert (ev.kind, ev.from_status, ev.to_status, ev.unit_id) == (EventKind.TRANSFERRED_IN, OUT, O, world.cell_b1.pk)
    assert ev.details == {"from": world.cell_a1.name}
    assert ev.actor_id == world.officer_b.pk
    row = last_audit()
    assert AuditEntry.objects.count() == before_audits + 1
    assert row.before["unit_id"] == world.cell_a1.pk and row.after["unit_id"] == world.cell_b1.pk
    assert row.before["pending_unit_id"] == world.cell_b1.pk and row.after["pending_unit_id"] is None
    assert row.unit_path == world.cell_b1.path
    # Now it is the receiving commune's member, and no longer the sender's.
    with pytest.raises(NotFound):
        member_get_for(world.officer_a, m.pk)
    assert member_get_for(world.officer_b, m.pk).unit == world.cell_b1


def test_transfer_in_only_to_the_addressed_unit(world):
    other = unit_create(actor=world.admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-B-02", name="Chi bộ 2",
                        parent=world.commune_b)
    m = world.member_a1
    m = services.member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=SETUP_DAY,
                                     destination_unit=world.cell_b1)
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_in(actor=world.officer_b, member=m, expected_version=m.version, date=DAY, unit=other)
    assert exc.value.message_dict == {"unit": [f"This transfer is addressed to {world.cell_b1.name}."]}
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_in(actor=world.officer_b, member=m, expected_version=m.version,
                                    date=SETUP_DAY - dt.timedelta(days=1), unit=world.cell_b1)
    assert exc.value.message_dict == {"date": ["The member cannot arrive before leaving."]}
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_in(actor=world.officer_b, member=m, expected_version=m.version, date=DAY,
                                    unit=world.commune_b)
    assert list(exc.value.message_dict) == ["unit"]
    assert state(m) == before


def test_transfer_out_destination_rules(world):
    m = world.member_a1
    before = state(m)
    cases = [
        ({"destination_unit": world.cell_a1}, "destination_unit"),  # already there
        ({"destination_unit": world.commune_b}, "destination_unit"),  # not a cell
        ({"destination": "   "}, "destination"),  # nowhere
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.member_transfer_out(actor=world.officer_a, member=m, expected_version=m.version, date=DAY, **kwargs)
        assert list(exc.value.message_dict) == [field]
    assert state(m) == before


def test_temporary_transfer_and_return(world):
    m = world.member_a1
    until = SETUP_DAY + dt.timedelta(days=300)
    m = services.member_transfer_temporarily(actor=world.officer_a, member=m, expected_version=m.version,
                                             date=SETUP_DAY, destination=" Trường Chính trị tỉnh ", until=until)
    m.refresh_from_db()
    assert (m.status, m.temporary_unit, m.unit_id) == (TEMP, "Trường Chính trị tỉnh", world.cell_a1.pk)
    assert last_event(m).details == {"destination": "Trường Chính trị tỉnh", "until": until.isoformat()}
    # Still on the home cell's roll and visible to its secretary.
    assert member_get_for(world.secretary_a1, m.pk) == m
    with pytest.raises(ValidationError) as exc:
        services.member_return(actor=world.officer_a, member=m, expected_version=m.version,
                               date=SETUP_DAY - dt.timedelta(days=1))
    assert exc.value.message_dict == {"date": ["This date is before the member's current status began (02/03/2026)."]}
    m = services.member_return(actor=world.officer_a, member=m, expected_version=m.version, date=DAY)
    m.refresh_from_db()
    assert (m.status, m.temporary_unit, m.status_date) == (O, "", DAY)
    assert (last_event(m).kind, last_event(m).from_status) == (EventKind.RETURNED, TEMP)


@pytest.mark.parametrize(("until", "message"), [
    (DAY, "The end must be after the start."),
    (DAY - dt.timedelta(days=1), "The end must be after the start."),
    (dt.date(2028, 6, 2), "A temporary transfer lasts at most two years."),  # two years and a day
])
def test_temporary_transfer_period(world, until, message):
    m = world.member_a1
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_temporarily(actor=world.officer_a, member=m, expected_version=m.version, date=DAY,
                                             destination="Hà Nội", until=until)
    assert exc.value.message_dict == {"until": [message]}
    assert state(m) == before


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", [e for e in EVENTS if e not in ("transfer_in", "recognize_official")])
def test_event_dates_in_the_future_or_before_admission_are_refused(world, event, clock):
    status = next(s for s in STATUSES if s in ALLOWED[event])
    member = member_in(world, status)
    before = state(member)
    clock.move_to(at(DAY - dt.timedelta(days=1)))  # DAY is now tomorrow
    with pytest.raises(ValidationError) as exc:
        _event(event)(world, member)
    assert exc.value.message_dict == {"date": ["This date is in the future."]}
    assert state(member) == before


def test_event_before_admission_is_refused(world):
    m = world.member_a1  # admitted 2010-03-02
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_record_death(actor=world.officer_a, member=m, expected_version=m.version,
                                     date=dt.date(2010, 3, 1))
    assert exc.value.message_dict == {"date": ["This date is before the member's admission (02/03/2010)."]}
    with pytest.raises(ValidationError) as exc:
        services.member_exempt(actor=world.officer_a, member=m, expected_version=m.version,
                               date=dt.date(2009, 1, 1), reason="Ốm")
    assert list(exc.value.message_dict) == ["date"]
    assert state(m) == before


def test_status_events_cannot_predate_the_current_status(world):
    m = member_in(world, E)  # exempted on SETUP_DAY
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_lift_exemption(actor=world.officer_a, member=m, expected_version=m.version,
                                       date=SETUP_DAY - dt.timedelta(days=1))
    assert exc.value.message_dict == {"date": ["This date is before the member's current status began (02/03/2026)."]}
    assert state(m) == before
    # A reprimand changes no status, so it may be recorded for an earlier date.
    m = services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version,
                                   date=dt.date(2015, 1, 1), form=DisciplineForm.REPRIMAND)
    assert last_event(m).effective_date == dt.date(2015, 1, 1)


def test_official_future_date_refused(world, monkeypatch):
    m = world.member_a2
    with pytest.raises(ValidationError) as exc:
        services.member_recognize_official(actor=world.officer_a, member=m, expected_version=m.version,
                                           official_date=validation.today() + dt.timedelta(days=1))
    assert exc.value.message_dict == {"official_date": ["This date is in the future."]}


def test_correction_official_date_before_admission(world):
    m = world.member_a1
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"official_date": dt.date(2010, 3, 1)})
    assert exc.value.message_dict == {"official_date": ["The official date cannot be before the admission date."]}
    assert state(m) == before


def test_official_member_keeps_an_official_date(world):
    m = world.member_a1
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"official_date": None})
    assert exc.value.message_dict == {"official_date": ["The official date of an official member cannot be removed."]}


def test_correction_cannot_make_a_probationary_member_official(world):
    """Only recognition (after the probation) makes a member official; not a data correction,
    which would then let lifting an exemption or a return restore 'official' standing."""
    m = world.member_a2
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"official_date": dt.date(2026, 9, 3)})
    assert list(exc.value.message_dict) == ["official_date"]
    m.refresh_from_db()
    assert m.official_date is None and m.version == 1


def test_exempted_probationary_member_can_still_be_corrected(world):
    m = world.member_a2
    m = services.member_exempt(actor=world.officer_a, member=m, expected_version=m.version,
                               date=dt.date(2026, 1, 5), reason="Ốm dài ngày")
    m = services.member_update_contact(actor=world.officer_a, member=m,
                                       expected_version=m.version, changes={"phone": "0912345678"})
    assert m.phone == "0912345678" and m.status == Status.EXEMPTED


def test_temporarily_out_probationary_member_cannot_be_expelled(world):
    m = world.member_a2
    m = services.member_transfer_temporarily(actor=world.officer_a, member=m, expected_version=m.version,
                                             date=dt.date(2026, 1, 5), destination="Trường Chính trị tỉnh")
    with pytest.raises(ValidationError) as exc:
        services.member_discipline(actor=world.officer_a, member=m, expected_version=m.version,
                                   date=dt.date(2026, 2, 5), form=DisciplineForm.EXPULSION)
    assert list(exc.value.message_dict) == ["form"]


def test_death_before_birth_is_refused(world):
    """Admission is validated at 18 or older, so a death before birth is also before admission."""
    m = world.member_a1
    with pytest.raises(ValidationError) as exc:
        services.member_record_death(actor=world.officer_a, member=m, expected_version=m.version,
                                     date=dt.date(1970, 1, 1))
    assert list(exc.value.message_dict) == ["date"]


# --- registration and admission --------------------------------------------------------------------


def _data(**extra) -> dict:
    return {"full_name": "Đoàn Thị Lan", "sex": "F", "date_of_birth": dt.date(1990, 4, 30),
            "citizen_id": make_citizen_id("079", "F", 1990, 777), "admission_date": dt.date(2015, 5, 19),
            "official_date": dt.date(2016, 5, 19), **extra}


def test_register_writes_history_and_one_audit_row(world):
    audits = AuditEntry.objects.count()
    m = services.member_register(actor=world.officer_a, unit=world.cell_a2, data=_data(profile_number="123456gl"))
    m.refresh_from_db()
    assert (m.status, m.status_date, m.version, m.unit_id) == (O, dt.date(2016, 5, 19), 1, world.cell_a2.pk)
    assert (m.profile_number, m.birth_year) == ("123456GL", 1990)
    assert [(e.kind, e.effective_date, e.from_status, e.to_status) for e in m.events.all()] == [
        (EventKind.ADMITTED, dt.date(2015, 5, 19), "", P),
        (EventKind.RECOGNIZED_OFFICIAL, dt.date(2016, 5, 19), P, O),
    ]
    assert AuditEntry.objects.count() == audits + 1
    row = last_audit()
    assert (row.action, row.before, row.object_id) == ("member.registered", None, str(m.pk))
    assert row.after["full_name"] == "Đoàn Thị Lan" and row.after["status"] == "official"
    assert row.after["citizen_id"] == m.citizen_id


def test_register_stores_nfc_and_derived_names(world):
    nfd = unicodedata.normalize("NFD", "  NGUYỄN   Thị Hà ")
    m = services.member_register(actor=world.officer_a, unit=world.cell_a2, data=_data(full_name=nfd,
                                 hometown=unicodedata.normalize("NFD", "Xã Đak Đoa")))
    m.refresh_from_db()
    assert m.full_name == "NGUYỄN Thị Hà"
    assert unicodedata.is_normalized("NFC", m.full_name)
    assert m.hometown == "Xã Đak Đoa"
    assert (m.family_name, m.middle_name, m.given_name) == ("NGUYỄN", "Thị", "Hà")
    assert m.search_name == " nguyen thi ha "
    assert m.sort_key == name_sort_key("NGUYỄN Thị Hà")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"status": O, "data": _data(official_date=None)}, "official_date"),
    ({"status": P, "data": _data()}, "official_date"),
    ({"status": REMOVED, "data": _data()}, "status"),
    ({"status": O, "data": _data(citizen_id="07919900077")}, "citizen_id"),  # 11 digits
    ({"status": O, "data": _data(citizen_id="0791990007770")}, "citizen_id"),  # 13 digits
    ({"status": O, "data": _data(official_date=dt.date(2015, 5, 18))}, "official_date"),
])
def test_register_refusals(world, kwargs, field):
    count, audits = Member.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.member_register(actor=world.officer_a, unit=world.cell_a2, **kwargs)
    assert field in exc.value.message_dict
    assert (Member.objects.count(), AuditEntry.objects.count()) == (count, audits)


def test_register_into_a_unit_that_is_not_a_cell(world):
    with pytest.raises(ValidationError) as exc:
        services.member_register(actor=world.officer_a, unit=world.org_a, data=_data())
    assert list(exc.value.message_dict) == ["unit"]


def test_register_outside_own_subtree_is_refused(world):
    count = Member.objects.count()
    with pytest.raises(PermissionDenied):
        services.member_register(actor=world.officer_b, unit=world.cell_a1, data=_data())
    with pytest.raises(PermissionDenied):
        services.member_register(actor=world.secretary_a1, unit=world.cell_a1, data=_data())
    assert Member.objects.count() == count


def test_duplicate_citizen_id_and_profile_number(world):
    services.member_register(actor=world.officer_a, unit=world.cell_a2, data=_data(profile_number="123456GL"))
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.member_register(actor=world.officer_b, unit=world.cell_b1,
                                 data=_data(full_name="Đoàn Thị Lan B", profile_number="123456 gl"))
    assert exc.value.message_dict == {
        "citizen_id": ["Another member already has this citizen ID."],
        "profile_number": ["Another member already has this profile number."],
    }
    assert Member.objects.count() == count
    # The same through a correction.
    m = world.member_b1
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_b, member=m, expected_version=m.version,
                                changes={"profile_number": "123456GL"})
    assert exc.value.message_dict == {"profile_number": ["Another member already has this profile number."]}


def test_admit(world):
    data = {"full_name": "Y Bih Niê", "sex": "M", "date_of_birth": dt.date(2000, 2, 3),
            "citizen_id": make_citizen_id("066", "M", 2000, 5), "admission_date": dt.date(2026, 5, 19),
            "official_date": dt.date(2026, 6, 1)}  # ignored: a new member is probationary
    m = services.member_admit(actor=world.officer_a, unit=world.cell_a1, data=data, decision="101-QĐ/ĐU")
    m.refresh_from_db()
    assert (m.status, m.official_date, m.status_date) == (P, None, dt.date(2026, 5, 19))
    assert [(e.kind, e.decision) for e in m.events.all()] == [(EventKind.ADMITTED, "101-QĐ/ĐU")]
    row = last_audit()
    assert row.action == "member.admitted"
    assert row.after["decision"] == "101-QĐ/ĐU" and row.after["status"] == "probationary"


@pytest.mark.parametrize(("birth", "ok"), [
    (dt.date(2008, 5, 20), False),  # 17 on 19/05/2026
    (dt.date(2008, 5, 19), True),  # 18 that day
    (dt.date(1966, 5, 19), True),  # 60 that day
    (dt.date(1965, 5, 20), True),  # still 60, a day before turning 61
    (dt.date(1965, 5, 19), False),  # 61 that day
])
def test_admission_age_limits(world, birth, ok):
    data = {"full_name": "Lò Văn Tuấn", "sex": "M", "date_of_birth": birth,
            "citizen_id": make_citizen_id("014", "M", birth.year, 9), "admission_date": dt.date(2026, 5, 19)}
    count = Member.objects.count()
    if ok:
        assert services.member_admit(actor=world.officer_a, unit=world.cell_a1, data=data).status == P
        return
    with pytest.raises(ValidationError) as exc:
        services.member_admit(actor=world.officer_a, unit=world.cell_a1, data=data)
    assert list(exc.value.message_dict) == ["admission_date"]
    assert "18 to 60" in exc.value.message_dict["admission_date"][0]
    assert Member.objects.count() == count


def test_admit_needs_the_full_date_of_birth(world):
    data = {"full_name": "Lò Văn Tuấn", "sex": "M", "birth_year": 1990, "admission_date": dt.date(2026, 5, 19)}
    with pytest.raises(ValidationError) as exc:
        services.member_admit(actor=world.officer_a, unit=world.cell_a1, data=data)
    assert list(exc.value.message_dict) == ["date_of_birth"]


# --- corrections and contact updates ----------------------------------------------------------------


def test_correct_records_only_the_changed_fields(world):
    m = world.member_a1
    audits = AuditEntry.objects.count()
    m = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"hometown": unicodedata.normalize("NFD", " Xã Chư Sê "),
                                         "ethnicity": "Kinh", "full_name": "Nguyễn Thị Thu Hà"},
                                note="QĐ điều chỉnh")
    m.refresh_from_db()
    assert (m.hometown, m.full_name, m.middle_name, m.version) == ("Xã Chư Sê", "Nguyễn Thị Thu Hà", "Thị Thu", 2)
    assert m.search_name == " nguyen thi thu ha "
    ev = last_event(m)
    assert (ev.kind, ev.from_status, ev.to_status, ev.note) == (EventKind.CORRECTED, O, O, "QĐ điều chỉnh")
    assert ev.details == {"fields": ["full_name", "hometown"]}
    assert AuditEntry.objects.count() == audits + 1
    row = last_audit()
    assert row.before == {"full_name": "Nguyễn Thị Hà", "hometown": "Xã Ia Grai, Gia Lai"}
    assert row.after == {"full_name": "Nguyễn Thị Thu Hà", "hometown": "Xã Chư Sê",
                         "details": {"fields": ["full_name", "hometown"]}}


def test_correction_with_no_real_change_writes_nothing(world):
    m = world.member_a1
    m = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"phone": "0912345678"})
    before = state(m)
    same = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                   changes={"phone": " 091 234 5678 ",
                                            "full_name": unicodedata.normalize("NFD", "Nguyễn  Thị Hà")})
    assert same.version == before[0]["version"]
    assert state(m) == before


def test_register_stores_a_citizen_id_disagreeing_with_the_record_with_a_warning(world):
    """Registry first (issue 9): a mismatch is stored and shown; reconciliation resolves it."""
    m = services.member_register(actor=world.officer_a, unit=world.cell_a2, status=O,
                                 data=_data(citizen_id=make_citizen_id("079", "M", 1991, 777)))
    m = Member.objects.get(pk=m.pk)
    assert m.citizen_id == "079091000777" and (m.sex, m.birth_year) == ("F", 1990)
    assert [(w.field, w.message) for w in record_warnings(m)] == [
        ("citizen_id", "The 4th digit says male but the record says female."),
        ("citizen_id", "The ID's century and year digits say born in 1991 but the record says 1990."),
    ]


def test_register_with_only_an_old_id_given_as_the_citizen_id(world):
    m = services.member_register(actor=world.officer_a, unit=world.cell_a2, status=O,
                                 data=_data(citizen_id="230 123 456"))
    m = Member.objects.get(pk=m.pk)
    assert (m.citizen_id, m.old_id_number) == (None, "230123456")
    assert [(w.field, w.message) for w in record_warnings(m)] == [
        ("old_id_number", "No citizen ID is recorded, only the old ID (CMND) number 230123456.")]


def test_correcting_sex_against_the_citizen_id_saves_with_a_warning_until_corrected(world):
    m = world.member_a1  # a woman; her citizen ID says so
    m = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes={"sex": "M"})
    m = Member.objects.get(pk=m.pk)
    assert (m.sex, m.version) == ("M", 2)
    assert [w.message for w in record_warnings(m)] == ["The 4th digit says female but the record says male."]
    m = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes={"sex": "F"})
    assert record_warnings(Member.objects.get(pk=m.pk)) == []


def test_a_citizen_id_correction_never_erases_it_with_an_old_id(world):
    m = world.member_a1
    cid = m.citizen_id
    m = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"citizen_id": "230123456"})
    m = Member.objects.get(pk=m.pk)
    assert (m.citizen_id, m.old_id_number) == (cid, "230123456")
    assert record_warnings(m) == []


def test_an_old_id_given_as_the_citizen_id_never_replaces_another_old_id(world):
    m = services.member_correct(actor=world.officer_a, member=world.member_a1, expected_version=1,
                                changes={"old_id_number": "230000001"})
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"citizen_id": "230123456"})
    assert exc.value.message_dict == {"citizen_id": [
        "230123456 has 9 digits: an old ID (CMND) number, and the old ID number already holds another one. "
        "Enter the 12-digit citizen ID here, or leave it empty."]}
    assert state(m) == before
    # The same number as on record: nothing to move, nothing changes.
    same = services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                   changes={"citizen_id": "230000001"})
    assert state(same) == before


def test_a_wrong_length_citizen_id_is_still_refused(world):
    m = world.member_a1
    before = state(m)
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"citizen_id": "06417508009"})
    assert exc.value.message_dict == {"citizen_id": ["A citizen ID has exactly 12 digits."]}
    assert state(m) == before


def test_status_and_unit_cannot_be_corrected(world):
    m = world.member_a1
    with pytest.raises(ValidationError) as exc:
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version,
                                changes={"status": "deceased", "unit": world.cell_a2})
    assert set(exc.value.message_dict) == {"status", "unit"}


def test_secretary_updates_contacts_but_cannot_correct_the_profile(world):
    m = world.member_a1
    m = services.member_update_contact(actor=world.secretary_a1, member=m, expected_version=m.version,
                                       changes={"phone": "0987 654 321", "has_smartphone": False})
    m.refresh_from_db()
    assert (m.phone, m.has_smartphone, m.version) == ("0987654321", False, 2)
    assert last_audit().after == {"phone": "0987654321", "has_smartphone": False,
                                  "details": {"fields": ["has_smartphone", "phone"]}}
    before = state(m)
    with pytest.raises(PermissionDenied):
        services.member_correct(actor=world.secretary_a1, member=m, expected_version=m.version,
                                changes={"hometown": "Xã Chư Sê"})
    with pytest.raises(ValidationError) as exc:
        services.member_update_contact(actor=world.secretary_a1, member=m, expected_version=m.version,
                                       changes={"full_name": "Nguyễn Thị Hả"})
    assert list(exc.value.message_dict) == ["full_name"]
    with pytest.raises(PermissionDenied):
        services.member_exempt(actor=world.secretary_a1, member=m, expected_version=m.version, date=DAY, reason="x")
    assert state(m) == before


def test_contact_rules_apply(world):
    m = world.member_a1
    with pytest.raises(ValidationError) as exc:
        services.member_update_contact(actor=world.secretary_a1, member=m, expected_version=m.version,
                                       changes={"phone": "12345"})
    assert list(exc.value.message_dict) == ["phone"]


# --- who may write --------------------------------------------------------------------------------

WRITES = [*EVENTS, "correct", "update_contact"]


def _write(name: str):
    if name == "correct":
        return lambda world, m, actor, version=None: services.member_correct(
            actor=actor, member=m, expected_version=m.version if version is None else version,
            changes={"hometown": "Xã Chư Sê"})
    if name == "update_contact":
        return lambda world, m, actor, version=None: services.member_update_contact(
            actor=actor, member=m, expected_version=m.version if version is None else version,
            changes={"phone": "0900000000"})
    return lambda world, m, actor, version=None: _event(name)(world, m, actor=actor, version=version)


def _member_for(world, name: str) -> Member:
    status = O if name in ("correct", "update_contact") else next(s for s in STATUSES if s in ALLOWED[name])
    return member_in(world, status)


@pytest.mark.parametrize("name", WRITES)
def test_card_officer_is_read_only(world, name):
    m = _member_for(world, name)
    before = state(m)
    with pytest.raises(PermissionDenied):
        _write(name)(world, m, world.card_officer_a)
    assert state(m) == before


@pytest.mark.parametrize("name", WRITES)
def test_member_user_cannot_write_even_their_own_record(world, name):
    m = _member_for(world, name)
    world.member_user_a1.member = m
    world.member_user_a1.save()
    before = state(m)
    with pytest.raises(PermissionDenied):
        _write(name)(world, m, world.member_user_a1)
    assert state(m) == before
    other = world.member_a2
    with pytest.raises(NotFound):
        _write(name)(world, other, world.member_user_a1)


@pytest.mark.parametrize("name", WRITES)
def test_out_of_scope_officer_gets_not_found(world, name):
    m = _member_for(world, name)
    before = state(m)
    with pytest.raises(NotFound):
        _write(name)(world, m, world.officer_b)
    assert state(m) == before


@pytest.mark.parametrize("name", WRITES)
def test_stale_version_is_refused_and_nothing_written(world, name):
    m = _member_for(world, name)
    before = state(m)
    with pytest.raises(StaleEdit) as exc:
        _write(name)(world, m, world.officer_a, version=m.version - 1)
    assert exc.value.code == "stale"
    assert state(m) == before


def test_second_edit_from_the_same_copy_is_stale(world):
    copy = Member.objects.get(pk=world.member_a1.pk)
    services.member_correct(actor=world.officer_a, member=copy, expected_version=copy.version,
                            changes={"phone": "0912345678"})
    other_copy_version = 1
    with pytest.raises(StaleEdit):
        services.member_correct(actor=world.officer_a, member=copy, expected_version=other_copy_version,
                                changes={"hometown": "Xã Chư Sê"})
    assert Member.objects.get(pk=copy.pk).hometown == "Xã Ia Grai, Gia Lai"


def test_province_officer_and_admin_write_anywhere_below(world):
    m = world.member_b1
    m = services.member_correct(actor=world.province_officer, member=m, expected_version=m.version,
                                changes={"phone": "0911111111"})
    m = services.member_correct(actor=world.admin, member=m, expected_version=m.version,
                                changes={"phone": "0922222222"})
    assert (m.phone, m.version) == ("0922222222", 3)
    assert audit_verify()[1] is None
