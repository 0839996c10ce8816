"""Numbers and percentages as committees write them, per language: "138.263/141.794 = 97,51%" in
Vietnamese, "138,263/141,794 = 97.51%" in English.

The percentage is exact (integers in a Decimal, no float on the way), rounded half up as the press
rounds (617/646 = 95.51...% is "96%" at integer precision, 95.5% at one decimal), at the campaign's
precision (0 to 3 decimals), with the zeros after the separator dropped ("100%", not "100.00%").
The separators are Django's locale formats of the language; thousands are always grouped by three
(Django's Vietnamese locale does not group by itself). No eligible member: "—", never "0%" or a
division by zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, numberformat, translation

NO_PERCENT = "—"
MAX_PRECISION = 3


def percent(done: int, total: int, precision: int = 2) -> Decimal | None:
    """done / total × 100, rounded half up to `precision` decimals; None when total is 0."""
    if not total:
        return None
    if not 0 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision {precision} is not 0 to {MAX_PRECISION}")
    exact = Decimal(100 * done) / Decimal(total)
    # 100 × done has at most ~20 digits and the quotient 28 significant ones: the rounding below
    # is decided on an exact-enough value (a tie is exact in Decimal when it exists).
    return exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def _separators(language: str | None) -> tuple[str, str]:
    language = language or translation.get_language() or "vi"
    return (str(formats.get_format("DECIMAL_SEPARATOR", language)),
            str(formats.get_format("THOUSAND_SEPARATOR", language)))


def format_number(value: int | Decimal, language: str | None = None, decimals: int | None = None) -> str:
    """An integer (or decimal) with the language's separators, thousands grouped: 141.794 / 141,794."""
    decimal_sep, thousand_sep = _separators(language)
    return numberformat.format(value, decimal_sep, decimal_pos=decimals, grouping=3, thousand_sep=thousand_sep,
                               force_grouping=True)


def format_percent(value: Decimal | None, language: str | None = None) -> str:
    """97,51% / 97.51%; trailing zeros after the separator dropped; None is "—"."""
    if value is None:
        return NO_PERCENT
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.partition(".")[2])
    return format_number(Decimal(text), language, decimals=places or None) + "%"


def format_share(done: int, total: int, precision: int = 2, language: str | None = None) -> str:
    """The committee's figure: "138,263/141,794 = 97.51%" ("0/0 = —" for no eligible member)."""
    return (f"{format_number(done, language)}/{format_number(total, language)} = "
            f"{format_percent(percent(done, total, precision), language)}")
