"""Writing the synthetic province to the database.

Speed matters (the full 141,794 members in under two minutes), so this does not call a service per
row: it plans everything in memory and hands the members with their histories to the bulk member
writer's data load (members/bulk.py members_load: the rows the member services would build) in
batches inside one transaction, with explicit primary keys so that a seed gives the same ids, and
writes one audit row that summarizes the run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from dangvien.accounts.models import Role, RoleAssignment, User
from dangvien.core.audit import audit_record
from dangvien.core.scope import SEGMENT
from dangvien.core.text import collation_key
from dangvien.demo.people import MemberFactory, MemberRow
from dangvien.demo.tree import HOME_COMMUNE, PROVINCE_CODE, UnitSpec, gia_lai_communes, plan_tree
from dangvien.members.bulk import LoadedMember, members_load
from dangvien.members.models import FeePayment, Member, MemberEvaluation, MemberEvent, Status
from dangvien.members.services import classification_for
from dangvien.notifications.models import Notification
from dangvien.org.models import MEMBER_UNIT_KINDS, Unit, UnitKind

DEFAULT_PASSWORD = "dangvien-demo-2026"
BATCH = 5000  # members generated and written per round (memory stays flat)
INSERT_BATCH = 1000


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str  # unit name, "" for everywhere


DEMO_USERNAMES = ("admin", "tinh", "xa", "bithu", "canbothe", "dangvien")


@dataclass
class Summary:
    members: int = 0
    events: int = 0
    units: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)
    province_id: int | None = None
    evaluations: int = 0
    fees: int = 0
    # A member of the home cell without an account, whose papers open the handbook's activation.
    activation: tuple[str, str, dt.date, str] | None = None


class DemoDataExists(Exception):
    """The province is already there and --reset was not given."""


def generate(*, members: int, seed: str | int, password: str = DEFAULT_PASSWORD, reset: bool = False,
             as_of: dt.date | None = None) -> Summary:
    """Build the province with `members` members; the same (members, seed) gives the same data."""
    if not 1 <= members < 1_000_000:
        raise ValueError("members must be between 1 and 999,999")  # citizen-ID serials are 6 digits
    as_of = as_of or timezone.localdate()
    seed = str(seed)
    with transaction.atomic():
        deleted = _reset() if reset else {}
        if Unit.objects.filter(code=PROVINCE_CODE).exists():
            raise DemoDataExists("The demo province already exists; run with --reset to rebuild it.")
        summary = Summary()
        plan = plan_tree(members, random.Random(f"{seed}:tree"), root_path=_next_root_path())
        unit_ids = _insert_units(plan, summary)
        summary.province_id = unit_ids[0]
        home_cell, account_member = _insert_members(plan, unit_ids, seed, as_of, summary)
        summary.logins = _create_users(plan, unit_ids, home_cell, account_member, password)
        summary.evaluations, summary.fees = _insert_cell_records(unit_ids[home_cell], seed, as_of)
        summary.activation = _activation_example(unit_ids[home_cell], account_member)
        _reset_sequences()
        audit_record(
            actor=None, action="demo.generate", object_type="unit", object_id=summary.province_id,
            unit_path=plan[0].path, before=deleted or None,
            after={"seed": seed, "members": summary.members, "events": summary.events,
                   "units": dict(sorted(summary.units.items())), "statuses": dict(sorted(summary.statuses.items())),
                   "logins": [u.username for u in summary.logins], "as_of": as_of,
                   "evaluations": summary.evaluations, "fees": summary.fees},
        )
    return summary


# --- reset ---------------------------------------------------------------------------------------


def _reset() -> dict[str, int]:
    """Delete every member, event, unit and role bound to a unit, and what other apps keep about
    the units (a reconciliation run, an import batch, a campaign: PROTECT references that would
    block it; the notices about them)."""
    # The demo users themselves are kept (audit rows protect a user who acted) and reset below.
    deleted = {"roles": RoleAssignment.objects.filter(unit__isnull=False).delete()[0]}
    deleted.update(_delete_unit_records())
    # Notices about the old units (an urged commune, a difficulty) would link to pages that are gone.
    deleted["notifications"] = Notification.objects.filter(unit__isnull=False).delete()[0]
    deleted.update(_delete_member_records())
    User.objects.filter(member__isnull=False).update(member=None)
    deleted["events"] = _delete_all(MemberEvent)
    deleted["evaluations"] = _delete_all(MemberEvaluation)
    deleted["fees"] = _delete_all(FeePayment)
    deleted["members"] = _delete_all(Member)
    deleted["units"] = _delete_all(Unit)
    return deleted


def _delete_unit_records() -> dict[str, int]:
    """Rows of the apps above demo that protect a unit from deletion, found through the unit's
    relations (demo imports none of those apps); their own cascades go with them. Hidden
    relations too (related_name="+"): a run's unit is one."""
    deleted: dict[str, int] = {}
    relations = [f for f in Unit._meta.get_fields(include_hidden=True)
                 if isinstance(f, models.ForeignObjectRel) and f.related_model is not None]
    pending: list[Any] = []
    for relation in relations:
        model: Any = relation.related_model
        if model._meta.app_label in {"accounts", "org", "members"}:  # reset by _reset itself
            continue
        if relation.on_delete is models.PROTECT and model not in pending:
            pending.append(model)
    # Such rows may protect one another (a meeting's attachment protects the library document it
    # links): a model refused now goes again after the others, until a round deletes nothing.
    while pending:
        refused = []
        for model in pending:
            try:
                with transaction.atomic():
                    count = model._default_manager.all().delete()[1].get(model._meta.label, 0)
            except models.ProtectedError:
                refused.append(model)
                continue
            deleted[model._meta.label_lower] = deleted.get(model._meta.label_lower, 0) + count
        if len(refused) == len(pending):
            model._default_manager.all().delete()  # raises the ProtectedError that names the rows
        pending = refused
    return deleted


def _delete_member_records() -> dict[str, int]:
    """Rows of the apps above demo that belong to a member (a handbook code): the members go in one
    raw DELETE below, which would not cascade to them."""
    deleted = {}
    for relation in Member._meta.get_fields(include_hidden=True):
        model: Any = getattr(relation, "related_model", None)
        if (isinstance(relation, models.ForeignObjectRel) and model is not None
                and model._meta.app_label not in {"accounts", "members"} and relation.on_delete is models.CASCADE):
            deleted[model._meta.label_lower] = model._default_manager.all().delete()[1].get(model._meta.label, 0)
    return deleted


def _delete_all(model: Any) -> int:
    """One DELETE statement when nothing else points at the table's rows any more (the
    collector would otherwise load every row to handle SET_NULL relations); the ORM's delete,
    which follows every relation, when other apps have added references."""
    known = {("members", "memberevent"), ("accounts", "user"), ("org", "unit"), ("members", "member"),
             ("accounts", "roleassignment"), ("members", "memberevaluation"), ("members", "feepayment")}
    others = [r for r in model._meta.related_objects
              if (r.related_model._meta.app_label, r.related_model._meta.model_name) not in known]
    if others:
        if model is Unit:
            total = 0
            for depth in sorted(set(Unit.objects.values_list("depth", flat=True)), reverse=True):
                total += Unit.objects.filter(depth=depth).delete()[1].get("org.Unit", 0)
            return total
        return model.objects.all().delete()[1].get(model._meta.label, 0)
    return model.objects.all()._raw_delete(model.objects.db)


def _next_root_path() -> str:
    last = Unit.objects.filter(depth=0).order_by("-path").values_list("path", flat=True).first()
    return str(int(last) + 1).zfill(SEGMENT) if last else "1".zfill(SEGMENT)


def _reset_sequences() -> None:
    # Rows were inserted with explicit ids: move PostgreSQL's sequences past them.
    statements = connection.ops.sequence_reset_sql(no_style(), [Unit, Member, MemberEvent])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _next_id(model: Any) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1



# --- units ---------------------------------------------------------------------------------------


def _insert_units(plan: list[UnitSpec], summary: Summary) -> list[int]:
    first = _next_id(Unit)
    ids = list(range(first, first + len(plan)))
    rows = [
        Unit(id=ids[i], kind=u.kind, code=u.code, name=u.name, path=u.path, depth=u.depth,
             parent_id=ids[u.parent] if u.parent is not None else None, sort_key=collation_key(u.name))
        for i, u in enumerate(plan)
    ]
    Unit.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    summary.units.update(u.kind for u in plan)
    return ids


# --- members -------------------------------------------------------------------------------------


def _insert_members(plan: list[UnitSpec], unit_ids: list[int], seed: str, as_of: dt.date,
                    summary: Summary) -> tuple[int, int | None]:
    """Insert every member and event; return the home cell (its plan index) and the member who
    gets the demo member account."""
    factory = MemberFactory(seed, gia_lai_communes(), as_of, taken=_taken_identifiers())
    home_cell = _home_cell(plan)
    account_member: int | None = None
    account_ok = False
    next_member = _next_id(Member)
    pending: list[MemberRow] = []

    def flush() -> None:
        nonlocal next_member
        members = [LoadedMember(next_member + i, unit_ids[row.unit_index], row.status, row.record, row.events,
                                **row.extra) for i, row in enumerate(pending)]
        summary.events += members_load(members)
        summary.members += len(members)
        next_member += len(members)
        pending.clear()

    for index, unit in enumerate(plan):
        if unit.kind not in MEMBER_UNIT_KINDS:
            continue
        for row in factory.members_of(index, unit):
            summary.statuses[row.status] += 1
            if index == home_cell and (account_member is None or (
                    row.status == Status.OFFICIAL and row.record["has_smartphone"] and not account_ok)):
                # The member login: an official member with a smartphone, else the cell's first one.
                account_member = next_member + len(pending)
                account_ok = row.status == Status.OFFICIAL and bool(row.record["has_smartphone"])
            pending.append(row)
        if len(pending) >= BATCH:
            flush()
    flush()
    return home_cell, account_member


def _taken_identifiers() -> dict[str, set[str]]:
    """Identifiers of members already in the database (none after --reset), so that demo data can
    be added next to them without breaking uniqueness."""
    taken: dict[str, set[str]] = {}
    for name in ("citizen_id", "profile_number", "card_number"):
        taken[name] = set(Member.objects.exclude(**{f"{name}__isnull": True}).values_list(name, flat=True))
    return taken


def _home_cell(plan: list[UnitSpec]) -> int:
    """The cell of the demo secretary and member: the largest residential cell of the home commune
    (the first populated commune when the home one is empty)."""
    by_commune: dict[str, list[int]] = {}
    for i, u in enumerate(plan):
        if u.kind in MEMBER_UNIT_KINDS and u.size and u.commune is not None:
            by_commune.setdefault(u.commune.name, []).append(i)
    cells = by_commune.get(HOME_COMMUNE) or next(iter(by_commune.values()))
    residential = [i for i in cells if plan[i].org_key == "residential"] or cells
    return max(residential, key=lambda i: (plan[i].size, -i))


# --- the home cell's yearly records (the handbook shows them) ------------------------------------------

EVALUATION_YEARS = 3
# Monthly party fees (VND) a demo member pays: QĐ 342 sets 1% of a salary, 0.5% of a pension, or a
# fixed amount for others; the demo draws one per member.
DEMO_FEES = (5_000, 10_000, 20_000, 30_000, 45_000, 60_000)
_ON_ROLL = (Status.PROBATIONARY, Status.OFFICIAL, Status.EXEMPTED, Status.TEMPORARILY_OUT)


def _insert_cell_records(cell_id: int, seed: str, as_of: dt.date) -> tuple[int, int]:
    """Year-end evaluations for the last EVALUATION_YEARS years and twelve months of party fees for
    the members of the demo secretary's cell, in two bulk inserts (the handbook's pages show them;
    one cell keeps the demo quick)."""
    rng = random.Random(f"{seed}:cell-records")
    members = list(Member.objects.filter(unit_id=cell_id, status__in=_ON_ROLL).order_by("pk")
                   .values_list("pk", "admission_date"))
    this_month = as_of.replace(day=1)
    months = [_months_before(this_month, n) for n in range(12)]
    evaluations, fees = [], []
    for member_id, admitted in members:
        for year in range(as_of.year - EVALUATION_YEARS, as_of.year):
            if year >= admitted.year:
                score = Decimal(round(rng.triangular(55, 98, 86) * 2)) / 2
                evaluations.append(MemberEvaluation(member_id=member_id, year=year, score=score,
                                                    classification=classification_for(score)))
        amount = rng.choice(DEMO_FEES)
        paid_until = rng.choice([0, 0, 0, 1, 2])  # most are up to date, a few are a month or two behind
        fees += [FeePayment(member_id=member_id, month=month, amount=amount) for month in months[paid_until:]
                 if month >= admitted.replace(day=1)]
    MemberEvaluation.objects.bulk_create(evaluations, batch_size=INSERT_BATCH)
    FeePayment.objects.bulk_create(fees, batch_size=INSERT_BATCH)
    return len(evaluations), len(fees)


def _activation_example(cell_id: int, account_member: int | None) -> tuple[str, str, dt.date, str] | None:
    """(name, citizen ID, date of birth, card number) of an official member of the cell who has no
    login yet, for trying the activation page."""
    row = (Member.objects.filter(unit_id=cell_id, status=Status.OFFICIAL, citizen_id__isnull=False,
                                 card_number__isnull=False, date_of_birth__isnull=False)
           .exclude(pk=account_member or 0).order_by("pk")
           .values_list("full_name", "citizen_id", "date_of_birth", "card_number").first())
    return tuple(row) if row else None  # type: ignore[return-value]


def _months_before(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


# --- demo logins ---------------------------------------------------------------------------------


def _create_users(plan: list[UnitSpec], unit_ids: list[int], home_cell: int, account_member: int | None,
                  password: str) -> list[DemoLogin]:
    province = 0
    commune = next(i for i in range(home_cell, -1, -1) if plan[i].kind == UnitKind.COMMUNE)
    wanted: list[tuple[str, str, int | None, int | None]] = [
        ("admin", Role.ADMIN, None, None),
        ("tinh", Role.COMMITTEE_OFFICER, province, None),
        ("xa", Role.COMMITTEE_OFFICER, commune, None),
        ("bithu", Role.CELL_SECRETARY, home_cell, None),
        ("canbothe", Role.CARD_OFFICER, commune, None),
        ("dangvien", Role.MEMBER, home_cell, account_member),
    ]
    logins = []
    for username, role, unit_index, member_id in wanted:
        is_admin = role == Role.ADMIN
        # Reused when it exists: audit rows keep a user who acted (on_delete=PROTECT).
        user = User.objects.filter(username=username).first() or User(username=username)
        user.member_id, user.is_staff, user.is_superuser, user.is_active = member_id, is_admin, is_admin, True
        user.set_password(password)
        user.save()
        RoleAssignment.objects.filter(user=user).delete()
        RoleAssignment.objects.create(user=user, role=role,
                                      unit_id=unit_ids[unit_index] if unit_index is not None else None)
        logins.append(DemoLogin(username, role, plan[unit_index].name if unit_index is not None else ""))
    return logins
