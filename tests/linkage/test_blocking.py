"""Candidate pairs computed once for all rules are exactly the pairs Splink's own blocking gives."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.linkage import blocking, prediction
from ctdata.linkage.backends import ROW_ID, make_backend
from ctdata.linkage.engine import Linker
from ctdata.linkage.features import NAME_FEATURES
from ctdata.linkage.settings import LinkageSettings
from tests.linkage.synthetic import generate, to_features

# Symmetric and one-sided rules, rules that test for missing values, overlapping rules.
RULES = [
    "l.a = r.a AND l.y = r.y",
    "l.a = r.a AND l.y IS NULL",
    "l.b = r.b AND abs(l.y - r.y) <= 1",
    "l.a = r.b",
    "l.b = r.b AND l.a = r.a",
]

_value = st.one_of(st.none(), st.sampled_from(["p", "q", "s"]))
_year = st.one_of(st.none(), st.integers(1990, 1993))
_rows = st.lists(st.tuples(_value, _value, _year), min_size=0, max_size=25)


def _pairs(backend, rows) -> tuple[set, set]:
    df = pd.DataFrame(rows, columns=["a", "b", "y"], dtype=object)
    keys = [f"k{i:03d}" for i in range(len(df))][::-1]  # keys not in row order
    df.insert(0, "record_key", keys)
    df[ROW_ID] = pd.Series(keys).rank(method="first").astype("int64").to_numpy() - 1
    con = backend.db_api.duckdb_con
    con.register("src", df.astype({"y": "Int64"}))
    name = backend.materialise(blocking.blocked_pairs_sql("src", RULES), "bp")
    got = set(
        con.execute(
            f"SELECT l.record_key, r.record_key, p.match_key FROM {name} p"
            f" JOIN src l ON l.{ROW_ID} = p.join_key_l JOIN src r ON r.{ROW_ID} = p.join_key_r"
        ).fetchall()
    )
    first_true = " ".join(f"WHEN coalesce(({r}), false) THEN {i}" for i, r in enumerate(RULES))
    anyrule = " OR ".join(f"coalesce(({r}), false)" for r in RULES)
    want = set(
        con.execute(
            f"SELECT l.record_key, r.record_key, CASE {first_true} END FROM src l, src r"
            f" WHERE l.record_key < r.record_key AND ({anyrule})"
        ).fetchall()
    )
    n_pairs = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    con.execute(f"DROP TABLE {name}")
    con.unregister("src")
    assert n_pairs == len(got)  # no pair twice
    return got, want


@pytest.fixture(scope="module")
def backend():
    b = make_backend("duckdb", threads=1)
    yield b
    b.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows)
def test_each_pair_any_rule_finds_once_with_the_first_rule_as_match_key(backend, rows):
    got, want = _pairs(backend, rows)
    assert got == want


def test_splink_scores_the_same_pairs_as_its_own_blocking():
    records, _ = generate(persons=400, seed=3)
    features = to_features(records)
    linker = Linker(features, LinkageSettings(seed=1), threads=1)
    try:
        linker.training.estimate()
        splink = linker.splink
        own = splink.inference.predict(warning_mode="never").as_pandas_dataframe()
        rules = linker.blocking_rules
        blocked = prediction.register_blocked_pairs(splink, linker.backend, linker.input_table, rules)
        ours = splink.inference.predict(warning_mode="never").as_pandas_dataframe()
        blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        again = splink.inference.predict(warning_mode="never").as_pandas_dataframe()  # Splink blocks afresh
    finally:
        linker.close()
    cols = [f"{ROW_ID}_l", f"{ROW_ID}_r", "match_key"]
    assert len(own) > 100 and len(again) == len(own)
    own["match_key"] = own["match_key"].astype(int)
    ours["match_key"] = ours["match_key"].astype(int)
    assert set(map(tuple, ours[cols].to_numpy())) == set(map(tuple, own[cols].to_numpy()))
    merged = own.merge(ours, on=cols[:2], suffixes=("_own", "_ours"))
    assert len(merged) == len(own)
    assert (merged["match_weight_own"] - merged["match_weight_ours"]).abs().max() < 1e-9


_NAME_KEYS = set(NAME_FEATURES) - {"given_var1", "family_var1", "given_dm1", "family_dm1"}  # made together
_IMPLIED = {"dob_m": {"dob_y"}, "dob_full": {"dob_y", "dob_m"}}  # a month or a full date has a year


def test_each_rule_reads_only_columns_it_requires():
    """A rule applies only where every column it reads exists (refinements only where theirs do)."""
    for rule in blocking.RULES:
        have = set(rule.requires) | (_NAME_KEYS if rule.requires & _NAME_KEYS else set())
        have |= {c for r in rule.requires for c in _IMPLIED.get(r, ())}
        read = set(re.findall(r"\b[lr]\.([a-z][a-z0-9_]*)", rule.sql(set(rule.requires))))
        assert read <= have, (rule.condition, read - have)
        for placeholder, (col, text) in blocking.REFINEMENTS.items():
            if placeholder in rule.condition:
                assert text in rule.sql(have | {col}) and text not in rule.sql(have - {col})


def test_rules_by_purpose_on_full_features():
    cols = set(NAME_FEATURES) | {"dob_y", "dob_m", "dob_full", "sex", "citizenship", "reg_days", "doc_key"}
    predict = blocking.default_blocking_rules(cols)
    assert len(predict) == len(set(predict)) > 20
    assert blocking.deterministic_rules(cols) == ["l.name_var = r.name_var AND l.dob_full = r.dob_full"]
    assert blocking.default_em_rules(cols) == ["l.dob_full = r.dob_full", "l.dm_a = r.dm_a AND l.dm_b = r.dm_b"]
    assert set(blocking.labelled_rules(cols)) == {"document", "name_dob"}
    # fewer fields: names alone block on whole-name keys; birth dates alone on the full date
    assert blocking.default_blocking_rules({"name_var"}) == [
        "l.name_var = r.name_var",
        "l.name_dm = r.name_dm",
        "l.name_skel = r.name_skel",
    ]
    assert blocking.default_blocking_rules({"dob_full", "dob_y"}) == ["l.dob_full = r.dob_full"]
