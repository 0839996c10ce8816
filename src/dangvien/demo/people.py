"""Synthetic member records for the planned units: names, identifiers, dates and statuses with
realistic shares, each record valid under members.validation.check.

Determinism: everything that identifies a person (name, sex, birth date, citizen ID, profile and
card numbers, cell) depends only on the seed; dates are computed from DATA_EPOCH, except the few
that must be recent relative to the day of the run (a probationary member's admission, a current
temporary transfer), which are offsets from `as_of` drawn from the same random stream.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from vietnam_provinces import Province, Ward

from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.core.names import Picker, person_name
from dangvien.demo.tree import Commune, UnitSpec
from dangvien.members.bulk import PastEvent
from dangvien.members.events import (
    Admitted,
    Died,
    Disciplined,
    Exempted,
    RecognizedOfficial,
    Removed,
    TemporarilyOut,
    TransferredOut,
)
from dangvien.members.models import DisciplineForm, Status

DATA_EPOCH = dt.date(2026, 1, 1)
_EPOCH_ORD = DATA_EPOCH.toordinal()
_YEAR = 365.2425
PROBATION_MONTHS = 12

# Share of all members by status (domain: ≈96% official, 3–4% probationary, 1–2% exempted, a few
# temporarily out; a few hundred past members kept for the history).
STATUS_SHARES: list[tuple[str, float]] = [
    (Status.OFFICIAL, 95.22), (Status.PROBATIONARY, 3.1), (Status.EXEMPTED, 1.2),
    (Status.TEMPORARILY_OUT, 0.18), (Status.DECEASED, 0.13), (Status.TRANSFERRED_OUT, 0.11),
    (Status.REMOVED, 0.05), (Status.EXPELLED, 0.01),
]
# Age on DATA_EPOCH of members on the roll, by band (about 17% over 70).
AGE_BANDS: list[tuple[tuple[int, int], float]] = [
    ((21, 30), 10), ((31, 40), 21), ((41, 50), 21), ((51, 60), 18), ((61, 70), 13), ((71, 80), 11), ((81, 95), 6),
]
ADMISSION_AGE_BANDS: list[tuple[tuple[int, int], float]] = [
    ((18, 22), 15), ((23, 27), 30), ((28, 35), 30), ((36, 45), 18), ((46, 59), 7),
]
# Where migrants' citizen IDs were issued: pre-2025 province code -> post-2025 province code
# (for the hometown), weight.
MIGRANT_ORIGINS: list[tuple[str, int, float]] = [
    ("040", 40, 3), ("042", 42, 2), ("038", 38, 2), ("051", 51, 3), ("049", 48, 2), ("034", 33, 2),
    ("036", 37, 1), ("062", 51, 1), ("066", 66, 1), ("054", 66, 2), ("001", 1, 1), ("079", 79, 1),
    ("046", 46, 1), ("056", 56, 0.5),
]
NORTHERN_ORIGINS = {"Tày": [("004", 4), ("020", 20), ("002", 8)], "Nùng": [("020", 20), ("004", 4)],
                    "Mường": [("017", 25), ("038", 38)], "Thái": [("040", 40), ("014", 14)]}
LOCAL_ETHNIC = {"Gia Rai", "Ba Na", "Hrê", "Chăm"}
OLD_CODES = {"GL": "064", "BĐ": "052"}
OLD_ID_PREFIX = {"064": "23", "052": "21"}

PHONE_PREFIXES = ["086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
                  "088", "091", "094", "081", "082", "083", "084", "085", "089", "090", "093", "070",
                  "076", "077", "078", "079", "056", "058"]
_RELIGION_KINH = Picker([("Không", 91), ("Phật giáo", 6), ("Công giáo", 2.5), ("Tin lành", 0.3), ("Cao Đài", 0.2)])
_RELIGION_HIGHLAND = Picker([("Không", 82), ("Tin lành", 9), ("Công giáo", 8), ("Phật giáo", 1)])
_THEORY = Picker([("Sơ cấp", 58), ("Trung cấp", 24), ("Cao cấp", 3), ("", 15)])
_THEORY_CADRE = Picker([("Sơ cấp", 35), ("Trung cấp", 50), ("Cao cấp", 10), ("", 5)])
_STATUS = Picker(STATUS_SHARES)
# Payloads without fields, built once: every member's history starts with them.
_ADMITTED, _RECOGNIZED = Admitted(), RecognizedOfficial()
_MIGRANT = Picker([(f"{code}:{new}", w) for code, new, w in MIGRANT_ORIGINS])

# What the members of each kind of organization do: occupation, qualification choices, and the
# army/police/retired flag.
WORK: dict[str, tuple[list[str], list[str], str]] = {
    "party": (["Công chức"], ["Đại học Luật", "Đại học Hành chính", "Cử nhân Chính trị", "Đại học Kinh tế"], ""),
    "government": (["Công chức", "Viên chức"], ["Đại học Luật", "Đại học Kinh tế", "Đại học Hành chính",
                                                  "Đại học Nông lâm", "Cao đẳng Kế toán"], ""),
    "police": (["Công an nhân dân"], ["Đại học An ninh nhân dân", "Đại học Cảnh sát nhân dân",
                                       "Trung cấp Cảnh sát"], "police"),
    "military": (["Quân nhân", "Dân quân thường trực"], ["Trung cấp Quân sự cơ sở", "Cao đẳng Quân sự", ""], "army"),
    "upper_school": (["Giáo viên"], ["Đại học Sư phạm Toán", "Đại học Sư phạm Ngữ văn", "Đại học Sư phạm Vật lý",
                                      "Đại học Sư phạm Lịch sử", "Đại học Sư phạm Tiếng Anh", "Thạc sĩ Giáo dục học"], ""),
    "middle_school": (["Giáo viên"], ["Đại học Sư phạm Toán", "Đại học Sư phạm Ngữ văn", "Cao đẳng Sư phạm"], ""),
    "primary_school": (["Giáo viên"], ["Đại học Giáo dục Tiểu học", "Cao đẳng Sư phạm"], ""),
    "kindergarten": (["Giáo viên mầm non"], ["Cao đẳng Sư phạm Mầm non", "Đại học Giáo dục Mầm non"], ""),
    "health": (["Viên chức y tế"], ["Bác sĩ đa khoa", "Y sĩ", "Cử nhân Điều dưỡng", "Nữ hộ sinh trung cấp"], ""),
    "hospital": (["Bác sĩ", "Điều dưỡng", "Viên chức y tế"], ["Bác sĩ đa khoa", "Bác sĩ chuyên khoa I",
                                                               "Cử nhân Điều dưỡng", "Dược sĩ"], ""),
    "bank": (["Viên chức ngân hàng"], ["Đại học Ngân hàng", "Đại học Kinh tế"], ""),
    "cooperative": (["Xã viên hợp tác xã"], ["", "Trung cấp Nông nghiệp"], ""),
    "rubber": (["Công nhân cao su", "Nhân viên văn phòng"], ["", "Trung cấp Nông nghiệp", "Đại học Nông lâm"], ""),
    "forestry": (["Công nhân lâm nghiệp"], ["", "Trung cấp Lâm nghiệp", "Đại học Lâm nghiệp"], ""),
}
RESIDENT_WORK_RURAL = ["Nông dân", "Nông dân", "Nông dân", "Kinh doanh", "Lao động tự do", "Công nhân"]
RESIDENT_WORK_URBAN = ["Kinh doanh", "Lao động tự do", "Công nhân", "Nhân viên văn phòng", "Buôn bán"]
EARLIER_WORK = ["Bộ đội", "Bộ đội", "Giáo viên", "Cán bộ xã", "Công nhân", "Nông dân", "Công an", "Y tá"]
TEMPORARY_DESTINATIONS = [
    "Chi bộ Lớp Cao cấp lý luận chính trị, Học viện Chính trị khu vực III",
    "Chi bộ Học viên, Trường Chính trị tỉnh Gia Lai",
    "Đảng bộ Công ty TNHH Samsung Electronics Việt Nam, tỉnh Bắc Ninh",
    "Chi bộ Nghiên cứu sinh, Đại học Quốc gia Thành phố Hồ Chí Minh",
    "Chi bộ Khu phố 2, phường Buôn Ma Thuột, tỉnh Đắk Lắk",
]
REMOVAL_REASON = "Không sinh hoạt đảng và không đóng đảng phí 3 tháng trong năm không có lý do chính đáng"


@dataclass
class MemberRow:
    """A member record and its history, before it becomes model rows."""

    unit_index: int
    status: str
    record: dict[str, Any]  # every validation.PROFILE_FIELDS field
    extra: dict[str, Any]  # status_date, death_date, temporary_unit
    events: list[PastEvent] = field(default_factory=list)


def _date(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


def _years_later(day: dt.date, years: float) -> int:
    return day.toordinal() + round(years * _YEAR)


class _Places:
    """Real post-2025 commune names for hometowns: Gia Lai's own and those of migrants' provinces."""

    def __init__(self, communes: list[Commune]):
        self.local = [f"{c.name}, tỉnh Gia Lai" for c in communes]
        names = {int(p.code): p.name for p in Province.iter_all()}
        self.by_province: dict[int, list[str]] = {}
        for w in Ward.iter_all():
            province = names[int(w.province_code)]
            label = province if province.startswith("Thành phố") else f"tỉnh {province}"
            self.by_province.setdefault(int(w.province_code), []).append(f"{w.name}, {label[0].lower()}{label[1:]}")
        for wards in self.by_province.values():
            wards.sort()


class MemberFactory:
    """Draws members one cell at a time from one random stream; serial numbers come from
    permutations of the member's index, so identifiers are unique without lookups."""

    def __init__(self, seed: str, communes: list[Commune], as_of: dt.date, taken: dict[str, set[str]] | None = None):
        self.rng = random.Random(f"{seed}:people")
        self.seed_offset = random.Random(f"{seed}:serials").randrange(1_000_000)
        self.as_of_ord = as_of.toordinal()
        self.places = _Places(communes)
        self.counters = {"GL": 0, "BĐ": 0}
        self.index = 0
        self.card_index = 0
        self.taken = taken or {"citizen_id": set(), "profile_number": set(), "card_number": set()}

    # -- identifiers ---------------------------------------------------------------------------

    def _unique(self, kind: str, make: Any) -> str:
        value, bump = make(0), 0
        while value in self.taken[kind]:  # only when generating next to existing records
            bump += 1
            value = make(bump)
        self.taken[kind].add(value)
        return value

    def _citizen_id(self, code: str, sex: str, birth_year: int) -> str:
        i = self.index
        return self._unique("citizen_id", lambda b: make_citizen_id(
            code, sex, birth_year, (i * 738_421 + self.seed_offset + b * 7) % 1_000_000))

    def _profile_number(self, old_province: str) -> str:
        k = self.counters[old_province] = self.counters[old_province] + 1
        return self._unique("profile_number", lambda b: f"{(k * 370_261 + self.seed_offset + b) % 1_000_000:06d}{old_province}")

    def _card_number(self) -> str:
        self.card_index += 1
        k = self.card_index
        return self._unique("card_number", lambda b: f"{(k * 61_803_399 + 10_000_019 + b) % 100_000_000:08d}")

    # -- people --------------------------------------------------------------------------------

    def members_of(self, unit_index: int, unit: UnitSpec) -> Iterator[MemberRow]:
        for _ in range(unit.size):
            self.index += 1
            yield self._member(unit_index, unit)

    def _ethnicity(self, unit: UnitSpec) -> str:
        c = unit.commune
        assert c is not None
        share = sum(c.minorities.values())
        if unit.org_key == "residential":
            p = min(0.92, share * 1.9) if unit.minority_village else share * 0.35
        else:
            p = share * 0.7
        if self.rng.random() >= p:
            return "Kinh"
        groups = list(c.minorities)
        return self.rng.choices(groups, weights=[c.minorities[g] for g in groups])[0]

    def _member(self, unit_index: int, unit: UnitSpec) -> MemberRow:
        rng = self.rng
        commune = unit.commune
        assert commune is not None
        status = _STATUS(rng)
        sex = "F" if rng.random() < unit.women else "M"
        ethnicity = self._ethnicity(unit)
        full_name = person_name(rng, ethnicity, sex)

        # Age on DATA_EPOCH by status; exempted and deceased members are elderly.
        if status == Status.PROBATIONARY:
            age = rng.randint(20, 45) if rng.random() < 0.9 else rng.randint(46, 58)
        elif status == Status.EXEMPTED:
            age = rng.randint(72, 94)
        elif status == Status.DECEASED:
            age = rng.randint(70, 97)
        else:
            (lo, hi), = rng.choices([b for b, _ in AGE_BANDS], weights=[w for _, w in AGE_BANDS])
            age = rng.randint(lo, hi)
        if unit.org_key != "residential" and age > 60:
            age = rng.randint(24, 60)  # people working in an agency or school are of working age
        if status not in (Status.OFFICIAL, Status.PROBATIONARY):
            age = max(age, 25)  # admitted at 18 or later, official, then the later change
        birth_year = DATA_EPOCH.year - 1 - age
        birth = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        # A few elderly members' records hold only the year of birth.
        date_of_birth: dt.date | None = birth if not (age > 80 and rng.random() < 0.08) else None
        if date_of_birth is None:
            birth = dt.date(birth_year, 12, 31)  # the admission-age rule then counts from year end

        # Admission: 18–60 years old, an official member at least 13 months before DATA_EPOCH.
        if status == Status.PROBATIONARY:
            admission_ord = self.as_of_ord - rng.randint(20, 350)
            ceremony_ord = min(admission_ord + rng.randint(0, 20), self.as_of_ord)
            official = None
        else:
            (lo, hi), = rng.choices([b for b, _ in ADMISSION_AGE_BANDS], weights=[w for _, w in ADMISSION_AGE_BANDS])
            adm_age = min(rng.randint(lo, hi), age - 3)
            admission_ord = _years_later(birth, adm_age) + rng.randint(2, 300)
            # Members whose status changed later were admitted long enough before for that change.
            latest = 400 if status == Status.OFFICIAL else 1200
            admission_ord = min(admission_ord, _EPOCH_ORD - latest - rng.randint(0, 60))
            ceremony_ord = admission_ord + rng.randint(0, 20)
            official = _date(ceremony_ord) + relativedelta(months=PROBATION_MONTHS)
        admission, ceremony = _date(admission_ord), _date(ceremony_ord)

        code = self._id_province(commune, ethnicity)
        phone = self._phone(age)
        record: dict[str, Any] = {
            "full_name": full_name, "birth_name": "", "aliases": "",
            "sex": sex, "date_of_birth": date_of_birth, "birth_year": birth_year,
            "ethnicity": ethnicity,
            "religion": (_RELIGION_HIGHLAND if ethnicity in LOCAL_ETHNIC else _RELIGION_KINH)(rng),
            "citizen_id": self._citizen_id(code, sex, birth_year),
            "old_id_number": (f"{OLD_ID_PREFIX.get(code, '24')}{rng.randrange(10_000_000):07d}"
                              if birth_year < 1995 and rng.random() < 0.5 else ""),
            "phone": phone,
            "has_smartphone": self._smartphone(age, phone, commune.mountain and ethnicity != "Kinh"),
            "admission_date": admission, "admission_ceremony_date": ceremony, "official_date": official,
            "profile_number": self._profile_number(commune.old_province),
            "card_number": self._card_number() if official and rng.random() < 0.997 else None,
            "badge_number": "",
        }
        record.update(self._places_of(commune, unit, code))
        record.update(self._background(unit, age, ethnicity))
        row = MemberRow(unit_index=unit_index, status=status, record=record, extra={})
        self._history(row, birth)
        return row

    def _id_province(self, commune: Commune, ethnicity: str) -> str:
        rng = self.rng
        if ethnicity in NORTHERN_ORIGINS:
            return rng.choice(NORTHERN_ORIGINS[ethnicity])[0]
        home = OLD_CODES[commune.old_province]
        roll = rng.random()
        if ethnicity != "Kinh" or roll < 0.82:
            return home
        if roll < 0.88:
            return "052" if home == "064" else "064"
        return _MIGRANT(rng).split(":")[0]

    def _phone(self, age: int) -> str:
        rng = self.rng
        if rng.random() >= (0.93 if age < 70 else 0.75):
            return ""
        return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"

    def _smartphone(self, age: int, phone: str, highland: bool) -> bool | None:
        rng = self.rng
        if not phone:
            return False
        if rng.random() < 0.02:
            return None  # not asked yet
        p = 0.95 if age < 40 else 0.88 if age < 55 else 0.72 if age < 65 else 0.45 if age < 75 else 0.22
        return rng.random() < p * (0.7 if highland else 1.0)

    def _places_of(self, commune: Commune, unit: UnitSpec, code: str) -> dict[str, str]:
        rng = self.rng
        local = f"{commune.name}, tỉnh Gia Lai"
        if code in ("064", "052"):
            hometown = local if rng.random() < 0.55 else rng.choice(self.places.local)
        else:
            new_code = next((n for c, n, _ in MIGRANT_ORIGINS if c == code), None)
            if new_code is None:
                new_code = next(n for pairs in NORTHERN_ORIGINS.values() for c, n in pairs if c == code)
            hometown = rng.choice(self.places.by_province[new_code])
        village = unit.village or (f"Tổ dân phố {rng.randint(1, 25)}" if commune.is_ward else f"Thôn {rng.randint(1, 12)}")
        return {
            "hometown": hometown,
            "place_of_birth": hometown if rng.random() < 0.8 else "",
            "permanent_residence": f"{village}, {local}",
            "temporary_residence": "",
        }

    def _background(self, unit: UnitSpec, age: int, ethnicity: str) -> dict[str, str]:
        rng = self.rng
        key = unit.org_key
        cadre = key != "residential"
        if cadre:
            jobs, quals, service = WORK[key]
            occupation = rng.choice(jobs)
            qualification = rng.choice(quals)
            earlier = occupation if rng.random() < 0.7 else rng.choice(["Sinh viên", "Bộ đội", "Đoàn viên thanh niên"])
        else:
            commune = unit.commune
            assert commune is not None
            if age >= 60 and rng.random() < 0.7:
                occupation = "Hưu trí"
                earlier = rng.choice(EARLIER_WORK)
                service = "army" if earlier == "Bộ đội" else "police" if earlier == "Công an" else (
                    "retired" if rng.random() < 0.5 else "")
            else:
                occupation = rng.choice(RESIDENT_WORK_URBAN if commune.is_ward else RESIDENT_WORK_RURAL)
                earlier = occupation if rng.random() < 0.6 else rng.choice(["Bộ đội", "Đoàn viên thanh niên", "Nông dân"])
                service = "army" if earlier == "Bộ đội" and rng.random() < 0.8 else ""
            qualification = rng.choice(["", "", "Trung cấp", "Cao đẳng", "Đại học"])
        if age >= 65:
            education = rng.choice(["10/10", "10/10", "7/10", "12/12"])
        elif ethnicity in LOCAL_ETHNIC and not cadre:
            education = rng.choice(["12/12", "9/12", "9/12", "5/12"])
        else:
            education = "12/12" if rng.random() < 0.88 else "9/12"
        english = rng.choice(["Tiếng Anh B1", "Tiếng Anh trình độ B", "Tiếng Anh A2"]) if (
            cadre and age < 50 and rng.random() < 0.6) else ""
        return {
            "education": education,
            "political_theory": (_THEORY_CADRE if cadre else _THEORY)(rng),
            "professional_qualification": qualification,
            "foreign_language": english,
            "occupation_at_admission": earlier,
            "occupation": occupation,
            "service_background": service,
        }

    def _history(self, row: MemberRow, birth: dt.date) -> None:
        """Admission, recognition as official, and the event that gave a non-default status."""
        rng, rec, status = self.rng, row.record, row.status
        admission, official = rec["admission_date"], rec["official_date"]
        row.events.append(PastEvent(_ADMITTED, admission, "", Status.PROBATIONARY))
        if official is None:
            row.extra = {"status_date": admission}
            return
        row.events.append(PastEvent(_RECOGNIZED, official, Status.PROBATIONARY, Status.OFFICIAL))
        row.extra = {"status_date": official}
        if status == Status.OFFICIAL:
            return
        earliest = max(official.toordinal() + 365, _years_later(birth, 70) if status == Status.EXEMPTED else 0)
        latest = _EPOCH_ORD - 20
        past = _date(rng.randint(min(earliest, latest), latest))
        recent = _date(max(official.toordinal() + 30, _EPOCH_ORD - 1100 + rng.randint(0, 1050)))
        if status == Status.EXEMPTED:
            reason = "Tuổi cao, sức yếu" if _years_later(birth, 70) <= past.toordinal() else "Ốm đau dài ngày"
            row.events.append(PastEvent(Exempted(reason=reason), past, Status.OFFICIAL, status))
            row.extra = {"status_date": past}
        elif status == Status.TEMPORARILY_OUT:
            day = _date(self.as_of_ord - rng.randint(20, 250))
            destination = rng.choice(TEMPORARY_DESTINATIONS)
            until = day + dt.timedelta(days=rng.randint(180, 360))
            row.events.append(PastEvent(TemporarilyOut(destination=destination, until=until), day, Status.OFFICIAL,
                                        status))
            row.extra = {"status_date": day, "temporary_unit": destination}
        elif status == Status.TRANSFERRED_OUT:
            destination = rng.choice(self.places.by_province[rng.choice([66, 51, 79, 56, 68])])
            where = f"Đảng bộ {destination[0].lower()}{destination[1:]}"
            row.events.append(PastEvent(TransferredOut(destination=where, destination_unit_id=None), recent,
                                        Status.OFFICIAL, status))
            row.extra = {"status_date": recent}
        elif status == Status.REMOVED:
            row.events.append(PastEvent(Removed(reason=REMOVAL_REASON), recent, Status.OFFICIAL, status))
            row.extra = {"status_date": recent}
        elif status == Status.EXPELLED:
            row.events.append(PastEvent(Disciplined(form=DisciplineForm.EXPULSION), recent, Status.OFFICIAL, status))
            row.extra = {"status_date": recent}
        elif status == Status.DECEASED:
            death = _date(max(official.toordinal() + 30, _EPOCH_ORD - 1000 + rng.randint(0, 980)))
            row.events.append(PastEvent(Died(), death, Status.OFFICIAL, status))
            row.extra = {"status_date": death, "death_date": death}
