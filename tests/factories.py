"""Test data built through the real services (so every row carries audit and history like
production data), plus a small two-commune tree with one user per role."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.core.citizen_id import make as make_citizen_id
from dangvien.members.models import Member, Status
from dangvien.members.services import member_register
from dangvien.org.models import Unit, UnitKind
from dangvien.org.services import unit_create

_serial = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def system_admin() -> User:
    user, created = User.objects.get_or_create(username="sysadmin", defaults={"is_staff": True})
    if created:
        user.set_password(PASSWORD)
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.ADMIN, unit=None)
    return user


def make_user(username: str, role: str, unit: Unit | None, member: Member | None = None) -> User:
    user = User.objects.create(username=username, member=member)
    user.set_password(PASSWORD)
    user.save()
    RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


def make_member(unit: Unit, *, full_name: str = "Nguyễn Văn An", sex: str = "M", birth: dt.date = dt.date(1980, 5, 17),
                status: str = Status.OFFICIAL, admission: dt.date = dt.date(2010, 3, 2),
                official: dt.date | None = dt.date(2011, 3, 2), actor: User | None = None, **extra) -> Member:
    n = next(_serial)
    data = {
        "full_name": full_name, "sex": sex, "date_of_birth": birth,
        "citizen_id": make_citizen_id("064", sex, birth.year, n),
        "admission_date": admission,
        "official_date": official if status != Status.PROBATIONARY else None,
        "hometown": "Xã Ia Grai, Gia Lai", "ethnicity": "Kinh", "religion": "Không",
        **extra,
    }
    return member_register(actor=actor or system_admin(), unit=unit, data=data, status=status)


@dataclass
class World:
    province: Unit
    commune_a: Unit
    commune_b: Unit
    org_a: Unit
    cell_a1: Unit
    cell_a2: Unit
    org_b: Unit
    cell_b1: Unit
    admin: User
    province_officer: User
    officer_a: User
    officer_b: User
    secretary_a1: User
    card_officer_a: User
    member_a1: Member
    member_a2: Member
    member_b1: Member
    member_user_a1: User


def build_world() -> World:
    admin = system_admin()
    province = unit_create(actor=admin, kind=UnitKind.PROVINCE, code="GL", name="Đảng bộ tỉnh Gia Lai", parent=None)
    commune_a = unit_create(actor=admin, kind=UnitKind.COMMUNE, code="GL-A", name="Đảng bộ xã Ia Grai", parent=province)
    commune_b = unit_create(actor=admin, kind=UnitKind.COMMUNE, code="GL-B", name="Đảng bộ phường Pleiku", parent=province)
    org_a = unit_create(actor=admin, kind=UnitKind.GRASSROOTS_COMMITTEE, code="GL-A-01", name="Đảng bộ Trường THPT Ia Grai", parent=commune_a)
    cell_a1 = unit_create(actor=admin, kind=UnitKind.CELL, code="GL-A-01-01", name="Chi bộ Giáo viên 1", parent=org_a)
    cell_a2 = unit_create(actor=admin, kind=UnitKind.CELL, code="GL-A-01-02", name="Chi bộ Giáo viên 2", parent=org_a)
    org_b = unit_create(actor=admin, kind=UnitKind.GRASSROOTS_CELL, code="GL-B-01", name="Chi bộ Tổ dân phố 1", parent=commune_b)
    cell_b1 = org_b
    member_a1 = make_member(cell_a1, full_name="Nguyễn Thị Hà", sex="F", birth=dt.date(1975, 8, 9))
    member_a2 = make_member(cell_a2, full_name="Trần Văn Đức", birth=dt.date(1990, 1, 1),
                            status=Status.PROBATIONARY, admission=dt.date(2025, 9, 2), official=None)
    member_b1 = make_member(cell_b1, full_name="Lê Thị Hoà", sex="F", birth=dt.date(1968, 2, 3))
    return World(
        province=province, commune_a=commune_a, commune_b=commune_b, org_a=org_a, cell_a1=cell_a1,
        cell_a2=cell_a2, org_b=org_b, cell_b1=cell_b1, admin=admin,
        province_officer=make_user("tinh", Role.COMMITTEE_OFFICER, province),
        officer_a=make_user("xa_a", Role.COMMITTEE_OFFICER, commune_a),
        officer_b=make_user("xa_b", Role.COMMITTEE_OFFICER, commune_b),
        secretary_a1=make_user("bithu_a1", Role.CELL_SECRETARY, cell_a1),
        card_officer_a=make_user("the_a", Role.CARD_OFFICER, commune_a),
        member_a1=member_a1, member_a2=member_a2, member_b1=member_b1,
        member_user_a1=make_user("dv_a1", Role.MEMBER, cell_a1, member=member_a1),
    )
