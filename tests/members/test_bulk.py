"""The bulk member writer (members/bulk.py) against the one-member services.

Parity: each scenario writes the same changes twice on twin worlds -- the same registry, rolled
back in between -- once through the bulk writer and once through member_register / member_correct,
and compares every member column, every history event and every audit row written. Then the
writer's refusals: whatever breaks a rule, nothing is written."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dangvien.accounts.permissions import forget_grants
from dangvien.core.audit import audit_verify
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.models import AuditEntry
from dangvien.members import services
from dangvien.members.bulk import (
    CELL,
    INVALID,
    MEMBER,
    TAKEN,
    Correction,
    LoadedMember,
    PastEvent,
    Refused,
    Registration,
    members_delete_imported,
    members_load,
    members_restore,
    members_write,
)
from dangvien.members.events import Admitted, Exempted, RecognizedOfficial
from dangvien.members.models import EventKind, Member, MemberEvent, Status
from dangvien.members.validation import record_warnings

pytestmark = pytest.mark.django_db

_serial = iter(range(700_000, 800_000))
MEMBER_SKIP = {"id", "created_at", "updated_at"}  # numbered and stamped by the database and the clock


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


class _RolledBack(Exception):
    def __init__(self, written: dict[str, Any]):
        self.written = written


def written_by(write: Callable[[], Any]) -> dict[str, Any]:
    """What `write` adds to the registry -- members (new, then changed, by id), their new events
    and the new audit rows -- and then undo it all: the next write starts from the same world."""
    first_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    last_event = MemberEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    old = dict(Member.objects.values_list("id", "version"))
    try:
        with transaction.atomic():
            write()
            raise _RolledBack(_changes(first_seq, last_event, old))
    except _RolledBack as done:
        return done.written


def _changes(first_seq: int, last_event: int, old: dict[int, int]) -> dict[str, Any]:
    members = [m for m in Member.objects.order_by("id").values() if m["id"] not in old or old[m["id"]] != m["version"]]
    new_ids = [m["id"] for m in members if m["id"] not in old]
    # A new member is named by its place among the new ones: the two writes number them differently.
    name = {pk: f"new {i}" for i, pk in enumerate(new_ids)} | {pk: pk for pk in old}
    events = MemberEvent.objects.filter(id__gt=last_event).order_by("member_id", "id").values(
        "member_id", "kind", "effective_date", "from_status", "to_status", "unit_id", "actor_id", "decision", "note",
        "details")
    audit = AuditEntry.objects.filter(seq__gt=first_seq).order_by("seq").values(
        "action", "object_type", "object_id", "before", "after", "unit_path", "actor_id")
    return {
        "members": {name[m["id"]]: {k: v for k, v in m.items() if k not in MEMBER_SKIP} for m in members},
        "events": [{**e, "member_id": name[e["member_id"]]} for e in events],
        # Members are named as above; other objects (a reconciliation's discrepancies) keep their ids.
        "audit": [{**a, "object_id": name[int(a["object_id"])] if a["object_type"] == "member" else a["object_id"]}
                  for a in audit],
    }


def record(**over: Any) -> dict[str, Any]:
    birth = over.pop("birth", dt.date(1986, 7, 14))
    sex = over.get("sex", "M")
    values = {"full_name": "Phạm Minh Tuấn", "sex": sex, "date_of_birth": birth,
              "citizen_id": make_citizen_id("064", sex, birth.year, next(_serial)), "hometown": "Xã Ia Grai, Gia Lai",
              "ethnicity": "Kinh", "religion": "Không", "admission_date": dt.date(2012, 5, 19),
              "official_date": dt.date(2013, 5, 19)}
    values.update(over)
    return values


# --- parity ----------------------------------------------------------------------------------------


def test_registrations_write_what_member_register_writes(world):
    items = [
        (world.cell_a1, Status.OFFICIAL, record(
            full_name=unicodedata.normalize("NFD", " Âu Dương  Thị Hoà "), sex="F", birth_name="Âu Thị Hoa",
            aliases="Hoà", phone="0912 345 678", profile_number="123456gl", card_number="88001234",
            admission_ceremony_date=dt.date(2012, 6, 1), has_smartphone=True, service_background="retired")),
        (world.cell_a2, Status.PROBATIONARY, record(official_date=None, admission_date=dt.date(2025, 10, 3),
                                                    date_of_birth=None, birth_year=1999, citizen_id=None,
                                                    profile_number="654321GL")),
        (world.cell_a1, Status.EXEMPTED, record(full_name="Rơ Mah Hlin", ethnicity="Gia Rai")),
    ]
    bulk = written_by(lambda: members_write(actor=world.officer_a, note="Nhập từ sổ", registrations=[
        Registration(cell.pk, data, status) for cell, status, data in items]))
    one_by_one = written_by(lambda: [
        services.member_register(actor=world.officer_a, unit=cell, data=data, status=status, note="Nhập từ sổ")
        for cell, status, data in items])

    assert bulk == one_by_one
    assert len(bulk["members"]) == 3 and len(bulk["audit"]) == 3
    assert [(e["member_id"], e["kind"], e["note"]) for e in bulk["events"]] == [
        ("new 0", EventKind.ADMITTED, "Nhập từ sổ"), ("new 0", EventKind.RECOGNIZED_OFFICIAL, ""),
        ("new 1", EventKind.ADMITTED, "Nhập từ sổ"),
        ("new 2", EventKind.ADMITTED, "Nhập từ sổ"), ("new 2", EventKind.RECOGNIZED_OFFICIAL, "")]
    first = bulk["members"]["new 0"]
    assert (first["full_name"], first["family_name"], first["given_name"], first["phone"], first["profile_number"]) == (
        "Âu Dương Thị Hoà", "Âu Dương", "Hoà", "0912345678", "123456GL")
    assert bulk["audit"][0]["action"] == "member.registered" and bulk["audit"][0]["unit_path"] == world.cell_a1.path


def test_corrections_write_what_member_correct_writes(world):
    a1, a2, b1 = world.member_a1, world.member_a2, world.member_b1
    changes = [
        (a1, {"full_name": unicodedata.normalize("NFD", "Nguyễn Thị Thu Hà"), "hometown": " Xã Chư Sê ",
              "date_of_birth": dt.date(1975, 8, 19), "card_number": "88 009 999"}),
        (a2, {"phone": "091.234.5678", "has_smartphone": False, "official_date": None}),
        (b1, {"religion": b1.religion, "full_name": unicodedata.normalize("NFD", b1.full_name)}),  # changes nothing
    ]
    bulk = written_by(lambda: members_write(actor=world.province_officer, note="QĐ điều chỉnh", corrections=[
        Correction(m.pk, m.version, c) for m, c in changes]))
    one_by_one = written_by(lambda: [
        services.member_correct(actor=world.province_officer, member=m, expected_version=m.version, changes=c,
                                note="QĐ điều chỉnh") for m, c in changes])

    assert bulk == one_by_one
    assert set(bulk["members"]) == {a1.pk, a2.pk}  # b1 left as it was: no version, no event, no audit row
    assert bulk["members"][a1.pk]["version"] == a1.version + 1
    assert [(e["member_id"], e["kind"], e["details"]) for e in bulk["events"]] == [
        (a1.pk, EventKind.CORRECTED, {"fields": ["card_number", "date_of_birth", "full_name", "hometown"]}),
        (a2.pk, EventKind.CORRECTED, {"fields": ["has_smartphone", "phone"]})]
    assert bulk["audit"][1] == {
        "action": "member.corrected", "object_type": "member", "object_id": a2.pk,
        "before": {"phone": "", "has_smartphone": None}, "after": {
            "phone": "0912345678", "has_smartphone": False, "details": {"fields": ["has_smartphone", "phone"]}},
        "unit_path": world.cell_a2.path, "actor_id": world.province_officer.pk}


def test_an_undo_restoration_writes_a_correction_marked_with_the_import(world):
    a1, a2 = world.member_a1, world.member_a2
    # What an undo puts back: the values an import replaced (a legacy value included: the
    # restoration does not judge the registry's own old values again).
    restored = [(a1, {"full_name": "Nguyễn Thị Hạ", "phone": "0987654321"}), (a2, {"hometown": "Xã Chư Sê"})]
    bulk = written_by(lambda: members_restore(actor=world.officer_a, import_id=41, restorations=[
        Correction(m.pk, m.version, values) for m, values in restored]))
    one_by_one = written_by(lambda: [
        services.member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes=values)
        for m, values in restored])

    # The same members and rows, but for the mark: each event names the import, each audit row is an undo's.
    assert [e["details"].pop("import_undone") for e in bulk["events"]] == [41, 41]
    assert [a["after"]["details"].pop("import_undone") for a in bulk["audit"]] == [41, 41]
    assert [a.pop("action") for a in bulk["audit"]] == ["member.import_undone"] * 2
    assert [a.pop("action") for a in one_by_one["audit"]] == ["member.corrected"] * 2
    assert bulk == one_by_one
    assert bulk["members"][a1.pk]["search_name"] == " nguyen thi ha "


def test_the_writes_keep_the_audit_chain_whole(world):
    members_write(actor=world.officer_a, registrations=[Registration(world.cell_a1.pk, record())],
                  corrections=[Correction(world.member_a1.pk, world.member_a1.version, {"phone": "0912345678"})])
    assert audit_verify()[1] is None


# --- refusals: nothing is written ------------------------------------------------------------------


def state() -> tuple[list, int, int]:
    return list(Member.objects.order_by("id").values_list("id", "version")), MemberEvent.objects.count(), \
        AuditEntry.objects.count()


def refusal(call: Callable[[], Any]) -> list[tuple[Any, str, list[str]]]:
    before = state()
    with pytest.raises(Refused) as refused:
        call()
    assert state() == before
    return [(p.key, p.reason, sorted(p.errors)) for p in refused.value.problems]


def test_every_item_that_breaks_a_rule_is_named_and_nothing_is_written(world):
    taken = world.member_b1.citizen_id
    twice = record()
    problems = refusal(lambda: members_write(
        actor=world.officer_a,
        registrations=[
            Registration(world.cell_a1.pk, record(), key="fine"),
            Registration(world.cell_b1.pk, record(), key="other commune"),
            Registration(world.org_a.pk, record(), key="not a cell"),
            Registration(world.cell_a1.pk, {**record(), "sex": "X"}, key="bad sex"),
            Registration(world.cell_a1.pk, record(), status=Status.DECEASED, key="off the roll"),
            Registration(world.cell_a1.pk, record(citizen_id=taken, sex="F", birth=world.member_b1.date_of_birth),
                         key="taken"),
            Registration(world.cell_a1.pk, twice, key="first"),
            Registration(world.cell_a2.pk, {**twice, "full_name": "Phạm Minh Toàn"}, key="second"),
        ],
        corrections=[
            Correction(world.member_a1.pk, world.member_a1.version + 1, {"phone": "0912345678"}, key="stale"),
            Correction(world.member_b1.pk, world.member_b1.version, {"phone": "0912345678"}, key="out of scope"),
            Correction(world.member_a2.pk, world.member_a2.version, {"status": "official"}, key="status"),
        ]))
    assert sorted(problems, key=str) == sorted([
        ("other commune", CELL, ["unit"]), ("not a cell", CELL, ["unit"]), ("bad sex", INVALID, ["sex"]),
        ("off the roll", INVALID, ["status"]), ("taken", TAKEN, ["citizen_id"]), ("second", TAKEN, ["citizen_id"]),
        ("stale", MEMBER, ["version"]), ("out of scope", MEMBER, ["member"]), ("status", INVALID, ["status"]),
    ], key=str)


def test_a_member_in_view_but_not_managed_is_refused_for_its_cell(world):
    # The cell secretary sees cell A1's members but may only update their contact details.
    m = world.member_a1
    assert refusal(lambda: members_write(actor=world.secretary_a1, corrections=[
        Correction(m.pk, m.version, {"hometown": "Xã Chư Sê"}, key=1)])) == [(1, CELL, ["member"])]


def test_the_field_rules_are_the_services_own(world):
    m = world.member_a1
    problems = refusal(lambda: members_write(actor=world.officer_a, corrections=[
        Correction(m.pk, m.version, {"citizen_id": "06417508009"}, key="cid")]))
    assert problems == [("cid", INVALID, ["citizen_id"])]
    with pytest.raises(Refused) as refused:
        members_write(actor=world.officer_a, corrections=[Correction(m.pk, m.version, {"citizen_id": "06417508009"})])
    assert refused.value.problems[0].errors == {"citizen_id": ["A citizen ID has exactly 12 digits."]}


def test_records_disagreeing_with_their_citizen_id_are_written_as_the_services_write_them(world):
    """Registry first (issue 9): the reconciliation's noise kinds are storable through the writer,
    exactly as through the services, and carry the same warnings."""
    a1, a2 = world.member_a1, world.member_a2
    registrations = [
        (world.cell_a1, record(sex="F", citizen_id=make_citizen_id("064", "M", 1986, next(_serial)))),
        (world.cell_a2, record(citizen_id="212 345 678")),  # an old CMND given as the citizen ID
    ]
    corrections = [
        (a1, {"sex": "M"}),  # her ID says female
        (a2, {"citizen_id": None, "old_id_number": "230123456"}),  # the old CMND instead of the citizen ID
    ]
    bulk = written_by(lambda: members_write(actor=world.officer_a, registrations=[
        Registration(cell.pk, data, Status.OFFICIAL) for cell, data in registrations], corrections=[
        Correction(m.pk, m.version, c) for m, c in corrections]))
    one_by_one = written_by(lambda: [
        *[services.member_register(actor=world.officer_a, unit=cell, data=data) for cell, data in registrations],
        *[services.member_correct(actor=world.officer_a, member=m, expected_version=m.version, changes=c)
          for m, c in corrections]])
    assert bulk == one_by_one
    written = bulk["members"]
    assert (written["new 1"]["citizen_id"], written["new 1"]["old_id_number"]) == (None, "212345678")
    assert [[w.message for w in record_warnings(written[key])] for key in ("new 0", "new 1", a1.pk, a2.pk)] == [
        ["The 4th digit says male but the record says female."],
        ["No citizen ID is recorded, only the old ID (CMND) number 212345678."],
        ["The 4th digit says female but the record says male."],
        ["No citizen ID is recorded, only the old ID (CMND) number 230123456."],
    ]


def test_a_restoration_may_not_take_an_identifier_someone_else_took_since(world):
    a1, b1 = world.member_a1, world.member_b1
    assert refusal(lambda: members_restore(actor=world.admin, import_id=3, restorations=[
        Correction(a1.pk, a1.version, {"citizen_id": b1.citizen_id}, key=a1.pk)])) == [(a1.pk, TAKEN, ["citizen_id"])]


# --- batches, queries, deletion, data loads -----------------------------------------------------------


def test_writes_go_in_batches_with_progress(world):
    calls: list[tuple[int, int]] = []
    written = members_write(
        actor=world.officer_a, batch_size=2, progress=lambda done, total: calls.append((done, total)),
        registrations=[Registration(world.cell_a1.pk, record()) for _ in range(3)],
        corrections=[Correction(world.member_a1.pk, world.member_a1.version, {"phone": "0912345678"})])
    assert calls == [(2, 4), (3, 4), (4, 4)]
    assert len(written.created_ids) == 3 and written.updated_ids == [world.member_a1.pk]
    assert written.audit_rows == 4


def test_the_queries_do_not_grow_with_the_number_of_members(world):
    def queries(count: int) -> int:
        registrations = [Registration(world.cell_a1.pk if i % 2 else world.cell_a2.pk, record()) for i in range(count)]
        corrections = [Correction(world.member_a1.pk, world.member_a1.version, {"phone": "0912345678"}),
                       Correction(world.member_a2.pk, world.member_a2.version, {"hometown": "Xã Chư Sê"})]
        forget_grants(world.officer_a)  # the grants are read again: counted too
        with CaptureQueriesContext(connection) as captured:
            written_by(lambda: members_write(actor=world.officer_a, registrations=registrations,
                                             corrections=corrections))
        return len(captured.captured_queries)

    assert queries(3) == queries(60) <= 30  # with the test's own reads and savepoints


def test_deleting_what_an_import_created_keeps_each_record_in_the_audit_trail(world):
    written = members_write(actor=world.officer_a,
                            registrations=[Registration(world.cell_a1.pk, record(full_name=n)) for n in ("Lò Văn A", "Lò Văn B")])
    first, last = min(written.created_ids), max(written.created_ids)
    assert refusal(lambda: members_delete_imported(actor=world.officer_b, first=first, last=last)) == [
        (first, CELL, ["member"]), (last, CELL, ["member"])]
    deleted = members_delete_imported(actor=world.officer_a, first=first, last=last)
    assert (deleted.deleted, deleted.audit_rows) == (2, 2)
    assert not Member.objects.filter(pk__in=written.created_ids).exists()
    assert not MemberEvent.objects.filter(member_id__in=written.created_ids).exists()
    rows = AuditEntry.objects.filter(action="member.import_undone").order_by("seq")
    assert [(r.before["full_name"], r.after) for r in rows] == [("Lò Văn A", None), ("Lò Văn B", None)]


def test_a_data_load_writes_members_and_histories_as_given_without_audit_rows(world):
    audit_rows, pk = AuditEntry.objects.count(), Member.objects.order_by("-id").first().pk + 100
    fields = {name: None for name in services.validation.PROFILE_FIELDS} | {
        name: "" for name in services.validation.PROFILE_FIELDS if name not in services.validation.NULLABLE_FIELDS}
    data = {**fields, "full_name": "Ksor H'Bơ", "sex": "F", "birth_year": 1940, "admission_date": dt.date(1965, 2, 3),
            "official_date": dt.date(1966, 2, 3)}
    events = members_load([LoadedMember(pk, world.cell_a1.pk, Status.EXEMPTED, data, [
        PastEvent(Admitted(), dt.date(1965, 2, 3), "", Status.PROBATIONARY),
        PastEvent(RecognizedOfficial(), dt.date(1966, 2, 3), Status.PROBATIONARY, Status.OFFICIAL),
        PastEvent(Exempted(reason="Tuổi cao"), dt.date(2020, 1, 1), Status.OFFICIAL, Status.EXEMPTED),
    ], status_date=dt.date(2020, 1, 1))])
    assert events == 3 and AuditEntry.objects.count() == audit_rows
    member = Member.objects.get(pk=pk)
    assert (member.status, member.status_date, member.given_name, member.search_name, member.version) == (
        Status.EXEMPTED, dt.date(2020, 1, 1), "H'Bơ", " ksor hbo h bo ", 1)  # the apostrophe folded: core.text
    assert [(e.kind, e.details) for e in member.events.order_by("id")] == [
        (EventKind.ADMITTED, {}), (EventKind.RECOGNIZED_OFFICIAL, {}), (EventKind.EXEMPTED, {"reason": "Tuổi cao"})]
