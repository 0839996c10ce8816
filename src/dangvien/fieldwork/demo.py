"""The field work of the demo province's campaign (`dangvien demo-fieldwork`, which `make demo` runs
after `demo-campaign`): the provincial working group, which took on the lagging communes, a group per
commune, the demo logins' commune group with its card officer and cell secretary, their tasks, home
visits made and planned there, and two difficulties raised to the province (one answered).

It lives in the fieldwork app, which sits above campaign in the layers (campaign.demo cannot reach
it). Everything goes through fieldwork's services, as the pages would; the members visited are drawn
from the home-visit worklist with the demo seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dangvien.accounts.models import Role, RoleAssignment
from dangvien.campaign.demo import CAMPAIGN_NAME
from dangvien.campaign.models import Campaign, Care, Participant, Step, step_number
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.demo.tree import PROVINCE_CODE
from dangvien.fieldwork.models import GroupRole, Outcome, WorkingGroup
from dangvien.fieldwork.selectors import visit_worklist
from dangvien.fieldwork.services import (
    difficulty_answer,
    difficulty_raise,
    group_form,
    group_person_add,
    group_unit_assign,
    home_visit_record,
    task_create,
    task_set_status,
)
from dangvien.org.models import Unit, UnitKind

PROVINCE_GROUP = "Tổ công tác cấp, đổi thẻ đảng viên của Tỉnh ủy Gia Lai"
LAGGING_TAKEN_ON = 3  # the communes furthest behind, which the provincial group works in itself
VISITS_MADE, VISITS_PLANNED = 6, 5

# Visits that found nobody to collect from: (outcome, note).
VISITS_WITHOUT_DATA = [(Outcome.NOT_AT_HOME, "Gia đình cho biết đồng chí đi khám bệnh ở Quy Nhơn, hẹn tuần sau."),
                       (Outcome.IN_HOSPITAL, "Đang điều trị tại Bệnh viện Đa khoa tỉnh, chờ ra viện.")]


class DemoFieldworkError(Exception):
    """The demo campaign is missing, or its field work exists already."""


@dataclass
class Logins:
    province: Any  # the province's committee officer
    commune: Any  # the home commune's committee officer
    card: Any  # its card officer
    secretary: Any  # the secretary of a cell there
    home: Unit


@dataclass
class Summary:
    groups: int = 0
    tasks: Counter[str] = field(default_factory=Counter)
    visits_made: int = 0
    visits_planned: int = 0
    difficulties: int = 0
    lagging: list[str] = field(default_factory=list)  # names of the communes the provincial group took on


def demo_fieldwork_create(*, seed: str | int) -> Summary:
    """The demo campaign's field work as it stands today, in one transaction."""
    seed, today = str(seed), timezone.localdate()
    campaign = (Campaign.objects.filter(name=CAMPAIGN_NAME, unit__code=PROVINCE_CODE).select_related("unit")
                .order_by("-pk").first())
    if campaign is None:
        raise DemoFieldworkError("The demo campaign is missing: run `dangvien demo-campaign` first.")
    if WorkingGroup.objects.filter(campaign=campaign).exists():
        raise DemoFieldworkError("The demo campaign has its working groups already: run "
                                 "`dangvien demo-campaign --replace` first to start again.")
    logins = _logins(campaign.unit)
    summary = Summary()
    with transaction.atomic():
        lagging = _furthest_behind(campaign)
        summary.lagging = [unit.name for unit in lagging]
        _province_group(campaign, logins, lagging, today, summary)
        communes = _populated_communes(campaign)
        home_group = None
        for commune in communes:
            group = group_form(actor=logins.province, campaign=campaign, unit=commune,
                               name=f"Tổ công tác {commune.name.removeprefix('Đảng bộ ')}")
            group_unit_assign(actor=logins.province, group=group, unit=commune)
            if commune.pk == logins.home.pk:
                home_group = group
        summary.groups = 1 + len(communes)
        if home_group is not None:
            _home_group_work(campaign, home_group, logins, seed, today, summary)
            _difficulties(campaign, logins, summary)
    return summary


def _logins(province: Unit) -> Logins:
    """The demo's officers: the province's, and the commune where the card officer works."""
    grants = list(RoleAssignment.objects.filter(user__is_active=True, unit__path__startswith=province.path)
                  .select_related("user", "unit").order_by("pk"))

    def holder(role: str, kind: str, under: Unit | None = None) -> RoleAssignment | None:
        return next((g for g in grants if g.role == role and g.unit is not None and g.unit.kind == kind
                     and (under is None or g.unit.path.startswith(under.path))), None)

    card = holder(Role.CARD_OFFICER, UnitKind.COMMUNE)
    top = holder(Role.COMMITTEE_OFFICER, UnitKind.PROVINCE)
    if card is None or top is None or card.unit is None:
        raise DemoFieldworkError("The demo logins are missing: run `dangvien demo-data` first.")
    commune = holder(Role.COMMITTEE_OFFICER, UnitKind.COMMUNE, card.unit)
    secretary = next((g for g in grants if g.role == Role.CELL_SECRETARY and g.unit is not None
                      and g.unit.path.startswith(card.unit.path)), None)
    return Logins(province=top.user, commune=commune.user if commune else top.user, card=card.user,
                  secretary=secretary.user if secretary else None, home=card.unit)


def _commune_counts(campaign: Campaign) -> dict[str, tuple[int, int]]:
    """commune path -> (counted, completed), from the participants' cells."""
    counts: dict[str, tuple[int, int]] = {}
    done = step_number(campaign.headline_step)
    rows = (Participant.objects.filter(campaign=campaign, eligible=True, left_on__isnull=True)
            .values("unit__path").annotate(n=Count("pk"), completed=Count("pk", filter=Q(stage__gte=done))))
    for row in rows:
        path = row["unit__path"][:2 * SEGMENT]
        counted, completed = counts.get(path, (0, 0))
        counts[path] = (counted + row["n"], completed + row["completed"])
    return counts


def _populated_communes(campaign: Campaign) -> list[Unit]:
    paths = _commune_counts(campaign)
    return list(Unit.objects.filter(kind=UnitKind.COMMUNE, path__in=paths).order_by("path"))


def _furthest_behind(campaign: Campaign) -> list[Unit]:
    counts = _commune_counts(campaign)
    worst = sorted(counts, key=lambda path: (counts[path][1] / counts[path][0], path))[:LAGGING_TAKEN_ON]
    return sorted(Unit.objects.filter(path__in=worst), key=lambda unit: worst.index(unit.path))


def _province_group(campaign: Campaign, logins: Logins, lagging: list[Unit], today: dt.date,
                    summary: Summary) -> WorkingGroup:
    officer = logins.province
    group = group_form(actor=officer, campaign=campaign, unit=campaign.unit, name=PROVINCE_GROUP)
    group_person_add(actor=officer, group=group, user=officer, role=GroupRole.LEADER)
    for commune in lagging:
        group_unit_assign(actor=officer, group=group, unit=commune)
        task_create(actor=officer, group=group, owner=officer, unit=commune, due_on=today + dt.timedelta(days=5),
                    title=f"Làm việc trực tiếp với {commune.name} về tiến độ chậm")
        summary.tasks["open"] += 1
    report = task_create(actor=officer, group=group, owner=officer, unit=campaign.unit, due_on=today,
                         title="Tổng hợp tiến độ tuần, báo cáo Ban Thường vụ Tỉnh ủy")
    task_set_status(actor=officer, task=report, done=True)
    summary.tasks["done"] += 1
    return group


def _home_group_work(campaign: Campaign, group: WorkingGroup, logins: Logins, seed: str, today: dt.date,
                     summary: Summary) -> None:
    """The home commune's group: its people, tasks and home visits."""
    group_person_add(actor=logins.commune, group=group, user=logins.commune, role=GroupRole.LEADER)
    group_person_add(actor=logins.commune, group=group, user=logins.card)
    if logins.secretary is not None:
        group_person_add(actor=logins.commune, group=group, user=logins.secretary)
    home, week = logins.home, dt.timedelta(days=7)
    tasks = [(logins.card, "Thu nhận thông tin, chụp ảnh tại nhà cho đảng viên cao tuổi, ốm đau", week, False),
             (logins.card, "Phối hợp Công an phường xử lý sai lệch dữ liệu với CSDL dân cư", 2 * week, False),
             (logins.commune, "Báo cáo tiến độ tuần cho Ban Tổ chức Tỉnh ủy", dt.timedelta(0), True)]
    if logins.secretary is not None:
        tasks.append((logins.secretary, "Trao thẻ cho đảng viên tại buổi sinh hoạt chi bộ thường kỳ", 3 * week,
                      False))
    for owner, title, due_in, done in tasks:
        task = task_create(actor=logins.commune, group=group, owner=owner, unit=home, due_on=today + due_in,
                           title=title)
        if done:
            task_set_status(actor=owner, task=task, done=True)
        summary.tasks["done" if done else "open"] += 1
    _home_visits(campaign, group, logins, seed, today, summary)


def _home_visits(campaign: Campaign, group: WorkingGroup, logins: Logins, seed: str, today: dt.date,
                 summary: Summary) -> None:
    """Visits made in the last ten days (the declaration and the photo taken where the member was
    found), and visits planned for the days ahead, drawn from the commune's worklist; when it is
    short, members still to do whom the group found sick or disabled (marked at the visit)."""
    rng = random.Random(f"{seed}:fieldwork:visits")
    wanted = VISITS_MADE + VISITS_PLANNED
    worklist = sorted(visit_worklist(logins.card, campaign, logins.home, today), key=lambda p: p.member_id)
    listed = {p.pk for p in worklist}
    others = sorted((p for p in _still_to_do(campaign, logins.home) if p.pk not in listed), key=lambda p: p.member_id)
    found_sick = rng.sample(others, min(len(others), max(0, wanted - len(worklist))))
    cares = {p.pk: rng.choice((Care.SICK, Care.SICK, Care.DISABLED)) for p in found_sick}
    chosen = rng.sample(worklist + found_sick, min(wanted, len(worklist) + len(found_sick)))
    for n, participant in enumerate(chosen[:VISITS_MADE]):
        day = max(today - dt.timedelta(days=rng.randint(1, 10)), participant.stage_on or campaign.start)
        steps = [s for s in (Step.DECLARED, Step.PHOTOGRAPHED) if participant.stage < step_number(s)]
        if n < len(VISITS_WITHOUT_DATA) or not steps:
            outcome, note = VISITS_WITHOUT_DATA[n % len(VISITS_WITHOUT_DATA)]
            steps = []
        else:
            outcome, note = Outcome.PHOTO_TAKEN, "Thu nhận thông tin và chụp ảnh tại nhà."
        home_visit_record(actor=logins.card, participant=participant, expected_version=participant.version,
                          group=group, visited_on=day, outcome=outcome, note=note, steps=steps,
                          care=cares.get(participant.pk),
                          planned_on=today + dt.timedelta(days=rng.randint(2, 7)) if not steps else None)
        summary.visits_made += 1
        summary.visits_planned += not steps
    for participant in chosen[VISITS_MADE:]:
        home_visit_record(actor=logins.card, participant=participant, expected_version=participant.version,
                          group=group, planned_on=today + dt.timedelta(days=rng.randint(1, 10)),
                          care=cares.get(participant.pk))
        summary.visits_planned += 1


def _still_to_do(campaign: Campaign, unit: Unit) -> list[Participant]:
    """Counted participants of the unit not completed, not on hold."""
    return list(Participant.objects.filter(
        campaign=campaign, eligible=True, left_on__isnull=True, hold="",
        stage__lt=step_number(campaign.headline_step), **subtree_filter(unit.path, "unit__path"))
        .select_related("unit", "campaign"))


def _difficulties(campaign: Campaign, logins: Logins, summary: Summary) -> None:
    """Two difficulties the home commune raised to the provincial group; the province answered one."""
    first = difficulty_raise(
        actor=logins.commune, campaign=campaign, unit=logins.home,
        title="Nhiều đảng viên cao tuổi chưa có căn cước gắn chip",
        description="Khoảng 20 đồng chí trên 80 tuổi, đi lại khó khăn, chưa làm căn cước gắn chip nên chưa đối "
                    "chiếu được với CSDL dân cư. Đề nghị Tỉnh hướng dẫn cách làm.")
    difficulty_answer(actor=logins.province, difficulty=first,
                      answer="Công an tỉnh đã bố trí tổ cấp căn cước lưu động. Phường lập danh sách gửi Công an "
                             "phường trước ngày 5 hằng tháng để tổ đến làm tại nhà, rồi thu nhận thông tin đổi thẻ "
                             "cùng buổi.")
    difficulty_raise(
        actor=logins.card, campaign=campaign, unit=logins.home,
        title="Máy chụp ảnh của tổ công tác phường thường xuyên lỗi",
        description="Máy ảnh và máy tính bảng cấp cho tổ công tác hay mất kết nối, ảnh không đạt chuẩn 2×3 cm "
                    "phải chụp lại. Đề nghị bổ sung thiết bị.")
    summary.difficulties = 2
