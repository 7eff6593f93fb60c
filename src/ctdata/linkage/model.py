"""The Splink model: comparisons, blocking rules, unsupervised training and prediction.

Comparisons are built only for the feature columns that are present, so a file
with names and dates of birth only is linked on exactly those. All string
comparisons run on the ASCII features of `features.py`, never on raw names.
Parameters are learnt without labels: u by random sampling, the prior from
near-certain rules, m by expectation maximisation on two blocking passes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ctdata.linkage.backends import Backend, sql_for
from ctdata.linkage.settings import LinkageSettings

log = logging.getLogger(__name__)


def _level(sql: str, label: str, *, null: bool = False, tf: str | None = None, tf_weight: float = 1.0) -> dict:
    lvl: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        lvl["is_null_level"] = True
    if tf:
        lvl["tf_adjustment_column"] = tf
        lvl["tf_adjustment_weight"] = tf_weight
    return lvl


def _else() -> dict:
    return {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"}


def name_comparison(cols: set[str], d: str) -> dict:
    """Names: exact, reordered, same variant keys, close spellings, same sound, one part agreeing."""
    jw = "jaro_winkler_similarity"
    parts = []
    if "given_var1" in cols:
        parts.append("given_var1_l = given_var1_r")
    if "family_var1" in cols:
        parts.append("family_var1_l = family_var1_r")
    if "given_var1" in cols and "family_var1" in cols:
        parts.append("given_var1_l = family_var1_r OR family_var1_l = given_var1_r")
    one_part = " OR ".join(f"({p})" for p in parts) or "FALSE"
    levels = [
        _level("name_full_l IS NULL OR name_full_r IS NULL", "no name", null=True),
        _level("name_full_l = name_full_r", "same name", tf="name_full"),
        _level("name_sorted_l = name_sorted_r", "same name, other order", tf="name_sorted"),
        _level("name_var_l = name_var_r", "same name variants (transliteration)", tf="name_var"),
        _level(sql_for(d, f"{jw}(name_var_l, name_var_r) >= 0.92"), "name variants JW >= 0.92"),
        _level("name_skel_l = name_skel_r OR name_dm_l = name_dm_r", "same sound or consonant skeleton"),
        _level(sql_for(d, f"({one_part}) AND {jw}(name_var_l, name_var_r) >= 0.75"),
               "one name part the same, rest similar"),
        _level(sql_for(d, f"({one_part}) OR {jw}(name_var_l, name_var_r) >= 0.88"),
               "one name part the same or similar"),
        _else(),
    ]
    return {"output_column_name": "name", "comparison_levels": levels,
            "comparison_description": "given and family names, transliterated"}


def dob_comparison(cols: set[str], d: str) -> dict:
    """Date of birth, respecting partial dates: '1990' agrees with '1990-05-12' at its own level."""
    levels = [
        _level("dob_y_l IS NULL OR dob_y_r IS NULL", "no date of birth", null=True),
        _level("dob_full_l = dob_full_r", "same full date of birth", tf="dob_full", tf_weight=0.5),
        _level("dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)",
               "same year and month, day unknown"),
        _level("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", "same year, rest unknown"),
        _level(
            sql_for(
                d,
                "(dob_full_l IS NOT NULL AND dob_full_r IS NOT NULL AND damerau_levenshtein(dob_full_l, dob_full_r)"
                " <= 1) OR (dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r) OR "
                "(abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND (dob_d_l = dob_d_r OR dob_d_l IS NULL "
                "OR dob_d_r IS NULL)) OR (abs(dob_y_l - dob_y_r) = 1 AND (dob_m_l IS NULL OR dob_m_r IS NULL))",
            ),
            "one slip (digit, day/month swap, year +-1)",
        ),
        _level("abs(dob_y_l - dob_y_r) <= 2", "within two years"),
        _else(),
    ]
    return {"output_column_name": "dob", "comparison_levels": levels, "comparison_description": "date of birth"}


def sex_comparison() -> dict:
    return {
        "output_column_name": "sex",
        "comparison_levels": [
            _level("sex_l IS NULL OR sex_r IS NULL", "sex unknown", null=True),
            _level("sex_l = sex_r", "same sex"),
            _else(),
        ],
    }


def citizenship_comparison(d: str) -> dict:
    return {
        "output_column_name": "citizenship",
        "comparison_levels": [
            _level("citizenship_l IS NULL OR citizenship_r IS NULL", "citizenship unknown", null=True),
            _level("citizenship_l = citizenship_r", "same citizenship(s)"),
            _level(sql_for(d, "list_has_any(citizenship_l, citizenship_r)"), "a citizenship in common"),
            _else(),
        ],
    }


def office_comparison(cols: set[str], d: str) -> dict:
    """Offices: a transfer or return between a destination and an origin office is strong evidence."""
    levels = [_level("office_country_l IS NULL OR office_country_r IS NULL", "office unknown", null=True)]
    if "referral_from_office" in cols:
        levels.append(
            _level(
                "(referral_from_office_l = office_country_r OR referral_from_office_r = office_country_l) "
                "AND office_country_l <> office_country_r",
                "one office referred or transferred to the other",
            )
        )
    if "agency" in cols:
        levels.append(_level("office_country_l = office_country_r AND agency_l = agency_r", "same office"))
        levels.append(_level("office_country_l = office_country_r", "same country, other agency"))
    else:
        levels.append(_level("office_country_l = office_country_r", "same office country"))
    if "citizenship" in cols:
        levels.append(
            _level(
                sql_for(d, "list_contains(citizenship_l, office_country_r) OR "
                           "list_contains(citizenship_r, office_country_l)"),
                "one office is in the other record's country of citizenship (a return)",
            )
        )
    levels.append(_else())
    return {"output_column_name": "office", "comparison_levels": levels,
            "comparison_description": "registering offices"}


def registration_comparison() -> dict:
    return {
        "output_column_name": "registration",
        "comparison_levels": [
            _level("reg_days_l IS NULL OR reg_days_r IS NULL", "registration date unknown", null=True),
            _level("abs(reg_days_l - reg_days_r) <= 30", "registered within 30 days"),
            _level("abs(reg_days_l - reg_days_r) <= 180", "within 6 months"),
            _level("abs(reg_days_l - reg_days_r) <= 730", "within 2 years"),
            _else(),
        ],
    }


def comparisons_for(cols: Iterable[str], dialect: str = "duckdb") -> list[dict]:
    cols = set(cols)
    out = []
    if "name_full" in cols:
        out.append(name_comparison(cols, dialect))
    if "dob_y" in cols:
        out.append(dob_comparison(cols, dialect))
    if "sex" in cols:
        out.append(sex_comparison())
    if "citizenship" in cols:
        out.append(citizenship_comparison(dialect))
    if "office_country" in cols:
        out.append(office_comparison(cols, dialect))
    if "reg_days" in cols:
        out.append(registration_comparison())
    return out


def default_blocking_rules(cols: Iterable[str]) -> list[str]:
    """Candidate pairs: each rule joins on a selective key, so pairs grow about linearly.

    Names agree on variant keys and birth year; or one name part and the full
    birth date (a typo in the other part); or both phonetic keys and the year;
    or the names and a transfer between the two offices (birth date missing).
    """
    c = set(cols)
    rules: list[str] = []
    names = "name_var" in c
    if names and "dob_y" in c:
        rules.append("l.name_var = r.name_var AND l.dob_y = r.dob_y")
    if "given_var1" in c and "dob_full" in c:
        rules.append("l.given_var1 = r.given_var1 AND l.dob_full = r.dob_full")
    if "family_var1" in c and "dob_full" in c:
        rules.append("l.family_var1 = r.family_var1 AND l.dob_full = r.dob_full")
    if "given_var1" in c and "family_var1" in c and "dob_full" in c:
        rules.append("l.given_var1 = r.family_var1 AND l.family_var1 = r.given_var1 AND l.dob_y = r.dob_y")
    if "given_dm1" in c and "family_dm1" in c and "dob_y" in c:
        rules.append("l.given_dm1 = r.given_dm1 AND l.family_dm1 = r.family_dm1 AND l.dob_y = r.dob_y")
    if names and "referral_from_office" in c and "office_country" in c:
        rules.append("l.name_var = r.name_var AND l.referral_from_office = r.office_country")
        rules.append("l.name_var = r.name_var AND l.office_country = r.referral_from_office")
    if names and "dob_y" in c and "sex" in c:
        # pairs where a date of birth is missing: same names, same sex, and one side has no year
        rules.append("l.name_var = r.name_var AND l.sex = r.sex AND (l.dob_y IS NULL OR r.dob_y IS NULL)")
    elif names and "dob_y" in c:
        rules.append("l.name_var = r.name_var AND (l.dob_y IS NULL OR r.dob_y IS NULL)")
    if names and "dob_y" not in c:
        rules.append("l.name_var = r.name_var")
        if "given_dm1" in c and "family_dm1" in c:
            rules.append("l.given_dm1 = r.given_dm1 AND l.family_dm1 = r.family_dm1")
    if not names and "dob_full" in c:
        rules.append("l.dob_full = r.dob_full")
    return rules


def default_em_rules(cols: Iterable[str]) -> list[str]:
    c = set(cols)
    rules = []
    if "dob_full" in c:
        rules.append("l.dob_full = r.dob_full")
    if "name_var" in c:
        rules.append("l.name_var = r.name_var")
    return rules


def deterministic_rules(cols: Iterable[str]) -> list[str]:
    c = set(cols)
    if "name_var" in c and "dob_full" in c:
        return ["l.name_var = r.name_var AND l.dob_full = r.dob_full"]
    if "name_var" in c and "dob_y" in c:
        return ["l.name_var = r.name_var AND l.dob_y = r.dob_y"]
    if "name_var" in c:
        return ["l.name_full = r.name_full"]
    return ["l.dob_full = r.dob_full"] if "dob_full" in c else []


def splink_settings(cols: Iterable[str], settings: LinkageSettings, dialect: str = "duckdb") -> dict:
    cols = list(cols)
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_key",
        "comparisons": comparisons_for(cols, dialect),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": r} for r in (settings.blocking_rules or default_blocking_rules(cols))
        ],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
        "probability_two_random_records_match": 1e-5,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


def build_linker(backend: Backend, features: pd.DataFrame, settings: LinkageSettings) -> Any:
    from splink import Linker

    cols = [c for c in features.columns if c != "record_key"]
    sdf = backend.register(features)
    return Linker(sdf, splink_settings(cols, settings, backend.dialect), log_level=logging.WARNING)


def train(linker: Any, cols: Iterable[str], settings: LinkageSettings) -> None:
    """Unsupervised estimation: prior, u by random sampling, m by EM on two passes."""
    cols = list(cols)
    det = deterministic_rules(cols)
    if det:
        try:
            linker.training.estimate_probability_two_random_records_match(det, recall=settings.prior_recall)
        except ValueError as exc:  # too few records for the assumed recall
            log.warning("prior estimate skipped: %s", exc)
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed)
    for rule in settings.em_blocking_rules or default_em_rules(cols):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=settings.em_max_pairs
        )


def predict(linker: Any, floor: float) -> pd.DataFrame:
    """Scored candidate pairs at or above `floor`, as pandas (record_key_l, record_key_r, weight, probability)."""
    sdf = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    sql = (
        f"SELECT record_key_l, record_key_r, match_weight, match_probability FROM {sdf.physical_name}"
    )
    out = linker.misc.query_sql(sql, output_type="pandas")
    return out
