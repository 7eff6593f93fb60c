"""Evaluation metrics against hand-computed examples."""

from __future__ import annotations

import pandas as pd
import pytest

from ctdata.linkage.evaluate import score_clusters, score_labels, write_report


def frame(keys, ids, col):
    return pd.DataFrame({"record_key": keys, col: ids})


def test_hand_computed_pair_and_cluster_scores():
    # truth: {a,b,c} {d,e} {f}; predicted: {a,b} {c,d,e} {f}
    truth = frame(list("abcdef"), [1, 1, 1, 2, 2, 3], "person_id")
    pred = frame(list("abcdef"), ["x", "x", "y", "y", "y", "z"], "individual_id")
    s = score_clusters(pred, truth)
    # predicted pairs: ab, cd, ce, de = 4; true pairs: ab, ac, bc, de = 4; common: ab, de = 2
    assert s.pair_precision == pytest.approx(0.5)
    assert s.pair_recall == pytest.approx(0.5)
    assert s.pair_f1 == pytest.approx(0.5)
    # exact clusters: only {f}: 1 of 3 predicted, 1 of 3 true
    assert s.cluster_precision == pytest.approx(1 / 3)
    assert s.cluster_f1 == pytest.approx(1 / 3)
    assert s.individuals_predicted == 3 and s.individuals_true == 3 and s.individuals_error == 0


def test_perfect_and_all_singletons():
    truth = frame(list("abcd"), [1, 1, 2, 3], "person_id")
    perfect = score_clusters(frame(list("abcd"), [9, 9, 8, 7], "individual_id"), truth)
    assert perfect.pair_f1 == 1.0 and perfect.cluster_f1 == 1.0
    single = score_clusters(frame(list("abcd"), [1, 2, 3, 4], "individual_id"), truth)
    assert single.pair_recall == 0.0 and single.pair_precision == 1.0
    assert single.individuals_error == pytest.approx(1 / 3)
    assert single.cluster_precision == pytest.approx(2 / 4)


def test_label_agreement():
    pred = frame(list("abc"), [1, 1, 2], "individual_id")
    labels = pd.DataFrame(
        {
            "record_key_l": ["a", "a", "b"],
            "record_key_r": ["b", "c", "c"],
            "decision": ["match", "match", "unsure"],
        }
    )
    got = score_labels(pred, labels)
    assert got["labels"] == 2 and got["precision"] == 1.0 and got["recall"] == 0.5


def test_report_files(tmp_path):
    truth = frame(list("ab"), [1, 1], "person_id")
    s = score_clusters(frame(list("ab"), [1, 1], "individual_id"), truth)
    curve = pd.DataFrame([{"threshold": 0.5, **s.as_dict()}])
    md = write_report(tmp_path / "r.md", s, curve).read_text()
    assert "Pairwise F1 | 1.0000" in md
    html = write_report(tmp_path / "r.html", s, curve).read_text()
    assert "<svg" in html and "Cluster F1" in html


def test_html_report_chart_has_an_accessible_name(tmp_path):
    """The threshold curve is announced by what it shows (role="img", labelled by its <title>)."""
    import re

    truth = frame(list("ab"), [1, 1], "person_id")
    s = score_clusters(frame(list("ab"), [1, 1], "individual_id"), truth)
    curve = pd.DataFrame([{"threshold": 0.5, **s.as_dict()}, {"threshold": 0.9, **s.as_dict()}])
    html = write_report(tmp_path / "r.html", s, curve).read_text()
    tag = re.search(r"<svg\b[^>]*>", html).group(0)
    assert 'role="img"' in tag and 'aria-labelledby="threshold-curve-title"' in tag
    assert '<title id="threshold-curve-title">Linkage quality by threshold' in html
