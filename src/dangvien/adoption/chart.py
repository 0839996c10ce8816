"""The trend as an SVG drawn on the server (as the campaign's chart): accounts registered by each
month's end and members active in each month, two lines on one count axis, with a text title and
description for screen readers. A viewBox, so it scales to a phone's width; the lines differ by dash
as well as colour; no script and no external file."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from dangvien.adoption.reports import TrendPoint
from dangvien.campaign.chart import axis_step
from dangvien.campaign.formatting import format_number

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 16, 40
LOOK = {
    "axis": 'stroke="#555" stroke-width="1"',
    "grid": 'stroke="#ddd" stroke-width="1"',
    "tick": 'font-size="12" fill="#444" font-family="DejaVu Sans, sans-serif"',
    "registered": 'stroke="#0b5cad" stroke-width="3" fill="none" stroke-linejoin="round"',
    "active": 'stroke="#a50e0e" stroke-width="2.5" fill="none" stroke-dasharray="7 4" stroke-linejoin="round"',
}


def trend_svg(trend: list[TrendPoint], language: str | None = None) -> str:
    """The chart of `trend` as an <svg> element (safe to insert in a page: every text escaped)."""
    if not trend:
        return ""
    highest = max(max(p.registered, p.active) for p in trend)
    step = axis_step(max(highest, 1))
    top = step * math.ceil(max(highest, 1) / step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    gap = plot_w / max(len(trend) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + gap * i, 1)

    def y(count: int) -> float:
        return round(TOP + plot_h * (1 - count / top), 1)

    parts: list[str] = []
    for count in range(0, top + 1, step):
        parts.append(f'<line {LOOK["grid"]} x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(count)}" y2="{y(count)}"/>'
                     f'<text {LOOK["tick"]} x="{LEFT - 6}" y="{y(count) + 4}" text-anchor="end">'
                     f'{escape(format_number(count, language))}</text>')
    for i, point in enumerate(trend):
        parts.append(f'<text {LOOK["tick"]} x="{x(i)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                     f'{point.month:%m/%y}</text>')
    for name, label in (("registered", _("Accounts registered")), ("active", _("Members active"))):
        points = " ".join(f"{x(i)},{y(getattr(p, name))}" for i, p in enumerate(trend))
        parts.append(f'<polyline {LOOK[name]} points="{points}"><title>{escape(label)}</title></polyline>')
    last = trend[-1]
    title = _("Accounts registered and members active, month by month")
    description = _("%(month)s: %(registered)s accounts registered, %(active)s members active.") % {
        "month": f"{last.month:%m/%Y}", "registered": format_number(last.registered, language),
        "active": format_number(last.active, language)}
    return (f'<svg class="progress-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="trend-title trend-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="trend-title">{escape(title)}</title><desc id="trend-desc">{escape(description)}</desc>'
            f'<line {LOOK["axis"]} x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<line {LOOK["axis"]} x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}"/>'
            f'{"".join(parts)}</svg>')
