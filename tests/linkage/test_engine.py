"""End to end: link synthetic records, subsets of fields, review labels, explanations, settings."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

from ctdata.errors import ConfigError
from ctdata.linkage.backends import BackendUnavailable, make_backend
from ctdata.linkage.engine import Linker, link_frame
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.explain import waterfall_chart
from ctdata.linkage.review import make_label
from ctdata.linkage.settings import LinkageSettings
from tests.linkage.synthetic import generate, to_features


@pytest.fixture(scope="module")
def data():
    records, truth = generate(persons=3000, seed=7)
    return to_features(records), truth.rename(columns={"record_id": "record_key"})


@pytest.fixture(scope="module")
def result(data):
    features, _ = data
    return link_frame(features, LinkageSettings(seed=1), threads=2)


def test_linkage_beats_counting_records(data, result):
    features, truth = data
    s = score_clusters(result.clusters, truth)
    # floors measured on this generator (which is harsher than the simulator: 8% typos per name part,
    # half the origin-office names in native script, 18% without date of birth)
    assert s.pair_precision > 0.88
    assert s.pair_recall > 0.80
    assert s.pair_f1 > 0.86
    assert abs(s.individuals_error) < 0.10
    naive_error = (len(features) - truth["person_id"].nunique()) / truth["person_id"].nunique()
    assert naive_error > 0.4  # counting records overstates individuals by about half


def test_threshold_and_review_band_come_from_the_scored_pairs(data, result):
    """With threshold None, the cut of highest expected F1; the review band surrounds the threshold
    in use (it was (0.2, 0.8) whatever the threshold: with 0.02 none of the pairs at the boundary)."""
    from ctdata.linkage import calibration

    assert result.threshold == 0.02 and result.uncertain_band == calibration.review_band(0.02)
    features, _ = data
    res = link_frame(features.head(1500), LinkageSettings(seed=1, threshold=None), threads=2)
    p = res.pairs["match_probability"]
    assert res.threshold == calibration.expected_f1_threshold(p)
    assert 0.02 < res.threshold < 1.0
    lo, hi = res.uncertain_band
    assert lo < res.threshold < hi and (lo, hi) == calibration.review_band(res.threshold)
    q = res.review.pairs["match_probability"]
    assert len(q) and ((q >= lo) & (q < hi)).all()
    lo, hi = result.uncertain_band
    assert lo < result.threshold < hi and (lo, hi) == calibration.review_band(result.threshold)
    q = result.review.pairs["match_probability"]
    assert len(q) and ((q >= lo) & (q < hi)).all()


def test_every_record_gets_one_individual(data, result):
    features, _ = data
    assert len(result.clusters) == len(features)
    assert set(result.clusters["record_key"]) == set(features["record_key"])
    assert result.clusters["individual_id"].str.match(r"^I[0-9a-f]{16}$").all()


def test_rerun_with_previous_mapping_keeps_ids(data, result):
    features, _ = data
    again = link_frame(features, LinkageSettings(seed=1), previous=result.clusters, threads=2)
    merged = result.clusters.merge(again.clusters, on="record_key", suffixes=("_1", "_2"))
    same = (merged["individual_id_1"] == merged["individual_id_2"]).mean()
    assert same > 0.99


def test_names_and_dob_only(data):
    features, truth = data
    sub = features[["record_key", "given_name", "family_name", "date_of_birth"]]
    res = link_frame(sub, LinkageSettings(), threads=2)
    assert set(res.features_used) >= {"name_var", "dob_y"} and "office_country" not in res.features_used
    s = score_clusters(res.clusters, truth)
    # names and birth dates alone give about P 0.80, R 0.83, F1 0.82, individuals +2.7% on this generator
    # (the simulator's name book: Lao, Khmer, Arabic and Cyrillic names in their own scripts half the
    # time at origin offices, a dozen Vietnamese family names). Without citizenship the wider nets of
    # blocking.affordable_nets apply; before them: P 0.85, R 0.73, F1 0.79.
    assert s.pair_precision > 0.77 and s.pair_f1 > 0.80 and abs(s.individuals_error) < 0.06


def test_three_records_with_no_sure_pair():
    """The deterministic rules find no pair, so Splink estimates a prior of 0 (whose match weight is
    log 0): the model keeps its starting prior instead, and each record is its own individual."""
    df = pd.DataFrame(
        {
            "record_key": ["a", "b", "c"],
            "given_name": ["Anna", "Iryna", "Olga"],
            "family_name": ["Koval", "Koval", "Bondar"],
            "date_of_birth": ["1990-01-02", "1990-01-02", "1985"],
            "sex": ["female"] * 3,
            "citizenship": ["UA"] * 3,
            "office_country": ["PL", "UA", "PL"],
            "registration_date": ["2020-01-01", "2020-05-01", "2021-01-01"],
        }
    )
    res = link_frame(df, LinkageSettings(), threads=1)
    assert sorted(res.clusters["record_key"]) == ["a", "b", "c"]
    assert res.individuals == 3
    assert 0.0 < res.model["probability_two_random_records_match"] < 1.0


def test_each_stage_is_reported_as_it_ends():
    """A long benchmark keeps the stages it finished: link_frame tells each stage's seconds as it ends."""
    df = pd.DataFrame({"record_key": list("abcd"), "given_name": ["Anna", "Anna", "Olga", "Iryna"],
                       "family_name": ["Koval", "Koval", "Bondar", "Shevchenko"],
                       "date_of_birth": ["1990-01-02", "1990-01-02", "1985", "1979-03-04"]})
    told: list[tuple[str, float]] = []
    res = link_frame(df, LinkageSettings(), threads=1, on_stage=lambda k, v: told.append((k, v)))
    assert [k for k, _ in told] == ["features_s", "blocking_s", "training_s", "predict_s", "cluster_s", "total_s"]
    assert dict(told) == res.timings and all(v >= 0 for _, v in told)


def test_dob_only_and_nothing_to_link_on():
    df = pd.DataFrame({"record_key": ["a", "b", "c"], "date_of_birth": ["1990-01-02", "1990-01-02", "1971"]})
    res = link_frame(df, LinkageSettings())
    assert len(res.clusters) == 3
    bare = link_frame(pd.DataFrame({"record_key": ["a", "b"], "sex": [None, None]}), LinkageSettings())
    assert bare.clusters["individual_id"].nunique() == 2


def test_review_labels_override_and_leave_the_queue(data):
    features, _ = data
    linker = Linker(features.head(1500), LinkageSettings(uncertain_band=(0.2, 0.99)), threads=2)
    try:
        queue = linker.review_queue()
        assert len(queue) > 0
        top = queue.next(2)
        assert ((top["match_probability"] >= 0.2) & (top["match_probability"] < 0.99)).all()
        a, b = top.iloc[0]["record_key_l"], top.iloc[0]["record_key_r"]
        c, d = top.iloc[1]["record_key_l"], top.iloc[1]["record_key_r"]
        labels = pd.DataFrame([make_label(a, b, "not_match", by="dm1"), make_label(c, d, "match", by="dm1")])
        clusters = linker.clustering.cluster(labels=labels).set_index("record_key")["individual_id"]
        assert clusters[a] != clusters[b]
        assert clusters[c] == clusters[d]
        left = linker.review_queue(labels).pairs
        assert not ((left["record_key_l"] == a) & (left["record_key_r"] == b)).any()
        assert linker.evaluation.against_labels(labels, linker.clustering.clusters)["f1"] == 1.0
    finally:
        linker.close()


def test_waterfall_explains_any_pair(data):
    features, _ = data
    linker = Linker(features.head(1500), LinkageSettings(), threads=2)
    try:
        pairs = linker.inference.predict()
        a, b = pairs.iloc[0]["record_key_l"], pairs.iloc[0]["record_key_r"]
        table = linker.explain(a, b)
        assert table.iloc[0]["comparison"] == "prior"
        assert {"name", "dob"} <= set(table["comparison"])
        assert table["cumulative"].iloc[-1] == pytest.approx(pairs.iloc[0]["match_weight"], abs=1e-6)
        chart = waterfall_chart(table).to_dict()
        assert chart["mark"]["type"] == "bar"
        far = linker.explain(features["record_key"].iloc[0], features["record_key"].iloc[1])
        assert len(far) >= 3
    finally:
        linker.close()


def test_settings_round_trip_and_errors(tmp_path):
    s = LinkageSettings(threshold=0.8, uncertain_band=(0.3, 0.95), blocking_rules=["l.name_var = r.name_var"])
    p = tmp_path / "s.json"
    s.save(p)
    assert LinkageSettings.load(p) == s
    with pytest.raises(ConfigError):
        LinkageSettings(threshold=1.5)
    with pytest.raises(ConfigError):
        LinkageSettings.from_json('{"treshold": 0.5}')
    with pytest.raises(ConfigError):
        LinkageSettings(backend="oracle")
    with pytest.raises(ConfigError, match="memory_limit"):
        LinkageSettings(memory_limit="lots")


def test_memory_limit_bounds_duckdb_and_its_spill_directory_goes_with_the_backend():
    b = make_backend("duckdb", threads=1, memory_limit="300MB")
    con = b.db_api.duckdb_con
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB", "300MB")
    assert spill == b.owned_spill_dir and os.path.isdir(spill)
    # an aggregation larger than the limit completes by spilling
    n = con.execute("SELECT count(*) FROM (SELECT i % 20000000 AS k, count(*) FROM range(40000000) t(i) GROUP BY k)")
    assert n.fetchone()[0] == 20_000_000
    b.close()
    assert not os.path.exists(spill)


def test_spark_backend_without_pyspark_is_a_clear_error(spark, monkeypatch):
    assert make_backend("spark").name == "spark"
    monkeypatch.setitem(sys.modules, "splink.backends.spark", None)  # as if PySpark were not installed
    with pytest.raises(BackendUnavailable, match="PySpark"):
        make_backend("spark")


def test_document_keys_train_the_model_and_link_across_spellings(data):
    features, truth = data
    rng = np.random.default_rng(3)
    person = truth.set_index("record_key")["person_id"].reindex(features["record_key"]).to_numpy()
    docs = np.where(rng.random(len(features)) < 0.5, person, None)  # an exact key for half of the records
    with_docs = features.assign(id_document_key=docs)
    res = link_frame(with_docs, LinkageSettings(seed=1), threads=2)
    assert "doc_key" in res.features_used
    comps = {c["output_column_name"]: c for c in res.model["comparisons"]}
    same_doc = comps["document"]["comparison_levels"][1]
    assert same_doc["m_probability"] > 0.5 and same_doc["m_probability"] / same_doc["u_probability"] > 1e3
    base = score_clusters(link_frame(features, LinkageSettings(seed=1), threads=2).clusters, truth)
    assert score_clusters(res.clusters, truth).pair_recall > base.pair_recall


def test_exploitation_fields_are_compared_and_block_where_present():
    from ctdata.linkage.blocking import default_blocking_rules
    from ctdata.linkage.comparisons import comparisons_for

    cols = ["name_var", "tok_a", "given_dm1", "dob_y", "sex", "citizenship", "exp_country", "exp_start", "exp_y"]
    names = [c["output_column_name"] for c in comparisons_for(cols)]
    assert "exploitation" in names
    assert any("exp_start" in r for r in default_blocking_rules(cols))
    assert "exploitation" not in [c["output_column_name"] for c in comparisons_for(["name_var", "dob_y"])]


def test_birth_date_disagreement_is_learned_from_document_pairs_not_capped(data):
    # A register whose duplicates often carry another date of birth altogether (as FEBRL's do): pairs
    # with one identity document show it, and that is no EM confusion to cap (the cap held it at 0.03).
    features, truth = data
    rng = np.random.default_rng(5)
    person = truth.set_index("record_key")["person_id"].reindex(features["record_key"]).to_numpy()
    days = rng.integers(0, 365 * 40, len(features))
    other = (pd.Timestamp("1960-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d").to_numpy()
    dob = np.where(rng.random(len(features)) < 0.3, other, features["date_of_birth"].to_numpy(dtype=object))
    res = link_frame(features.assign(id_document_key=person, date_of_birth=dob), LinkageSettings(seed=1), threads=2)
    comps = {c["output_column_name"]: c for c in res.model["comparisons"]}
    other_dates = comps["dob"]["comparison_levels"][-1]
    assert other_dates["m_probability"] > 0.1


def test_reviewed_pairs_calibrate_the_next_run_and_choose_its_threshold(data, result):
    """By default reviewed pairs are forced and forbidden links and nothing else (calibrating on them
    lowered F1 on four data sets of five). Asked to (review_calibration_min), after 60 decisions on
    the review queue the next run's probabilities are fitted to them, and its threshold is the
    expected-F1 cut of those probabilities instead of the fixed default."""
    from ctdata.linkage import calibration

    features, truth = data
    person = truth.set_index(truth["record_key"].astype(str))["person_id"]
    q = result.review.next(60)
    labels = pd.DataFrame(
        [
            make_label(a, b, "match" if person[a] == person[b] else "not_match", by="dm1")
            for a, b in zip(q["record_key_l"].astype(str), q["record_key_r"].astype(str), strict=True)
        ]
    )
    assert result.calibration == {} and result.threshold == LinkageSettings().threshold
    plain = link_frame(features, LinkageSettings(seed=1), labels=labels, threads=2, keep_model=False)
    assert plain.calibration == {} and plain.threshold == LinkageSettings().threshold  # labels only by default
    plain_ids = plain.clusters.set_index("record_key")["individual_id"]
    again = link_frame(
        features, LinkageSettings(seed=1, review_calibration_min=50), labels=labels, threads=2, keep_model=False
    )
    assert again.calibration["labels"] == len(labels)
    assert again.calibration["matches"] == int((labels["decision"] == "match").sum())
    assert again.threshold == calibration.expected_f1_threshold(again.pairs["match_probability"])
    # the decisions hold in the clusters whatever the calibration did
    ids = again.clusters.set_index("record_key")["individual_id"]
    for a, b, d in zip(labels["record_key_l"], labels["record_key_r"], labels["decision"], strict=True):
        assert (ids[a] == ids[b]) == (d == "match")
        assert (plain_ids[a] == plain_ids[b]) == (d == "match")


@pytest.mark.parametrize("dobs", [["1990", "1990", "1985"], ["1990-05", "1990-05", "1985"]])
def test_records_with_no_full_date_of_birth_link_without_error(dobs):
    """Only years (or years and months) of birth: the date of birth comparison still has the parts it
    reads (empty where unknown). Before, the empty full-date column was dropped and Splink failed with
    a binding error on dob_full, so a small store of such records could not be linked at all."""
    df = pd.DataFrame({"record_key": list("abc"), "given_name": ["Anna", "Anna", "Olga"],
                       "family_name": ["Koval", "Koval", "Bondar"], "date_of_birth": dobs,
                       "sex": ["female"] * 3, "citizenship": ["UA"] * 3})
    res = link_frame(df, LinkageSettings(), threads=1)
    assert sorted(res.clusters["record_key"]) == ["a", "b", "c"]
    assert 1 <= res.individuals <= 3


def test_a_disagreement_is_never_evidence_for_a_match(data):
    # A register of one sex but for a few records (slips): random pairs differ in sex far less often
    # than the floor on m says one person's records do, so the level 'all other comparisons' had m > u
    # and a recorded sex that differs counted for a match (as among namesakes, who share a sex).
    features, _ = data
    rng = np.random.default_rng(3)
    sub = features.iloc[:2000].copy()
    sub["sex"] = np.where(rng.random(len(sub)) < 0.001, "male", "female")
    res = link_frame(sub, LinkageSettings(seed=1), threads=2)
    comps = {c["output_column_name"]: c for c in res.model["comparisons"]}
    assert "sex" in comps
    for name, comp in comps.items():
        last = comp["comparison_levels"][-1]
        assert last["label_for_charts"] == "All other comparisons"
        assert last["m_probability"] <= last["u_probability"] * (1 + 1e-9), name
        us = [lv["u_probability"] for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        assert sum(us) == pytest.approx(1.0)


def test_groups_merge_only_when_their_cross_pairs_average_the_default_threshold():
    """Two groups joined by one link above the threshold while their other cross pairs are unscored
    are two people by default (settings.cluster_min_average 0.02, the default threshold); 0 turns the
    average off and the single link chains them."""
    df = pd.DataFrame({"record_key": list("abcd"), "given_name": ["Anna", "Anna", "Ana", "Ana"],
                       "family_name": ["Koval"] * 4})
    p = pd.DataFrame({"record_key_l": ["a", "c", "b"], "record_key_r": ["b", "d", "c"],
                      "match_probability": [0.99, 0.99, 0.05]})

    def clusters(**kw: object) -> pd.Series:
        linker = Linker(df, LinkageSettings(**kw), threads=1)
        try:
            return linker.clustering.raw_clusters(p).set_index("record_key")["cluster"]
        finally:
            linker.close()

    default = clusters()  # the cross pairs average 0.05 / 4 = 0.0125
    assert default["a"] == default["b"] != default["c"] == default["d"]
    assert clusters(cluster_min_average=0.0).nunique() == 1
    assert clusters(cluster_min_average=0.01).nunique() == 1
    with pytest.raises(ConfigError):
        LinkageSettings(cluster_min_average=1.5).validate()
