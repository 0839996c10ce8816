"""Template helpers of the handbook's pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """30000 -> "30.000": an amount in đồng with the Vietnamese thousands separator."""
    return f"{amount or 0:,}".replace(",", ".")
