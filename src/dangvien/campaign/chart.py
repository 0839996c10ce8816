"""The daily progress chart as an SVG drawn on the server: the cumulative completed members per day,
the planned line from nothing at the start to every eligible member on the deadline, the deadline,
and the projection of the recent rate. A viewBox and relative sizes, so it scales to a phone's
width; the lines differ by dash as well as colour, and the picture carries a text title and
description for screen readers. No script, no external file (the site's CSP allows neither inline
script nor needs it)."""

from __future__ import annotations

import datetime as dt
import math
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from dangvien.campaign.formatting import format_number
from dangvien.campaign.reports import Progress

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 16, 44  # margins for the axes' labels (larger on a phone: site.css)
Y_TICKS = 4
# Presentation attributes, not a stylesheet: the picture looks the same on the page, in a saved file
# and in the PDF. The lines differ by dash as well as colour.
LOOK = {
    "axis": 'stroke="#555" stroke-width="1"',
    "grid": 'stroke="#ddd" stroke-width="1"',
    "tick": 'font-size="12" fill="#444" font-family="DejaVu Sans, sans-serif"',
    "deadline": 'stroke="#b00020" stroke-width="1.5" stroke-dasharray="2 4"',
    "plan": 'stroke="#888" stroke-width="1.5" stroke-dasharray="8 5"',
    "done": 'stroke="#0b5cad" stroke-width="3" fill="none" stroke-linejoin="round"',
    "projection": 'stroke="#0b5cad" stroke-width="2" stroke-dasharray="3 4"',
}


def axis_step(top: int) -> int:
    """A round step for about Y_TICKS gridlines up to `top` (1, 2, 5 times a power of ten), so the
    labels read 0, 50, 100, ... rather than 0, 37, 73, ..."""
    raw = max(top, 1) / Y_TICKS
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    return max(1, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m")


def progress_svg(progress: Progress, language: str | None = None) -> str:
    """The chart of `progress` as an <svg> element (safe to insert in a page: every text escaped)."""
    campaign = progress.campaign
    first = progress.start
    last = max(campaign.deadline, progress.day, progress.projected or progress.day)
    days = max((last - first).days, 1)
    step = axis_step(max(progress.eligible, progress.completed, 1))
    top = step * math.ceil(max(progress.eligible, progress.completed, 1) / step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return round(LEFT + plot_w * (day - first).days / days, 1)

    def y(count: int) -> float:
        return round(TOP + plot_h * (1 - count / top), 1)

    parts: list[str] = []
    for count in range(0, top + 1, step):
        parts.append(f'<line class="grid" {LOOK["grid"]} x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(count)}" y2="{y(count)}"/>'
                     f'<text class="tick" {LOOK["tick"]} x="{LEFT - 6}" y="{y(count) + 4}" text-anchor="end">'
                     f'{escape(format_number(count, language))}</text>')
    for day in (first, campaign.deadline, *([progress.day] if progress.day not in (first, campaign.deadline) else [])):
        parts.append(f'<text class="tick" {LOOK["tick"]} x="{x(day)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                     f'{_date(day)}</text>')
    parts.append(f'<line class="deadline" {LOOK["deadline"]} x1="{x(campaign.deadline)}" x2="{x(campaign.deadline)}" y1="{TOP}" '
                 f'y2="{HEIGHT - BOTTOM}"><title>{escape(_("Deadline"))} {_date(campaign.deadline)}</title></line>')
    parts.append(f'<line class="plan" {LOOK["plan"]} x1="{x(campaign.start)}" y1="{y(0)}" x2="{x(campaign.deadline)}" '
                 f'y2="{y(progress.eligible)}"><title>{escape(_("Planned pace"))}</title></line>')
    if progress.cumulative:
        points = " ".join(f"{x(day)},{y(count)}" for day, count in progress.cumulative)
        parts.append(f'<polyline class="done" {LOOK["done"]} points="{points}"><title>{escape(_("Completed"))}</title></polyline>')
    if progress.projected is not None and progress.remaining:
        parts.append(f'<line class="projection" {LOOK["projection"]} x1="{x(progress.day)}" y1="{y(progress.completed)}" '
                     f'x2="{x(progress.projected)}" y2="{y(progress.eligible)}">'
                     f'<title>{escape(_("Projected at the recent rate"))} {_date(progress.projected)}</title></line>')
    title = _("Completed members per day, cumulative")
    description = _("%(done)s of %(eligible)s completed by %(day)s; deadline %(deadline)s.") % {
        "done": format_number(progress.completed, language), "eligible": format_number(progress.eligible, language),
        "day": _date(progress.day), "deadline": _date(campaign.deadline)}
    return (f'<svg class="progress-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>'
            f'<line class="axis" {LOOK["axis"]} x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<line class="axis" {LOOK["axis"]} x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}"/>'
            f'{"".join(parts)}</svg>')
