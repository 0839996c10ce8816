"""Planning and applying a member import (import_plan / import_apply), on parsed rows built here."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangvien.accounts.models import RoleAssignment
from dangvien.accounts.permissions import forget_grants
from dangvien.core.audit import audit_verify
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.errors import NotFound, StaleEdit
from dangvien.core.models import AuditEntry
from dangvien.imports import services
from dangvien.imports.columns import BY_FIELD
from dangvien.imports.reading import CellError, ParsedFile, ParsedRow
from dangvien.imports.services import import_apply, import_plan
from dangvien.members import bulk
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.members.services import member_correct, member_register
from dangvien.members.validation import PROFILE_FIELDS

pytestmark = pytest.mark.django_db

_serial = iter(range(500_000, 600_000))


def new_values(cell, **over: Any) -> dict[str, Any]:
    birth = dt.date(1985, 4, 12)
    sex = over.get("sex", "M")
    values = {"full_name": "Phạm Minh Tuấn", "sex": sex, "date_of_birth": birth, "birth_year": birth.year,
              "citizen_id": make_citizen_id("064", sex, birth.year, next(_serial)), "hometown": "Xã Ia Grai, Gia Lai",
              "ethnicity": "Kinh", "religion": "Không", "admission_date": dt.date(2012, 5, 19),
              "official_date": dt.date(2013, 5, 19), "cell_code": cell.code, "status": Status.OFFICIAL}
    values.update(over)
    return values


def values_of(member: Member, **over: Any) -> dict[str, Any]:
    """A member as an export of the register would give it back."""
    values = {name: getattr(member, name) for name in ("full_name", "sex", "date_of_birth", "birth_year",
                                                       "citizen_id", "hometown", "ethnicity", "religion",
                                                       "admission_date", "official_date", "profile_number",
                                                       "card_number", "phone")}
    values.update(cell_code=member.unit.code, status=member.status)
    values.update(over)
    return values


def parsed(*rows: dict[str, Any] | ParsedRow, first_line: int = 2) -> ParsedFile:
    """Rows as read from a file whose header is on line 1 (Vietnamese headers)."""
    built = [r if isinstance(r, ParsedRow) else ParsedRow(line=first_line + i, values=r, errors=[])
             for i, r in enumerate(rows)]
    fields = {name for r in built for name in r.values}
    return ParsedFile(rows=built, file_errors=[], columns={f: BY_FIELD[f].vietnamese for f in fields})


def reasons(plan, line: int) -> list[tuple[str, str]]:
    return [(r.column, r.message) for r in plan.rejections if r.line == line]


def state() -> tuple[int, int, int, list[tuple[int, int]]]:
    return (Member.objects.count(), MemberEvent.objects.count(), AuditEntry.objects.exclude(action="import.plan").count(),
            list(Member.objects.order_by("pk").values_list("pk", "version")))


# --- planning ------------------------------------------------------------------------------------


def test_rows_are_classified_new_updated_unchanged_rejected_and_nothing_is_written(world):
    before = state()
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1),
        values_of(world.member_a1),
        values_of(world.member_a2, hometown="Phường Pleiku, Gia Lai", phone="0912345678"),
        new_values(world.cell_a2, sex="X"),
    ))
    assert plan.counts == {"new": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    assert plan.total_rows == 4
    assert plan.unchanged == [(3, world.member_a1.pk)]
    new, updated = plan.rows
    assert (new.line, new.action, new.cell_id, new.status) == (2, "new", world.cell_a1.pk, Status.OFFICIAL)
    assert (updated.line, updated.action, updated.member_id, updated.version) == (4, "updated", world.member_a2.pk, 1)
    assert updated.changes == {"hometown": ("Xã Ia Grai, Gia Lai", "Phường Pleiku, Gia Lai"),
                               "phone": ("", "0912345678")}
    assert reasons(plan, 5) == [("Giới tính", "Choose male or female.")]
    assert state() == before


def test_values_compare_normalized_blank_cells_keep_the_stored_value(world):
    nfd = unicodedata.normalize("NFD", world.member_a1.full_name)
    assert nfd != world.member_a1.full_name
    cid = world.member_a1.citizen_id
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(world.member_a1, full_name=nfd, citizen_id=f"{cid[:4]} {cid[4:8]}.{cid[8:]}", hometown="",
                  official_date=None, status=None),
    ))
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 1, "rejected": 0}


def test_a_row_with_parse_errors_is_rejected_with_them(world):
    row = ParsedRow(line=9, values=new_values(world.cell_a1, date_of_birth=None, birth_year=None),
                    errors=[CellError(9, "Ngày sinh", "31/02/1960 is not a date.")])
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(row))
    assert plan.counts["rejected"] == 1 and not plan.rows
    assert reasons(plan, 9) == [("Ngày sinh", "31/02/1960 is not a date.")]


def test_the_same_citizen_id_twice_rejects_every_such_row(world):
    twice = new_values(world.cell_a1)
    rows = [new_values(world.cell_a1) for _ in range(5)]
    rows[0], rows[3] = twice, {**twice, "full_name": "Phạm Minh Tuấn Anh"}
    rows.append({**twice, "cell_code": world.cell_a2.code})
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(*rows, first_line=7))
    assert plan.counts == {"new": 3, "updated": 0, "unchanged": 0, "rejected": 3}
    assert reasons(plan, 7) == [("Số CCCD", "Line 7 has the same citizen ID as line 10, 12.")]
    assert reasons(plan, 10) == [("Số CCCD", "Line 10 has the same citizen ID as line 7, 12.")]
    assert plan.rejected_lines == [7, 10, 12]


def test_the_same_profile_or_card_number_twice_is_rejected(world):
    a = new_values(world.cell_a1, profile_number="123456GL", card_number="88001234")
    b = new_values(world.cell_a1, profile_number="123456gl")
    c = new_values(world.cell_a1, card_number="88001234")
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(a, b, c))
    assert plan.counts["rejected"] == 3
    assert reasons(plan, 2) == [("Số lý lịch", "Line 2 has the same profile number as line 3."),
                                ("Số thẻ đảng", "Line 2 has the same card number as line 4.")]
    assert reasons(plan, 4) == [("Số thẻ đảng", "Line 4 has the same card number as line 2.")]


def test_a_member_of_another_cell_is_reported_never_merged(world):
    moved = values_of(world.member_a1, cell_code=world.cell_a2.code, hometown="Somewhere else")
    before = state()
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(moved, new_values(world.cell_a2)))
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    [(column, message)] = reasons(plan, 2)
    assert column == "Mã chi bộ"
    assert "recorded in cell GL-A-01-01, not GL-A-01-02" in message and "transfer" in message
    import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    world.member_a1.refresh_from_db()
    assert world.member_a1.hometown == "Xã Ia Grai, Gia Lai" and world.member_a1.version == 1
    assert Member.objects.count() == before[0] + 1


def test_a_member_outside_the_scope_is_reported_without_naming_the_unit(world):
    # member_b1 is in commune B; officer A imports a row with that citizen ID into a cell of A.
    row = values_of(world.member_b1, cell_code=world.cell_a1.code)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(row))
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    [(column, message)] = reasons(plan, 2)
    assert column == "Số CCCD"
    assert message == "A member outside your scope has this citizen ID: the row is not merged with that record."
    assert world.cell_b1.code not in message and world.cell_b1.name not in message


def test_a_match_by_profile_number_when_the_citizen_id_is_new(world):
    member_correct(actor=world.admin, member=world.member_a1, expected_version=1,
                   changes={"profile_number": "000123GL"})
    sex, year = world.member_a1.sex, world.member_a1.birth_year
    row = values_of(Member.objects.get(pk=world.member_a1.pk),
                    citizen_id=make_citizen_id("064", sex, year, 999_999))
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(row))
    [planned] = plan.rows
    assert (planned.action, planned.member_id, planned.version) == ("updated", world.member_a1.pk, 2)
    assert list(planned.changes) == ["citizen_id"]


def test_rows_for_cells_outside_the_scope_read_the_same_as_unknown_cells(world):
    other = new_values(world.cell_a1, cell_code=world.cell_b1.code)  # exists, in commune B
    unknown = new_values(world.cell_a1, cell_code="NO-SUCH-CELL")
    not_a_cell = new_values(world.cell_a1, cell_code=world.org_a.code)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(other, unknown, not_a_cell))
    assert plan.counts["rejected"] == 3
    [(column, outside)] = reasons(plan, 2)
    [(_, nowhere)] = reasons(plan, 3)
    assert column == "Mã chi bộ"
    assert outside.replace(world.cell_b1.code, "X") == nowhere.replace("NO-SUCH-CELL", "X")
    assert "not a cell" in reasons(plan, 4)[0][1]
    # The province officer importing under commune A: commune B's cells are outside that unit.
    plan = import_plan(actor=world.province_officer, unit=world.commune_a, parsed=parsed(other))
    assert plan.counts["rejected"] == 1


def test_planning_needs_member_manage_on_the_unit(world):
    rows = parsed(new_values(world.cell_a1))
    with pytest.raises(NotFound):
        import_plan(actor=world.officer_a, unit=world.commune_b, parsed=rows)
    with pytest.raises(PermissionDenied):
        import_plan(actor=world.secretary_a1, unit=world.cell_a1, parsed=rows)
    with pytest.raises(PermissionDenied):
        import_plan(actor=world.card_officer_a, unit=world.commune_a, parsed=rows)


def test_a_status_change_is_refused(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(world.member_a2, status=Status.OFFICIAL, official_date=dt.date(2026, 9, 2)),
        new_values(world.cell_a1, status=Status.EXEMPTED),
    ))
    assert plan.counts["rejected"] == 2 and not plan.rows
    [(column, message)] = reasons(plan, 2)
    assert column == "Trạng thái"
    assert message.startswith("The status differs from the record (Probationary → Official)")
    assert "status changes are recorded as lifecycle events" in message
    assert reasons(plan, 3)[0][0] == "Trạng thái" and "official or probationary" in reasons(plan, 3)[0][1]


def test_a_new_row_without_a_status_takes_the_standing_its_dates_show(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, status=None),
        new_values(world.cell_a1, status=None, official_date=None, admission_date=dt.date(2025, 10, 1)),
    ))
    assert [r.status for r in plan.rows] == [Status.OFFICIAL, Status.PROBATIONARY]


def test_the_services_rules_apply_to_every_row(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, status=Status.PROBATIONARY),  # has an official date
        new_values(world.cell_a1, official_date=None),  # official without one
        new_values(world.cell_a1, admission_date=dt.date(2000, 1, 1)),  # at 14
        new_values(world.cell_a1, citizen_id=None, profile_number=None),  # cannot be matched later
        values_of(world.member_a1, official_date=dt.date(2001, 1, 1)),  # correction: before admission
    ))
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 0, "rejected": 5}
    assert reasons(plan, 2) == [("Ngày chính thức", "A probationary member has no official date.")]
    assert reasons(plan, 3) == [("Ngày chính thức", "An official member needs the official date.")]
    assert reasons(plan, 4) == [("Ngày vào Đảng", "Admission must be at age 18 or older.")]
    assert reasons(plan, 5)[0][0] == "Số CCCD"
    assert reasons(plan, 6) == [("Ngày chính thức", "The official date cannot be before the admission date.")]


def test_identifiers_must_be_free_in_the_database(world):
    member_correct(actor=world.admin, member=world.member_b1, expected_version=1,
                   changes={"card_number": "88009999", "profile_number": "000777GL"})
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, card_number="88009999"),
        values_of(world.member_a1, profile_number="000777GL"),
    ))
    assert plan.counts["rejected"] == 2
    assert reasons(plan, 2) == [("Số thẻ đảng", "Another member already has this card number.")]
    assert reasons(plan, 3) == [("Số lý lịch", "Another member already has this profile number.")]


def test_planning_takes_a_few_queries_whatever_the_number_of_rows(world, django_assert_max_num_queries):
    rows = [new_values(world.cell_a1 if i % 2 else world.cell_a2) for i in range(300)]
    rows += [values_of(world.member_a1), values_of(world.member_a2, phone="0987654321")]
    file = parsed(*rows)
    world.officer_a.refresh_from_db()  # grants not cached yet: counted too
    with django_assert_max_num_queries(12):
        plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=file)
    assert plan.counts == {"new": 300, "updated": 1, "unchanged": 1, "rejected": 0}


# --- applying ------------------------------------------------------------------------------------


def test_apply_writes_what_the_services_write(world):
    data = new_values(world.cell_a1, profile_number="123456GL", card_number="88001234", phone="0912 345 678",
                      full_name="Âu Dương Thị Hoà")
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        data, values_of(world.member_a2, hometown="Phường Pleiku, Gia Lai")))
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    result = import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    [created_id] = result.created_ids
    assert result.updated_ids == [world.member_a2.pk]
    assert result.audit_rows == 3

    # The same record through member_register, for comparison (another citizen ID).
    twin_cid = make_citizen_id("064", "M", 1985, next(_serial))
    twin = member_register(actor=world.officer_a, unit=world.cell_a1, status=Status.OFFICIAL, data={
        **{k: v for k, v in data.items() if k in PROFILE_FIELDS}, "citizen_id": twin_cid,
        "profile_number": "654321GL", "card_number": "88004321"})
    created = Member.objects.get(pk=created_id)
    skip = {"id", "citizen_id", "profile_number", "card_number", "created_at", "updated_at"}
    for f in Member._meta.concrete_fields:
        if f.attname not in skip:
            assert getattr(created, f.attname) == getattr(twin, f.attname), f.attname
    assert created.phone == "0912345678" and created.family_name == "Âu Dương" and created.given_name == "Hoà"

    def history(member_id):
        return list(MemberEvent.objects.filter(member_id=member_id).order_by("pk").values_list(
            "kind", "effective_date", "from_status", "to_status", "unit_id", "actor_id"))
    assert history(created_id) == history(twin.pk) == [
        (EventKind.ADMITTED, dt.date(2012, 5, 19), "", Status.PROBATIONARY, world.cell_a1.pk, world.officer_a.pk),
        (EventKind.RECOGNIZED_OFFICIAL, dt.date(2013, 5, 19), Status.PROBATIONARY, Status.OFFICIAL,
         world.cell_a1.pk, world.officer_a.pk)]

    rows = list(AuditEntry.objects.filter(seq__gt=seq).order_by("seq"))
    registered, corrected, summary, twin_row = rows
    assert (registered.action, registered.object_id, registered.before) == ("member.registered", str(created_id), None)
    assert registered.unit_path == world.cell_a1.path and registered.actor_id == world.officer_a.pk
    assert set(registered.after) == set(twin_row.after)
    assert {k: v for k, v in registered.after.items() if k not in skip} == \
        {k: v for k, v in twin_row.after.items() if k not in skip}
    assert (corrected.action, corrected.object_id) == ("member.corrected", str(world.member_a2.pk))
    assert (corrected.before, corrected.after) == ({"hometown": "Xã Ia Grai, Gia Lai"},
                                                   {"hometown": "Phường Pleiku, Gia Lai",
                                                    "details": {"fields": ["hometown"]}})
    assert summary.action == "import.apply" and summary.object_id == str(world.commune_a.pk)
    assert summary.after == {"new": 1, "updated": 1, "unchanged": 0, "rejected": 0, "rows": 2, "audit_rows": 2}

    world.member_a2.refresh_from_db()
    assert (world.member_a2.hometown, world.member_a2.version) == ("Phường Pleiku, Gia Lai", 2)
    [event] = MemberEvent.objects.filter(member=world.member_a2, kind=EventKind.CORRECTED)
    assert event.details == {"fields": ["hometown"]} and event.actor_id == world.officer_a.pk
    assert event.from_status == event.to_status == Status.PROBATIONARY
    assert audit_verify()[1] is None


def test_a_name_correction_updates_the_derived_name_columns(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(world.member_a1, full_name="Nguyễn Thị Thu Hà")))
    import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    member = Member.objects.get(pk=world.member_a1.pk)
    assert (member.family_name, member.middle_name, member.given_name) == ("Nguyễn", "Thị Thu", "Hà")
    assert member.search_name == " nguyen thi thu ha "


def test_apply_in_batches_reports_progress(world, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)
    plan = import_plan(actor=world.admin, unit=world.province, parsed=parsed(
        *[new_values(world.cell_b1) for _ in range(4)], values_of(world.member_a1, phone="0912345678")))
    calls = []
    result = import_apply(actor=world.admin, unit=world.province, plan=plan, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert len(result.created_ids) == 4 and len(set(result.created_ids)) == 4
    assert MemberEvent.objects.filter(member_id__in=result.created_ids).count() == 8
    assert AuditEntry.objects.filter(action="member.registered", object_id__in=map(str, result.created_ids)).count() == 4
    assert audit_verify()[1] is None


def test_a_failure_midway_leaves_everything_as_it_was(world, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)
    real_insert, calls = bulk._insert, []

    def failing_insert(model, rows):
        calls.append(model)
        if len(calls) == 3:  # the second batch's members, after the first batch went in with its events
            raise RuntimeError("disk full")
        real_insert(model, rows)

    monkeypatch.setattr(bulk, "_insert", failing_insert)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(world.member_a1, phone="0912345678"), new_values(world.cell_a1), new_values(world.cell_a2),
        new_values(world.cell_a2)))
    before, audit_before = state(), audit_verify()
    with pytest.raises(RuntimeError, match="disk full"):
        import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    assert calls == [Member, MemberEvent, Member]  # the first batch had been written
    assert state() == before
    world.member_a1.refresh_from_db()
    assert world.member_a1.phone == ""
    assert audit_verify() == audit_before and audit_before[1] is None


def test_a_member_changed_since_the_plan_stops_the_whole_apply(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1), values_of(world.member_a1, hometown="Elsewhere")))
    member_correct(actor=world.officer_a, member=world.member_a1, expected_version=1, changes={"phone": "0912345678"})
    before = state()
    with pytest.raises(StaleEdit, match="lines 3 were changed by someone else"):
        import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    assert state() == before


def test_an_identifier_taken_since_the_plan_stops_the_whole_apply(world):
    row = new_values(world.cell_a1)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(new_values(world.cell_a1), row))
    member_register(actor=world.officer_a, unit=world.cell_a2, data={
        k: v for k, v in row.items() if k in PROFILE_FIELDS})
    before = state()
    with pytest.raises(StaleEdit, match="lines 3"):
        import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    assert state() == before


def test_apply_checks_the_permission_again(world):
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(new_values(world.cell_a1)))
    RoleAssignment.objects.filter(user=world.officer_a).delete()
    forget_grants(world.officer_a)
    with pytest.raises(NotFound):
        import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    with pytest.raises(ValueError, match="another unit"):
        import_apply(actor=world.admin, unit=world.province, plan=plan)
    assert not Member.objects.filter(citizen_id=plan.rows[0].record["citizen_id"]).exists()


def test_a_refused_file_cannot_be_applied(world):
    file = ParsedFile(rows=[], file_errors=[CellError(0, "", "No header row.")], columns={})
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=file)
    assert plan.refused and plan.counts == {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    with pytest.raises(ValidationError):
        import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)


def test_reimporting_the_applied_rows_changes_nothing(world):
    rows = [new_values(world.cell_a1), new_values(world.cell_a2, status=Status.PROBATIONARY, official_date=None,
                                                  admission_date=dt.date(2025, 11, 3))]
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(*rows))
    import_apply(actor=world.officer_a, unit=world.commune_a, plan=plan)
    again = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(*rows))
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 0}


def test_a_plan_is_on_the_record(world):
    """A plan tells whether identifiers belong to members elsewhere: each one leaves an audit row."""
    before = AuditEntry.objects.count()
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, citizen_id=world.member_b1.citizen_id)))
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor_username, entry.after["rows"]) == ("import.plan", "xa_a", 1)
    assert plan.counts["rejected"] == 1


def test_an_out_of_scope_member_is_never_linked_across_rows(world):
    """Two rows carrying a foreign member's citizen ID and that member's profile number: each row
    learns only that its number is taken, never that both belong to one person."""
    Member.objects.filter(pk=world.member_b1.pk).update(profile_number="123456GL")
    foreign = Member.objects.get(pk=world.member_b1.pk)
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        new_values(world.cell_a1, citizen_id=foreign.citizen_id),
        new_values(world.cell_a1, profile_number=foreign.profile_number),
    ))
    messages = {line: [message for _column, message in reasons(plan, line)] for line in (2, 3)}
    assert len(messages[2]) == 1 and len(messages[3]) == 1, messages
    for line, other in ((2, "3"), (3, "2")):
        assert "outside your scope" in messages[line][0] or "ngoài phạm vi" in messages[line][0]
        assert other not in messages[line][0]
    # In scope, the same file shape is named as one member twice (the officer may see that).
    mine = Member.objects.get(pk=world.member_a1.pk)
    Member.objects.filter(pk=mine.pk).update(profile_number="654321GL")
    plan = import_plan(actor=world.officer_a, unit=world.commune_a, parsed=parsed(
        values_of(mine), values_of(mine, citizen_id=None, profile_number="654321GL")))
    assert any("2, 3" in message for _column, message in reasons(plan, 2))
