"""Candidate pairs computed once for all rules are exactly the pairs Splink's own blocking gives."""

from __future__ import annotations

import re

import numpy as np
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


# ------------------------------------------------------------------------------------------- block caps
def _blocked(frame: pd.DataFrame, rules: list[str], backend_name: str = "duckdb") -> set[tuple[str, str]]:
    """The candidate pairs of `rules` on `frame` (record keys), computed by a backend."""
    b = make_backend(backend_name, threads=1)
    try:
        name = b.register(frame, "ctdata_test_blocks").physical_name
        table = b.materialise(blocking.blocked_pairs_sql(name, rules), "ctdata_test_pairs")
        sql = (
            f"SELECT l.record_key AS a, r.record_key AS b FROM {table} p"
            f" JOIN {name} l ON l.{ROW_ID} = p.join_key_l JOIN {name} r ON r.{ROW_ID} = p.join_key_r"
        )
        if backend_name == "duckdb":
            rows = b.db_api.duckdb_con.execute(sql).fetchall()
        else:
            rows = [tuple(r) for r in b.db_api.spark.sql(sql).collect()]
    finally:
        b.close()
    return {(str(a), str(c)) for a, c in rows}


def _one_big_block(n: int = 100) -> pd.DataFrame:
    """n records in one block of `a`, half of them female; ten small blocks of two beside it."""
    return pd.DataFrame(
        {
            "record_key": [f"k{i:04d}" for i in range(n + 20)],
            "a": ["big"] * n + [f"s{i // 2}" for i in range(20)],
            "sex": (["female", "male"] * n)[:n] + ["female"] * 20,
        }
    )


def test_a_block_too_big_for_its_rule_is_split_by_the_next_column_not_lost():
    f = _one_big_block()
    # budget: 10 small blocks of one pair fit, the block of 100 (4,950 pairs) does not; its halves do
    sql, keys, report = blocking.cap_rule(f, "l.a = r.a", budget=2 * 1225 + 10)
    assert report.capped and sql == "l.blk_0 = r.blk_0"
    assert report.refined_blocks == 1 and report.dropped_blocks == 0 and report.dropped_pairs == 0
    assert report.pairs_before == 4950 + 10 and report.pairs_after == 2 * 1225 + 10
    pairs = _blocked(pd.concat([f, keys], axis=1), [sql])
    assert len(pairs) == 2 * 1225 + 10
    sex = dict(zip(f["record_key"], f["sex"], strict=True))
    assert all(sex[a] == sex[b] for a, b in pairs)  # split by sex: every pair kept agrees on it
    assert pairs <= _blocked(f, ["l.a = r.a"])  # the capped rule only ever removes pairs


def test_a_block_that_cannot_be_split_is_dropped_and_counted():
    f = _one_big_block().assign(sex="female")  # nothing splits the big block
    sql, keys, report = blocking.cap_rule(f, "l.a = r.a", budget=100)
    assert report.dropped_blocks == 1 and report.dropped_pairs == 4950
    assert report.pairs_after == 10
    assert len(_blocked(pd.concat([f, keys], axis=1), [sql])) == 10
    plan = blocking.plan_blocking(f, LinkageSettings(blocking_rules=("l.a = r.a",), block_pairs_per_record=0.5))
    assert plan.summary()["pairs_dropped"] == 4950 and plan.rules == [sql]


def test_rules_that_fit_their_budget_are_left_as_written():
    f = _one_big_block()
    plan = blocking.plan_blocking(f, LinkageSettings(blocking_rules=("l.a = r.a",), block_pairs_per_record=100))
    assert plan.rules == ["l.a = r.a"] and plan.keys.empty
    assert plan.table(f) is f


def test_a_cross_rule_and_its_other_conditions_keep_their_meaning_when_capped():
    rng = np.random.default_rng(3)
    n = 400
    f = pd.DataFrame(
        {
            "record_key": [f"k{i:04d}" for i in range(n)],
            "a": rng.choice(["p", "q", "s"], n),
            "b": rng.choice(["p", "q", "s", None], n),
            "sex": rng.choice(["female", "male", None], n),
            "dob_y": pd.array(rng.choice([1990, 1991, None], n), dtype="Int64"),
        }
    )
    rules = ["l.a = r.b AND l.dob_y IS NULL", "l.a = r.a AND abs(l.dob_y - r.dob_y) <= 1"]
    plan = blocking.plan_blocking(f, LinkageSettings(blocking_rules=tuple(rules), block_pairs_per_record=5))
    assert all(b.capped for b in plan.blocks)
    capped = _blocked(plan.table(f), plan.rules)
    full = _blocked(f, rules)
    assert capped < full
    lost = len(full) - len(capped)
    assert lost <= sum(b.pairs_before - b.pairs_after for b in plan.blocks)  # every lost pair is counted


def _pool_features(n: int, seed: int = 5) -> pd.DataFrame:
    """n records drawn from small pools (30 names, 5 birth years), as the simulator's name book is for
    some nationalities: the blocks of a name and a year grow with n, so their pairs with n squared."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "record_key": [f"k{i:06d}" for i in range(n)],
            "name_var": rng.choice([f"n{i}" for i in range(30)], n),
            "dob_y": pd.array(rng.choice([1990, 1991, 1992, 1993, 1994], n), dtype="Int64"),
            "sex": rng.choice(["female", "male"], n),
            "citizenship": rng.choice(["UA", "SY", "NG", "VN"], n),
            "exp_y": pd.array(rng.choice(np.arange(2010, 2020), n), dtype="Int64"),
        }
    )


def _growth(sizes: tuple[int, int], budget: float) -> tuple[float, list[int]]:
    rules = ("l.name_var = r.name_var AND l.dob_y = r.dob_y", "l.name_var = r.name_var AND l.sex = r.sex")
    counts = []
    for n in sizes:
        f = _pool_features(n)
        plan = blocking.plan_blocking(f, LinkageSettings(blocking_rules=rules, block_pairs_per_record=budget))
        counts.append(len(_blocked(plan.table(f), plan.rules)))
        assert not budget or counts[-1] <= budget * n  # all rules together within the one budget
    return float(np.log(counts[1] / counts[0]) / np.log(sizes[1] / sizes[0])), counts


def test_candidate_pairs_grow_about_linearly_with_the_records():
    """Uncapped, blocks of a name and a year make pairs like n squared; capped, about like n."""
    uncapped, _ = _growth((1000, 4000), 0)
    capped, counts = _growth((1000, 4000), 3)
    assert uncapped > 1.8
    assert capped < 1.15, counts


# The rules of the plan's property test: a plain key, a window, birth years exactly one apart, one side
# lacking a value (with a window), two different columns joined (a cross rule), two windows.
_PLAN_RULES = (
    "l.a = r.a",
    "l.a = r.a AND abs(l.dob_y - r.dob_y) <= 1",
    "l.b = r.b AND abs(l.dob_y - r.dob_y) = 1",
    "l.b = r.b AND abs(l.dob_y - r.dob_y) <= 1 AND l.dob_y IS NULL",
    "l.a = r.b",
    "l.a = r.a AND l.sex = r.sex AND abs(l.dob_y - r.dob_y) <= 2 AND abs(l.reg - r.reg) <= 30",
)


@st.composite
def _block_sizes(draw) -> pd.DataFrame:
    """Records in blocks of arbitrary sizes (a few large, many small, or anything between) for two keys,
    with sex, birth year (some missing) and registration day drawn for each record."""
    sizes = draw(st.lists(st.integers(1, 60), min_size=1, max_size=12))
    n = sum(sizes)
    a = [f"a{i}" for i, size in enumerate(sizes) for _ in range(size)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    b = rng.permutation(a) if draw(st.booleans()) else rng.choice(["p", "q", None], n)
    years = rng.choice([1990, 1991, 1992, 1993, None], n)
    return pd.DataFrame(
        {
            "record_key": [f"k{i:04d}" for i in range(n)],
            "a": a,
            "b": b,
            "sex": rng.choice(["female", "male", None], n),
            "citizenship": rng.choice(["UA", "SY"], n),
            "dob_y": pd.array(years, dtype="Int64"),
            "reg": pd.array(rng.integers(0, 120, n), dtype="Int64"),
        }
    )


def _each_rules_pairs(frame: pd.DataFrame, rules: list[str]) -> list[int]:
    """Each rule's own pairs (l before r in ROW_ID order, as the candidate pairs are made), on DuckDB."""
    b = make_backend("duckdb", threads=1)
    try:
        name = b.register(frame, "ctdata_test_rule_pairs").physical_name
        con = b.db_api.duckdb_con
        return [
            con.execute(
                f"SELECT count(*) FROM {name} l JOIN {name} r ON ({rule}) WHERE l.{ROW_ID} < r.{ROW_ID}"
            ).fetchone()[0]
            for rule in rules
        ]
    finally:
        b.close()


@settings(max_examples=40, deadline=None)
@given(frame=_block_sizes(), per_record=st.floats(0.0, 8.0))
def test_all_rules_together_make_at_most_the_budget_of_pairs(frame, per_record):
    """One budget for all rules: the pairs the plan counts are within it whatever the block sizes, and
    each rule's pairs, counted on DuckDB, are within the plan's count for it (the count is an upper bound)."""
    budget = per_record * len(frame)
    plan = blocking.cap_rules(frame, _PLAN_RULES, budget)
    assert sum(b.pairs_after for b in plan.blocks) <= budget
    made = _each_rules_pairs(plan.table(frame), plan.rules)
    for rule, got in zip(plan.blocks, made, strict=True):
        assert got <= rule.pairs_after, rule
    assert sum(made) <= budget
    uncapped = _each_rules_pairs(frame, list(_PLAN_RULES))
    for rule, got in zip(plan.blocks, uncapped, strict=True):
        assert rule.pairs_before >= got  # counted before the budget: an upper bound as well
        assert rule.pairs_after <= rule.pairs_before


def test_a_window_is_counted_exactly():
    """A rule with one window (and one with a missing value on one side) is counted pair for pair, so
    the budget holds the pairs the rule makes rather than its blocks' (before: the block's c(c-1)/2)."""
    rng = np.random.default_rng(7)
    n = 300
    f = pd.DataFrame(
        {
            "record_key": [f"k{i:04d}" for i in range(n)],
            "a": rng.choice(["p", "q", "s"], n),
            "dob_y": pd.array(rng.choice([*range(1960, 2000), None], n), dtype="Int64"),
        }
    )
    rules = ["l.a = r.a AND abs(l.dob_y - r.dob_y) <= 1", "l.a = r.a AND abs(l.dob_y - r.dob_y) = 1"]
    plan = blocking.cap_rules(f, rules, float("inf"))
    assert [b.pairs_before for b in plan.blocks] == _each_rules_pairs(f, rules)
    either = ["l.a = r.a OR l.dob_y = r.dob_y"]  # an OR: the plan cannot count it, so it runs as written
    plan = blocking.cap_rules(f, either, 0.0)
    assert plan.rules == either and plan.blocks[0].pairs_before == 0


def test_the_budget_goes_to_the_smallest_blocks_whichever_rule():
    """A selective rule (blocks of two) keeps all its pairs; the rule of large blocks is cut to what is left."""
    f = _one_big_block()
    f["pair"] = [f"p{i // 2}" for i in range(len(f))]
    selective, wide = "l.pair = r.pair", "l.a = r.a"
    plan = blocking.cap_rules(f, [selective, wide], budget=2 * 1225 + 10 + 60)
    small, big = plan.blocks
    assert not small.capped and small.pairs_after == 60
    assert big.capped and big.refined_blocks == 1 and big.pairs_after == 2 * 1225 + 10
    assert sum(b.pairs_after for b in plan.blocks) <= 2 * 1225 + 10 + 60


def test_a_rule_on_birth_years_one_apart_is_not_split_by_the_birth_year():
    """Splitting 'birth years one apart' by the birth year would leave it no pair at all (it did so
    before: REFINE_BY skipped only the columns a rule joins on); it is split by the next column instead."""
    n = 200
    f = pd.DataFrame(
        {
            "record_key": [f"k{i:04d}" for i in range(n)],
            "a": ["same"] * n,
            "sex": ["female"] * n,  # nothing to split by before the birth year
            "dob_y": pd.array([1990 + i % 4 for i in range(n)], dtype="Int64"),
            "citizenship": ["UA", "UA", "SY", "SY", "NG", "NG", "VN", "VN"] * (n // 8),
        }
    )
    rule = "l.a = r.a AND abs(l.dob_y - r.dob_y) = 1"
    full = _each_rules_pairs(f, [rule])[0]
    sql, keys, report = blocking.cap_rule(f, rule, budget=full * 0.6)
    assert report.capped and report.dropped_blocks == 0
    kept = _each_rules_pairs(pd.concat([f, keys], axis=1), [sql])[0]
    assert 0 < kept <= full * 0.6
