"""The matching engine: members (an arrow table from sides.member_table) against one snapshot of the
population extract, read through the snapshot store's `fetch`. Everything runs on one in-memory
DuckDB connection; the member side is normalized by the same macros as the extract at load.

Pass 1 (SQL, no model): a member whose well-formed citizen ID is in the extract and who agrees with
that person on the name or the birth date, contradicting them on neither, is an exact match. A
one-digit typo can hit another real person: the ID structure then makes them share province, sex
and birth year, so a birth year alone is never agreement.

Pass 2 (only the rest): the extract's keys are scanned once into the connection and each member is
paired with the persons who share what a noisy record still shares with its person (the citizen
ID's one-digit variants and adjacent transpositions, the old CMND, the folded name or the name
without its middle part with the birth year, the name with day and month, the birth date or its
day/month swap with the given name or the family name and a similar name, the given name and year
with a similar name); the persons paired are fetched whole, scored by model.py, and put in bands
(bands.py). Blocking keys are pairs of columns: a common name alone matches thousands of people.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
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

    def scan(self, snapshot_id: int, columns: Any, *, ordered: bool = True) -> Iterator[pa.RecordBatch]: ...

    def scan_into(self, con: Any, snapshot_id: int, columns: Any, table: str) -> None: ...


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
        if os.environ.get("DANGVIEN_RECONCILE_TRACE"):
            print(f"{name}: {now - self.start:.1f} s", file=sys.stderr, flush=True)
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

# The extract's keys, scanned once into the connection: blocking joins on several columns at once
# (a common name alone matches thousands of people; a name and a birth year a handful).
KEY_COLUMNS = ("citizen_id", "old_id", "name_folded", "name_no_middle", "family_folded", "given_folded",
               "birth_date", "birth_year", "birth_month", "birth_day", "sex", "hometown_commune", "hometown_province")

# Member x candidate pairs, each kept by a rule that a noisy record of the same person still meets.
_PAIRS_SQL = f"""
CREATE TABLE pair_keys AS
WITH m AS (SELECT *, {_SWAPPED_DATE} AS swapped_date FROM rest)
SELECT DISTINCT member_id, pid FROM (
  -- the citizen ID, one digit wrong or two adjacent digits swapped
  SELECT v.member_id, k.citizen_id AS pid FROM id_variants v JOIN k ON k.citizen_id = v.v
  UNION ALL  -- the old CMND
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.old_id = m.old_id
  UNION ALL  -- the name up to diacritics and tone, the birth year
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.name_folded = m.name_folded AND k.birth_year = m.birth_year
  UNION ALL  -- the name without its middle part, the birth year
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.name_no_middle = m.name_no_middle AND k.birth_year = m.birth_year
  UNION ALL  -- the name, day and month of birth (the year mistyped)
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.name_folded = m.name_folded
    AND k.birth_month = m.birth_month AND k.birth_day = m.birth_day
  UNION ALL  -- the birth date (or its day/month swap) and the given name (typos elsewhere in the name)
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.given_folded = m.given_folded AND k.birth_date = m.birth_date
  UNION ALL
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.given_folded = m.given_folded AND k.birth_date = m.swapped_date
  UNION ALL  -- the birth date and the family name, the given name similar (a typo in it)
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.family_folded = m.family_folded AND k.birth_date = m.birth_date
  WHERE jaro_winkler_similarity(k.name_folded, m.name_folded) >= 0.85
  UNION ALL
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.family_folded = m.family_folded AND k.birth_date = m.swapped_date
  WHERE jaro_winkler_similarity(k.name_folded, m.name_folded) >= 0.85
  UNION ALL  -- only the year on record: the given name and year, the whole name similar
  SELECT m.member_id, k.citizen_id FROM m JOIN k ON k.given_folded = m.given_folded AND k.birth_year = m.birth_year
  WHERE m.birth_date IS NULL AND jaro_winkler_similarity(k.name_folded, m.name_folded) >= 0.9
) WHERE pid IS NOT NULL
"""


# At most this many candidates a member go to the model, the likeliest by a cheap agreement count
# (a common name born in a common year has dozens of namesakes; the model needs the few that also
# agree on the rest).
MAX_CANDIDATES = 12

_KEEP_BEST_SQL = f"""
CREATE OR REPLACE TABLE pair_keys AS
SELECT member_id, pid FROM (
  SELECT p.member_id, p.pid, row_number() OVER (PARTITION BY p.member_id ORDER BY
      coalesce((k.citizen_id = m.citizen_id)::INT, 0) * 4 + coalesce((hamming(k.citizen_id, m.citizen_id) <= 2)::INT, 0) * 2
      + coalesce((k.old_id = m.old_id)::INT, 0) * 4 + coalesce((k.name_folded = m.name_folded)::INT, 0) * 2
      + coalesce((k.name_no_middle = m.name_no_middle)::INT, 0) + coalesce((k.birth_date = m.birth_date)::INT, 0) * 2
      + coalesce((k.birth_year = m.birth_year)::INT, 0) + coalesce((k.birth_month = m.birth_month AND k.birth_day = m.birth_day)::INT, 0)
      + coalesce((k.hometown_commune = m.hometown_commune AND k.hometown_commune <> '')::INT, 0) * 2
      + coalesce((k.hometown_province = m.hometown_province)::INT, 0) + coalesce((k.sex = m.sex)::INT, 0) DESC NULLS LAST,
      jaro_winkler_similarity(k.name_folded, m.name_folded) DESC, p.pid) AS rank
  FROM pair_keys p JOIN rest m ON m.member_id = p.member_id JOIN k ON k.citizen_id = p.pid
) WHERE rank <= {MAX_CANDIDATES}
"""


def _candidates(con: Any, store: SnapshotStore, snapshot_id: int) -> None:
    """Pair each remaining member with what may be their record (table pairs), from the extract's
    keys (one scan), then fetch the full rows of the persons paired (by citizen ID)."""
    con.execute(_ID_VARIANTS_SQL)
    store.scan_into(con, snapshot_id, KEY_COLUMNS, "k")
    _trace(con, "k")
    con.execute(_PAIRS_SQL)
    _trace(con, "pair_keys")
    con.execute(_KEEP_BEST_SQL)
    _trace(con, "pair_keys")
    con.execute("DROP TABLE k")
    _fetch(con, store, snapshot_id, "c_pairs", "citizen_id", "SELECT pid AS v FROM pair_keys")
    columns = ", ".join(PERSON_FIELDS + PERSON_COLUMNS)
    con.execute(f"""
        CREATE TABLE persons AS
        SELECT DISTINCT ON (citizen_id) {columns} FROM (
            SELECT {columns} FROM c_pairs UNION ALL SELECT {columns} FROM p1
        ) WHERE citizen_id IS NOT NULL
    """)
    con.execute("DROP TABLE c_pairs")
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


def _trace(con: Any, table: str) -> None:
    if os.environ.get("DANGVIEN_RECONCILE_TRACE"):
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        print(f"  {table}: {rows:,} rows", file=sys.stderr, flush=True)


_EXACT_PAIRS_SQL = """
CREATE TABLE exact_pairs AS
SELECT {columns} FROM exact e JOIN m ON m.member_id = e.member_id JOIN p1 p ON p.citizen_id = e.pid
"""


def _score(con: Any, extract_rows: int, trained: bool) -> dict[str, Any]:
    prior = min(0.5, SHARE_PRESENT / max(extract_rows, 1))
    learnt = None
    if trained:
        columns = ", ".join(f"m.{c} AS {c}_l, p.{c} AS {c}_r" for c in model.COLUMNS)
        con.execute(_EXACT_PAIRS_SQL.format(columns=columns))
        learnt = model.m_from_pairs(con, "exact_pairs")
        con.execute("DROP TABLE exact_pairs")
    linker = model.linker(con, "model_members", "pairs", prior, learnt)
    if trained:
        model.train_u(linker)
    info: dict[str, Any] = {"trained": trained, "m_learnt_from_exact": sorted(learnt or {}), "prior_match": prior}
    info["parameters"] = model.parameters(linker)
    table = model.score(linker)
    gammas = ", ".join(f"gamma_{name}, mw_{name}" for name in model.COMPARISONS)
    con.execute(f"""CREATE TABLE scored AS SELECT member_key_l AS member_key, coalesce(pid_l, pid_r) AS pid, match_weight, {gammas}
                    FROM {table}""")
    return info
