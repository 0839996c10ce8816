"""The demo province's party cards (`dangvien demo-cards`, which `make demo` runs after the campaign):
a photo and a card for every member whose campaign pipeline reached "sent" (and so produced or
handed over), a few cards reported lost and suspended, a few lost or damaged ones re-issued, one
issued in error and revoked, and the cards of a few members who died or were removed since,
revoked by the member services' hook.

It lives in the credentials app (the demo app sits below it in the layers) and writes through the
services an officer's clicks would call: portraits_record_many (the photos the police took at the
photo step), cards_issue_bulk (one production run a commune, dated the day its last member was
sent), card_suspend, card_reissue, card_revoke, member_record_death and member_remove. The photos
are drawn with Pillow: simple faces from a seeded palette, a few dozen of them shared by everyone.
Who acts: the card officer of a commune for its members, the administrator (the province's card
team) elsewhere.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image, ImageDraw

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.campaign.models import Step, StepRecord
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.credentials.models import (
    Card,
    CardNumberCounter,
    CardStatus,
    Portrait,
    PortraitSource,
    StatusList,
)
from dangvien.credentials.selectors import sent_to_production_q
from dangvien.credentials.services import (
    card_reissue,
    card_revoke,
    card_suspend,
    cards_issue_bulk,
    portraits_record_many,
)
from dangvien.demo.tree import PROVINCE_CODE
from dangvien.members.models import ON_ROLL_STATUSES, Member
from dangvien.members.services import member_record_death, member_remove
from dangvien.org.models import Unit

COMMUNE_PATH = 2 * SEGMENT
FACES = 24  # distinct photos a sex
# Shares of the cards issued that something happened to since.
SUSPENDED, REISSUED, DIED, REMOVED = 0.002, 0.004, 0.001, 0.001


class DemoCardsError(Exception):
    """The demo province or its campaign is missing, or its cards exist already."""


@dataclass
class Summary:
    issued: int = 0
    without_photo: int = 0
    suspended: int = 0
    reissued: int = 0
    revoked: int = 0
    left: int = 0  # members who died or were removed since: their cards revoked by the hook
    photos: int = 0
    numbers: list[str] = field(default_factory=list)


def demo_cards_create(*, seed: str | int, replace: bool = False) -> Summary:
    seed = str(seed)
    province = Unit.objects.filter(code=PROVINCE_CODE, depth=0).first()
    if province is None:
        raise DemoCardsError("The demo province is missing: run `dangvien demo-data` first.")
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        raise DemoCardsError("The demo logins are missing: run `dangvien demo-data` first.")
    rng = random.Random(f"{seed}:cards")
    summary = Summary()
    with transaction.atomic():
        existing = Card.objects.filter(authority=province)
        if existing.exists():
            if not replace:
                raise DemoCardsError("The demo cards exist already; run with --replace to make them again.")
            existing.delete()
            Portrait.objects.filter(member__in=_members(province)).delete()
            # The demo owns the numbers and lists: start them again, so that the same seed gives the same cards.
            CardNumberCounter.objects.all().delete()
            StatusList.objects.filter(cards__isnull=True).delete()
        members = list(_members(province).filter(sent_to_production_q()).select_related("unit"))
        if not members:
            raise DemoCardsError("Nobody was sent to production yet: run `dangvien demo-campaign` first.")
        officers = _card_officers(province, admin)
        _take_photos(members, officers, rng, summary)
        _issue(province, members, officers, summary)
        _happenings(admin, officers, rng, summary)
        summary.numbers = list(Card.objects.filter(authority=province).order_by("pk").values_list("number", flat=True)
                               [:5])
    return summary


def _members(province: Unit) -> Any:
    return Member.objects.filter(status__in=ON_ROLL_STATUSES, unit_id__in=Unit.objects.filter(
        **subtree_filter(province.path)).values("id")).order_by("unit__path", "sort_key", "pk")


def _card_officers(province: Unit, admin: Any) -> dict[str, Any]:
    """commune path -> who issues its cards: its card officer, else the administrator (key "")."""
    found: dict[str, Any] = {"": admin}
    for assignment in (RoleAssignment.objects.filter(role=Role.CARD_OFFICER, user__is_active=True,
                                                     **subtree_filter(province.path, "unit__path"))
                       .select_related("user", "unit").order_by("pk")):
        unit = assignment.unit
        if unit is not None and len(unit.path) == COMMUNE_PATH:
            found.setdefault(unit.path, assignment.user)
    return found


def _officer_of(officers: dict[str, Any], unit_path: str) -> Any:
    return officers.get(unit_path[:COMMUNE_PATH], officers[""])


# --- photos -------------------------------------------------------------------------------------------


def _take_photos(members: list[Member], officers: dict[str, Any], rng: random.Random, summary: Summary) -> None:
    """Each member's photo, dated the day of their photo step, recorded by whoever issues their card.
    One in two hundred has none yet (the file has not come back from the police)."""
    faces = {sex: [synthetic_portrait(sex, n, rng.random()) for n in range(FACES)] for sex in ("M", "F")}
    taken = dict(StepRecord.objects.filter(step=Step.PHOTOGRAPHED, participant__member__in=[m.pk for m in members])
                 .values_list("participant__member_id").annotate(day=Max("day")))
    groups: dict[tuple[Any, dt.date], list[tuple[Member, bytes]]] = defaultdict(list)
    for member in members:
        if rng.random() < 0.005:
            continue
        day = taken.get(member.pk) or timezone.localdate()
        face = faces[member.sex if member.sex in faces else "M"][rng.randrange(FACES)]
        groups[(_officer_of(officers, member.unit.path), day)].append((member, face))
    for (officer, day), photos in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0].pk)):
        summary.photos += len(portraits_record_many(actor=officer, photos=photos, source=PortraitSource.CAMPAIGN,
                                                    taken_on=day))


def synthetic_portrait(sex: str, variant: int, tint: float) -> bytes:
    """A plain head-and-shoulders drawing, 300 × 400: a light backdrop, shoulders in a shirt, a face,
    hair (longer for women), eyes and a mouth. The same arguments give the same bytes."""
    rng = random.Random(f"{sex}:{variant}:{tint:.6f}")
    width, height = 300, 400
    backdrop = (rng.randint(205, 235), rng.randint(215, 240), rng.randint(230, 250))
    skin = rng.choice([(241, 200, 165), (228, 185, 145), (214, 168, 128), (198, 150, 110), (176, 128, 92)])
    hair = rng.choice([(25, 20, 18), (40, 30, 25), (60, 45, 35), (90, 90, 90)])
    shirt = rng.choice([(240, 240, 240), (30, 60, 120), (120, 30, 40), (60, 90, 60), (200, 200, 215)])
    image = Image.new("RGB", (width, height), backdrop)
    draw = ImageDraw.Draw(image)
    draw.ellipse([30, 300, 270, 520], fill=shirt)  # shoulders
    draw.rectangle([125, 250, 175, 320], fill=skin)  # neck
    face_w, face_h = rng.randint(58, 70), rng.randint(78, 90)
    cx, cy = 150, 175
    if sex == "F":  # long hair behind the face
        draw.rounded_rectangle([cx - face_w - 18, cy - face_h - 10, cx + face_w + 18, cy + face_h + 60], 40, fill=hair)
    draw.ellipse([cx - face_w, cy - face_h, cx + face_w, cy + face_h], fill=skin)
    draw.chord([cx - face_w - 4, cy - face_h - 12, cx + face_w + 4, cy + face_h // 2], 180, 360, fill=hair)
    eye_y, eye_dx = cy + rng.randint(-5, 8), rng.randint(22, 30)
    for x in (cx - eye_dx, cx + eye_dx):
        draw.ellipse([x - 6, eye_y - 4, x + 6, eye_y + 4], fill=(35, 30, 30))
    mouth_y = cy + rng.randint(42, 52)
    draw.line([cx - 18, mouth_y, cx + 18, mouth_y], fill=(150, 70, 70), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


# --- cards ------------------------------------------------------------------------------------------------


def _issue(province: Unit, members: list[Member], officers: dict[str, Any], summary: Summary) -> None:
    """One production run a commune, dated the day its last member was sent."""
    sent = dict(StepRecord.objects.filter(step=Step.SENT, participant__member__in=[m.pk for m in members])
                .values_list("participant__unit__path").annotate(day=Max("day")))
    last_sent: dict[str, dt.date] = {}
    for path, day in sent.items():
        commune = path[:COMMUNE_PATH]
        last_sent[commune] = max(day, last_sent.get(commune, day))
    communes = Unit.objects.filter(path__in={m.unit.path[:COMMUNE_PATH] for m in members}).order_by("path")
    for commune in communes:
        result = cards_issue_bulk(actor=_officer_of(officers, commune.path), unit=commune,
                                  day=last_sent.get(commune.path) or timezone.localdate())
        summary.issued += len(result.cards)
        summary.without_photo += len(result.without_photo)


def _happenings(admin: Any, officers: dict[str, Any], rng: random.Random, summary: Summary) -> None:
    """What happened to some cards since they were issued, each through its service."""
    today = timezone.localdate()
    cards = list(Card.objects.filter(status=CardStatus.ACTIVE).select_related("member", "member__unit")
                 .order_by("pk"))
    count = len(cards)
    plan = ["error"] + ["reissue"] * max(1, round(count * REISSUED)) + ["suspend"] * max(1, round(count * SUSPENDED)) \
        + ["died"] * max(1, round(count * DIED)) + ["removed"] * max(1, round(count * REMOVED))
    picked = rng.sample(cards, min(count, len(plan)))
    for card, what in zip(picked, plan, strict=False):
        day = min(today, card.issued_on + dt.timedelta(days=rng.randint(1, 20)))
        try:
            with transaction.atomic():
                _happen(admin, _officer_of(officers, card.member.unit.path), card, what, day, rng, summary)
        except ValidationError:
            continue  # a member whose record refuses it (a date before their last event): another time


def _happen(admin: Any, officer: Any, card: Card, what: str, day: dt.date, rng: random.Random,
            summary: Summary) -> None:
    today = timezone.localdate()
    if what == "error":
        card_revoke(actor=officer, card=card, expected_version=card.version, reason="issued_in_error", day=day,
                    note="In sai ngày sinh, in lại")
        summary.revoked += 1
    elif what == "reissue":
        suspended = card_suspend(actor=officer, card=card, expected_version=card.version, day=day,
                                 note="Đảng viên báo mất thẻ tại chi bộ")
        card_reissue(actor=officer, card=suspended, expected_version=suspended.version,
                     reason=rng.choice(["lost", "lost", "damaged"]), day=min(today, day + dt.timedelta(days=7)),
                     note="Quyết định cấp lại thẻ của Đảng ủy")
        summary.reissued += 1
    elif what == "suspend":
        card_suspend(actor=officer, card=card, expected_version=card.version, day=day,
                     note="Đảng viên báo mất thẻ, chờ chi bộ xem xét")
        summary.suspended += 1
    else:
        member = Member.objects.select_related("unit").get(pk=card.member_id)
        if what == "died":
            member_record_death(actor=admin, member=member, expected_version=member.version, date=day)
        else:
            member_remove(actor=admin, member=member, expected_version=member.version, date=day,
                          reason="Bỏ sinh hoạt ba tháng liền không có lý do")
        summary.left += 1
