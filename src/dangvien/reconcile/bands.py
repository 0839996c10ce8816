"""Bands from pass 2's scores, and the candidates kept for the review page.

The model's match weight of a pair (log2 of prior odds times the fields' Bayes factors) says how
much likelier the pair is one person than two. A member has several candidates, and at most one is
their record: the probability that candidate i is the member's record is

    P_i = 2^w_i / (1 + sum_j 2^w_j)

(the 1 is the hypothesis that none of them is: the member may be missing from the extract). It is
calibrated the way the model is, and it falls by itself when a second candidate is as good.

The rule (RULE, recorded on every run):
- auto: P_best >= 0.999 AND the best is at least 10 bits (1024 times likelier) ahead of the
  second AND the best agrees on the name at least up to two edits AND on the birth date at least
  up to its year; the model proposes, but a link made with no one looking needs name and birth
  date evidence of its own, whatever an identifier says;
- review: P_best >= 0.05 (candidates kept, best first, with per-field weights);
- none: the rest (the few best candidates are kept all the same).
"""

from __future__ import annotations

from typing import Any

from dangvien.reconcile import model
from dangvien.reconcile.models import Band

AUTO_PROBABILITY = 0.999
AUTO_GAP_BITS = 10.0
REVIEW_PROBABILITY = 0.05
KEPT = {Band.AUTO: 3, Band.REVIEW: 5, Band.NONE: 3}
# Levels that count as evidence of their own for an automatic link (labels of model.py).
AUTO_NAME_LEVELS = ("exact", "tone", "no_diacritics", "no_middle_name", "typo")
AUTO_BIRTH_LEVELS = ("exact", "day_month_swapped", "year_only", "day_or_month")

RULE = {"auto_probability": AUTO_PROBABILITY, "auto_gap_bits": AUTO_GAP_BITS,
        "review_probability": REVIEW_PROBABILITY, "auto_name_levels": list(AUTO_NAME_LEVELS),
        "auto_birth_levels": list(AUTO_BIRTH_LEVELS)}

PERSON_FIELDS = ("so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh", "que_quan_xa", "que_quan_tinh",
                 "thuong_tru")


def _gammas(comparison: str, labels: tuple[str, ...]) -> str:
    all_labels = model.level_labels(comparison)
    return ", ".join(str(all_labels.index(label)) for label in labels)


_RANKED_SQL = """
CREATE TABLE ranked AS
WITH s AS (SELECT *, max(match_weight) OVER w AS top FROM scored WINDOW w AS (PARTITION BY member_key))
SELECT *,
       pow(2, match_weight - top) / (pow(2, -top) + sum(pow(2, match_weight - top)) OVER w) AS probability,
       row_number() OVER (PARTITION BY member_key ORDER BY match_weight DESC, pid) AS rank,
       lead(match_weight) OVER (PARTITION BY member_key ORDER BY match_weight DESC, pid) AS next_weight
FROM s WINDOW w AS (PARTITION BY member_key)
"""


def assign(con: Any) -> list[dict[str, Any]]:
    """One outcome per member (dicts for matching.Outcome), and the table `linked` (member_id, pid,
    band) of the members linked to a person without review (exact and auto)."""
    con.execute(_RANKED_SQL)
    con.execute(f"""
        CREATE TABLE best AS
        SELECT member_key AS member_id, pid, probability,
               CASE WHEN probability >= {AUTO_PROBABILITY}
                         AND match_weight - coalesce(next_weight, -1e9) >= {AUTO_GAP_BITS}
                         AND gamma_name IN ({_gammas('name', AUTO_NAME_LEVELS)})
                         AND gamma_birth IN ({_gammas('birth', AUTO_BIRTH_LEVELS)}) THEN '{Band.AUTO}'
                    WHEN probability >= {REVIEW_PROBABILITY} THEN '{Band.REVIEW}'
                    ELSE '{Band.NONE}' END AS band
        FROM ranked WHERE rank = 1
    """)
    con.execute(f"""
        CREATE TABLE linked AS
        SELECT member_id, pid, '{Band.EXACT}' AS band FROM exact
        UNION ALL SELECT member_id, pid, band FROM best WHERE band = '{Band.AUTO}'
    """)
    candidates = _candidates(con)
    outcomes = [
        {"member_id": member_id, "band": Band.EXACT, "so_dinh_danh": pid, "probability": 1.0,
         "candidates": [{"so_dinh_danh": pid, "probability": 1.0, "match_weight": None, "person": person,
                         "weights": {}}]}
        for member_id, pid, person in _exact_persons(con)]
    best = {row[0]: row[1:] for row in con.execute("SELECT member_id, pid, probability, band FROM best").fetchall()}
    for (member_id,) in con.execute("SELECT member_id FROM rest ORDER BY member_id").fetchall():
        pid, probability, band = best.get(member_id, (None, None, Band.NONE))
        kept = candidates.get(member_id, [])[:KEPT[band]]
        outcomes.append({"member_id": member_id, "band": band, "so_dinh_danh": pid if band == Band.AUTO else None,
                         "probability": probability, "candidates": kept})
    return outcomes


def _person(row: tuple) -> dict[str, Any]:
    return {name: value for name, value in zip(PERSON_FIELDS, row, strict=True)}


def _exact_persons(con: Any) -> list[tuple[int, str, dict[str, Any]]]:
    rows = con.execute(f"""
        SELECT e.member_id, e.pid, {', '.join(f'p.{f}' for f in PERSON_FIELDS)}
        FROM exact e JOIN p1 p ON p.citizen_id = e.pid ORDER BY e.member_id
    """).fetchall()
    return [(row[0], row[1], _person(row[2:])) for row in rows]


def _candidates(con: Any) -> dict[int, list[dict[str, Any]]]:
    """The best candidates of every pass-2 member, best first, with each field's match weight and
    level (the review page shows them side by side)."""
    most = max(KEPT.values())
    names = list(model.COMPARISONS)
    rows = con.execute(f"""
        SELECT r.member_key, r.pid, r.probability, r.match_weight,
               {', '.join(f'r.gamma_{n}, r.mw_{n}' for n in names)},
               {', '.join(f'p.{f}' for f in PERSON_FIELDS)}
        FROM ranked r JOIN persons p ON p.citizen_id = r.pid
        WHERE r.rank <= {most} ORDER BY r.member_key, r.rank
    """).fetchall()
    labels = {n: model.level_labels(n) for n in names}
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        member_id, pid, probability, weight = row[:4]
        fields = row[4:4 + 2 * len(names)]
        weights = {}
        for i, name in enumerate(names):
            gamma, weight_of_field = fields[2 * i], fields[2 * i + 1]
            weights[name] = {"level": model.NULL if gamma < 0 else labels[name][gamma],
                             "weight": round(weight_of_field, 2)}
        out.setdefault(member_id, []).append({
            "so_dinh_danh": pid, "probability": probability, "match_weight": round(weight, 2),
            "person": _person(row[4 + 2 * len(names):]), "weights": weights})
    return out
