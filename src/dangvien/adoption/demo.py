"""The demo province's handbook accounts and their use (`dangvien demo-adoption`, which `make demo`
runs after `demo-meetings`), so that the adoption report's accounts, target and active members vary
from commune to commune as its meetings do (docs/meetings-demo.md).

Each commune keeps the habit the demo meetings gave it (meetings.demo_plan.plan_communes, same seed):
communes that run their meetings in the app have most members registered and active, mountain
communes that hardly do have few. Within a commune, a member registers only with a smartphone (or
none recorded), the elderly less often; a registered member uses the handbook in a share of the
months since they registered. The rows are those the activation service writes
(handbook.services._create_account, account_activate): a login named by the citizen ID (or dv<id>),
the member linked, `activated_at` set, a MEMBER role at the member's cell; and one MemberActivity row
a member and year, as the adoption middleware keeps. Written in bulk in one transaction with one audit
row for the whole load, as the other demo loaders do; every account's password is the demo's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.adoption.models import MemberActivity
from dangvien.core.audit import audit_record
from dangvien.core.models import AuditEntry
from dangvien.core.scope import SEGMENT, subtree_filter
from dangvien.demo.generator import DEMO_USERNAMES
from dangvien.demo.tree import PROVINCE_CODE, gia_lai_communes
from dangvien.handbook.counting import handbook_user_q
from dangvien.meetings.demo_plan import Habit, plan_communes
from dangvien.members.models import Member
from dangvien.org.models import Unit, UnitKind

COMMUNE_PATH = 2 * SEGMENT
HISTORY_MONTHS = 18  # accounts activated over the last year and a half
ELDERLY_AGE, ELDERLY_FACTOR = 70, 0.5  # members this old register half as often
UNKNOWN_PHONE_FACTOR = 0.8  # a member whose smartphone nobody recorded registers less often
# Per habit: (share of the members with a smartphone who register, share of the months since
# registering in which a registered member uses the handbook), each drawn per commune in its range.
RATES: dict[Habit, tuple[tuple[float, float], tuple[float, float]]] = {
    Habit.APP: ((0.88, 0.98), (0.65, 0.92)),
    Habit.PARTIAL: ((0.60, 0.85), (0.40, 0.70)),
    Habit.HARDLY: ((0.20, 0.45), (0.20, 0.45)),
}


class DemoAdoptionError(Exception):
    pass


@dataclass
class Summary:
    members: int = 0  # handbook users (members on the roll who may hold an account)
    registered: int = 0  # accounts made now, plus those the demo logins already had
    activity_rows: int = 0
    removed: int = 0  # accounts an earlier demo left without member or role, deleted
    communes: list[tuple[str, int, int]] = field(default_factory=list)  # (name, registered, members)
    habits: Counter[str] = field(default_factory=Counter)


def demo_adoption_create(*, seed: str | int, password: str, replace: bool = False) -> Summary:
    """The demo province's handbook accounts and use as of now, in one transaction."""
    seed, now = str(seed), timezone.now()
    province = Unit.objects.filter(code=PROVINCE_CODE, depth=0).first()
    if province is None:
        raise DemoAdoptionError("The demo province is missing: run `dangvien demo-data` first.")
    with transaction.atomic():
        members = Member.objects.filter(handbook_user_q(), **subtree_filter(province.path, "unit__path"))
        made = _demo_accounts(members)
        if made.exists():
            if not replace:
                raise DemoAdoptionError("The demo province has handbook accounts already; run with --replace to make "
                                        "them again.")
            MemberActivity.objects.filter(member__in=members).delete()
            RoleAssignment.objects.filter(user__in=made).delete()
            made.delete()
        summary = Summary(removed=_remove_orphans())
        _load(province, members, seed, now, make_password(password), summary)
        audit_record(actor=None, action="adoption.demo", object_type="unit", object_id=province.pk,
                     unit_path=province.path, after={"seed": seed, "now": now, "members": summary.members,
                                                     "registered": summary.registered,
                                                     "activity_rows": summary.activity_rows,
                                                     "removed": summary.removed})
    return summary


def _demo_accounts(members):
    """The handbook accounts of the province's members that only hold a MEMBER role and never acted:
    what this command made (the demo's printed logins act or hold other roles and are kept)."""
    other_roles = RoleAssignment.objects.exclude(role=Role.MEMBER).values("user_id")
    return (User.objects.filter(member__in=members, is_staff=False, is_superuser=False)
            .exclude(pk__in=other_roles).exclude(username__in=DEMO_USERNAMES))


def _remove_orphans() -> int:
    """Logins an earlier demo left behind: `demo-data --reset` unlinks every login from its member and
    deletes the roles, and keeps the users (the audit rows of those who acted protect them). A login
    with no member, no role and no audited act can do nothing; its citizen-ID name would push the new
    member's account to dv<id>."""
    acted = AuditEntry.objects.filter(actor__isnull=False).values("actor_id")
    orphans = (User.objects.filter(member__isnull=True, is_staff=False, is_superuser=False, role_assignments__isnull=True)
               .exclude(pk__in=acted).exclude(username__in=DEMO_USERNAMES))
    return orphans.delete()[1].get(User._meta.label, 0)


def _load(province: Unit, members, seed: str, now: dt.datetime, password_hash: str, summary: Summary) -> None:
    rng = random.Random(f"{seed}:adoption")
    today = timezone.localdate(now)
    commune_rows = list(Unit.objects.filter(kind=UnitKind.COMMUNE, **subtree_filter(province.path))
                        .values_list("path", "code", "name"))
    communes = {path: code for path, code, _name in commune_rows}
    names = {code: name for _path, code, name in commune_rows}
    rows = list(members.order_by("pk").values_list("pk", "unit_id", "unit__path", "citizen_id", "full_name",
                                                    "birth_year", "has_smartphone"))
    taken = set(User.objects.filter(Q(member__in=members) | Q(username__in=[r[3] for r in rows if r[3]]))
                .values_list("username", flat=True))
    holders = set(User.objects.filter(member__in=members).values_list("member_id", flat=True))
    mountain = {f"{PROVINCE_CODE}-{c.ward_code}": c.mountain for c in gia_lai_communes()}
    populated = sorted({communes[path[:COMMUNE_PATH]] for *_pk, path, _c, _n, _b, _s in rows
                        if path[:COMMUNE_PATH] in communes})
    plans = plan_communes({code: mountain.get(code, False) for code in populated}, seed=seed)
    rates = {code: tuple(round(rng.uniform(*span), 3) for span in RATES[plan.habit]) for code, plan in plans.items()}
    summary.habits.update(plan.habit.value for plan in plans.values())
    accounts: list[tuple[User, int, int, str]] = []  # (login, member, cell, commune code)
    counts: Counter[tuple[str | None, str]] = Counter()
    for pk, unit_id, path, citizen_id, full_name, birth_year, has_smartphone in rows:
        code = communes.get(path[:COMMUNE_PATH])
        summary.members += 1
        counts[(code, "members")] += 1
        if pk in holders:  # a demo login's member: counted as it stands
            counts[(code, "registered")] += 1
            continue
        if code is None or not _registers(rng, rates[code][0], has_smartphone, birth_year, today):
            continue
        username = citizen_id if citizen_id and citizen_id not in taken else f"dv{pk}"
        taken.add(username)
        activated = now - dt.timedelta(days=rng.uniform(1, HISTORY_MONTHS * 30.4))
        accounts.append((User(username=username, first_name=full_name[:150], member_id=pk, password=password_hash,
                              activated_at=activated, date_joined=activated), pk, unit_id, code))
        counts[(code, "registered")] += 1
    User.objects.bulk_create([user for user, *_rest in accounts], batch_size=2000)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=Role.MEMBER, unit_id=unit_id)
                                        for user, _member, unit_id, _code in accounts], batch_size=2000)
    activity = _activity(rng, accounts, rates, today)
    MemberActivity.objects.bulk_create(activity, batch_size=2000)
    summary.registered = sum(n for (_code, what), n in counts.items() if what == "registered")
    summary.activity_rows = len(activity)
    summary.communes = [(names[code], counts[(code, "registered")], counts[(code, "members")]) for code in populated]


def _registers(rng: random.Random, rate: float, has_smartphone: bool | None, birth_year: int | None,
               today: dt.date) -> bool:
    if has_smartphone is False:  # the cell left them out of the target: a secretary acts for them
        return False
    if has_smartphone is None:
        rate *= UNKNOWN_PHONE_FACTOR
    if birth_year and today.year - birth_year >= ELDERLY_AGE:
        rate *= ELDERLY_FACTOR
    return rng.random() < rate


def _activity(rng: random.Random, accounts: list[tuple[User, int, int, str]], rates: dict[str, tuple[float, ...]],
              today: dt.date) -> list[MemberActivity]:
    """A row a registered member and year: the bit of each month since activation in which they used
    the handbook (the activity share of their commune), this month's too."""
    activity = []
    for user, member_id, unit_id, code in accounts:
        share = rates[code][1]
        start = timezone.localdate(user.activated_at)
        months: dict[int, int] = {}
        month = start.replace(day=1)
        while month <= today:
            if rng.random() < share:
                months[month.year] = months.get(month.year, 0) | 1 << (month.month - 1)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        activity += [MemberActivity(member_id=member_id, year=year, months=bits, unit_id=unit_id)
                     for year, bits in sorted(months.items())]
    return activity
