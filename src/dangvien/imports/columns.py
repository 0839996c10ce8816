"""The columns of member import and export files: each member field with its Vietnamese header,
its English header (the field name) and the other spellings committees use (docs/import-format.md).

Headers are matched by `header_key` (core.tabular, the reader): case, diacritics, tone placement,
Unicode normalization, spaces, underscores and punctuation are ignored, so "Họ và tên", "HO VA TEN",
"họ_và_tên" and "full_name"/"Full name" all find the same column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dangvien.core.tabular import header_key


class Kind(enum.StrEnum):
    TEXT = "text"          # free text, NFC-cleaned
    IDENTIFIER = "identifier"  # numbers written as text (citizen ID, phone...): leading zeros matter
    DATE = "date"
    YEAR = "year"
    SEX = "sex"
    STATUS = "status"
    BOOLEAN = "boolean"
    SERVICE = "service"    # army / police / retired
    IGNORED = "ignored"    # recognized (so not reported as unknown) but not read: STT, cell name


@dataclass(frozen=True)
class Column:
    field: str
    vietnamese: str
    kind: Kind
    aliases: tuple[str, ...] = ()

    @property
    def english(self) -> str:
        return self.field

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.vietnamese, self.english, *self.aliases)


# Order: the order of the template file, close to the member's profile form (2-HSĐV).
COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Họ và tên", Kind.TEXT, ("Họ tên", "Họ và tên đảng viên", "Tên đảng viên", "name")),
    Column("birth_name", "Họ và tên khai sinh", Kind.TEXT, ("Tên khai sinh",)),
    Column("aliases", "Bí danh", Kind.TEXT, ("Tên gọi khác",)),
    Column("sex", "Giới tính", Kind.SEX, ("Phái", "Nam/Nữ", "gender")),
    Column("date_of_birth", "Ngày sinh", Kind.DATE, ("Ngày tháng năm sinh", "Sinh ngày", "birth_date", "dob")),
    Column("birth_year", "Năm sinh", Kind.YEAR, ("year_of_birth",)),
    Column("place_of_birth", "Nơi sinh", Kind.TEXT),
    Column("hometown", "Quê quán", Kind.TEXT, ("Nguyên quán",)),
    Column("permanent_residence", "Nơi thường trú", Kind.TEXT,
           ("Thường trú", "Địa chỉ thường trú", "Hộ khẩu thường trú")),
    Column("temporary_residence", "Nơi tạm trú", Kind.TEXT, ("Tạm trú", "Chỗ ở hiện nay", "Nơi ở hiện nay")),
    Column("ethnicity", "Dân tộc", Kind.TEXT),
    Column("religion", "Tôn giáo", Kind.TEXT),
    Column("citizen_id", "Số CCCD", Kind.IDENTIFIER,
           ("CCCD", "Số căn cước", "Số căn cước công dân", "Căn cước công dân", "Số định danh",
            "Số định danh cá nhân")),
    Column("old_id_number", "Số CMND", Kind.IDENTIFIER, ("CMND", "Số chứng minh nhân dân", "old_id")),
    Column("phone", "Điện thoại", Kind.IDENTIFIER, ("Số điện thoại", "SĐT", "Di động", "phone_number")),
    Column("has_smartphone", "Có điện thoại thông minh", Kind.BOOLEAN, ("Điện thoại thông minh", "smartphone")),
    Column("education", "Giáo dục phổ thông", Kind.TEXT, ("Trình độ học vấn", "Trình độ văn hóa", "Văn hóa")),
    Column("professional_qualification", "Chuyên môn nghiệp vụ", Kind.TEXT,
           ("Trình độ chuyên môn", "Chuyên môn")),
    Column("political_theory", "Lý luận chính trị", Kind.TEXT, ("Trình độ lý luận chính trị", "LLCT")),
    Column("foreign_language", "Ngoại ngữ", Kind.TEXT, ("Trình độ ngoại ngữ",)),
    Column("occupation_at_admission", "Nghề nghiệp khi vào Đảng", Kind.TEXT,
           ("Nghề nghiệp khi kết nạp",)),
    Column("occupation", "Nghề nghiệp hiện nay", Kind.TEXT, ("Nghề nghiệp",)),
    Column("service_background", "Quân đội, công an, hưu trí", Kind.SERVICE,
           ("Quân đội/Công an/Nghỉ hưu", "Lực lượng vũ trang")),
    Column("admission_date", "Ngày vào Đảng", Kind.DATE,
           ("Ngày kết nạp", "Ngày quyết định kết nạp", "Ngày vào Đảng dự bị")),
    Column("admission_ceremony_date", "Ngày lễ kết nạp", Kind.DATE, ("Ngày tổ chức lễ kết nạp",)),
    Column("official_date", "Ngày chính thức", Kind.DATE,
           ("Ngày công nhận chính thức", "Ngày vào Đảng chính thức")),
    Column("profile_number", "Số lý lịch", Kind.IDENTIFIER, ("Số lý lịch đảng viên", "Số LLĐV", "Số hồ sơ")),
    Column("card_number", "Số thẻ đảng", Kind.IDENTIFIER, ("Số thẻ đảng viên", "Số thẻ")),
    Column("badge_number", "Số huy hiệu", Kind.IDENTIFIER, ("Huy hiệu Đảng",)),
    Column("cell_code", "Mã chi bộ", Kind.IDENTIFIER, ("Mã đơn vị", "unit_code")),
    Column("status", "Trạng thái", Kind.STATUS, ("Tình trạng", "Tình trạng đảng viên")),
    # Export-only columns, recognized on reading so a re-imported export has no unknown columns.
    Column("row_number", "STT", Kind.IGNORED, ("Số TT", "Số thứ tự", "TT", "No")),
    Column("cell_name", "Tên chi bộ", Kind.IGNORED, ("Chi bộ", "unit_name")),
)

BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
BY_HEADER_KEY: dict[str, Column] = {header_key(h): c for c in COLUMNS for h in c.headers}

# A file must carry these; the year of birth may stand in for the date of birth.
REQUIRED_FIELDS: tuple[str, ...] = ("full_name", "sex", "date_of_birth", "admission_date", "cell_code")
ALTERNATIVES: dict[str, str] = {"date_of_birth": "birth_year"}

# The member register (sổ đảng viên, form 7-HSĐV) as exported, in this order. Every column but
# STT and the cell name is read back by the import, so an export re-imports unchanged.
EXPORT_COLUMNS: tuple[Column, ...] = tuple(BY_FIELD[f] for f in (
    "row_number", "full_name", "sex", "date_of_birth", "hometown", "ethnicity", "religion", "citizen_id",
    "admission_date", "official_date", "profile_number", "card_number", "cell_code", "cell_name", "status",
    "phone", "occupation", "education", "professional_qualification", "political_theory",
))


def match_header(header: str) -> Column | None:
    return BY_HEADER_KEY.get(header_key(header)) if header else None
