"""How good are the clusters: against a simulator's ground truth and reviewers' labels.

Pairwise scores count pairs of records put together (precision: of the pairs
we joined, how many are one person; recall: of the pairs that are one person,
how many we joined). Cluster scores count whole individuals that came out
exactly right. The error in the count of individuals is what the annual report
cares about most, so it is reported on its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ctdata.text import svg_title


@dataclass(frozen=True)
class Scores:
    pair_precision: float
    pair_recall: float
    pair_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    individuals_predicted: int
    individuals_true: int
    individuals_error: float  # relative: (predicted - true) / true
    records: int

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(sizes: pd.Series) -> int:
    s = sizes.to_numpy(dtype="int64")
    return int((s * (s - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score_clusters(predicted: pd.DataFrame, truth: pd.DataFrame) -> Scores:
    """predicted: record_key, individual_id (or cluster); truth: record_key, person_id.

    Only records present in both are scored. With no pairs at all on one side,
    that side's precision or recall is taken as 1 (nothing to get wrong).
    """
    pid = "individual_id" if "individual_id" in predicted.columns else "cluster"
    p = predicted[["record_key", pid]].rename(columns={pid: "pred"}).astype({"record_key": str})
    t = truth[["record_key", "person_id"]].rename(columns={"person_id": "true"}).astype({"record_key": str})
    m = p.merge(t, on="record_key", how="inner")
    pred_pairs = _pairs(m.groupby("pred").size())
    true_pairs = _pairs(m.groupby("true").size())
    tp = _pairs(m.groupby(["pred", "true"]).size())
    pp = tp / pred_pairs if pred_pairs else 1.0
    pr = tp / true_pairs if true_pairs else 1.0

    # Exact clusters: a predicted cluster equal to a true one (same size, all one person).
    pred_size = m.groupby("pred").size()
    true_size = m.groupby("true").size()
    cell = m.groupby(["pred", "true"]).size().reset_index(name="n")
    cell["pred_n"] = cell["pred"].map(pred_size).to_numpy()
    cell["true_n"] = cell["true"].map(true_size).to_numpy()
    exact = int(((cell["n"] == cell["pred_n"]) & (cell["n"] == cell["true_n"])).sum())
    n_pred, n_true = len(pred_size), len(true_size)
    cp = exact / n_pred if n_pred else 1.0
    cr = exact / n_true if n_true else 1.0
    return Scores(
        pair_precision=pp,
        pair_recall=pr,
        pair_f1=_f1(pp, pr),
        cluster_precision=cp,
        cluster_recall=cr,
        cluster_f1=_f1(cp, cr),
        individuals_predicted=n_pred,
        individuals_true=n_true,
        individuals_error=(n_pred - n_true) / n_true if n_true else 0.0,
        records=len(m),
    )


def score_labels(predicted: pd.DataFrame, labels: pd.DataFrame) -> dict:
    """Agreement with reviewers' labels (decision 'match' or 'not_match'; 'unsure' is ignored)."""
    pid = "individual_id" if "individual_id" in predicted.columns else "cluster"
    ids = predicted.set_index(predicted["record_key"].astype(str))[pid]
    lab = labels[labels["decision"].isin(["match", "not_match"])]
    same = lab["record_key_l"].astype(str).map(ids).to_numpy() == lab["record_key_r"].astype(str).map(ids).to_numpy()
    is_match = (lab["decision"] == "match").to_numpy()
    tp = int((same & is_match).sum())
    fp = int((same & ~is_match).sum())
    fn = int((~same & is_match).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"labels": len(lab), "precision": p, "recall": r, "f1": _f1(p, r)}


def threshold_curve(
    cluster_at: Callable[[float], pd.DataFrame], truth: pd.DataFrame, thresholds: Sequence[float]
) -> pd.DataFrame:
    """Scores at each threshold; `cluster_at(t)` returns record_key -> cluster for threshold t."""
    rows = []
    for t in thresholds:
        s = score_clusters(cluster_at(float(t)), truth)
        rows.append({"threshold": float(t), **s.as_dict()})
    return pd.DataFrame(rows)


def curve_chart(curve: pd.DataFrame):
    """Altair chart: pairwise and cluster F1 and the individuals error against the threshold."""
    import altair as alt

    long = curve.melt(
        id_vars=["threshold"],
        value_vars=["pair_precision", "pair_recall", "pair_f1", "cluster_f1", "individuals_error"],
        var_name="measure",
        value_name="value",
    )
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="match probability threshold"),
            y=alt.Y("value:Q", title="score"),
            color=alt.Color("measure:N"),
            tooltip=["threshold", "measure", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(title="Linkage quality by threshold", width=480, height=280)
    )


def write_report(
    path: Path,
    scores: Scores,
    curve: pd.DataFrame | None = None,
    *,
    title: str = "Linkage evaluation",
    notes: Sequence[str] = (),
) -> Path:
    """Write a small report: Markdown for a .md path, otherwise self-contained HTML (chart as inline SVG)."""
    path = Path(path)
    rows = [
        ("Pairwise precision", f"{scores.pair_precision:.4f}"),
        ("Pairwise recall", f"{scores.pair_recall:.4f}"),
        ("Pairwise F1", f"{scores.pair_f1:.4f}"),
        ("Cluster precision", f"{scores.cluster_precision:.4f}"),
        ("Cluster recall", f"{scores.cluster_recall:.4f}"),
        ("Cluster F1", f"{scores.cluster_f1:.4f}"),
        ("Individuals (linked)", f"{scores.individuals_predicted:,}"),
        ("Individuals (truth)", f"{scores.individuals_true:,}"),
        ("Error in count of individuals", f"{scores.individuals_error:+.2%}"),
        ("Records scored", f"{scores.records:,}"),
    ]
    if path.suffix.lower() == ".md":
        lines = [f"# {title}", "", "| measure | value |", "|---|---|"]
        lines += [f"| {a} | {b} |" for a, b in rows]
        if curve is not None and len(curve):
            lines += [
                "",
                "## Threshold curve",
                "",
                curve.to_markdown(index=False, floatfmt=".4f") if _has_tabulate() else curve.to_string(index=False),
            ]
        lines += ["", *[f"- {n}" for n in notes]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    body = [f"<h1>{html.escape(title)}</h1>", "<table>"]
    body += [f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in rows]
    body.append("</table>")
    if curve is not None and len(curve):
        try:
            import vl_convert as vlc

            svg = vlc.vegalite_to_svg(curve_chart(curve).to_json())
            name = "Linkage quality by threshold: precision, recall, F1 and individuals error"
            body.append(svg_title(svg.split("?>", 1)[-1], name, "threshold-curve"))
        except Exception:  # noqa: BLE001 - the table below still carries the numbers
            pass
        body.append(curve.to_html(index=False, float_format=lambda v: f"{v:.4f}"))
    body += [f"<p>{html.escape(n)}</p>" for n in notes]
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        + html.escape(title)
        + "</title></head><body>"
        + "\n".join(body)
        + "</body></html>\n",
        encoding="utf-8",
    )
    return path


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
