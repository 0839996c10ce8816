"""The matching engine: members (an arrow table from sides.member_table) against one snapshot of the
population extract, read through the snapshot store's `fetch`. Everything runs on one in-memory
DuckDB connection; the member side is normalized by the same macros as the extract at load.

Pass 1 (SQL, no model): a member whose well-formed citizen ID is in the extract and who agrees with
that person on the name or the birth date, contradicting them on neither, is an exact match. A
one-digit typo can hit another real person: the ID structure then makes them share province, sex
and birth year, so a birth year alone is never agreement.

Pass 2 (only the rest): candidates fetched by the keys a noisy record still shares with its person
(the citizen ID's one-digit variants and adjacent transpositions, the old CMND, the folded name and
the name without its middle part near the birth year, the birth date or its day/month swap with a
similar name, the given name and birth year), scored by model.py, and put in bands (bands.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from dangvien.population.normalize import PERSON_COLUMNS, install_macros, person_select
from dangvien.reconcile import bands, discrepancies, model

Progress = Callable[[int, int], None]
STEPS = 6  # progress steps of a run: normalize, pass 1, candidates, model, bands, discrepancies

# Below this many members left for pass 2, the model keeps its priors (EM needs pairs to learn from).
MIN_TRAINING_MEMBERS = 2_000
# Share of members expected to be in the extract at all (sets the model's prior).
SHARE_PRESENT = 0.9


class SnapshotStore(Protocol):
    def fetch(self, snapshot_id: int, column: str, values: list[Any]) -> pa.Table: ...

    def count(self, snapshot_id: int) -> int: ...


@dataclass
class Outcome:
    member_id: int
    band: str
    so_dinh_danh: str | None
    probability: float | None
    candidates: list[dict[str, Any]]


@dataclass
class Result:
    outcomes: list[Outcome]
    discrepancies: list[dict[str, Any]]
    engine: dict[str, Any] = field(default_factory=dict)


PERSON_FIELDS = ("so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh", "que_quan_xa", "que_quan_tinh",
                 "thuong_tru")


def reconcile(members: pa.Table, *, store: SnapshotStore, snapshot_id: int, progress: Progress | None = None,
              min_training_members: int = MIN_TRAINING_MEMBERS) -> Result:
    report = progress or (lambda done, total: None)
    timings: dict[str, float] = {}
    con = duckdb.connect()
    try:
        clock = _Clock(timings, report)
        install_macros(con)
        _normalize_members(con, members)
        clock.lap("normalize")
        exact_count = _pass_one(con, store, snapshot_id)
        clock.lap("pass1")
        rest = con.execute("SELECT count(*) FROM rest").fetchall()[0][0]
        _candidates(con, store, snapshot_id)
        clock.lap("candidates")
        engine: dict[str, Any] = {"members": len(members), "exact": exact_count, "pass2": rest}
        if con.execute("SELECT count(*) FROM pairs").fetchall()[0][0]:
            engine.update(_score(con, store.count(snapshot_id), rest >= min_training_members))
        else:
            gammas = ", ".join(f"NULL::INT AS gamma_{n}, NULL::DOUBLE AS mw_{n}" for n in model.COMPARISONS)
            con.execute("CREATE TABLE scored AS SELECT NULL::BIGINT AS member_key, NULL::VARCHAR AS pid, "
                        f"NULL::DOUBLE AS match_weight, {gammas} WHERE false")
        clock.lap("model")
        outcomes = bands.assign(con)
        clock.lap("bands")
        found = discrepancies.find(con)
        clock.lap("discrepancies")
        engine["timings"] = timings
        engine["bands"] = bands.RULE
        return Result(outcomes=[Outcome(**o) for o in outcomes], discrepancies=found, engine=engine)
    finally:
        con.close()


class _Clock:
    def __init__(self, timings: dict[str, float], report: Progress):
        self.timings, self.report, self.start, self.step = timings, report, time.perf_counter(), 0

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.start, 3)
        self.start = now
        self.step += 1
        self.report(self.step, STEPS)


def _normalize_members(con: Any, members: pa.Table) -> None:
    con.register("member_input", members)
    con.execute(f"CREATE TABLE m AS SELECT * FROM ({person_select('member_input')})")
    con.unregister("member_input")


def _fetch(con: Any, store: SnapshotStore, snapshot_id: int, table: str, column: str, values_sql: str) -> None:
    """Fetch the extract rows whose `column` is among the values the SQL lists, into `table`."""
    values = [row[0] for row in con.execute(f"SELECT DISTINCT v FROM ({values_sql}) WHERE v IS NOT NULL").fetchall()]
    con.register("fetched", store.fetch(snapshot_id, column, values))
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM fetched")
    con.unregister("fetched")


_EXACT_SQL = """
CREATE TABLE exact AS
SELECT m.member_id, p.citizen_id AS pid
FROM m JOIN p1 p ON p.citizen_id = m.citizen_id
WHERE (m.sex IS NULL OR p.sex IS NULL OR m.sex = p.sex)
  AND (
    -- the name agrees (diacritics, tone placement and a dropped middle name aside) and the birth
    -- date does not contradict it: equal, swapped, or only the year on record and that year
    ((m.name_folded = p.name_folded OR m.name_no_middle = p.name_no_middle)
     AND (m.birth_date = p.birth_date
          OR (m.birth_day = p.birth_month AND m.birth_month = p.birth_day AND m.birth_year = p.birth_year)
          OR (m.birth_date IS NULL AND m.birth_year = p.birth_year)))
    -- or the full birth date agrees (or is swapped) and the name is within two edits
    OR ((m.birth_date = p.birth_date
         OR (m.birth_day = p.birth_month AND m.birth_month = p.birth_day AND m.birth_year = p.birth_year))
        AND damerau_levenshtein(m.name_folded, p.name_folded) <= 2)
  )
"""


def _pass_one(con: Any, store: SnapshotStore, snapshot_id: int) -> int:
    _fetch(con, store, snapshot_id, "p1", "citizen_id", "SELECT citizen_id AS v FROM m")
    con.execute(_EXACT_SQL)
    con.execute("CREATE TABLE rest AS SELECT * FROM m WHERE member_id NOT IN (SELECT member_id FROM exact)")
    return con.execute("SELECT count(*) FROM exact").fetchall()[0][0]


_ID_VARIANTS_SQL = """
CREATE TABLE id_variants AS
WITH ids AS (SELECT member_id, citizen_id AS id FROM rest WHERE citizen_id IS NOT NULL)
SELECT member_id, id AS v FROM ids
UNION ALL  -- one digit wrong
SELECT member_id, substr(id, 1, i - 1) || d::VARCHAR || substr(id, i + 1)
FROM ids, range(1, 13) AS pos(i), range(0, 10) AS digit(d)
WHERE substr(id, i, 1) <> d::VARCHAR
UNION ALL  -- two adjacent digits swapped
SELECT member_id, substr(id, 1, i - 1) || substr(id, i + 1, 1) || substr(id, i, 1) || substr(id, i + 2)
FROM ids, range(1, 12) AS pos(i)
WHERE substr(id, i, 1) <> substr(id, i + 1, 1)
"""

_SWAPPED_DATE = ("CASE WHEN birth_day <= 12 AND birth_day <> birth_month THEN "
                 "try_cast(printf('%04d-%02d-%02d', birth_year, birth_day, birth_month) AS DATE) END")

# Member x candidate pairs, each kept by a rule that a noisy record of the same person still meets.
_PAIRS_SQL = f"""
CREATE TABLE pair_keys AS
SELECT DISTINCT member_id, pid FROM (
  SELECT v.member_id, p.citizen_id AS pid FROM id_variants v JOIN c_id p ON p.citizen_id = v.v
  UNION ALL
  SELECT m.member_id, p.citizen_id FROM rest m JOIN c_old p ON p.old_id = m.old_id
  UNION ALL
  SELECT m.member_id, p.citizen_id FROM rest m JOIN c_name p ON p.name_folded = m.name_folded
  WHERE m.birth_year IS NULL OR abs(m.birth_year - p.birth_year) <= 2
  UNION ALL
  SELECT m.member_id, p.citizen_id FROM rest m JOIN c_no_middle p ON p.name_no_middle = m.name_no_middle
  WHERE m.birth_year IS NULL OR abs(m.birth_year - p.birth_year) <= 2
  UNION ALL
  SELECT m.member_id, p.citizen_id FROM rest m JOIN c_date p
    ON p.birth_date = m.birth_date OR p.birth_date = {_SWAPPED_DATE.replace('birth_', 'm.birth_')}
  WHERE p.given_folded = m.given_folded OR p.family_folded = m.family_folded
     OR jaro_winkler_similarity(p.name_folded, m.name_folded) >= 0.85
  UNION ALL
  SELECT m.member_id, p.citizen_id FROM rest m JOIN c_given p ON p.given_folded = m.given_folded
  WHERE m.birth_date IS NULL AND p.birth_year = m.birth_year
    AND jaro_winkler_similarity(p.name_folded, m.name_folded) >= 0.85
) WHERE pid IS NOT NULL
"""


def _candidates(con: Any, store: SnapshotStore, snapshot_id: int) -> None:
    """Fetch what may be each remaining member's record, and pair them (table pairs)."""
    con.execute(_ID_VARIANTS_SQL)
    fetch = [
        ("c_id", "citizen_id", "SELECT v FROM id_variants"),
        ("c_old", "old_id", "SELECT old_id AS v FROM rest"),
        ("c_name", "name_folded", "SELECT name_folded AS v FROM rest WHERE name_folded <> ''"),
        ("c_no_middle", "name_no_middle", "SELECT name_no_middle AS v FROM rest WHERE name_no_middle <> ''"),
        ("c_date", "birth_date", f"SELECT birth_date AS v FROM rest UNION ALL SELECT {_SWAPPED_DATE} FROM rest"),
        ("c_given", "given_folded", "SELECT given_folded AS v FROM rest WHERE birth_date IS NULL "
                                    "AND given_folded <> ''"),
    ]
    for table, column, values_sql in fetch:
        _fetch(con, store, snapshot_id, table, column, values_sql)
    con.execute(_PAIRS_SQL)
    columns = ", ".join(PERSON_FIELDS + PERSON_COLUMNS)
    con.execute(f"""
        CREATE TABLE persons AS
        SELECT DISTINCT ON (citizen_id) {columns} FROM (
            SELECT {columns} FROM c_id UNION ALL SELECT {columns} FROM c_old
            UNION ALL SELECT {columns} FROM c_name UNION ALL SELECT {columns} FROM c_no_middle
            UNION ALL SELECT {columns} FROM c_date UNION ALL SELECT {columns} FROM c_given
            UNION ALL SELECT {columns} FROM p1
        ) WHERE citizen_id IS NOT NULL
    """)
    for table, _, _ in fetch:
        con.execute(f"DROP TABLE {table}")
    model_columns = ", ".join(model.COLUMNS)
    con.execute(f"""
        CREATE TABLE pairs AS
        SELECT row_number() OVER () AS uid, k.member_id AS member_key, p.citizen_id AS pid,
               {', '.join(f'p.{c}' for c in model.COLUMNS)}
        FROM pair_keys k JOIN persons p ON p.citizen_id = k.pid
    """)
    con.execute(f"""
        CREATE TABLE model_members AS
        SELECT member_id AS uid, member_id AS member_key, NULL::VARCHAR AS pid, {model_columns}
        FROM rest WHERE member_id IN (SELECT member_key FROM pairs)
    """)


def _score(con: Any, extract_rows: int, trained: bool) -> dict[str, Any]:
    prior = min(0.5, SHARE_PRESENT / max(extract_rows, 1))
    linker = model.linker(con, "model_members", "pairs", prior)
    info: dict[str, Any] = {"trained": trained, "prior_match": prior}
    if trained:
        info.update(model.train(linker))
    info["parameters"] = model.parameters(linker)
    table = model.score(linker)
    gammas = ", ".join(f"gamma_{name}, mw_{name}" for name in model.COMPARISONS)
    con.execute(f"""CREATE TABLE scored AS SELECT member_key_l AS member_key, coalesce(pid_l, pid_r) AS pid, match_weight, {gammas}
                    FROM {table}""")
    return info
