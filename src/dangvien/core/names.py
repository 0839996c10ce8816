"""Synthetic Vietnamese personal names, family name first (the demo province and the synthetic
population extract draw from the same tables).

Kinh names follow the surname shares of domain.md and use sex-appropriate middle and given names.
Jrai (Gia Rai) and Bahnar (Ba Na) members get their own patterns: Jrai clan names (Ksor, Rơ Mah,
Siu, Nay, ...), women's names often with the H' prefix ("Ksor H'Bơ"); Bahnar names mostly with the
surname Đinh ("Đinh Văn Blơnh") or without a family name ("A Sanh", "Y Hmia").
All strings here are NFC (the source file is NFC; tests check it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate

# (surname, share in %). The named shares are domain.md's; the tail shares are small and rough.
KINH_SURNAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.0), ("Trần", 12.0), ("Lê", 9.5), ("Phạm", 7.0), ("Phan", 4.5), ("Hoàng", 3.5),
    ("Vũ", 2.4), ("Đặng", 2.1), ("Bùi", 2.0), ("Huỳnh", 1.6), ("Võ", 1.5), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.6), ("Đinh", 0.6), ("Trương", 0.6), ("Đoàn", 0.55),
    ("Lương", 0.45), ("Mai", 0.45), ("Cao", 0.4), ("Lâm", 0.35), ("Tạ", 0.3), ("Hà", 0.3),
    ("Lưu", 0.3), ("Thái", 0.25), ("Châu", 0.25), ("Tô", 0.25), ("Văn", 0.2), ("Kiều", 0.15),
    ("Phùng", 0.15), ("Quách", 0.15), ("Triệu", 0.12), ("Từ", 0.12), ("Tăng", 0.1), ("La", 0.1),
    ("Lạc", 0.08), ("Âu Dương", 0.03), ("Tôn Thất", 0.03), ("Tôn Nữ", 0.02),
]
# Names used mostly in the northern migrant communities (Tày, Nùng, Mường, Thái).
NORTHERN_MINORITY_SURNAMES: list[tuple[str, float]] = [
    ("Hoàng", 20), ("Nông", 18), ("Lò", 10), ("Lương", 10), ("Bế", 8), ("Hà", 10), ("Vi", 6),
    ("Lộc", 6), ("Đinh", 6), ("Bùi", 6),
]

MALE_MIDDLE: list[tuple[str, float]] = [
    ("Văn", 42), ("Đình", 6), ("Minh", 6), ("Quốc", 5), ("Hữu", 5), ("Công", 4), ("Đức", 4),
    ("Thanh", 4), ("Xuân", 3), ("Ngọc", 3), ("Quang", 3), ("Tấn", 4), ("Trọng", 2), ("Anh", 2),
    ("Hoàng", 2), ("Thành", 2), ("Bá", 1.5), ("Kim", 1), ("Trung", 1.5),
]
FEMALE_MIDDLE: list[tuple[str, float]] = [
    ("Thị", 55), ("Thu", 5), ("Ngọc", 6), ("Thanh", 5), ("Kim", 4), ("Mỹ", 3), ("Hồng", 3),
    ("Thúy", 2), ("Phương", 2), ("Minh", 2), ("Bích", 2), ("Diệu", 1.5), ("Hoài", 1.5),
    ("Thị Thu", 3), ("Thị Kim", 2), ("Thị Mỹ", 1.5), ("Thị Bích", 1.5),
]
MALE_GIVEN: list[str] = [
    "An", "Anh", "Bảo", "Bình", "Cường", "Chiến", "Công", "Dũng", "Duy", "Dương", "Đạt", "Định",
    "Đức", "Giang", "Hải", "Hào", "Hiếu", "Hiệp", "Hòa", "Hoà", "Hoàng", "Hùng", "Huy", "Hưng",
    "Khánh", "Khoa", "Kiên", "Lâm", "Lợi", "Long", "Lộc", "Luân", "Mạnh", "Minh", "Nam", "Nghĩa",
    "Ngọc", "Nhân", "Phát", "Phong", "Phúc", "Phước", "Quân", "Quang", "Quý", "Sang", "Sơn",
    "Tài", "Tâm", "Tân", "Thắng", "Thành", "Thanh", "Thiện", "Thịnh", "Thông", "Tiến", "Toàn",
    "Trí", "Trung", "Trường", "Tuấn", "Tùng", "Tú", "Vinh", "Việt", "Vũ", "Xuân", "Châu", "Lực",
]
FEMALE_GIVEN: list[str] = [
    "An", "Anh", "Bích", "Chi", "Dung", "Diệu", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
    "Hoa", "Hòa", "Hoà", "Hồng", "Huệ", "Hương", "Hường", "Lan", "Liên", "Linh", "Loan", "Lý",
    "Mai", "My", "Nga", "Ngân", "Nguyệt", "Nhung", "Nhi", "Oanh", "Phượng", "Phương", "Quyên",
    "Sen", "Tâm", "Thảo", "Thanh", "Thu", "Thủy", "Thuỷ", "Thúy", "Trang", "Trinh", "Tuyết",
    "Uyên", "Vân", "Xuân", "Yến", "Ánh", "Ngọc", "Hậu", "Lệ",
]
# Two-word given names: the first word lands in the middle-name column (core.text.split_name).
MALE_COMPOUND_GIVEN: list[str] = [
    "Minh Tuấn", "Quốc Bảo", "Gia Huy", "Đức Anh", "Hoàng Long", "Thanh Tùng", "Tuấn Anh",
    "Minh Khôi", "Bảo Long", "Anh Tuấn", "Hữu Phước", "Tấn Phát",
]
FEMALE_COMPOUND_GIVEN: list[str] = [
    "Bảo Anh", "Minh Thư", "Thu Hà", "Ngọc Hân", "Thùy Linh", "Khánh Linh", "Phương Thảo",
    "Kim Ngân", "Mỹ Duyên", "Thanh Hương", "Bích Ngọc", "Hồng Nhung",
]

JRAI_FAMILIES: list[tuple[str, float]] = [
    ("Ksor", 22), ("Rơ Mah", 18), ("Siu", 18), ("Nay", 10), ("Rơ Châm", 8), ("Kpă", 7),
    ("Rah Lan", 6), ("Puih", 5), ("Rơ Ô", 3), ("Kpuih", 3),
]
JRAI_MALE_GIVEN: list[str] = [
    "Blếch", "Hên", "Tuih", "Phi", "Blin", "Phơm", "Ớt", "Thuyên", "Chung", "Nhân", "Đoan", "Kim",
    "Hyên", "Yuk", "Djuin", "Hlang", "Tơ", "Jơn", "Wơn", "Khoan", "Thương", "Đinh", "Lan", "Brơm",
]
JRAI_FEMALE_GIVEN: list[str] = [
    "Bơ", "Lim", "Hồng", "Nhi", "Hlin", "Blơi", "Yơn", "Nga", "Phi", "Ngăn", "Hyơn", "Djơng",
    "Ler", "Mai", "Thơi", "Blin", "Lưn", "Nguyên", "Huyên", "Kim",
]
BAHNAR_MALE_GIVEN: list[str] = [
    "Blơnh", "Hyun", "Thương", "Đek", "Ngưm", "Krưm", "Plen", "Hoan", "Tưng", "Djốt", "Kưm",
    "Bler", "Brưng", "Phang", "Lứ", "Yơ", "Pyin", "Nhơn", "Sanh", "Pớt", "Hiếu", "Xuân", "Bơi",
]
BAHNAR_FEMALE_GIVEN: list[str] = [
    "Hmia", "Yên", "Bé", "Hlinh", "Plui", "Nga", "Thơm", "Hơn", "Ngọc", "Bơi", "Đuôn", "Hrên",
    "Kưn", "Tuyết", "Ngăn", "Phia", "Lan", "Blưh",
]
# Hrê (mountain communes of old Bình Định) mostly carry Kinh-style names with Đinh or Phạm.
HRE_SURNAMES: list[tuple[str, float]] = [("Đinh", 60), ("Phạm", 25), ("Hồ", 10), ("Lê", 5)]


class Picker:
    """Weighted choice with the cumulative weights computed once (called ~10^6 times)."""

    def __init__(self, items: Sequence[tuple[str, float]]):
        self.values = [v for v, _ in items]
        self.cum = list(accumulate(w for _, w in items))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cum)[0]


_KINH_SURNAME = Picker(KINH_SURNAMES)
_NORTHERN_SURNAME = Picker(NORTHERN_MINORITY_SURNAMES)
_HRE_SURNAME = Picker(HRE_SURNAMES)
_MALE_MIDDLE = Picker(MALE_MIDDLE)
_FEMALE_MIDDLE = Picker(FEMALE_MIDDLE)
_JRAI_FAMILY = Picker(JRAI_FAMILIES)


def kinh_name(rng: random.Random, sex: str, surname: Picker = _KINH_SURNAME) -> str:
    family = surname(rng)
    roll = rng.random()
    if sex == "M":
        if roll < 0.08:  # compound given name: "Nguyễn Văn Minh Tuấn" or "Trần Quốc Bảo"
            middle = "Văn " if rng.random() < 0.3 else ""
            return f"{family} {middle}{rng.choice(MALE_COMPOUND_GIVEN)}"
        if roll < 0.11:  # no middle name at all ("Lê Hùng")
            return f"{family} {rng.choice(MALE_GIVEN)}"
        return f"{family} {_MALE_MIDDLE(rng)} {rng.choice(MALE_GIVEN)}"
    if roll < 0.10:
        middle = "Thị " if rng.random() < 0.3 else ""
        return f"{family} {middle}{rng.choice(FEMALE_COMPOUND_GIVEN)}"
    if roll < 0.12:
        return f"{family} {rng.choice(FEMALE_GIVEN)}"
    return f"{family} {_FEMALE_MIDDLE(rng)} {rng.choice(FEMALE_GIVEN)}"


def jrai_name(rng: random.Random, sex: str) -> str:
    family = _JRAI_FAMILY(rng)
    roll = rng.random()
    if sex == "M":
        if roll < 0.2:
            return f"{family} Văn {rng.choice(JRAI_MALE_GIVEN)}"
        return f"{family} {rng.choice(JRAI_MALE_GIVEN)}"
    if roll < 0.45:
        return f"{family} H'{rng.choice(JRAI_FEMALE_GIVEN)}"
    if roll < 0.7:
        return f"{family} Thị {rng.choice(JRAI_FEMALE_GIVEN)}"
    return f"{family} {rng.choice(JRAI_FEMALE_GIVEN)}"


def bahnar_name(rng: random.Random, sex: str) -> str:
    roll = rng.random()
    if sex == "M":
        given = rng.choice(BAHNAR_MALE_GIVEN)
        if roll < 0.6:
            return f"Đinh Văn {given}"
        if roll < 0.8:
            return f"Đinh {given}"
        return f"A {given}"
    given = rng.choice(BAHNAR_FEMALE_GIVEN)
    if roll < 0.6:
        return f"Đinh Thị {given}"
    if roll < 0.75:
        return f"Đinh {given}"
    return f"Y {given}"


def person_name(rng: random.Random, ethnicity: str, sex: str) -> str:
    if ethnicity == "Gia Rai":
        return jrai_name(rng, sex)
    if ethnicity == "Ba Na":
        return bahnar_name(rng, sex)
    if ethnicity == "Hrê":
        return kinh_name(rng, sex, _HRE_SURNAME)
    if ethnicity in ("Tày", "Nùng", "Mường", "Thái"):
        return kinh_name(rng, sex, _NORTHERN_SURNAME)
    return kinh_name(rng, sex)  # Kinh, and Chăm Hroi, who mostly carry Kinh-style names
