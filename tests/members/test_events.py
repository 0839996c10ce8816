"""The typed timeline (members/events.py): payloads and their stored form, the table of kinds that
the pages and the API are generated from, kinds added by other apps, and the API's typed history."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest
from django.urls import reverse
from django.utils import translation
from pydantic import ValidationError as PayloadError

from dangvien.members import events, services
from dangvien.members.events import (
    Corrected,
    EventDetails,
    EventType,
    TemporarilyOut,
    TransferredIn,
    TransferredOut,
    event_details,
    event_row,
    event_type,
    recordable_event_types,
    register_event_type,
)
from dangvien.members.models import EventKind, MemberEvent, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


class Reconciled(EventDetails):
    """An app's kind, as the population app will add one (longer than the old 32-character column)."""

    kind: ClassVar[str] = "population.reconciled_with_extract"
    extract: str
    score: float

    def describe(self) -> list[str]:
        return [f"Extract {self.extract} ({self.score:.0%})"]


@pytest.fixture
def reconciled(monkeypatch):
    """The kind registered for one test only (the table is the process's)."""
    monkeypatch.setattr(events, "_TYPES", dict(events._TYPES))
    return register_event_type(EventType(Reconciled, "Reconciled with the population extract"))


# --- payloads ----------------------------------------------------------------------------------------


def test_a_payload_stores_what_its_caller_gave_under_the_stored_keys():
    assert TransferredOut(destination="Tỉnh Kon Tum", destination_unit_id=None).stored() == {
        "destination": "Tỉnh Kon Tum", "destination_unit": None}
    assert TransferredIn(came_from="Chi bộ 1").stored() == {"from": "Chi bộ 1"}
    assert TransferredIn().stored() == {}  # a member arrived from outside the system
    assert TemporarilyOut(destination="Học viện", until=dt.date(2027, 6, 30)).stored() == {
        "destination": "Học viện", "until": "2027-06-30"}
    assert Corrected(fields=("phone",)).stored() == {"fields": ["phone"]}
    assert Corrected(fields=("phone",), import_undone=4).stored() == {"fields": ["phone"], "import_undone": 4}


def test_a_payload_refuses_what_its_kind_does_not_hold():
    with pytest.raises(PayloadError):
        TransferredOut(destination="X", destination_unti_id=3)  # a typo is not stored silently
    with pytest.raises(PayloadError):
        Corrected()  # the changed fields are required


def test_a_stored_event_reads_back_typed(world):
    m = services.member_transfer_out(actor=world.officer_a, member=world.member_a1, expected_version=1,
                                     date=dt.date(2026, 6, 1), destination_unit=world.cell_b1)
    stored = m.events.order_by("id").last()
    assert stored.details == {"destination": world.cell_b1.name, "destination_unit": world.cell_b1.pk}
    assert event_details(stored) == TransferredOut(destination=world.cell_b1.name, destination_unit_id=world.cell_b1.pk)
    assert event_details(stored).describe() == [f"To: {world.cell_b1.name}"]


# --- the table ---------------------------------------------------------------------------------------


def test_the_table_holds_the_registry_kinds_and_the_statuses_they_start_from():
    kinds = [t.kind for t in events.event_types()]
    registry = list(EventKind.values)
    assert kinds[:len(registry)] == registry
    # After them, the kinds apps register ("<app>.<what>"), such as the card campaign's hand-over.
    assert "campaign.card_handed_over" in kinds[len(registry):]
    assert all("." in kind for kind in kinds[len(registry):])
    assert event_type(EventKind.RETURNED).allowed_from == {Status.TEMPORARILY_OUT}
    assert event_type(EventKind.CORRECTED).action is None  # recorded by a correction, not from the menu
    assert str(event_type(EventKind.EXEMPTED).label) == "Exempted from activities"


def test_the_api_routes_are_the_table_recordable_kinds(world, client):
    client.force_login(world.officer_a)
    paths = client.get("/api/openapi.json").json()["paths"]
    routed = {path.rsplit("/", 1)[1] for path in paths if "/events/" in path}
    slugs = {t.action.slug for t in recordable_event_types() if t.action}
    assert routed == slugs and len(slugs) == 10


def test_a_kind_is_registered_once_and_fits_the_column():
    with pytest.raises(ValueError, match="twice"):
        register_event_type(event_type(EventKind.DIED))

    class TooLong(EventDetails):
        kind: ClassVar[str] = "x" * 65

    with pytest.raises(ValueError, match="longer than 64"):
        register_event_type(EventType(TooLong, "Too long"))


def test_an_app_kind_is_stored_and_shown_in_the_history(world, client, reconciled):
    m = world.member_a1
    MemberEvent.objects.create(**event_row(
        Reconciled(extract="GL-2026-03", score=0.97), member_id=m.pk, unit_id=m.unit_id, day=dt.date(2026, 3, 9),
        actor_id=world.officer_a.pk, from_status=m.status, to_status=m.status))
    stored = m.events.order_by("id").last()
    assert (stored.kind, stored.details) == ("population.reconciled_with_extract",
                                             {"extract": "GL-2026-03", "score": 0.97})
    assert stored.kind_label == "Reconciled with the population extract"
    client.force_login(world.officer_a)
    html = client.get(reverse("members:detail", args=[m.pk])).content.decode()
    assert "Reconciled with the population extract" in html and "Extract GL-2026-03 (97%)" in html


# --- the API's history -------------------------------------------------------------------------------


def test_the_api_documents_each_kind_details(world, client):
    client.force_login(world.officer_a)
    schema = client.get("/api/openapi.json").json()
    history = schema["paths"]["/api/members/{member_id}/history"]["get"]["responses"]["200"]["content"]
    entries = history["application/json"]["schema"]["items"]
    assert entries["discriminator"]["propertyName"] == "kind"
    assert entries["discriminator"]["mapping"]["transferred_out"] == "#/components/schemas/TransferredOutEvent"
    components = schema["components"]["schemas"]
    assert components["TransferredOutEvent"]["properties"]["details"] == {"$ref": "#/components/schemas/TransferredOut"}
    assert set(components["TransferredOut"]["properties"]) == {"destination", "destination_unit"}
    assert set(components["TransferredIn"]["properties"]) == {"from"}
    assert components["Disciplined"]["properties"]["form"] == {"$ref": "#/components/schemas/DisciplineForm"}


def test_the_api_history_gives_each_kind_its_details(world, client):
    m = services.member_transfer_out(actor=world.officer_a, member=world.member_a1, expected_version=1,
                                     date=dt.date(2026, 6, 1), destination_unit=world.cell_b1)
    services.member_transfer_in(actor=world.officer_b, member=m, expected_version=m.version, date=dt.date(2026, 7, 1),
                                unit=world.cell_b1)
    client.force_login(world.officer_b)
    body = client.get(f"/api/members/{m.pk}/history").json()
    assert [(e["kind"], e["details"]) for e in body] == [
        ("admitted", {}), ("recognized_official", {}),
        ("transferred_out", {"destination": world.cell_b1.name, "destination_unit": world.cell_b1.pk}),
        ("transferred_in", {"from": world.cell_a1.name})]
    assert body[2]["kind_label"] == "Chuyển sinh hoạt đảng chính thức"  # the request's language
