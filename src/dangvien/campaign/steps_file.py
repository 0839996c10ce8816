"""A step file: what a police data-entry team (or a cell) sends back, the members for whom one
pipeline step was done. CSV, XLSX or Parquet, read with core.tabular (its limits apply: size, zip
bombs, encodings, formulas); columns by header, in Vietnamese or English (docs/campaign.md):

- `Số CCCD` / `citizen_id`: the member's citizen ID (the main key), or
- `Số thẻ đảng` / `card_number`: the party card number, when the citizen ID is not given;
- `Ngày` / `date` (optional): the day the step was done on that row, dd/mm/yyyy or ISO (else the
  day given for the whole file);
- `Ghi chú` / `note` (optional).

Every row is checked, every refused row named with its line and the reason, and the step is
recorded for all the rows or for none (services.steps_record does the writing)."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvien.campaign.models import Campaign, Participant
from dangvien.campaign.services import StepsResult, steps_record
from dangvien.core import tabular
from dangvien.core.tabular import CellError, CellProblem
from dangvien.members.selectors import members_visible_to
from dangvien.members.validation import today

# Rows a file may hold: a commune's or a district's members (a province sends several files).
MAX_ROWS = 50_000
LOOKUP_BATCH = 5000


def _citizen_id(raw: Any) -> str:
    text = tabular.identifier(digits=12)(raw).replace(" ", "").replace(".", "")
    if not (len(text) == 12 and text.isdigit()):
        raise CellProblem(_("A citizen ID has exactly 12 digits."))
    return text


def _card_number(raw: Any) -> str:
    return tabular.identifier()(raw).replace(" ", "")


STEP_FILE = tabular.TableSpec(
    columns=(
        tabular.Column("citizen_id", "Số CCCD", "citizen_id",
                       aliases=("Số định danh", "Số định danh cá nhân", "CCCD", "Căn cước công dân", "Citizen ID"),
                       parser=_citizen_id, required=True),
        tabular.Column("card_number", "Số thẻ đảng", "card_number", aliases=("Thẻ đảng", "Card number"),
                       parser=_card_number),
        tabular.Column("date", "Ngày", "date", aliases=("Ngày thực hiện", "Day"), parser=tabular.parse_date,
                       blank=None),
        tabular.Column("note", "Ghi chú", "note", parser=tabular.cell_text),
        # Recognized, not read: a list's usual first columns.
        tabular.Column("row_number", "STT", "no", aliases=("TT", "Số thứ tự")),
        tabular.Column("full_name", "Họ và tên", "full_name", aliases=("Họ tên", "Name")),
    ),
    alternatives={"citizen_id": "card_number"},
    min_header_matches=1,
    no_header_message=gettext_lazy("No header row found in the first %(n)s rows. The header row names the columns: "
                                   "\"Số CCCD\" (or \"Số thẻ đảng\"), and optionally \"Ngày\" and \"Ghi chú\"."),
    wrong_type_message=gettext_lazy("Send a file of one of these types: %(formats)s (this one is %(suffix)s)."),
)


@dataclass
class StepFileResult:
    """What a step file did: the rows read, the participants recorded (0 when any row was refused
    or on a dry run), and every problem by line (line 0: the whole file)."""

    rows: int = 0
    recorded: int = 0
    errors: list[CellError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Line:
    line: int
    citizen_id: str
    card_number: str
    day: dt.date | None
    note: str


def steps_file_record(
    *, actor: Any, campaign: Campaign, step: str, path: pathlib.Path, day: dt.date | None = None,
    dry_run: bool = False, max_bytes: int | None = None,
) -> StepFileResult:
    """Check a step file and record `step` for every member it lists, all or nothing (`dry_run`:
    check only). A refused file, or any refused row, writes nothing."""
    day = day or today()
    try:
        lines = _read(path, max_bytes or settings.DANGVIEN["IMPORT_MAX_BYTES"])
    except tabular.TabularFileError as exc:
        return StepFileResult(errors=exc.errors, dry_run=dry_run)
    errors = [error for line in lines for error in line[1]]
    readable = [line for line, row_errors in lines if not row_errors]
    keyed, problems = _participants(actor, campaign, readable)
    errors.extend(problems)
    result = StepFileResult(rows=len(lines), dry_run=dry_run)
    if not keyed and not errors:
        errors.append(CellError(0, "", _("The file lists no member.")))
    if keyed:
        outcome = steps_record(
            actor=actor, campaign=campaign, step=step, day=day, participant_ids=list(keyed),
            days={pk: line.day for pk, line in keyed.items() if line.day is not None},
            notes={pk: line.note for pk, line in keyed.items() if line.note},
            keys={pk: line.line for pk, line in keyed.items()}, dry_run=dry_run or bool(errors))
        errors.extend(_refusal_errors(outcome))
        result.recorded = outcome.recorded if not errors else 0  # on a dry run: how many it would record
    result.errors = sorted(errors, key=lambda error: error.line)
    return result


def _read(path: pathlib.Path, max_bytes: int) -> list[tuple[_Line, list[CellError]]]:
    table = tabular.read_table(pathlib.Path(path), STEP_FILE, max_bytes=max_bytes)
    lines: list[tuple[_Line, list[CellError]]] = []
    for row in table.rows:
        if len(lines) == MAX_ROWS:
            raise tabular.TabularFileError(_("The file has more than %(n)s rows: split it into several files.")
                                           % {"n": f"{MAX_ROWS:,}"})
        values = row.values
        line = _Line(row.line, values.get("citizen_id", ""), values.get("card_number", ""), values.get("date"),
                     values.get("note", ""))
        errors = list(row.errors)
        if not errors and not line.citizen_id and not line.card_number:
            errors.append(CellError(row.line, "", _("Give the member's citizen ID or party card number.")))
        lines.append((line, errors))
    return lines


def _participants(actor: Any, campaign: Campaign, lines: list[_Line]) -> tuple[dict[int, _Line], list[CellError]]:
    """participant id -> its line, for the lines whose member is found in the campaign; the
    problems of the others (unknown in the actor's scope, not in the campaign, listed twice)."""
    by_citizen_id = _members(actor, "citizen_id", [line.citizen_id for line in lines if line.citizen_id])
    by_card = _members(actor, "card_number", [line.card_number for line in lines if line.card_number])
    participant_of = _participant_ids(campaign, {*by_citizen_id.values(), *by_card.values()})
    keyed: dict[int, _Line] = {}
    first_line: dict[int, int] = {}
    errors: list[CellError] = []
    for line in lines:
        member_id, problem = _member_of(line, by_citizen_id, by_card)
        if member_id is None:
            errors.append(CellError(line.line, "", problem))
        elif member_id in first_line:
            errors.append(CellError(line.line, "", _("The same member as line %(line)s: list each member once.")
                                    % {"line": first_line[member_id]}))
        elif member_id not in participant_of:
            first_line[member_id] = line.line
            errors.append(CellError(line.line, "", _("This member is not in this campaign.")))
        else:
            first_line[member_id] = line.line
            keyed[participant_of[member_id]] = line
    return keyed, errors


def _member_of(line: _Line, by_citizen_id: dict[str, int], by_card: dict[str, int]) -> tuple[int | None, str]:
    if line.citizen_id:
        member_id = by_citizen_id.get(line.citizen_id)
        if member_id is None:
            return None, _("No member with this citizen ID in your scope.")
        if line.card_number and by_card.get(line.card_number) != member_id:
            return None, _("The citizen ID and the party card number are not of the same member.")
        return member_id, ""
    member_id = by_card.get(line.card_number)
    if member_id is None:
        return None, _("No member with this party card number in your scope.")
    return member_id, ""


def _members(actor: Any, column: str, values: Iterable[str]) -> dict[str, int]:
    """value -> member id, for the members the actor sees (out of scope reads as unknown)."""
    wanted = sorted(set(values))
    found: dict[str, int] = {}
    visible = members_visible_to(actor)
    for start in range(0, len(wanted), LOOKUP_BATCH):
        found.update(visible.filter(**{f"{column}__in": wanted[start:start + LOOKUP_BATCH]})
                     .values_list(column, "pk"))
    return found


def _participant_ids(campaign: Campaign, member_ids: set[int]) -> dict[int, int]:
    wanted = sorted(member_ids)
    found: dict[int, int] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        found.update(Participant.objects.filter(Q(campaign=campaign), Q(member_id__in=wanted[start:start + LOOKUP_BATCH]))
                     .values_list("member_id", "pk"))
    return found


def _refusal_errors(outcome: StepsResult) -> list[CellError]:
    return [CellError(int(refusal.key), "", refusal.reason) for refusal in outcome.refusals]
