"""Reconciliation results written directly as rows: they are the engine's output, and the engine is
tested on its own. A run over a unit, a member's match in a band, its candidates and discrepancies."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from dangvien.members.models import Member
from dangvien.org.models import Unit
from dangvien.population.models import Snapshot
from dangvien.reconcile.models import Band, Discrepancy, Kind, Match, Run

_serial = itertools.count(1)


def make_snapshot() -> Snapshot:
    n = next(_serial)
    return Snapshot.objects.create(name=f"snapshot-{n}", taken_on=dt.date(2026, 11, 1), file_name=f"extract-{n}.csv",
                                   sha256=f"{n:064x}", rows=1000, backend="duckdb")


def make_run(unit: Unit, snapshot: Snapshot | None = None) -> Run:
    return Run.objects.create(unit=unit, snapshot=snapshot or make_snapshot(), finished_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))


def person(*, so_dinh_danh: str, ho_ten: str, ngay_sinh: str, gioi_tinh: str = "Nữ", que_quan_xa: str = "Xã Ia Grai",
           que_quan_tinh: str = "Gia Lai", so_cmnd: str = "", thuong_tru: str = "") -> dict[str, Any]:
    return {"so_dinh_danh": so_dinh_danh, "so_cmnd": so_cmnd, "ho_ten": ho_ten, "ngay_sinh": ngay_sinh,
            "gioi_tinh": gioi_tinh, "que_quan_xa": que_quan_xa, "que_quan_tinh": que_quan_tinh,
            "thuong_tru": thuong_tru}


def candidate(who: dict[str, Any], probability: float, **weights: float) -> dict[str, Any]:
    """A candidate as the engine stores it: each comparison's level and weight in bits."""
    return {"so_dinh_danh": who["so_dinh_danh"], "probability": probability,
            "match_weight": round(sum(weights.values()), 2), "person": who,
            "weights": {name: {"level": "exact" if w > 0 else "else", "weight": w} for name, w in weights.items()}}


def review_match(member: Member, candidates: list[dict[str, Any]], run: Run | None = None) -> Match:
    return Match.objects.create(run=run or make_run(member.unit), member=member, band=Band.REVIEW,
                                probability=candidates[0]["probability"] if candidates else None,
                                candidates=candidates)


def linked_match(member: Member, so_dinh_danh: str, *, band: str = Band.EXACT, run: Run | None = None,
                 discrepancies: list[tuple[str, str, str, str]] = ()) -> Match:
    """A match the engine linked, with (field, kind, record value, population value) discrepancies."""
    match = Match.objects.create(run=run or make_run(member.unit), member=member, band=band, probability=1.0,
                                 so_dinh_danh=so_dinh_danh, candidates=[])
    for field, kind, record, population in discrepancies:
        Discrepancy.objects.create(match=match, member=member, field=field, kind=kind, record_value=record,
                                   population_value=population)
    return match


def none_match(member: Member, run: Run | None = None) -> Match:
    return Match.objects.create(run=run or make_run(member.unit), member=member, band=Band.NONE, candidates=[])


def name_fix(match: Match) -> Discrepancy:
    return match.discrepancies.get(kind=Kind.DIACRITICS_ONLY)
