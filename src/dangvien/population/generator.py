"""A synthetic population extract for the members of a unit: their true data plus other citizens of
the province (≈ 18.3 citizens a member: 2.6 M for Gia Lai's 141,794 members), with a ground-truth
file, and optionally noise written into the member records (through members.bulk: audited, in
their history), as the records of a real party committee carry it.

Other citizens are drawn in bulk (numpy, pyarrow): names from pools drawn with core.names, birth
dates, sex, citizen IDs consistent with the province code, sex and birth year, hometowns among the
province's post-2025 communes (some written with the abolished units, as old records are). Hard
cases on purpose: namesakes (same name, sex and birth year as a member), twins (same family and
middle name, birth date and hometown), and members left out of the extract.
"""

from __future__ import annotations

import csv
import datetime as dt
import pathlib
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dangvien.core.names import person_name
from dangvien.core.text import fold
from dangvien.members.bulk import Correction, Refused, members_write
from dangvien.members.models import Member
from dangvien.population.hometowns import old_names_of, split_hometown
from dangvien.population.normalize import RAW_COLUMNS

CITIZENS_PER_MEMBER = 18.3
# Share of members whose record gets each kind of noise (%, one kind a member), and of members
# left out of the extract.
NOISE_RATES: dict[str, float] = {
    "typo": 1.0, "no_diacritics": 1.5, "nfd_extract": 1.0, "tone_placement": 1.5, "middle_dropped": 1.5,
    "day_month_swap": 1.0, "year_only": 1.0, "old_id": 1.0, "id_typo": 1.0, "old_hometown": 2.0, "absent": 0.5,
    "missing_id": 2.0,
}
# Records made before the 12-digit citizen ID existed lack it: this share of the members with a name,
# birth date or hometown noise also have no citizen ID on record (the truth says `id_dropped`), so
# nothing but the model can find them; "missing_id" alone is a clean record without the ID.
ID_DROPPED_SHARE = 0.3
ID_DROPPABLE = ("typo", "no_diacritics", "tone_placement", "middle_dropped", "day_month_swap", "year_only",
                "old_hometown")
NAMESAKE_SHARE = 0.03  # members with 1-3 citizens of the same name, sex and birth year
TWIN_SHARE = 0.005
# Province codes of citizen IDs in the extract of Gia Lai (old Gia Lai 064, old Bình Định 052, migrants).
ID_PROVINCES = [("064", 0.52), ("052", 0.38), ("040", 0.02), ("042", 0.015), ("038", 0.015), ("051", 0.02),
                ("049", 0.01), ("034", 0.01), ("001", 0.005), ("079", 0.005)]
ETHNIC_NAMES = [("Kinh", 0.70), ("Gia Rai", 0.18), ("Ba Na", 0.10), ("Hrê", 0.02)]
POOL_SIZE = 60_000  # names drawn per sex; citizens take names from the pools


@dataclass
class Generated:
    citizens: int
    members: int
    absent: int
    noise: dict[str, int] = field(default_factory=dict)


def _member_rows(unit: Any) -> list[dict[str, Any]]:
    fields = ["id", "version", "full_name", "sex", "date_of_birth", "birth_year", "citizen_id", "old_id_number",
              "hometown", "permanent_residence"]
    members = Member.objects.filter(unit__path__startswith=unit.path).order_by("id").values(*fields)
    return list(members)


def generate_extract(*, unit: Any, out: pathlib.Path, citizens: int | None = None, truth: pathlib.Path | None = None,
                     seed: int = 2026, apply_noise: bool = False, actor: Any = None,
                     rates: Mapping[str, float] = NOISE_RATES, id_dropped_share: float = ID_DROPPED_SHARE) -> Generated:
    """Write the extract (CSV or Parquet by `out`'s suffix) and the ground truth; with apply_noise,
    correct the member records with the noise (as `actor`)."""
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    members = _member_rows(unit)
    taken_ids = {m["citizen_id"] for m in members if m["citizen_id"]}
    kinds = _noise_kinds(prng, members, rates)
    dropped = {m["id"] for m in members
               if kinds[m["id"]] in ID_DROPPABLE and m["citizen_id"] and prng.random() < id_dropped_share}
    member_rows = []
    for member in members:
        kind = kinds[member["id"]]
        if kind == "old_id":  # the extract knows the old ID the record will carry instead
            member["_extract_old_id"] = member["old_id_number"] or _old_id(prng)
        if kind != "absent" and member["citizen_id"]:
            member_rows.append(_extract_row(member, kind))
    total = citizens if citizens is not None else round(CITIZENS_PER_MEMBER * len(members))
    hard = _hard_cases(prng, members, taken_ids)
    others = _citizens(rng, prng, max(total - len(member_rows) - len(hard), 0), taken_ids)
    table = pa.concat_tables([pa.Table.from_pylist(member_rows + hard, schema=others.schema), others])
    table = table.take(pa.array(rng.permutation(table.num_rows)))
    _write(table, out)
    if apply_noise:
        _apply_noise(prng, actor, members, kinds, dropped, taken_ids)
    truth_rows = [{"member_id": m["id"], "so_dinh_danh": "" if kinds[m["id"]] == "absent" else m["citizen_id"] or "",
                   "noise": kinds[m["id"]], "id_dropped": "yes" if apply_noise and m["id"] in dropped else ""}
                  for m in members]
    if truth:
        with truth.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["member_id", "so_dinh_danh", "noise", "id_dropped"])
            writer.writeheader()
            writer.writerows(truth_rows)
    noise_counts: dict[str, int] = {}
    for kind in kinds.values():
        if kind:
            noise_counts[kind] = noise_counts.get(kind, 0) + 1
    return Generated(citizens=table.num_rows, members=len(members), absent=noise_counts.get("absent", 0),
                     noise=noise_counts)


# --- the members' rows -----------------------------------------------------------------------------


def _date_text(day: dt.date | None, year: int | None) -> str:
    return f"{day:%d/%m/%Y}" if day else str(year or "")


def _extract_row(member: dict[str, Any], kind: str) -> dict[str, Any]:
    commune, _district, province = split_hometown(member["hometown"] or "")
    name = member["full_name"]
    if kind == "nfd_extract":  # legacy text in the population database: decomposed
        name = unicodedata.normalize("NFD", name)
    old_id = member.get("_extract_old_id") or member["old_id_number"]
    return {"so_dinh_danh": member["citizen_id"], "so_cmnd": old_id, "ho_ten": name,
            "ngay_sinh": _date_text(member["date_of_birth"], member["birth_year"]),
            "gioi_tinh": "Nữ" if member["sex"] == "F" else "Nam", "que_quan_xa": commune,
            "que_quan_tinh": _province_name(province), "thuong_tru": member["permanent_residence"] or ""}


def _province_name(province: str) -> str:
    for prefix in ("tỉnh ", "Tỉnh ", "thành phố ", "Thành phố "):
        if province.startswith(prefix):
            return province[len(prefix):]
    return province


def _old_id(rng: random.Random) -> str:
    return f"{rng.choice(['23', '21'])}{rng.randrange(10_000_000):07d}"


def _noise_kinds(rng: random.Random, members: list[dict[str, Any]], rates: Mapping[str, float]) -> dict[int, str]:
    kinds, weights = list(rates), [rates[k] / 100 for k in rates]
    out = {}
    for member in members:
        roll, kind = rng.random(), ""
        for k, w in zip(kinds, weights, strict=True):
            if roll < w:
                kind = k
                break
            roll -= w
        out[member["id"]] = kind if _applicable(kind, member) else ""
    return out


def _applicable(kind: str, member: dict[str, Any]) -> bool:
    day = member["date_of_birth"]
    if kind in ("typo", "no_diacritics", "nfd_extract", "tone_placement", "middle_dropped", "id_typo", "old_id",
                "missing_id"):
        if not member["citizen_id"]:
            return False
    if kind == "no_diacritics":
        return fold(member["full_name"]) != member["full_name"].lower()
    if kind == "nfd_extract":
        return not member["full_name"].isascii()
    if kind == "tone_placement":
        return _other_tone_placement(member["full_name"]) != member["full_name"]
    if kind == "middle_dropped":
        return len(member["full_name"].split()) >= 3
    if kind == "day_month_swap":
        return day is not None and day.day <= 12 and day.day != day.month
    if kind == "year_only":
        return day is not None
    if kind == "old_hometown":
        return bool(old_names_of(member["hometown"] or ""))
    return True


_PLACEMENTS = {
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ",
    "ọe": "oẹ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
}
_PLACEMENTS.update({v: k for k, v in list(_PLACEMENTS.items())})


def _other_tone_placement(name: str) -> str:
    """The name with the tone of a word-final oa/oe/uy written the other way (Hòa <-> Hoà)."""
    words = name.split(" ")
    for i, word in enumerate(words):
        tail = word[-2:].lower()
        if tail in _PLACEMENTS and not word.lower().startswith("qu"):
            swapped = _PLACEMENTS[tail]
            words[i] = word[:-2] + (swapped if word[-2:].islower() else swapped.upper())
    return " ".join(words)


# --- the other citizens ---------------------------------------------------------------------------


def _name_pool(rng: random.Random, sex: str) -> list[str]:
    groups, weights = [g for g, _ in ETHNIC_NAMES], [w for _, w in ETHNIC_NAMES]
    return [person_name(rng, rng.choices(groups, weights)[0], sex) for _ in range(POOL_SIZE)]


def _gia_lai_places() -> list[tuple[str, str]]:
    from vietnam_provinces import Province, Ward

    code = next(int(p.code) for p in Province.iter_all() if p.name == "Gia Lai")
    return [(w.name, "Gia Lai") for w in Ward.iter_all() if int(w.province_code) == code]


def _citizens(rng: np.random.Generator, prng: random.Random, n: int, taken: set[str]) -> pa.Table:
    female = rng.random(n) < 0.5
    names_m, names_f = np.array(_name_pool(prng, "M")), np.array(_name_pool(prng, "F"))
    names = np.where(female, names_f[rng.integers(0, POOL_SIZE, n)], names_m[rng.integers(0, POOL_SIZE, n)])
    # Ages 0-95, fewer past 60 (a young province).
    ages = np.minimum(rng.exponential(32, n), 95) if n else np.zeros(0)
    births = (np.datetime64("2026-10-01") - (ages * 365.2425).astype("timedelta64[D]")).astype("datetime64[D]")
    years = births.astype("datetime64[Y]").astype(int) + 1970
    birth_dates = pa.array(births, pa.date32())
    ngay_sinh = pc.strftime(pc.cast(birth_dates, pa.timestamp("s")), format="%d/%m/%Y")
    year_only = (years < 1950) & (rng.random(n) < 0.15)  # old records: the year alone
    ngay_sinh = pc.if_else(pa.array(year_only), pc.cast(pa.array(years), pa.string()), ngay_sinh)
    ids = _citizen_ids(rng, female, years, n, taken)
    has_cmnd = (years < 2005) & (rng.random(n) < 0.6)
    cmnd = np.char.add(np.where(rng.random(n) < 0.55, "23", "21"),
                       np.char.zfill(rng.integers(0, 10_000_000, n).astype(str), 7))
    places = _gia_lai_places()
    place = rng.integers(0, len(places), n)
    communes = np.array([c for c, _p in places])[place]
    provinces = np.array([p for _c, p in places])[place]
    villages = np.char.add("Thôn ", rng.integers(1, 15, n).astype(str))
    return pa.table({
        "so_dinh_danh": ids, "so_cmnd": np.where(has_cmnd, cmnd, ""), "ho_ten": names, "ngay_sinh": ngay_sinh,
        "gioi_tinh": np.where(female, "Nữ", "Nam"), "que_quan_xa": communes, "que_quan_tinh": provinces,
        "thuong_tru": np.char.add(np.char.add(villages, ", "), np.char.add(communes, ", tỉnh Gia Lai")),
    }).select(list(RAW_COLUMNS))


def _citizen_ids(rng: np.random.Generator, female: np.ndarray, years: np.ndarray, n: int, taken: set[str]) -> np.ndarray:
    """12-digit IDs consistent with sex and birth year, unique, none a member's."""
    codes = np.array([int(c) for c, _w in ID_PROVINCES])
    weights = np.array([w for _c, w in ID_PROVINCES])
    province = codes[rng.choice(len(codes), n, p=weights / weights.sum())]
    century = (years // 100 - 19) * 2 + female
    head = province * 1_000 + century * 100 + years % 100
    taken_numbers = np.array(sorted(int(t) for t in taken), dtype=np.int64)
    numbers = head.astype(np.int64) * 1_000_000 + rng.integers(0, 1_000_000, n)
    while True:
        unique, first = np.unique(numbers, return_index=True)
        clash = np.ones(n, bool)
        clash[first] = False
        clash |= np.isin(numbers, taken_numbers)
        if not clash.any():
            break
        numbers[clash] = head[clash].astype(np.int64) * 1_000_000 + rng.integers(0, 1_000_000, int(clash.sum()))
    return np.char.zfill(numbers.astype(str), 12)


def _hard_cases(rng: random.Random, members: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
    """Namesakes of members (same name, sex, birth year; another day) and twins (same family and
    middle name, birth date and hometown; another given name and ID)."""
    rows = []

    def new_id(like: str) -> str:
        while True:
            candidate = like[:6] + f"{rng.randrange(1_000_000):06d}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    for member in members:
        if not member["citizen_id"]:
            continue
        roll = rng.random()
        if roll >= NAMESAKE_SHARE + TWIN_SHARE:
            continue
        commune, _d, province = split_hometown(member["hometown"] or "")
        base = {"so_cmnd": "", "gioi_tinh": "Nữ" if member["sex"] == "F" else "Nam", "que_quan_xa": commune,
                "que_quan_tinh": _province_name(province), "thuong_tru": ""}
        year = member["birth_year"] or (member["date_of_birth"].year if member["date_of_birth"] else 1970)
        if roll < NAMESAKE_SHARE:
            for _ in range(rng.randint(1, 3)):
                day = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
                rows.append({**base, "so_dinh_danh": new_id(member["citizen_id"]), "ho_ten": member["full_name"],
                             "ngay_sinh": f"{day:%d/%m/%Y}", "que_quan_xa": "", "que_quan_tinh": ""})
        else:
            words = member["full_name"].split(" ")
            given = rng.choice(["An", "Bình", "Hùng", "Lan", "Mai", "Minh", "Hòa", "Thủy"])
            twin = " ".join([*words[:-1], given]) if given != words[-1] else " ".join([*words[:-1], "Song"])
            rows.append({**base, "so_dinh_danh": new_id(member["citizen_id"]), "ho_ten": twin,
                         "ngay_sinh": _date_text(member["date_of_birth"], member["birth_year"])})
    return rows


def _write(table: pa.Table, out: pathlib.Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        pq.write_table(table, out)
        return
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(quoting_style="needed"))


# --- noise in the member records -----------------------------------------------------------------

_VOWELS = "aeiou"


def _typo(rng: random.Random, name: str) -> str:
    words = name.split(" ")
    i = rng.randrange(len(words))
    word = words[i]
    if len(word) < 3:
        return name
    at = rng.randrange(1, len(word))
    if rng.random() < 0.5 and at < len(word) - 1:  # two letters swapped
        word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    else:  # a letter replaced
        word = word[:at] + rng.choice([c for c in "anhmtgiu" if c != word[at]]) + word[at + 1:]
    words[i] = word
    return " ".join(words)


def _changes(rng: random.Random, member: dict[str, Any], kind: str, taken: set[str]) -> dict[str, Any]:
    name, day = member["full_name"], member["date_of_birth"]
    if kind == "typo":
        return {"full_name": _typo(rng, name)}
    if kind == "no_diacritics":
        words = [fold(w).capitalize() if w[:1].isupper() else fold(w) for w in name.split(" ")]
        return {"full_name": " ".join(words)}
    if kind == "tone_placement":
        return {"full_name": _other_tone_placement(name)}
    if kind == "middle_dropped":
        words = name.split(" ")
        return {"full_name": f"{words[0]} {words[-1]}"}
    if kind == "day_month_swap":
        return {"date_of_birth": dt.date(day.year, day.day, day.month)}
    if kind == "year_only":
        return {"date_of_birth": None, "birth_year": day.year}
    if kind == "old_id":
        return {"citizen_id": None, "old_id_number": member["_extract_old_id"]}
    if kind == "id_typo":
        citizen_id = member["citizen_id"]
        while True:
            at = rng.randrange(6, 12)
            typo = citizen_id[:at] + str((int(citizen_id[at]) + rng.randint(1, 9)) % 10) + citizen_id[at + 1:]
            if typo not in taken:
                taken.add(typo)
                return {"citizen_id": typo}
    if kind == "old_hometown":
        return {"hometown": rng.choice(old_names_of(member["hometown"]))}
    if kind == "missing_id":
        return {"citizen_id": None}
    return {}


def _apply_noise(rng: random.Random, actor: Any, members: list[dict[str, Any]], kinds: dict[int, str],
                 dropped: set[int], taken: set[str]) -> None:
    corrections = []
    for member in members:
        kind = kinds[member["id"]]
        if kind in ("", "absent", "nfd_extract"):
            continue
        changes = _changes(rng, member, kind, taken)
        if member["id"] in dropped:
            changes["citizen_id"] = None
        if changes:
            corrections.append(Correction(member_id=member["id"], expected_version=member["version"],
                                          changes=changes, key=member["id"]))
    try:
        members_write(actor=actor, corrections=corrections, note="synthetic noise (population generate)")
    except Refused as refused:
        # A noisy value a record may not hold: those members keep their true data.
        bad = {p.key for p in refused.problems}
        for member_id in bad:
            kinds[member_id] = ""
            dropped.discard(member_id)
        members_write(actor=actor, corrections=[c for c in corrections if c.key not in bad],
                      note="synthetic noise (population generate)")
