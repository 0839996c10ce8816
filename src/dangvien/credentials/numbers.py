"""Card numbers: a configurable scheme, because the new chip card's official format is unconfirmed
(domain.md: the old cards had 8 digits).

A scheme is a template for the number without its check digit, a check-digit algorithm, and the
series its sequence counts in: one per province (the template then holds the province's code) or
one for the nation. settings.DANGVIEN["CARD_NUMBER_SCHEME"] names one of SCHEMES, or gives a dict of
CardNumberScheme's fields (a name of its own, so its counters are its own too).

Numbers are drawn from a counter row per (scheme, series), locked for the drawing transaction
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's write transactions are serial already) and moved in
that same transaction as the cards that take them: no number is handed out twice, and one rolled
back is handed out again, so the sequence has no gaps.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from dangvien.core.scope import SEGMENT
from dangvien.credentials.models import CardNumberCounter

# name -> (the check digit of the digits before it, whether a whole number carries a right one)
CHECKS: dict[str, tuple[Callable[[str], str], Callable[[str], bool]]] = {
    # Luhn mod 10 (ISO/IEC 7812, payment cards): catches every single-digit error and most swaps.
    "luhn": (luhn.calc_check_digit, luhn.is_valid),
    # ISO 7064 MOD 11-10 (a pure decimal check digit): every single-digit error and every swap of
    # neighbouring digits.
    "iso7064-mod11-10": (mod_11_10.calc_check_digit, mod_11_10.is_valid),
}

NATIONAL = "national"
PROVINCE = "province"


@dataclass(frozen=True)
class CardNumberScheme:
    name: str
    # The number without its check digit; fields: {sequence} and, in a province series, {province}.
    template: str
    check: str = "luhn"
    series: str = PROVINCE  # PROVINCE: a sequence per province; NATIONAL: one sequence
    # A province unit's code -> its code in card numbers; a province not listed uses its place in
    # the unit tree (its path's first segment: 1 for the first province entered).
    province_codes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ImproperlyConfigured(f"Card number scheme {self.name}: unknown check {self.check!r}.")
        if self.series not in (PROVINCE, NATIONAL):
            raise ImproperlyConfigured(f"Card number scheme {self.name}: series is 'province' or 'national'.")
        fields = self._fields()
        wanted = {"sequence", "province"} if self.series == PROVINCE else {"sequence"}
        if set(fields) != wanted:
            raise ImproperlyConfigured(f"Card number scheme {self.name}: the template takes exactly "
                                       f"{sorted(wanted)}, not {sorted(fields)}.")
        if not self.template.format(sequence=0, province=0).isdigit():
            raise ImproperlyConfigured(f"Card number scheme {self.name}: a number must be digits only.")

    def _fields(self) -> dict[str, str]:
        return {name: spec or "" for _, name, spec, _ in string.Formatter().parse(self.template) if name}

    @property
    def capacity(self) -> int:
        """How many numbers a series holds: the sequence's digits fix the number's length."""
        spec = self._fields()["sequence"]
        width = int(spec.rstrip("d").lstrip("0") or 0)
        if not width:
            raise ImproperlyConfigured(f"Card number scheme {self.name}: give the sequence a width, e.g. {{sequence:07d}}.")
        return 10**width - 1

    def series_of(self, province: Any) -> str:
        """The counter series a card of this province draws from (province: an org Unit at depth 0)."""
        return str(self.province_code(province)) if self.series == PROVINCE else NATIONAL

    def province_code(self, province: Any) -> int:
        return int(self.province_codes.get(province.code, int(province.path[:SEGMENT])))

    def number(self, *, province: Any, sequence: int) -> str:
        body = self.template.format(sequence=sequence, province=self.province_code(province))
        return body + CHECKS[self.check][0](body)

    def is_valid(self, number: str) -> bool:
        """Whether `number` is digits only and its check digit is right (a typing check; whether a
        card has this number is the database's answer)."""
        return number.isdigit() and len(number) > 1 and CHECKS[self.check][1](number)


SCHEMES: dict[str, CardNumberScheme] = {
    # The default: the province's two-digit code, seven digits of sequence, a Luhn digit: 10 digits,
    # 9,999,999 cards a province (the largest has about 400,000 members).
    "province-luhn": CardNumberScheme("province-luhn", "{province:02d}{sequence:07d}", "luhn", PROVINCE),
    # The alternative: one national series of nine digits and an ISO 7064 MOD 11-10 digit (10
    # digits, no place in it: a member who moves keeps a number that says nothing about where).
    "national-mod11": CardNumberScheme("national-mod11", "{sequence:09d}", "iso7064-mod11-10", NATIONAL),
}


def current_scheme() -> CardNumberScheme:
    configured = settings.DANGVIEN["CARD_NUMBER_SCHEME"]
    if isinstance(configured, CardNumberScheme):
        return configured
    if isinstance(configured, Mapping):
        return CardNumberScheme(**configured)
    try:
        return SCHEMES[configured]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown card number scheme {configured!r}: one of {sorted(SCHEMES)}, "
                                   "or a dict of CardNumberScheme's fields.") from None


def _locked_counter(scheme: CardNumberScheme, series: str) -> CardNumberCounter:
    """The series' counter row, locked until the caller's transaction ends (made on first use; two
    first uses at once: the second waits on the unique index, then reads the first's row)."""
    counters = CardNumberCounter.objects.select_for_update()
    counter = counters.filter(scheme=scheme.name, series=series).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            CardNumberCounter.objects.create(scheme=scheme.name, series=series)
    except IntegrityError:
        pass  # made meanwhile by another transaction
    return counters.get(scheme=scheme.name, series=series)


def numbers_draw(province: Any, count: int, scheme: CardNumberScheme | None = None) -> list[str]:
    """`count` new card numbers for cards of `province`, in sequence. Call inside the transaction
    that stores the cards: the counter stays locked until it ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers_draw runs inside the transaction that stores the cards.")
    scheme = scheme or current_scheme()
    if count <= 0:
        return []
    counter = _locked_counter(scheme, scheme.series_of(province))
    first = counter.next_value
    if first + count - 1 > scheme.capacity:
        raise ValidationError(_("The card number series %(series)s is exhausted.")
                              % {"series": f"{scheme.name}/{counter.series}"}, code="numbers_exhausted")
    counter.next_value = first + count
    counter.save(update_fields=["next_value"])
    return [scheme.number(province=province, sequence=sequence) for sequence in range(first, first + count)]
