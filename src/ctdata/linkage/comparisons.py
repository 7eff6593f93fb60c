"""The model's comparisons: how two records are compared, field by field, as Splink comparison levels.

Comparisons are built only for the feature columns that are present, so a file
with names and dates of birth only is linked on exactly those. All string
comparisons run on the ASCII features of `features.py`, never on raw names.
Each comparison is a Splink settings dictionary (serialisable data); its levels
are ordered from the strongest agreement to 'all other comparisons'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ctdata.linkage.backends import sql_for

__all__ = ["comparisons_for", "gamma_case", "pair_select"]


def _level(sql: str, label: str, *, null: bool = False, tf: str | None = None, tf_weight: float = 1.0) -> dict:
    lvl: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        lvl["is_null_level"] = True
    if tf:
        lvl["tf_adjustment_column"] = tf
        lvl["tf_adjustment_weight"] = tf_weight
    return lvl


def _level_in(dialect: str, sql: str, label: str) -> dict:
    """A level whose condition is written in DuckDB SQL, translated to ``dialect``."""
    return _level(sql_for(dialect, sql), label)


#: The label of every comparison's last level (pairs that reach no other).
OTHER = "All other comparisons"


def _else() -> dict:
    return {"sql_condition": "ELSE", "label_for_charts": OTHER}


def _comparison(name: str, unknown: tuple[str, str], levels: list[dict], description: str | None = None) -> dict:
    """The comparison ``name``: its null level (SQL, label), ``levels`` strongest first, then all other pairs."""
    comp: dict[str, Any] = {
        "output_column_name": name,
        "comparison_levels": [_level(*unknown, null=True), *levels, _else()],
    }
    if description is not None:
        comp["comparison_description"] = description
    return comp


def _jaro_at_least(col: str, t: float, other: str | None = None) -> str:
    """Jaro similarity of `col` on both sides at least `t`, written with the Jaro-Winkler function every
    backend here names alike (sql_for). Jaro-Winkler is J + 0.1 * p * (1 - J) for a common prefix of
    p <= 4 letters (where J > 0.7, as here), which rises with J, so J >= t exactly when Jaro-Winkler >=
    t + 0.1 * p * (1 - t). DuckDB's and Splink's Spark functions differ a little on repeated letters
    (tests/linkage/test_spark_backend.py measures it), as they did for every similarity level before."""
    a, b = f"{col}_l", f"{other or col}_r"
    p = " ".join(f"WHEN substr({a}, 1, {n}) = substr({b}, 1, {n}) THEN {n}" for n in (4, 3, 2, 1))
    return f"jaro_winkler_similarity({a}, {b}) >= {t} + {0.1 * (1 - t):.6g} * (CASE {p} ELSE 0 END)"


def _rest_close(cols: set[str], t: float) -> str:
    """' AND' a condition that where one name part is the same on both sides (in either order), the other
    is as close on its own: a shared family name lifts the Jaro of two whole names past `t` whatever
    the given names are ('hassan mahmud' / 'hassan muhammad' reach 0.91; 'rai sita' / 'rai gita' 0.92),
    and two names that differ in a whole part are two people as often as one person's typo."""
    if "given_var1" not in cols or "family_var1" not in cols:
        return ""
    g, f = "given_var1", "family_var1"
    shared_then_far = [
        (f"{g}_l = {g}_r", _jaro_at_least(f, t)),
        (f"{f}_l = {f}_r", _jaro_at_least(g, t)),
        (f"{g}_l = {f}_r", _jaro_at_least(f, t, g)),
        (f"{f}_l = {g}_r", _jaro_at_least(g, t, f)),
    ]
    bad = " OR ".join(f"(coalesce({same}, FALSE) AND NOT coalesce({close}, FALSE))" for same, close in shared_then_far)
    return f" AND NOT ({bad})"


def name_comparison(cols: set[str], d: str) -> dict:
    """Names: exact, reordered, same variant keys, close spellings, same sound, one part agreeing."""
    jw = "jaro_winkler_similarity"
    jw_var = f"{jw}(name_var_l, name_var_r)"
    parts = []
    if "given_var1" in cols:
        parts.append("given_var1_l = given_var1_r")
    if "family_var1" in cols:
        parts.append("family_var1_l = family_var1_r")
    if "given_var1" in cols and "family_var1" in cols:
        parts.append("given_var1_l = family_var1_r OR family_var1_l = given_var1_r")
    one_part = " OR ".join(f"({p})" for p in parts) or "FALSE"
    levels = [
        _level("name_full_l = name_full_r", "same name", tf="name_full"),
        _level("name_sorted_l = name_sorted_r", "same name, other order", tf="name_sorted"),
        _level("name_var_l = name_var_r", "same name variants (transliteration)", tf="name_var"),
        # Jaro, not Jaro-Winkler: on a whole name the Winkler bonus for a shared first four letters rewards
        # a shared given name, and 'oleksandr kravlenko' / 'oleksandr lenkoval' reached 0.93.
        _level_in(
            d,
            f"({_jaro_at_least('name_var', 0.9)} OR {_jaro_at_least('name_var_ord', 0.9)}){_rest_close(cols, 0.9)}",
            "name variants Jaro >= 0.9",
        ),
        _level_in(d, f"name_dm_l = name_dm_r AND {jw_var} >= 0.8", "same sound"),
        _level_in(
            d, f"name_skel_l = name_skel_r AND ({jw_var} >= 0.7 OR length(name_skel_l) >= 5)", "same consonant skeleton"
        ),
        *(
            [_level("name_loose_l = name_loose_r", "same letters once romanisation and splits are folded")]
            if "name_loose" in cols
            else []
        ),
        _level_in(d, f"({one_part}) AND {jw_var} >= 0.75", "one name part the same, rest similar"),
        _level_in(
            d,
            f"{jw}(name_skel_l, name_skel_r) >= 0.88",
            "consonant skeletons similar (a name written in another script)",
        ),
        _level_in(d, f"{jw_var} >= 0.8", "whole names similar"),
        # one part the same and the rest unlike (a shared given name, another family name): its own
        # level, so that its u (common given names) is not averaged with similar spellings'
        _level_in(d, one_part, "one name part the same, the rest different"),
    ]
    unknown = ("name_full_l IS NULL OR name_full_r IS NULL", "no name")
    return _comparison("name", unknown, levels, "given and family names, transliterated")


#: The date-of-birth levels where one person's records disagree (a year apart with a side lacking the
#: month, further apart, or wholly): their m is bounded by training.cap_dob_disagreement.
DOB_DISAGREEMENT_LEVELS = ("year +-1, rest unknown", "within two years", OTHER)


def dob_comparison(cols: set[str], d: str) -> dict:
    """Date of birth, respecting partial dates: '1990' agrees with '1990-05-12' at its own level."""
    levels = [
        _level("dob_full_l = dob_full_r", "same full date of birth", tf="dob_full", tf_weight=0.5),
        _level(
            "dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)",
            "same year and month, day unknown",
        ),
        _level("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", "same year, rest unknown"),
        # three slips, three levels: between two people a one-digit neighbour of a date (some fifteen
        # dates) is far likelier than its day/month swap (one) or the same day a year apart (two), and
        # how often one person's records make each slip differs from register to register
        _level("dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r", "day and month swapped"),
        _level(
            "abs(dob_y_l - dob_y_r) = 1 AND dob_m_l = dob_m_r AND (dob_d_l = dob_d_r OR dob_d_l IS NULL"
            " OR dob_d_r IS NULL)",
            "year +-1, day and month kept",
        ),
        _level(
            sql_for(
                d,
                "dob_full_l IS NOT NULL AND dob_full_r IS NOT NULL"
                " AND damerau_levenshtein(dob_full_l, dob_full_r) <= 1",
            ),
            "one digit apart",
        ),
        # a year off by one where a side has no month is its own level: two people a year apart in age
        # reach it as often as one person with a slip, where a slip that keeps the day and month is rare
        # between two people. Apart, on the simulator's tuning seed 1 cut to the columns: u 0.018
        # against the slips' 0.002, Bayes factors 0.3 and 11; together both had one m and one u.
        _level("abs(dob_y_l - dob_y_r) = 1 AND (dob_m_l IS NULL OR dob_m_r IS NULL)", DOB_DISAGREEMENT_LEVELS[0]),
        _level("abs(dob_y_l - dob_y_r) <= 2", DOB_DISAGREEMENT_LEVELS[1]),
    ]
    return _comparison("dob", ("dob_y_l IS NULL OR dob_y_r IS NULL", "no date of birth"), levels, "date of birth")


def age_comparison(cols: set[str]) -> dict:
    """Approximate birth years (from age at registration) where a date of birth is missing on a side."""
    both_dob = " OR (dob_y_l IS NOT NULL AND dob_y_r IS NOT NULL)" if "dob_y" in cols else ""
    overlap = "by_lo_l <= by_hi_r + {k} AND by_lo_r <= by_hi_l + {k}"
    levels = [
        _level(
            overlap.format(k=0) + " AND by_hi_l - by_lo_l <= 2 AND by_hi_r - by_lo_r <= 2",
            "birth years agree (from age at registration)",
        ),
        _level(overlap.format(k=1), "birth year ranges overlap"),
        _level(overlap.format(k=3), "within three years"),
    ]
    unknown = (f"by_lo_l IS NULL OR by_lo_r IS NULL{both_dob}", "no age, or both have a birth date")
    return _comparison("age", unknown, levels, "birth year estimated from age at registration")


def birth_place_comparison(d: str) -> dict:
    """Place of birth (a town or village, transliterated): the same place is strong evidence where the
    place is rare (term frequencies: a capital is everyone's birthplace), a close spelling weaker."""
    jw = "jaro_winkler_similarity(birth_place_l, birth_place_r)"
    levels = [
        _level("birth_place_l = birth_place_r", "same place of birth", tf="birth_place"),
        _level_in(d, f"{jw} >= 0.9", "place of birth spelt alike (JW >= 0.9)"),
    ]
    unknown = ("birth_place_l IS NULL OR birth_place_r IS NULL", "place of birth unknown")
    return _comparison("birth_place", unknown, levels, "place of birth, transliterated")


def sex_comparison() -> dict:
    return _comparison("sex", ("sex_l IS NULL OR sex_r IS NULL", "sex unknown"), [_level("sex_l = sex_r", "same sex")])


def citizenship_comparison(d: str) -> dict:
    levels = [
        _level("citizenship_l = citizenship_r", "same citizenship(s)"),
        _level(sql_for(d, "list_has_any(citizenship_l, citizenship_r)"), "a citizenship in common"),
    ]
    return _comparison("citizenship", ("citizenship_l IS NULL OR citizenship_r IS NULL", "citizenship unknown"), levels)


def office_comparison(cols: set[str], d: str) -> dict:
    """Offices: a transfer or return between a destination and an origin office is strong evidence."""
    levels: list[dict] = []
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
    unknown = ("office_country_l IS NULL OR office_country_r IS NULL", "office unknown")
    return _comparison("office", unknown, levels, "registering offices")


def document_comparison() -> dict:
    """Identity document key (a keyed hash: equality is all it can tell). Different keys are weak evidence
    against, since offices note other documents or mistype a digit."""
    return _comparison(
        "document",
        ("doc_key_l IS NULL OR doc_key_r IS NULL", "document unknown"),
        [_level("doc_key_l = doc_key_r", "same identity document")],
        "identity document (keyed hash)",
    )


def registration_comparison() -> dict:
    levels = [
        _level("abs(reg_days_l - reg_days_r) <= 30", "registered within 30 days"),
        _level("abs(reg_days_l - reg_days_r) <= 180", "within 6 months"),
        _level("abs(reg_days_l - reg_days_r) <= 730", "within 2 years"),
    ]
    unknown = ("reg_days_l IS NULL OR reg_days_r IS NULL", "registration date unknown")
    return _comparison("registration", unknown, levels)


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
    levels: list[dict] = []
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
    unknown = (" AND ".join(f"({x})" for x in null), "exploitation unknown")
    return _comparison("exploitation", unknown, levels, "country and start of exploitation")


def comparisons_for(cols: Iterable[str], dialect: str = "duckdb") -> list[dict]:
    cols = set(cols)
    out = []
    if "name_full" in cols:
        out.append(name_comparison(cols, dialect))
    if "dob_y" in cols:
        out.append(dob_comparison(cols, dialect))
    if "by_lo" in cols:
        out.append(age_comparison(cols))
    if "birth_place" in cols:
        out.append(birth_place_comparison(dialect))
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


def pair_select(cols: Iterable[str]) -> str:
    """SELECT list giving each feature of both records of a pair, named as Splink names them (x_l, x_r)."""
    feats = [x for x in cols if x != "record_key"]
    return ", ".join([f"l.{x} AS {x}_l" for x in feats] + [f"r.{x} AS {x}_r" for x in feats])


def gamma_case(comp: dict) -> str:
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
