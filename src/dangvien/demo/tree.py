"""The unit tree of the synthetic province: the real 135 post-2025 communes and wards of Gia Lai,
each with grassroots organizations and cells sized from the commune's share of the members.

Pure planning (no database): `plan_tree(n, rng)` returns the units in creation order, parents first.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vietnam_provinces import Province, Ward

from dangvien.core.scope import SEGMENT
from dangvien.org.models import UnitKind

PROVINCE_CODE = "GL"
PROVINCE_NAME = "Đảng bộ tỉnh Gia Lai"
# Commune codes below this were in Bình Định before the 2025 merger, the rest in old Gia Lai
# (the GSO commune codes were kept).
OLD_GIA_LAI_FIRST_CODE = 23000
# The commune of the demo logins (commune officer, cell secretary, card officer, member).
HOME_COMMUNE = "Phường Pleiku"
MIN_COMMUNE_MEMBERS = 60

# Mainly Jrai (Gia Rai) or Bahnar (Ba Na) communes of old Gia Lai; the mountain communes of old
# Bình Định have Bahnar, Hrê and Chăm Hroi members.
BAHNAR_COMMUNES = {
    "Kbang", "Kông Chro", "Đak Đoa", "Mang Yang", "Đak Pơ", "Kon Gang", "Sơn Lang", "Krong",
    "Tơ Tung", "Lơ Pang", "Kon Chiêng", "Chơ Long", "Ya Ma", "SRó", "Đăk Song", "Đak Sơmei",
    "Đak Rong", "Hra", "Ayun", "Chư Krey", "Kông Bơ La", "KDang", "Ya Hội", "Ia Băng",
}
JRAI_EXTRA_COMMUNES = {"Al Bá", "Uar", "Pờ Tó", "Phú Thiện", "Đức Cơ", "Bàu Cạn", "Gào", "Chư A Thai"}
HRE_COMMUNES = {"An Lão", "An Vinh", "An Toàn", "An Hòa"}
BD_BAHNAR_COMMUNES = {"Vĩnh Thạnh", "Vĩnh Sơn", "Vĩnh Thịnh", "Vĩnh Quang"}
CHAM_COMMUNES = {"Vân Canh", "Canh Liên", "Canh Vinh"}

SCHOOL_NAMES = [
    "Nguyễn Huệ", "Lê Lợi", "Trần Phú", "Lê Quý Đôn", "Nguyễn Du", "Phan Bội Châu", "Hùng Vương",
    "Quang Trung", "Võ Thị Sáu", "Nguyễn Trãi", "Chu Văn An", "Lý Tự Trọng", "Kim Đồng",
    "Ngô Mây", "Anh hùng Núp", "Trần Quốc Tuấn", "Nguyễn Bỉnh Khiêm", "Lê Hồng Phong",
    "Nguyễn Thị Minh Khai", "Phan Chu Trinh", "Trần Hưng Đạo", "Võ Nguyên Giáp", "Đào Duy Từ",
    "Lương Thế Vinh", "Nguyễn Văn Trỗi", "Hà Huy Tập", "Tây Sơn", "Bùi Thị Xuân",
]
KINDERGARTEN_NAMES = ["Hoa Sen", "Họa Mi", "Sơn Ca", "Hoa Hồng", "Tuổi Thơ", "Vàng Anh", "Bình Minh",
                      "Hoa Mai", "Hướng Dương", "Măng Non"]
JRAI_VILLAGES = ["Plei Ơi", "Plei Breng", "Plei Kly", "Plei Ngol", "Plei Bông", "Plei Tao", "Plei Ring",
                 "Plei Kueng", "Plei Djrăng", "Plei Yam", "Plei Lốc", "Plei Krăi", "Plei Thơ Ga",
                 "Plei Kte", "Plei Sơ Ma", "Plei Grôn"]
BAHNAR_VILLAGES = ["Kon Hơ Ring", "Kon Rốc", "Kon Brung", "Kon Dơng", "Đê Tar", "Groi", "Hrách",
                   "Bông Pim", "Đak Kơ Dê", "Kon Mahar", "Đê Kjiêng", "Tơ Drăh", "Kon Lốc", "Đê Gơ"]
HRE_VILLAGES = ["Làng Mới", "Thôn 1", "Thôn 2", "Thôn 3", "Thôn 4", "Thôn 5", "Thôn 6", "Thôn 7"]

# Grassroots organizations found in (nearly) every commune, with member ranges, the cells a large
# one splits into, the share of women, and what the members do.
INSTITUTIONS = [
    # key, name pattern, lo, hi, presence in xã / phường, cells, share of women
    ("party", "Cơ quan Đảng – Mặt trận – Đoàn thể {kw} {place}", 12, 28, 1.0, 1.0, ["Cơ quan Đảng ủy", "Mặt trận Tổ quốc và các đoàn thể"], 0.45),
    ("government", "Cơ quan Ủy ban nhân dân {kw} {place}", 25, 55, 1.0, 1.0, ["Văn phòng HĐND và UBND", "Phòng Kinh tế", "Phòng Văn hóa – Xã hội", "Trung tâm Phục vụ hành chính công"], 0.4),
    ("police", "Công an {kw} {place}", 14, 45, 1.0, 1.0, ["Công an {kw} {place} số 1", "Công an {kw} {place} số 2", "Công an {kw} {place} số 3"], 0.12),
    ("military", "Quân sự {kw} {place}", 10, 35, 1.0, 1.0, ["Ban Chỉ huy Quân sự", "Dân quân thường trực"], 0.04),
    ("upper_school", "Trường THPT {school}", 25, 60, 0.35, 0.8, ["Tổ Toán – Tin", "Tổ Ngữ văn", "Tổ Khoa học tự nhiên", "Tổ Khoa học xã hội", "Tổ Ngoại ngữ – Văn phòng"], 0.65),
    ("health", "Trạm Y tế {kw} {place}", 10, 18, 1.0, 1.0, [], 0.65),
    ("middle_school", "Trường THCS {school}", 10, 28, 0.9, 0.9, [], 0.65),
    ("primary_school", "Trường Tiểu học {school}", 10, 25, 0.9, 0.9, [], 0.7),
    ("cooperative", "Hợp tác xã Nông nghiệp {place}", 10, 18, 0.7, 0.0, [], 0.3),
    ("kindergarten", "Trường Mầm non {flower}", 10, 18, 0.6, 0.8, [], 0.95),
    ("hospital", "Bệnh viện Đa khoa khu vực {place}", 30, 80, 0.0, 0.25, ["Khối Nội", "Khối Ngoại", "Khối Cận lâm sàng", "Khối Hành chính"], 0.6),
    ("bank", "Ngân hàng Chính sách xã hội {kw} {place}", 10, 16, 0.0, 0.3, [], 0.55),
    ("rubber", "Công ty Cổ phần Cao su {place}", 25, 70, 0.12, 0.0, ["Nông trường 1", "Nông trường 2", "Nông trường 3", "Văn phòng Công ty"], 0.35),
    ("forestry", "Công ty TNHH MTV Lâm nghiệp {place}", 12, 40, 0.08, 0.0, ["Đội Quản lý bảo vệ rừng", "Văn phòng Công ty"], 0.25),
]


@dataclass
class Commune:
    name: str  # "Xã Ia Grai"
    place: str  # "Ia Grai"
    kind_word: str  # "xã" / "phường"
    ward_code: int
    old_province: str  # "GL" (old Gia Lai) or "BĐ" (old Bình Định): profile numbers, citizen IDs
    # Ethnic groups of the commune's minority members, with their share of all its members.
    minorities: dict[str, float] = field(default_factory=dict)
    mountain: bool = False

    @property
    def is_ward(self) -> bool:
        return self.kind_word == "phường"


@dataclass
class UnitSpec:
    kind: str
    code: str
    name: str
    path: str
    depth: int
    parent: int | None  # index into the plan
    commune: Commune | None = None
    org_key: str = ""  # institution key, or "residential"
    size: int = 0  # members, for member units
    women: float = 0.35
    village: str = ""  # a residential cell's village / residential group, for addresses
    minority_village: bool = False


def gia_lai_communes() -> list[Commune]:
    """The 135 communes and wards of post-2025 Gia Lai, in official code order."""
    province = next(p for p in Province.iter_all() if p.name == "Gia Lai")
    wards = sorted((w for w in Ward.iter_all() if w.province_code == province.code), key=lambda w: int(w.code))
    return [_commune(w.name, int(w.code)) for w in wards]


def _commune(name: str, code: int) -> Commune:
    kind_word, place = ("phường", name[len("Phường "):]) if name.startswith("Phường ") else ("xã", name[len("Xã "):])
    old = "GL" if code >= OLD_GIA_LAI_FIRST_CODE else "BĐ"
    c = Commune(name=name, place=place, kind_word=kind_word, ward_code=code, old_province=old)
    if old == "GL":
        if kind_word == "phường":
            c.minorities = {"Gia Rai": 0.05, "Ba Na": 0.02, "Tày": 0.01}
        elif place in BAHNAR_COMMUNES:
            c.minorities, c.mountain = {"Ba Na": 0.42, "Gia Rai": 0.03, "Tày": 0.01, "Nùng": 0.01}, True
        elif place.startswith(("Ia ", "Chư ")) or place in JRAI_EXTRA_COMMUNES:
            c.minorities, c.mountain = {"Gia Rai": 0.42, "Ba Na": 0.01, "Tày": 0.01, "Mường": 0.01}, True
        else:
            c.minorities = {"Gia Rai": 0.12, "Ba Na": 0.08, "Tày": 0.01, "Nùng": 0.01, "Thái": 0.01}
    else:
        if place in HRE_COMMUNES:
            c.minorities, c.mountain = {"Hrê": 0.35, "Ba Na": 0.12}, True
        elif place in BD_BAHNAR_COMMUNES:
            c.minorities, c.mountain = {"Ba Na": 0.45}, True
        elif place in CHAM_COMMUNES:
            c.minorities, c.mountain = {"Ba Na": 0.28, "Chăm": 0.22}, True
        else:
            c.minorities = {"Tày": 0.002, "Chăm": 0.002}
    return c


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights`."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def split_sizes(total: int, parts: int, rng: random.Random) -> list[int]:
    weights = [rng.uniform(0.75, 1.25) for _ in range(parts)]
    return _apportion(total, weights)


class _Builder:
    def __init__(self) -> None:
        self.units: list[UnitSpec] = []
        self.children: dict[int | None, int] = {}

    def add(self, kind: str, code: str, name: str, parent: int | None, root_path: str = "0001", **extra) -> int:
        number = self.children.get(parent, 0) + 1
        self.children[parent] = number
        if parent is None:
            path, depth = root_path, 0
        else:
            path = self.units[parent].path + str(number).zfill(SEGMENT)
            depth = self.units[parent].depth + 1
        self.units.append(UnitSpec(kind=kind, code=code, name=name, path=path, depth=depth, parent=parent, **extra))
        return len(self.units) - 1

    def org(self, commune_index: int, commune: Commune, base: str, size: int, key: str, women: float,
            cell_label: Callable[[int], str], rng: random.Random, village: str = "",
            minority_village: bool = False) -> None:
        """A grassroots organization: a grassroots cell under 30 members, else a committee with cells
        (`cell_label(k)` names its k-th cell)."""
        org_code = f"{self.units[commune_index].code}-{self.children.get(commune_index, 0) + 1:02d}"
        common: dict[str, Any] = dict(commune=commune, org_key=key, women=women, minority_village=minority_village)
        if size < 30:
            self.add(UnitKind.GRASSROOTS_CELL, org_code, f"Chi bộ {base}", commune_index, size=size,
                     village=village, **common)
            return
        parts = max(2, round(size / rng.uniform(*((44, 62) if key == "residential" else (30, 50)))))
        org = self.add(UnitKind.GRASSROOTS_COMMITTEE, org_code, f"Đảng bộ {base}", commune_index, **common)
        for k, cell_size in enumerate(split_sizes(size, parts, rng), start=1):
            label = cell_label(k)
            cell_village = "" if key != "residential" else label if commune.is_ward else f"{label}, {village}"
            self.add(UnitKind.CELL, f"{org_code}-{k:02d}", f"Chi bộ {label}", org, size=cell_size,
                     village=cell_village, **common)


def plan_tree(n: int, rng: random.Random, root_path: str = "0001") -> list[UnitSpec]:
    communes = gia_lai_communes()
    # Wards hold more members than rural communes; mountain communes fewer.
    weights = [(2.2 if c.is_ward else 1.0) * (0.7 if c.mountain else 1.0) * rng.lognormvariate(0, 0.3)
               for c in communes]
    # A small demo populates only some communes (the home commune of the demo logins always),
    # so that its cells still have realistic sizes; every commune unit exists either way.
    populated = max(1, min(len(communes), n // MIN_COMMUNE_MEMBERS))
    if populated < len(communes):
        home = next(i for i, c in enumerate(communes) if c.name == HOME_COMMUNE)
        others = rng.sample([i for i in range(len(communes)) if i != home], populated - 1)
        keep = {home, *others}
        weights = [w if i in keep else 0.0 for i, w in enumerate(weights)]
    sizes = _apportion(n, weights)
    b = _Builder()
    province = b.add(UnitKind.PROVINCE, PROVINCE_CODE, PROVINCE_NAME, None, root_path=root_path)
    for commune, size in zip(communes, sizes, strict=True):
        ci = b.add(UnitKind.COMMUNE, f"{PROVINCE_CODE}-{commune.ward_code}",
                   f"Đảng bộ {commune.kind_word} {commune.place}", province, commune=commune)
        _plan_commune(b, ci, commune, size, rng)
    return b.units


def _plan_commune(b: _Builder, ci: int, commune: Commune, size: int, rng: random.Random) -> None:
    if size <= 0:
        return
    remaining = size
    budget = int(size * rng.uniform(0.16, 0.24))
    schools = rng.sample(SCHOOL_NAMES, 4)
    for key, pattern, lo, hi, in_xa, in_ward, cells, women in INSTITUTIONS:
        if rng.random() >= (in_ward if commune.is_ward else in_xa):
            continue
        want = min(rng.randint(lo, hi), budget)
        if want < 10:
            break
        base = pattern.format(kw=commune.kind_word, place=commune.place, flower=rng.choice(KINDERGARTEN_NAMES),
                              school=schools.pop() if "school" in key else "")
        b.org(ci, commune, base, want, key, women, _institution_cell_label(cells, commune), rng)
        budget -= want
        remaining -= want
    _plan_residential(b, ci, commune, remaining, rng)


def _village_names(commune: Commune, count: int, rng: random.Random) -> list[tuple[str, bool]]:
    """(name, is a minority village) for each village or residential area of a commune."""
    share = sum(commune.minorities.values())
    if commune.is_ward:
        return [(f"Khu phố {i}", False) for i in range(1, count + 1)]
    minority_pool = (JRAI_VILLAGES if "Gia Rai" in commune.minorities and commune.minorities["Gia Rai"] > 0.2
                     else HRE_VILLAGES if "Hrê" in commune.minorities else BAHNAR_VILLAGES)
    pool = rng.sample(minority_pool, len(minority_pool))
    out, number = [], 0
    for _ in range(count):
        # A village is a minority one about as often as the commune's minority share allows.
        if pool and rng.random() < min(0.9, share * 1.4):
            name = pool.pop()
            out.append((name if name.startswith("Thôn") else f"Làng {name}", True))
        else:
            number += 1
            out.append((f"Thôn {number}", False))
    return out


def _plan_residential(b: _Builder, ci: int, commune: Commune, members: int, rng: random.Random) -> None:
    """Villages (thôn, làng) in rural communes, residential areas (khu phố) with their residential
    groups (tổ dân phố) in wards."""
    sizes: list[int] = []
    left = members
    while left > 0:
        if commune.is_ward:
            s = rng.randint(80, 220)
        else:
            s = rng.randint(12, 29) if rng.random() < 0.15 else rng.randint(30, 150)
        if left - s < 12:
            s = left
        sizes.append(s)
        left -= s
    groups = iter(range(1, 10_000))  # residential groups (tổ dân phố) are numbered across a ward
    for (village, minority), s in zip(_village_names(commune, len(sizes), rng), sizes, strict=True):
        if commune.is_ward:
            label: Callable[[int], str] = lambda _k: f"Tổ dân phố {next(groups)}"  # noqa: E731
        else:
            label = lambda k: f"Xóm {k}"  # noqa: E731
        b.org(ci, commune, village, s, "residential", 0.4 if commune.is_ward else 0.33, label, rng,
              village=village, minority_village=minority)


def _institution_cell_label(cells: list[str], commune: Commune) -> Callable[[int], str]:
    def label(k: int) -> str:
        name = cells[k - 1] if k <= len(cells) else f"Số {k}"
        return name.format(kw=commune.kind_word, place=commune.place)
    return label
