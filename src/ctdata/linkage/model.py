"""The Splink model: comparisons, blocking rules, unsupervised training and prediction.

Comparisons are built only for the feature columns that are present, so a file
with names and dates of birth only is linked on exactly those. All string
comparisons run on the ASCII features of `features.py`, never on raw names.
Parameters are learnt without labels: u by random sampling, the prior from
near-certain rules, m by expectation maximisation on two blocking passes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ctdata.linkage.backends import ROW_ID, Backend, sql_for
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
        _level(
            sql_for(d, f"{jw}(name_var_l, name_var_r) >= 0.92 OR {jw}(name_var_ord_l, name_var_ord_r) >= 0.92"),
            "name variants JW >= 0.92",
        ),
        _level(
            sql_for(d, f"name_dm_l = name_dm_r AND {jw}(name_var_l, name_var_r) >= 0.8"),
            "same sound",
        ),
        _level(
            sql_for(
                d,
                f"name_skel_l = name_skel_r AND ({jw}(name_var_l, name_var_r) >= 0.7 OR length(name_skel_l) >= 5)",
            ),
            "same consonant skeleton",
        ),
        *(
            [_level("name_loose_l = name_loose_r", "same letters once romanisation and splits are folded")]
            if "name_loose" in cols
            else []
        ),
        _level(
            sql_for(d, f"({one_part}) AND {jw}(name_var_l, name_var_r) >= 0.75"),
            "one name part the same, rest similar",
        ),
        _level(
            sql_for(d, f"{jw}(name_skel_l, name_skel_r) >= 0.88"),
            "consonant skeletons similar (a name written in another script)",
        ),
        _level(
            sql_for(d, f"({one_part}) OR {jw}(name_var_l, name_var_r) >= 0.8"),
            "one name part the same or similar",
        ),
        _else(),
    ]
    return {
        "output_column_name": "name",
        "comparison_levels": levels,
        "comparison_description": "given and family names, transliterated",
    }


def dob_comparison(cols: set[str], d: str) -> dict:
    """Date of birth, respecting partial dates: '1990' agrees with '1990-05-12' at its own level."""
    levels = [
        _level("dob_y_l IS NULL OR dob_y_r IS NULL", "no date of birth", null=True),
        _level("dob_full_l = dob_full_r", "same full date of birth", tf="dob_full", tf_weight=0.5),
        _level(
            "dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)",
            "same year and month, day unknown",
        ),
        _level("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", "same year, rest unknown"),
        _level(
            sql_for(
                d,
                "(dob_full_l IS NOT NULL AND dob_full_r IS NOT NULL"
                " AND damerau_levenshtein(dob_full_l, dob_full_r) <= 1) OR "
                "(dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r) OR "
                "(abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND (dob_d_l = dob_d_r OR dob_d_l IS NULL "
                "OR dob_d_r IS NULL)) OR "
                "(abs(dob_y_l - dob_y_r) = 1 AND (dob_m_l IS NULL OR dob_m_r IS NULL))",
            ),
            "one slip (digit, day/month swap, year +-1)",
        ),
        _level("abs(dob_y_l - dob_y_r) <= 2", "within two years"),
        _else(),
    ]
    return {
        "output_column_name": "dob",
        "comparison_levels": levels,
        "comparison_description": "date of birth",
    }


def age_comparison(cols: set[str]) -> dict:
    """Approximate birth years (from age at registration) where a date of birth is missing on a side."""
    both_dob = " OR (dob_y_l IS NOT NULL AND dob_y_r IS NOT NULL)" if "dob_y" in cols else ""
    overlap = "by_lo_l <= by_hi_r + {k} AND by_lo_r <= by_hi_l + {k}"
    return {
        "output_column_name": "age",
        "comparison_levels": [
            _level(
                f"by_lo_l IS NULL OR by_lo_r IS NULL{both_dob}",
                "no age, or both have a birth date",
                null=True,
            ),
            _level(
                overlap.format(k=0) + " AND by_hi_l - by_lo_l <= 2 AND by_hi_r - by_lo_r <= 2",
                "birth years agree (from age at registration)",
            ),
            _level(overlap.format(k=1), "birth year ranges overlap"),
            _level(overlap.format(k=3), "within three years"),
            _else(),
        ],
        "comparison_description": "birth year estimated from age at registration",
    }


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
                sql_for(
                    d,
                    "list_contains(citizenship_l, office_country_r) OR list_contains(citizenship_r, office_country_l)",
                ),
                "one office is in the other record's country of citizenship (a return)",
            )
        )
    levels.append(_else())
    return {
        "output_column_name": "office",
        "comparison_levels": levels,
        "comparison_description": "registering offices",
    }


def document_comparison() -> dict:
    """Identity document key (a keyed hash: equality is all it can tell). Different keys are weak evidence
    against, since offices note other documents or mistype a digit."""
    return {
        "output_column_name": "document",
        "comparison_levels": [
            _level("doc_key_l IS NULL OR doc_key_r IS NULL", "document unknown", null=True),
            _level("doc_key_l = doc_key_r", "same identity document"),
            _else(),
        ],
        "comparison_description": "identity document (keyed hash)",
    }


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


def exploitation_comparison(cols: set[str]) -> dict:
    """Country and start of exploitation: one journey, so one person's records mostly agree on both,
    while namesakes (same culture, same corridors) share the country far more often than the start."""
    has_start = "exp_start" in cols
    has_country = "exp_country" in cols
    null = []
    if has_country:
        null.append("exp_country_l IS NULL OR exp_country_r IS NULL")
    if has_start:
        null.append("exp_y_l IS NULL OR exp_y_r IS NULL")
    same_c = "exp_country_l = exp_country_r" if has_country else "TRUE"
    levels = [_level(" AND ".join(f"({x})" for x in null), "exploitation unknown", null=True)]
    if has_start:
        levels.append(
            _level(
                f"{same_c} AND length(exp_start_l) >= 7 AND exp_start_l = exp_start_r",
                "same exploitation start (month or day)",
            )
        )
        levels.append(
            _level(
                f"{same_c} AND exp_y_l = exp_y_r AND (length(exp_start_l) = 4 OR length(exp_start_r) = 4"
                " OR substr(exp_start_l, 1, 7) = substr(exp_start_r, 1, 7))",
                "same start year, finer parts unknown or agreeing",
            )
        )
        levels.append(_level(f"{same_c} AND abs(exp_y_l - exp_y_r) <= 1", "start within a year"))
    if has_country:
        levels.append(_level("exp_country_l = exp_country_r", "same country of exploitation"))
    levels.append(_else())
    return {
        "output_column_name": "exploitation",
        "comparison_levels": levels,
        "comparison_description": "country and start of exploitation",
    }


def comparisons_for(cols: Iterable[str], dialect: str = "duckdb") -> list[dict]:
    cols = set(cols)
    out = []
    if "name_full" in cols:
        out.append(name_comparison(cols, dialect))
    if "dob_y" in cols:
        out.append(dob_comparison(cols, dialect))
    if "by_lo" in cols:
        out.append(age_comparison(cols))
    if "sex" in cols:
        out.append(sex_comparison())
    if "citizenship" in cols:
        out.append(citizenship_comparison(dialect))
    if "office_country" in cols:
        out.append(office_comparison(cols, dialect))
    if "reg_days" in cols:
        out.append(registration_comparison())
    if "doc_key" in cols:
        out.append(document_comparison())
    if "exp_country" in cols or "exp_y" in cols:
        out.append(exploitation_comparison(cols))
    return out


def default_blocking_rules(cols: Iterable[str]) -> list[str]:
    """Candidate pairs: each rule joins on a selective key, so pairs grow about linearly.

    Names agree (as variant keys, sounds or consonant skeletons) with the birth
    year; or one name token and the full birth date (a typo in the other);
    or the names and a transfer between the two offices; or, where one side
    has no date of birth, the names and the sex. Name tokens are sorted, so
    swapped given and family names block together.
    """
    c = set(cols)
    rules: list[str] = []
    names = "name_var" in c
    if names and "dob_y" in c:
        rules.append("l.name_var = r.name_var AND l.dob_y = r.dob_y")
        rules.append("l.name_dm = r.name_dm AND l.dob_y = r.dob_y")
        rules.append("l.name_skel = r.name_skel AND l.dob_y = r.dob_y")
    if names and "dob_full" in c:
        rules.append("l.tok_a = r.tok_a AND l.dob_full = r.dob_full")
        rules.append("l.tok_b = r.tok_b AND l.dob_full = r.dob_full")
        rules.append("l.tok_a = r.tok_b AND l.dob_full = r.dob_full")
        rules.append("l.tok_b = r.tok_a AND l.dob_full = r.dob_full")
    if names and "dob_m" in c:
        rules.append("l.dm_a = r.dm_a AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m")
        rules.append("l.dm_b = r.dm_b AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m")
    if names and "referral_from_office" in c and "office_country" in c:
        rules.append("l.name_var = r.name_var AND l.referral_from_office = r.office_country")
        rules.append("l.name_var = r.name_var AND l.office_country = r.referral_from_office")
    if names and "dob_y" in c:
        # One side has no date of birth: the same name variants and sex, registered within two years
        # of each other (a person's records follow one journey). The null test on one side is pushed
        # below the join; common names still make this the largest rule, so it stays this narrow.
        sex = " AND l.sex = r.sex" if "sex" in c else ""
        near = " AND abs(l.reg_days - r.reg_days) <= 730" if "reg_days" in c else ""
        for key in ("name_var", "name_dm", "name_skel"):  # typos and romanisations: sound and skeleton keys
            rules.append(f"l.{key} = r.{key}{sex}{near} AND l.dob_y IS NULL")
            rules.append(f"l.{key} = r.{key}{sex}{near} AND r.dob_y IS NULL")
    # Wider nets, chosen greedily by the true pairs each adds per candidate pair it costs on 1,000,000
    # simulated records (tuning seeds 2 and 3): names that differ in every key but share the full
    # birth date and citizenship (a name written in another script, a second family name); the
    # same name variants within one citizenship, registered within two years (birth dates that
    # disagree); one name token and the birth year, or (one side without a birth date) one name
    # token with the sex and an age at registration within a year. Nets whose pairs grow with the
    # square of the data (one token and a birth year alone: 13M pairs per rule at 1M records) are
    # narrowed by citizenship and registration period: a person's records follow one journey.
    cit = " AND l.citizenship = r.citizenship" if "citizenship" in c else ""
    near = " AND abs(l.reg_days - r.reg_days) <= 730" if "reg_days" in c else ""
    sex = " AND l.sex = r.sex" if "sex" in c else ""
    if "dob_full" in c and cit:
        rules.append("l.dob_full = r.dob_full" + cit)
    if names and cit:
        rules.append("l.name_var = r.name_var" + cit + near)
    if names and "dob_m" in c and "given_dm1" in c and cit:
        rules.append("l.given_dm1 = r.given_dm1 AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m" + cit)
    if names and "dob_y" in c and cit and near:
        for key in ("tok_a", "tok_b"):
            rules.append(f"l.{key} = r.{key} AND l.dob_y = r.dob_y{cit}{near}")
    if names and "dob_y" in c and "by_lo" in c and cit:
        for key in ("tok_a", "tok_b"):
            for side in ("l", "r"):
                rules.append(
                    f"l.{key} = r.{key}{cit}{sex} AND abs(l.by_lo - r.by_lo) <= 1{near} AND {side}.dob_y IS NULL"
                )
    # Where one side has no birth date and every whole-name key differs (typos in several tokens,
    # a second family name), the sound of the last family name with the age at registration; and the
    # whole name's skeleton or sound across a transfer between offices. Chosen on tuning seed 2 at
    # 100k by true pairs added per candidate pair (3.1-3.5 per 1,000, against 0.3-1.5 for token-sound
    # nets without an age or across every transfer), then checked for size on seed 3 at 1M records.
    if names and "dob_y" in c and "by_lo" in c and cit:
        for key in ("family_dm1",):  # given names' sounds are too common: 14M pairs at 1M records
            if key not in c:
                continue
            for side in ("l", "r"):
                rules.append(
                    f"l.{key} = r.{key}{cit}{sex} AND abs(l.by_lo - r.by_lo) <= 1{near} AND {side}.dob_y IS NULL"
                )
        if "given_dm1" in c and "exp_y" in c:  # the given name's sound only within one exploitation year
            for side in ("l", "r"):
                rules.append(
                    f"l.given_dm1 = r.given_dm1{cit}{sex} AND abs(l.by_lo - r.by_lo) <= 1{near}"
                    f" AND l.exp_y = r.exp_y AND {side}.dob_y IS NULL"
                )
    if names and "dob_m" in c and cit:  # a birth year off by one, the month agreeing
        for key in ("tok_a", "tok_b"):
            rules.append(f"l.{key} = r.{key} AND abs(l.dob_y - r.dob_y) = 1 AND l.dob_m = r.dob_m{cit}")
    # The first of the sorted consonant skeletons: one name written in Arabic script on one side and
    # romanised on the other, with a second family name on one side only ('hmd fysl', 'ahmed faisal
    # masri'), or vowels romanised apart in every token. With the birth year, or (for records without
    # one) the age at registration, sex and year of exploitation. On tuning seed 2 at 100k they find
    # 95 and 99 true pairs that no rule above finds (11.6M and 8.3M pairs at 1M records); cluster F1
    # +0.0012 on seed 2 and +0.0013 on seed 3.
    if names and cit:
        skel = "split_part(l.name_skel, ' ', 1) = split_part(r.name_skel, ' ', 1)"
        if "dob_y" in c:
            rules.append(f"{skel} AND l.dob_y = r.dob_y{cit}")
        if "by_lo" in c and "exp_y" in c and sex:
            rules.append(f"{skel} AND abs(l.by_lo - r.by_lo) <= 1{sex} AND l.exp_y = r.exp_y{cit}")
    # One journey: the same exploitation start (a full date; or a month with the family name's sound),
    # chosen on tuning seed 2 at 100k (19 and 6 true pairs per 1,000 candidates): the nets that
    # find records whose birth date is missing or wrong and whose names differ in every key.
    if "exp_start" in c:
        if cit or sex:
            rules.append(f"l.exp_start = r.exp_start AND length(l.exp_start) = 10{cit}{sex}")
        if names and "family_dm1" in c:
            rules.append("l.family_dm1 = r.family_dm1 AND l.exp_start = r.exp_start AND length(l.exp_start) >= 7")
        if names and "given_dm1" in c:  # (without citizenship and sex: 6.5M pairs at 1M records)
            rules.append(
                f"l.given_dm1 = r.given_dm1 AND l.exp_start = r.exp_start AND length(l.exp_start) >= 7{cit}{sex}"
            )
    # Capped keys (features.CAPPED_BLOCKS; blocks over BLOCK_MAX records purged so that the pairs
    # stay linear in the data). The same month of exploitation within one citizenship with a name
    # token's first letters, where one side has no birth date or the birth years are within one;
    # the same month, citizenship, sex and country of exploitation with birth years within one (no
    # name needed); both tokens' first letters, or the loose name key, within one citizenship and
    # year of exploitation. These find records whose names are spelt apart in every whole-token key
    # (x/h, g/h, a name split in two), most without a birth date: on tuning seed 2 at 100k they
    # found 1,585 of the 2,953 true pairs the rules above miss.
    for key in ("jm_a", "jm_b"):
        if key not in c:
            continue
        if "dob_y" in c:
            rules.append(f"l.{key} = r.{key} AND l.dob_y IS NULL")
            rules.append(f"l.{key} = r.{key} AND r.dob_y IS NULL")
            rules.append(f"l.{key} = r.{key} AND abs(l.dob_y - r.dob_y) <= 1")
        else:
            rules.append(f"l.{key} = r.{key}")
    if "jm_c" in c and "by_lo" in c:
        rules.append("l.jm_c = r.jm_c AND abs(l.by_lo - r.by_lo) <= 1")
    for key in ("jt", "jl"):
        if key in c:
            rules.append(f"l.{key} = r.{key}")
    if names and "referral_from_office" in c and "office_country" in c:
        for key in ("name_skel", "name_dm"):
            rules.append(f"l.{key} = r.{key} AND l.referral_from_office = r.office_country")
            rules.append(f"l.{key} = r.{key} AND l.office_country = r.referral_from_office")
    if names and "dob_y" not in c:
        rules.append("l.name_var = r.name_var")
        rules.append("l.name_dm = r.name_dm")
        rules.append("l.name_skel = r.name_skel")
    if not names and "dob_full" in c:
        rules.append("l.dob_full = r.dob_full")
    if "doc_key" in c:
        rules.append("l.doc_key = r.doc_key")
    return rules


def default_em_rules(cols: Iterable[str]) -> list[str]:
    """EM passes. Blocking on the full birth date trains names, sex, citizenship, offices and dates.

    The second pass blocks on the phonetic name keys (dm_a, dm_b), which no
    comparison reads, so the name comparison stays in the model and separates
    matches from the many namesakes; it is the pass that trains the date of
    birth. (Blocking on name_var itself would drop the name comparison, and EM
    then mistakes common-name namesakes for matches.)
    """
    c = set(cols)
    rules = []
    if "dob_full" in c:
        rules.append("l.dob_full = r.dob_full")
    if "name_var" in c and "referral_from_office" in c and "office_country" in c:
        rules.append("l.name_var = r.name_var AND l.referral_from_office = r.office_country")
    elif "dm_a" in c:
        rules.append("l.dm_a = r.dm_a AND l.dm_b = r.dm_b")
    return rules


#: Which EM pass (by blocking rule prefix) trains which comparison best; others take the first pass.
_PREFERRED_PASS = {"dob": "l.", "age": "l.", "sex": "l.dob_full", "citizenship": "l.dob_full"}


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
        "unique_id_column_name": ROW_ID,
        "comparisons": comparisons_for(cols, dialect),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in prediction_rules(cols, settings)],
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
    comps = comparisons_for(cols)
    labelled = labelled_m(linker, cols, seed=settings.seed) if settings.self_labelled_m else {}
    trained: dict[tuple[str, int], list[tuple[str, float]]] = {}
    em_rules = settings.em_blocking_rules or default_em_rules(cols)
    if labelled and all(c["output_column_name"] in labelled for c in comps):
        em_rules = []  # every comparison has its m from near-certain pairs: EM would only blur them
    for rule in em_rules:
        if not _rule_leaves_something_to_train(rule, comps):
            continue
        before = _m_counts(linker)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=settings.em_max_pairs
            )
        except Exception as exc:  # noqa: BLE001 - too few pairs in the block; other passes still train
            log.warning("EM pass on %s skipped: %s", rule, exc)
            continue
        for key, lvl in _levels(linker):
            new = lvl._trained_m_probabilities[before.get(key, 0) :]
            for rec in new:
                if isinstance(rec["probability"], float):
                    trained.setdefault(key, []).append((rule, rec["probability"]))
    _choose_m(linker, trained)
    _apply_m(linker, labelled)
    cap_dob_disagreement(linker, settings.dob_disagreement_m)
    if settings.namesake_u:
        namesake_u(linker, cols, seed=settings.seed)
    _default_missing_m(linker)
    floor_m_probabilities(linker, settings.m_floor)


_COL = re.compile(r"\b([a-z][a-z0-9_]*?)_[lr]\b")
_RULE_COL = re.compile(r"\b[lr]\.([a-z][a-z0-9_]*)")


def _rule_leaves_something_to_train(rule: str, comps: list[dict]) -> bool:
    """Splink fixes the comparisons whose columns the EM blocking rule uses; is any left?"""
    used = set(_RULE_COL.findall(rule))
    for comp in comps:
        cols = set()
        for lvl in comp["comparison_levels"]:
            cols |= set(_COL.findall(lvl["sql_condition"]))
        if not cols & used:
            return True
    return False


def _levels(linker: Any):
    for comp in linker._settings_obj.comparisons:
        for i, lvl in enumerate(comp.comparison_levels):
            if not lvl.is_null_level:
                yield (comp.output_column_name, i), lvl


def _m_counts(linker: Any) -> dict[tuple[str, int], int]:
    return {key: len(lvl._trained_m_probabilities) for key, lvl in _levels(linker)}


def _choose_m(linker: Any, trained: dict[tuple[str, int], list[tuple[str, float]]]) -> None:
    """Take each comparison's m from its preferred EM pass instead of Splink's median over passes."""
    for (comp, i), lvl in _levels(linker):
        estimates = trained.get((comp, i))
        if not estimates:
            continue
        prefix = _PREFERRED_PASS.get(comp)
        chosen = next((p for r, p in estimates if prefix and r.startswith(prefix)), estimates[0][1])
        if comp in ("dob", "age"):  # the last pass is the one that does not block on the date of birth
            chosen = estimates[-1][1]
        lvl.m_probability = chosen


def cap_dob_disagreement(linker: Any, cap: float) -> None:
    """Bound how often one person's records disagree wholly on the date of birth.

    EM cannot learn this on its own here: any block that does not use the date
    of birth is full of namesakes (common names, same corridor, same months),
    and EM takes the namesakes for matches, concluding that half of all
    matches have different birth dates. Registers show the opposite (a slip of
    a digit, a swapped day and month, a year off by one, which have levels of
    their own). The same assumption drives the constrained clustering.
    """
    comp = next((c for c in linker._settings_obj.comparisons if c.output_column_name == "dob"), None)
    if comp is None:
        return
    levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
    last_two = levels[-2:]  # 'within two years' and 'all other comparisons'
    excess = 0.0
    for lvl in last_two:
        if lvl.m_probability is not None and lvl.m_probability > cap:
            excess += lvl.m_probability - cap
            lvl.m_probability = cap
    rest = levels[:-2]
    total = sum(lvl.m_probability or 0.0 for lvl in rest)
    if excess and total:
        for lvl in rest:
            lvl.m_probability = (lvl.m_probability or 0.0) * (1 + excess / total)


#: Comparisons whose u is re-estimated among namesakes (evidence that follows the name's culture).
_CONTEXT_COMPARISONS = ("sex", "citizenship", "office", "registration", "exploitation")


def namesake_u(linker: Any, cols: Iterable[str], seed: int = 42, max_left: int = 50_000, min_pairs: int = 500) -> None:
    """Estimate u for sex, citizenship, office and registration among namesakes who are different people.

    Candidate pairs almost always agree on the name, and people who share a
    name mostly share a culture: the same citizenship, the same corridor and
    offices, names that mark the same sex. Random pairs do not, so their u
    values make agreement on these look like strong evidence of identity when
    for namesakes it is nearly certain anyway. Pairs with the same name
    variants whose full birth dates lie more than two years apart are (almost
    surely) different people of that kind; their level frequencies are the u
    that the scored pairs need.
    """
    c = set(cols)
    if not {"name_var", "dob_full", "dob_y"} <= c:
        return
    comps = {cmp["output_column_name"]: cmp for cmp in comparisons_for(c)}
    todo = [n for n in _CONTEXT_COMPARISONS if n in comps]
    if not todo:
        return
    table = next(iter(linker._input_tables_dict.values())).physical_name
    sel = _pair_select(c)
    cases = [_gamma_case(comps[name]) for name in todo]
    sql = f"""
        WITH l AS (SELECT * FROM {table} WHERE dob_full IS NOT NULL
                   ORDER BY hash(record_key || '{int(seed)}') LIMIT {int(max_left)}),
             pairs AS (SELECT {sel} FROM l JOIN {table} r
                       ON l.name_var = r.name_var AND l.record_key <> r.record_key
                       WHERE r.dob_full IS NOT NULL AND abs(l.dob_y - r.dob_y) > 2)
        SELECT {", ".join(cases)} FROM pairs
    """
    try:
        df = linker.misc.query_sql(sql, output_type="pandas")
    except Exception as exc:  # noqa: BLE001 - keep the random-sampling u values
        log.warning("namesake u estimate skipped: %s", exc)
        return
    if len(df) < min_pairs:
        return
    for comp in linker._settings_obj.comparisons:
        if comp.output_column_name not in todo:
            continue
        g = df[f"g_{comp.output_column_name}"]
        g = g[g >= 0]
        if len(g) < min_pairs:
            continue
        counts = g.value_counts()
        for lvl in comp.comparison_levels:
            if lvl.is_null_level:
                continue
            # add-one smoothing keeps a level never seen among namesakes from getting u = 0
            lvl.u_probability = (counts.get(lvl.comparison_vector_value, 0) + 1) / (len(g) + len(counts) + 1)


def _pair_select(cols: Iterable[str]) -> str:
    feats = [x for x in cols if x != "record_key"]
    return ", ".join([f"l.{x} AS {x}_l" for x in feats] + [f"r.{x} AS {x}_r" for x in feats])


def _gamma_case(comp: dict) -> str:
    """SQL giving Splink's comparison vector value of one comparison (-1 null, then n-1 .. 0)."""
    whens = []
    value = len(comp["comparison_levels"]) - 2
    for lvl in comp["comparison_levels"]:
        if lvl.get("is_null_level"):
            whens.append(f"WHEN {lvl['sql_condition']} THEN -1")
        elif lvl["sql_condition"] == "ELSE":
            whens.append("ELSE 0")
        else:
            whens.append(f"WHEN {lvl['sql_condition']} THEN {value}")
            value -= 1
    return f"CASE {' '.join(whens)} END AS g_{comp['output_column_name']}"


def labelled_rules(cols: Iterable[str]) -> dict[str, str]:
    """Near-certain matches, each chosen without looking at some comparisons (which it can then train).

    'document': the same identity document key; it says nothing about names, dates or offices, so
    its pairs show how one person's records differ in those. 'name_dob': the same name variants and
    the same full date of birth (almost never two people at these sizes); it trains everything but
    the name and the date itself, and is the only sure set that can train the document comparison.
    """
    c = set(cols)
    out = {}
    if "doc_key" in c:
        out["document"] = "l.doc_key = r.doc_key"
    if {"name_var", "dob_full"} <= c:
        out["name_dob"] = "l.name_var = r.name_var AND l.dob_full = r.dob_full"
    return out


#: Which comparisons each sure set may train (a set never trains what it was selected on).
_LABEL_USES = {
    "document": ("name", "dob", "age", "sex", "citizenship", "office", "registration", "exploitation"),
    "name_dob": ("sex", "citizenship", "office", "registration", "document", "exploitation"),
}


def labelled_m(
    linker: Any, cols: Iterable[str], seed: int = 42, max_pairs: int = 300_000, min_pairs: int = 200
) -> dict[str, dict[int, float]]:
    """m probabilities counted on self-labelled, near-certain matching pairs (see labelled_rules).

    EM on blocks of namesakes learns that matches look like namesakes and grows over-cautious as
    data grows (the namesakes multiply, the matches do not). Counting the levels among pairs that
    are one person beyond reasonable doubt needs no such guess. Returns comparison name ->
    {comparison vector value: m}; comparisons with fewer than `min_pairs` non-null pairs are left out.
    """
    c = [x for x in cols if x != "record_key"]
    rules = labelled_rules(c)
    if not rules:
        return {}
    comps = {cmp["output_column_name"]: cmp for cmp in comparisons_for(c)}
    table = next(iter(linker._input_tables_dict.values())).physical_name
    counts: dict[str, pd.Series] = {}
    for label, rule in rules.items():
        todo = [n for n in _LABEL_USES[label] if n in comps]
        if not todo:
            continue
        cond = rule.replace("l.", "l_.").replace("r.", "r_.")
        sql = f"""
            WITH pairs AS (
                SELECT {_pair_select(c).replace("l.", "l_.").replace("r.", "r_.")}
                FROM {table} l_ JOIN {table} r_ ON {cond} AND l_.record_key < r_.record_key
                ORDER BY hash(l_.record_key || r_.record_key || '{int(seed)}') LIMIT {int(max_pairs)})
            SELECT {", ".join(_gamma_case(comps[n]) for n in todo)} FROM pairs
        """
        try:
            df = linker.misc.query_sql(sql, output_type="pandas")
        except Exception as exc:  # noqa: BLE001 - fall back to EM for these comparisons
            log.warning("self-labelled m (%s) skipped: %s", label, exc)
            continue
        for n in todo:
            g = df[f"g_{n}"]
            vc = g[g >= 0].value_counts()
            counts[n] = vc if n not in counts else counts[n].add(vc, fill_value=0)
    out: dict[str, dict[int, float]] = {}
    for n, vc in counts.items():
        total = float(vc.sum())
        if total < min_pairs:
            continue
        levels = len(comps[n]["comparison_levels"]) - 1
        # add-half smoothing: a level never seen among sure matches is rare, not impossible
        out[n] = {v: (float(vc.get(v, 0)) + 0.5) / (total + 0.5 * levels) for v in range(levels)}
    log.info("self-labelled m for %s", ", ".join(sorted(out)))
    return out


def _apply_m(linker: Any, labelled: dict[str, dict[int, float]]) -> None:
    for comp in linker._settings_obj.comparisons:
        ms = labelled.get(comp.output_column_name)
        if not ms:
            continue
        for lvl in comp.comparison_levels:
            if not lvl.is_null_level:
                lvl.m_probability = ms[lvl.comparison_vector_value]


def _default_missing_m(linker: Any) -> None:
    """Comparisons EM could not train (tiny or one-field data) get a conservative fixed shape."""
    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        if any(getattr(lvl, "_m_is_trained", False) for lvl in levels):
            continue
        raw = [0.5**i for i in range(len(levels) - 1)] + [0.05]
        total = sum(raw)
        for lvl, m in zip(levels, raw, strict=True):
            lvl.m_probability = m / total


def floor_m_probabilities(linker: Any, floor: float) -> None:
    """Keep every non-null level's m probability at least `floor`, then renormalise.

    EM happily learns m = 0 for 'sex differs' or 'citizenship differs' when the
    training blocks never saw such a match; that turns one clerical slip into
    a veto of -40 bits or more. Real registers do contain such slips.
    """
    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        ms = [lvl.m_probability for lvl in levels]
        if any(m is None for m in ms):
            continue
        raised = [max(float(m), floor) for m in ms]
        total = sum(raised)
        for lvl, m in zip(levels, raised, strict=True):
            lvl.m_probability = m / total


def prediction_rules(cols: Iterable[str], settings: LinkageSettings) -> list[str]:
    return list(settings.blocking_rules) or default_blocking_rules(cols)


def blocked_pairs_sql(table: str, rules: Sequence[str]) -> str:
    """Candidate pairs of all rules at once (match_key, join_key_l, join_key_r), as Splink names them.

    Splink blocks rule by rule and keeps a pair out of each rule's output by
    evaluating every earlier rule's condition on it: the work grows with the
    square of the number of rules. With the 49 default rules on 1,000,000
    simulated records that took 496 s of an end-to-end 1,136 s; joining each
    rule on its own and de-duplicating the integer id pairs once gives the same
    55.4M pairs in 41 s. Pairs are oriented `l.rid_ < r.rid_` as in Splink
    (ROW_ID follows record_key order; one-sided rules depend on it), and the
    match_key is the first rule that finds the pair, as in Splink.
    """
    joins = " UNION ALL ".join(
        f"SELECT {i} AS mk, l.{ROW_ID} AS a, r.{ROW_ID} AS b FROM {table} AS l JOIN {table} AS r ON ({rule})"
        f" WHERE l.{ROW_ID} < r.{ROW_ID}"
        for i, rule in enumerate(rules)
    )
    return f"SELECT min(mk) AS match_key, a AS join_key_l, b AS join_key_r FROM ({joins}) AS u GROUP BY a, b"


def register_blocked_pairs(linker: Any, backend: Backend, rules: Sequence[str]) -> Any:
    """Compute the candidate pairs (see blocked_pairs_sql) and hand them to Splink's predict.

    Returns Splink's handle on the table: drop it (drop_table_from_database_and_remove_from_cache)
    once scored, so that a later predict blocks afresh instead of reading a stale table.
    """
    table = next(iter(linker._input_tables_dict.values())).physical_name
    name = backend.materialise(blocked_pairs_sql(table, rules), "ctdata_blocked_pairs")
    return linker.table_management.register_blocked_pairs_for_predict(linker._db_api.register(name))


def predict(
    linker: Any,
    floor: float,
    n_records: int | None = None,
    recalibrate: bool = True,
    *,
    backend: Backend | None = None,
    rules: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Scored candidate pairs at or above `floor` (record_key_l, record_key_r, weight, probability).

    With `backend` and `rules`, the candidate pairs are computed here (see
    blocked_pairs_sql) and Splink only scores them; otherwise Splink blocks
    on the rules in its settings. With `recalibrate`, the prior (probability
    that two random records match) is re-estimated from the scored candidates
    themselves before filtering; see `recalibrate_prior`.
    """
    low = min(floor, 1e-4) if recalibrate and n_records else floor
    blocked = register_blocked_pairs(linker, backend, rules) if backend is not None and rules else None
    try:
        sdf = linker.inference.predict(threshold_match_probability=low, warning_mode="never")
    finally:
        if blocked is not None:
            blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    table = next(iter(linker._input_tables_dict.values())).physical_name
    sql = f"""
        SELECT kl.record_key AS record_key_l, kr.record_key AS record_key_r, p.match_weight, p.match_probability
        FROM {sdf.physical_name} AS p
        JOIN {table} AS kl ON kl.{ROW_ID} = p.{ROW_ID}_l JOIN {table} AS kr ON kr.{ROW_ID} = p.{ROW_ID}_r
    """
    out = linker.misc.query_sql(sql, output_type="pandas")
    sdf.drop_table_from_database_and_remove_from_cache()
    if recalibrate and n_records and len(out):
        out = recalibrate_prior(linker, out, n_records)
    return out[out["match_probability"] >= floor].reset_index(drop=True)


def recalibrate_prior(linker: Any, pairs: pd.DataFrame, n_records: int, iterations: int = 50) -> pd.DataFrame:
    """Re-estimate the prior as the expected number of matching pairs over all pairs (EM on lambda).

    The first estimate comes from deterministic rules and an assumed recall;
    when many dates of birth are missing that recall is much lower than
    assumed and the prior too small, which costs recall everywhere. With m and
    u fixed, the expected share of matches among all pairs is a fixed point
    that a few iterations find; changing the prior shifts every match weight
    by the same amount, so this needs no new SQL.
    """
    total = n_records * (n_records - 1) / 2
    settings = linker._settings_obj
    p0 = settings._probability_two_random_records_match
    w = pairs["match_weight"].to_numpy(dtype="float64")
    logit0 = np.log2(p0 / (1 - p0))
    lam = p0
    for _ in range(iterations):
        shift = np.log2(lam / (1 - lam)) - logit0
        expected = float((1.0 / (1.0 + np.exp2(-(w + shift)))).sum())
        new = min(max(expected / total, 1e-12), 0.5)
        if abs(new - lam) <= 1e-4 * lam:
            lam = new
            break
        lam = new
    shift = np.log2(lam / (1 - lam)) - logit0
    settings._probability_two_random_records_match = lam
    out = pairs.copy()
    out["match_weight"] = w + shift
    out["match_probability"] = 1.0 / (1.0 + np.exp2(-out["match_weight"].to_numpy()))
    log.info("prior recalibrated from %.3g to %.3g", p0, lam)
    return out
