"""JSON API of the handbook adoption report, under /api/adoption: a unit's figures and its
children's for a period, and the unit's trend month by month. The same figures as the page and the
XLSX (adoption.reports); errors in the API's one shape (dangvien/api.py): a unit outside the actor's
scope is a 404, a period that cannot be read a 422 naming the problem."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dangvien.adoption.periods import Period, parse_period
from dangvien.adoption.reports import (
    DEFAULT_PRECISION,
    AdoptionReport,
    Figures,
    TrendPoint,
    UnitRef,
    adoption_report,
    adoption_trend,
)
from dangvien.adoption.selectors import adoption_unit_for
from dangvien.campaign.formatting import MAX_PRECISION
from dangvien.org.models import Unit

router = Router(tags=["adoption"])


class PeriodOut(Schema):
    code: str = Field(description='"2026-11", "2026-Q4", "2026" or "2026-01..2026-06".')
    kind: str = Field(description="month, quarter, year or custom")
    first: dt.date = Field(description="The first day of its first month.")
    last: dt.date = Field(description="The first day of its last month.")
    label: str


class FiguresOut(Schema):
    members: int = Field(description="Members on the roll, over the whole subtree.")
    target: int = Field(description="Handbook users (not exempted) not marked as without a smartphone.")
    registered: int = Field(description="Members on the roll with a registered handbook account.")
    active: int = Field(description="Members on the roll who used the handbook in a month of the period.")
    cells: int
    cells_held: int = Field(description="Cells with at least one meeting held in the app (minutes approved) "
                                        "starting in the period.")
    cells_half: int = Field(description="Cells with members, at least 50% of them active.")
    cells_most: int = Field(description="Cells with members, at least 80% of them active.")
    registered_percent: str | None = Field(description="registered / members × 100, exact, rounded half up at the "
                                                       "requested precision; null without members.")
    target_percent: str | None = Field(description="registered / target × 100 (may pass 100).")
    held_percent: str | None = Field(description="cells_held / cells × 100.")
    active_percent: str | None = Field(description="active / members × 100.")
    registered_share: str = Field(description='"48,597/57,597 = 84%" in the request\'s language.')
    target_share: str
    held_share: str
    active_share: str
    held_goal_met: bool = Field(description="At least 80% of the cells held a meeting in the app.")


class UnitOut(Schema):
    id: int
    code: str
    name: str
    depth: int


class UnitRowOut(Schema):
    unit: UnitOut
    figures: FiguresOut


class ReportOut(Schema):
    period: PeriodOut
    precision: int
    unit: UnitOut
    figures: FiguresOut
    children: list[UnitRowOut]


class TrendPointOut(Schema):
    month: dt.date = Field(description="Its first day.")
    registered: int = Field(description="Registered accounts (of today's members on the roll) activated by its end.")
    active: int = Field(description="Members on the roll who used the handbook in the month.")
    cells_held: int = Field(description="Cells that held a meeting in the app in the month.")
    partial: bool = Field(description="The month is not over yet.")


class TrendOut(Schema):
    unit: UnitOut
    period: PeriodOut
    months: list[TrendPointOut]


class ReportQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="The unit's code (the top of your scope by default).")
    period: str | None = Field(None, max_length=40, description="The period's code (the current month by default).")
    precision: int = Field(DEFAULT_PRECISION, ge=0, le=MAX_PRECISION, description="Decimals in percentages.")


def _decimal(value: Any) -> str | None:
    return str(value) if value is not None else None


def _figures_out(f: Figures) -> FiguresOut:
    return FiguresOut(
        members=f.members, target=f.target, registered=f.registered, active=f.active, cells=f.cells,
        cells_held=f.cells_held, cells_half=f.cells_half, cells_most=f.cells_most,
        registered_percent=_decimal(f.registered_percent), target_percent=_decimal(f.target_percent),
        held_percent=_decimal(f.held_percent), active_percent=_decimal(f.active_percent),
        registered_share=f.registered_share(), target_share=f.target_share(), held_share=f.held_share(),
        active_share=f.active_share(), held_goal_met=f.held_goal_met)


def _unit_out(unit: Unit | UnitRef) -> UnitOut:
    return UnitOut(id=unit.pk, code=unit.code, name=unit.name, depth=unit.depth)


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(code=period.code, kind=period.kind, first=period.first, last=period.last, label=period.label)


def report_out(report: AdoptionReport) -> ReportOut:
    return ReportOut(period=_period_out(report.period), precision=report.figures.precision,
                     unit=_unit_out(report.unit), figures=_figures_out(report.figures),
                     children=[UnitRowOut(unit=_unit_out(row.unit), figures=_figures_out(row.figures))
                               for row in report.rows])


def trend_out(unit: Unit, period: Period, trend: list[TrendPoint]) -> TrendOut:
    return TrendOut(unit=_unit_out(unit), period=_period_out(period), months=[
        TrendPointOut(month=p.month, registered=p.registered, active=p.active, cells_held=p.cells_held,
                      partial=p.partial) for p in trend])


@router.get("/report", response=ReportOut, summary="A unit's handbook adoption and its children's, for a period")
def get_report(request: HttpRequest, params: Query[ReportQuery]) -> Any:
    unit = adoption_unit_for(request.user, params.unit)
    period = parse_period(params.period)
    return report_out(adoption_report(request.user, unit, period, precision=params.precision))


@router.get("/trend", response=TrendOut, summary="A unit's handbook adoption month by month")
def get_trend(request: HttpRequest, params: Query[ReportQuery]) -> Any:
    unit = adoption_unit_for(request.user, params.unit)
    period = parse_period(params.period)
    return trend_out(unit, period, adoption_trend(request.user, unit, period))
