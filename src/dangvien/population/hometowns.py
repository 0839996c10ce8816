"""Hometowns mapped to the post-2025 units (34 provinces, communes without districts), whether they
are written with the new units or with the abolished ones (63 provinces, districts, old communes).

The data and the old -> new conversion are vietnamadminunits'. Its converter calls an online
geocoder (ArcGIS) when the address it parses holds a street; we never give it one: it gets
canonical unit names only, and every address is parsed first and converted only if the parse left
no street (tests/population/test_hometowns.py maps with sockets blocked).

Callers map each distinct place once (`map_places`) and join the result; `map_place` is cached.
Results are folded names (core.text.fold): the commune's full name ("xa ia bang", "phuong quy
nhon") and the province's short name ("gia lai"); '' for what is not known.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from vietnamadminunits import convert_address, parse_address
from vietnamadminunits.parser.parser_legacy import (
    DICT_PROVINCE_DISTRICT,
    DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED,
)
from vietnamadminunits.parser.utils import key_normalize

from dangvien.core.text import clean, fold

Place = tuple[str, str]  # (commune, province), folded; '' when unknown
UNKNOWN: Place = ("", "")
_DISTRICT_WORDS = ("huyen ", "quan ", "thi xa ", "thanh pho ", "tp ", "tp.")


def split_hometown(text: str) -> tuple[str, str, str]:
    """(commune, district, province) of a hometown written in one field, most specific first
    ("Xã Cát Tân, huyện Phù Cát, tỉnh Bình Định"; a village in front is dropped)."""
    parts = [p.strip() for p in clean(text).split(",") if p.strip()]
    if not parts:
        return "", "", ""
    province = parts[-1]
    if len(parts) >= 3 and fold(parts[-2]).startswith(_DISTRICT_WORDS):
        return parts[-3], parts[-2], province
    return (parts[-2] if len(parts) >= 2 else ""), "", province


def map_places(places: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], Place]:
    """Each distinct (commune, district, province) mapped once."""
    return {place: map_place(*place) for place in set(places)}


@functools.lru_cache(maxsize=200_000)
def map_place(commune: str, district: str, province: str) -> Place:
    commune, district, province = clean(commune), clean(district), clean(province)
    if not province:
        return UNKNOWN
    if not district and (found := _new_unit(commune, province)):
        return found
    return _old_unit(commune, district, province)


def _folded(unit: object) -> Place:
    ward = getattr(unit, "ward", None) or ""
    province = getattr(unit, "short_province", None) or ""
    return fold(ward), fold(province)


def _new_unit(commune: str, province: str) -> Place | None:
    """The place read as post-2025 units; None if the province is not one of the 34."""
    address = f"{commune}, {province}" if commune else province
    unit = parse_address(address, mode="FROM_2025", level=2 if commune else 1, keep_street=False)
    if not unit.province:
        return None
    if commune and not unit.ward:
        return None  # an old commune of a province that kept its name: try the old units
    return _folded(unit)


def _old_unit(commune: str, district: str, province: str) -> Place:
    """The place read as pre-2025 units and converted. An old commune is named by its district; when
    the record leaves the district out, every district of the province holding a commune of that
    name is tried, and the commune kept only if they all convert to the same new one."""
    old = parse_address(province, mode="LEGACY", level=1, keep_street=False)
    if not old.province_key:
        return _new_unit("", province) or UNKNOWN
    results = {_convert(address) for address in _old_addresses(old.province_key, old.province, commune, district)}
    results.discard(UNKNOWN)
    if len(results) == 1:
        return results.pop()
    provinces = {p for _c, p in results} or {_convert(old.province)[1]}
    return ("", provinces.pop()) if len(provinces) == 1 else UNKNOWN


def _old_addresses(province_key: str, province: str, commune: str, district: str) -> list[str]:
    if not commune:
        return []
    commune_key = key_normalize(commune)
    district_key = key_normalize(district) if district else ""
    found = []
    districts = DICT_PROVINCE_DISTRICT.get(province_key, {})
    for d_key, wards in DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED.get(province_key, {}).items():
        d_info = districts.get(d_key, {})
        if district_key and district_key not in d_info.get("districtKeywords", [d_key]):
            continue
        for ward in wards.values():
            if commune_key in ward["wardKeywords"]:
                found.append(f"{ward['ward']}, {d_info.get('district', d_key)}, {province}")
    return found


def _convert(address: str) -> Place:
    """convert_address, only for an address that parses without a street (no geocoder call)."""
    if parse_address(address, mode="LEGACY", level=3, keep_street=True).street:
        return UNKNOWN
    return _folded(convert_address(address))
