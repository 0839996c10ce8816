"""JSON API over card exchange campaigns, under /api/campaigns: the campaigns the actor sees, and a
unit's progress report (its figures and its children's, ranked). The same figures as the page and
the exports (campaign.reports); errors in the API's one shape (dangvien/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dangvien.campaign.models import STEPS, Campaign, Step
from dangvien.campaign.reports import CampaignReport, Figures, UnitRef, UnitRow, campaign_report
from dangvien.campaign.selectors import campaign_get_for, campaign_unit_for, campaigns_visible_to
from dangvien.org.models import Unit

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_code: str
    start: dt.date
    deadline: dt.date
    headline_step: Step
    precision: int
    closed_on: dt.date | None


class FiguresOut(Schema):
    eligible: int = Field(description="Eligible members still in the campaign, over the whole subtree.")
    done: dict[str, int] = Field(description="By step: members who have done it (cumulative, pipeline order).")
    completed: int = Field(description="Members who have done the campaign's headline step.")
    remaining: int
    on_hold: int = Field(description="Not completed, and marked as unable to complete now.")
    percent: str | None = Field(description="completed / eligible × 100, exact, rounded half up at the "
                                            "campaign's precision (\"97.51\"); null without eligible members.")
    share: str = Field(description='The committee\'s "completed/eligible = x%", in the request\'s language.')


class UnitOut(Schema):
    id: int
    code: str
    name: str
    depth: int


class UnitRowOut(Schema):
    unit: UnitOut
    figures: FiguresOut
    rank: int | None = Field(description="Among its siblings by percentage (ties share a rank).")
    behind: bool = Field(description="Below the campaign's planned pace today.")


class ReportOut(Schema):
    campaign: CampaignOut
    day: dt.date
    planned_percent: str = Field(description="The share the straight line from start to deadline asks for today.")
    unit: UnitOut
    figures: FiguresOut
    behind: bool
    children: list[UnitRowOut]


class ReportQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="The unit's code (the campaign's unit by default).")


def _campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(id=campaign.pk, name=campaign.name, unit_id=campaign.unit_id, unit_code=campaign.unit.code,
                       start=campaign.start, deadline=campaign.deadline, headline_step=Step(campaign.headline_step),
                       precision=campaign.precision, closed_on=campaign.closed_on)


def _figures_out(figures: Figures) -> FiguresOut:
    return FiguresOut(eligible=figures.eligible, done=dict(zip(STEPS, figures.done, strict=True)),
                      completed=figures.completed, remaining=figures.remaining, on_hold=figures.on_hold,
                      percent=str(figures.percent) if figures.percent is not None else None, share=figures.share())


def _unit_out(unit: Unit | UnitRef) -> UnitOut:
    return UnitOut(id=unit.pk, code=unit.code, name=unit.name, depth=unit.depth)


def _row_out(row: UnitRow) -> UnitRowOut:
    return UnitRowOut(unit=_unit_out(row.unit), figures=_figures_out(row.figures), rank=row.rank, behind=row.behind)


def report_out(report: CampaignReport) -> ReportOut:
    """The report as the API (and the CLI's JSON) gives it."""
    return ReportOut(campaign=_campaign_out(report.campaign), day=report.day, planned_percent=str(report.planned),
                     unit=_unit_out(report.unit), figures=_figures_out(report.figures), behind=report.behind,
                     children=[_row_out(row) for row in report.rows])


@router.get("", response=list[CampaignOut], summary="The campaigns over the actor's units")
def list_campaigns(request: HttpRequest) -> list[CampaignOut]:
    return [_campaign_out(campaign) for campaign in campaigns_visible_to(request.user)]


@router.get("/{id:campaign_id}/report", response=ReportOut,
            summary="A unit's progress (the campaign's unit by default), with its children ranked")
def get_report(request: HttpRequest, campaign_id: int, params: Query[ReportQuery]) -> Any:
    campaign = campaign_get_for(request.user, campaign_id)
    unit = campaign_unit_for(request.user, campaign, params.unit)
    return report_out(campaign_report(request.user, campaign, unit))
