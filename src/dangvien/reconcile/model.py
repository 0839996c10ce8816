"""Pass 2's model: a Fellegi-Sunter model (Splink 5 on DuckDB) that scores a member against each of
their candidates from the extract, field by field.

Comparisons (member columns end in _l, the extract's in _r):
- name: exact; equal but for case and tone placement (Hoà = Hòa); equal without diacritics; middle
  name dropped; one or two edits; similar (Jaro-Winkler); else;
- birth: exact; day and month swapped; only the year on one side; one of day and month differs;
  a year apart; else;
- sex; hometown across the 2025 mergers (both sides mapped to the new units: commune and
  province, province only); citizen ID (equal, one digit wrong, two adjacent digits swapped);
  old CMND number.

The m and u probabilities below are the priors: what a field does for a true pair (m) and for two
different people (u). They are trained without labels when the run is big enough: m of the name,
birth date, sex and hometown levels from pass 1's exact pairs (records of one person each, with the
registry's own noise on them: the model learns this registry's error rates), u by random sampling
of member x candidate pairs. The identifiers' m stays the prior (they agree on every exact pair).
Expectation maximisation over the candidate pairs was tried and rejected: the blocked pairs are
dominated by namesakes born a year apart, and EM took them for the match class.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.comparison_library import CustomComparison

NULL = "null"


def _level(sql: str, label: str, m: float, u: float) -> Any:
    return cll.CustomLevel(sql, label_for_charts=label).configure(m_probability=m, u_probability=u)


def _null(sql: str) -> Any:
    return cll.CustomLevel(sql, label_for_charts=NULL).configure(is_null_level=True)


def _else(m: float, u: float) -> Any:
    return cll.ElseLevel().configure(m_probability=m, u_probability=u)


# Each level: (label, SQL condition, m prior, u prior). Labels go into the review page's weights.
NAME_LEVELS = [
    ("exact", "name_nfc_l = name_nfc_r", 0.75, 3e-4),
    ("tone", "name_tone_l = name_tone_r", 0.03, 1e-5),
    ("no_diacritics", "name_folded_l = name_folded_r", 0.08, 2e-4),
    ("no_middle_name", "name_no_middle_l = name_no_middle_r", 0.04, 3e-4),
    ("typo", "damerau_levenshtein(name_folded_l, name_folded_r) <= 2", 0.06, 1e-3),
    ("similar", "jaro_winkler_similarity(name_folded_l, name_folded_r) >= 0.88", 0.02, 2e-2),
]
BIRTH_LEVELS = [
    ("exact", "birth_date_l = birth_date_r", 0.85, 5e-5),
    ("day_month_swapped", "birth_day_l = birth_month_r AND birth_month_l = birth_day_r "
                          "AND birth_year_l = birth_year_r", 0.03, 3e-5),
    ("year_only", "(birth_date_l IS NULL OR birth_date_r IS NULL) AND birth_year_l = birth_year_r", 0.06, 1e-3),
    ("day_or_month", "birth_year_l = birth_year_r AND (birth_day_l = birth_day_r OR birth_month_l = birth_month_r)",
     0.02, 2e-3),
    ("year_apart", "abs(birth_year_l - birth_year_r) <= 1", 0.02, 3e-2),
]
SEX_LEVELS = [("equal", "sex_l = sex_r", 0.98, 0.5)]
HOMETOWN_LEVELS = [
    ("commune", "hometown_commune_l <> '' AND hometown_commune_l = hometown_commune_r "
                "AND hometown_province_l = hometown_province_r", 0.7, 3e-3),
    ("province", "hometown_province_l = hometown_province_r", 0.2, 0.1),
]
ID_LEVELS = [
    ("equal", "citizen_id_l = citizen_id_r", 0.6, 1e-7),
    ("one_digit", "hamming(citizen_id_l, citizen_id_r) = 1", 0.3, 1e-5),
    ("adjacent_swap", "damerau_levenshtein(citizen_id_l, citizen_id_r) = 1", 0.05, 1e-6),
]
OLD_ID_LEVELS = [("equal", "old_id_l = old_id_r", 0.9, 1e-7)]

# Comparison name -> (null condition, levels, else m, else u).
COMPARISONS: dict[str, tuple[str, list[tuple[str, str, float, float]], float, float]] = {
    "name": ("name_folded_l = '' OR name_folded_r = '' OR name_folded_l IS NULL OR name_folded_r IS NULL",
             NAME_LEVELS, 0.02, 0.97),
    "birth": ("birth_year_l IS NULL OR birth_year_r IS NULL", BIRTH_LEVELS, 0.02, 0.96),
    "sex": ("sex_l IS NULL OR sex_r IS NULL", SEX_LEVELS, 0.02, 0.5),
    "hometown": ("hometown_province_l = '' OR hometown_province_r = '' "
                 "OR hometown_province_l IS NULL OR hometown_province_r IS NULL", HOMETOWN_LEVELS, 0.1, 0.9),
    "id_number": ("citizen_id_l IS NULL OR citizen_id_r IS NULL", ID_LEVELS, 0.05, 1.0),
    "old_number": ("old_id_l IS NULL OR old_id_r IS NULL", OLD_ID_LEVELS, 0.1, 1.0),
}
COLUMNS = ("name_nfc", "name_tone", "name_folded", "name_no_middle", "birth_date", "birth_year", "birth_month",
           "birth_day", "sex", "hometown_commune", "hometown_province", "citizen_id", "old_id")


def level_labels(comparison: str) -> list[str]:
    """Labels by Splink's comparison vector value (gamma): -1 null, then the levels from the most
    different (0, else) to the most alike."""
    _, levels, _, _ = COMPARISONS[comparison]
    return ["else", *reversed([label for label, *_ in levels])]


def _comparison(name: str, learnt: dict[str, float] | None) -> CustomComparison:
    null, levels, else_m, else_u = COMPARISONS[name]
    m_of = learnt or {}
    return CustomComparison(
        output_column_name=name,
        comparison_levels=[_null(null), *(_level(sql, label, m_of.get(label, m), u) for label, sql, m, u in levels),
                           _else(m_of.get("else", else_m), else_u)])


def gamma_sql(name: str) -> str:
    """Splink's comparison vector value of one comparison as a SQL CASE (-1 null, 0 else, then up)."""
    null, levels, _, _ = COMPARISONS[name]
    whens = "".join(f" WHEN {sql} THEN {len(levels) - i}" for i, (_, sql, _, _) in enumerate(levels))
    return f"CASE WHEN {null} THEN -1{whens} ELSE 0 END"


# Comparisons whose m is learnt from pass 1's exact pairs; the identifiers agree on every exact
# pair by construction, so their m stays the prior.
LEARNT_FROM_EXACT = ("name", "birth", "sex", "hometown")
M_FLOOR = 1e-3  # a level never seen among the exact pairs is rare, not impossible


def m_from_pairs(con: Any, pairs: str) -> dict[str, dict[str, float]]:
    """m of every level of LEARNT_FROM_EXACT: the share of the pairs (a table of col_l, col_r
    columns, all one person each) that fall in it, nulls left out."""
    learnt: dict[str, dict[str, float]] = {}
    for name in LEARNT_FROM_EXACT:
        counts = dict(con.execute(f"SELECT {gamma_sql(name)} AS g, count(*) FROM {pairs} GROUP BY g").fetchall())
        total = sum(n for g, n in counts.items() if g >= 0)
        if total < MIN_LEARNING_PAIRS:
            continue
        labels = level_labels(name)
        learnt[name] = {labels[g]: max(counts.get(g, 0) / total, M_FLOOR) for g in range(len(labels))}
    return learnt


MIN_LEARNING_PAIRS = 1_000


def settings(prior_match: float, learnt: dict[str, dict[str, float]] | None = None) -> SettingsCreator:
    """The model for member (left) x candidate (right) tables sharing `member_key`: only a member's
    own candidates are compared. prior_match: the chance that a member and one extract row picked
    at random are the same person (about the share of members in the extract over its size)."""
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=[_comparison(name, (learnt or {}).get(name)) for name in COMPARISONS],
        blocking_rules_to_generate_predictions=[block_on("member_key")],
        probability_two_random_records_match=prior_match,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # the gamma (level) columns come with it
        additional_columns_to_retain=["member_key", "pid"],
        max_iterations=20,
    )


def linker(con: Any, members: str, candidates: str, prior_match: float,
           learnt: dict[str, dict[str, float]] | None = None) -> Linker:
    db_api = DuckDBAPI(connection=con)
    left = db_api.register(members, dataset_display_name="members")
    right = db_api.register(candidates, dataset_display_name="candidates")
    return Linker([left, right], settings(prior_match, learnt), log_level=None)


# Pairs sampled for each training step: enough for every level's frequency, and a few seconds.
TRAINING_PAIRS = 3e5


def train_u(model: Linker, *, seed: int = 9) -> None:
    """u from random member x candidate pairs (almost all two different people)."""
    model.training.estimate_u_using_random_sampling(max_pairs=TRAINING_PAIRS, seed=seed)


def parameters(model: Linker) -> dict[str, list[dict[str, Any]]]:
    """m, u and the match weight of every level, for the run's record."""
    out: dict[str, list[dict[str, Any]]] = {}
    for comparison in model._settings_obj.comparisons:
        out[comparison.output_column_name] = [
            {"label": level.label_for_charts, "m": level.m_probability, "u": level.u_probability}
            for level in comparison.comparison_levels if not level.is_null_level]
    return out


def score(model: Linker) -> str:
    """Score every member x candidate pair; returns the physical table name holding, per pair,
    member_key, pid, match_weight, and gamma_/bf_ columns of every comparison."""
    return model.inference.predict().physical_name
