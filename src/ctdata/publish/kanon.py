"""k-anonymised microdata: global generalisation, then local recoding and suppression.

How it works, and why:

1. Only records whose consent allows research use are taken (see ``guard.consented``).
2. Records are collapsed to their distinct quasi-identifier combinations with
   counts, so every later step costs the number of combinations, not records.
3. **Global recoding** - an optimal search of the generalisation lattice (every
   combination of hierarchy levels). The objective is Iyengar's *loss metric*
   (LM): the mean over records and quasi-identifiers of the generalisation
   precision loss ((leaves under the label - 1) / (leaves - 1)), where a record
   left in a class smaller than k counts as fully lost. Nodes are visited in
   order of a data-derived lower bound (the loss if nothing were suppressed),
   so the search stops as soon as no unvisited node can beat the best one
   (branch and bound; exact, like Flash/OLA but simpler).
4. **Local recoding** of the records still in classes smaller than k: they
   alone are lifted, one attribute at a time, choosing greedily the lift that
   moves the most records into classes of size >= k per unit of added loss.
   Lifted labels are real hierarchy labels (``Western Africa``, ``adult``), so a
   lifted record can join an existing class. Whatever is still below k when
   everything is ``*`` is suppressed (removed).
5. Optional distinct l-diversity: classes with fewer than l distinct values of
   a sensitive attribute are removed.

The checks (k, l, prosecutor risk) are recomputed independently from the
released table with a pandas groupby; they do not trust the engine.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ctdata.errors import ValidationError
from ctdata.publish.guard import consented, refuse_identifiers
from ctdata.publish.hierarchies import EncodedAttribute, encode, hierarchy_for
from ctdata.publish.settings import DEFAULT_QIS, KAnonSettings

__all__ = ["DEFAULT_QIS", "KAnonSettings", "KAnonResult", "kanonymise"]

@dataclass
class KAnonResult:
    data: pd.DataFrame
    settings: KAnonSettings
    global_levels: dict[str, str]
    report: dict[str, Any]


# ---------------------------------------------------------------------------- checks


def class_sizes(df: pd.DataFrame, qis: list[str]) -> pd.Series:
    """Size of each record's equivalence class (literal equality, missing = a value)."""
    if len(df) == 0:
        return pd.Series([], dtype=np.int64)
    return df.groupby(list(qis), dropna=False, sort=False)[qis[0]].transform("size").astype(np.int64)


def check_k_anonymity(df: pd.DataFrame, qis: list[str], k: int) -> dict[str, Any]:
    sizes = class_sizes(df, qis)
    smallest = int(sizes.min()) if len(sizes) else 0
    return {
        "k": k,
        "smallest_class": smallest,
        "k_anonymous": bool(len(sizes) == 0 or smallest >= k),
        "classes": int(df.groupby(list(qis), dropna=False).ngroups) if len(df) else 0,
    }


def check_l_diversity(df: pd.DataFrame, qis: list[str], sensitive: list[str]) -> dict[str, Any]:
    """Distinct l-diversity per sensitive attribute: the fewest distinct values in any class."""
    out: dict[str, Any] = {}
    for s in sensitive:
        if s not in df or len(df) == 0:
            continue
        distinct = df.groupby(list(qis), dropna=False)[s].nunique(dropna=False)
        sizes = df.groupby(list(qis), dropna=False).size()
        out[s] = {
            "l": int(distinct.min()),
            "classes_with_l_1": int((distinct == 1).sum()),
            "records_in_l_1_classes": int(sizes[distinct == 1].sum()),
        }
    return out


def prosecutor_risk(df: pd.DataFrame, qis: list[str], threshold: float = 0.1) -> dict[str, Any]:
    """Prosecutor model: the attacker knows the target is in the release; risk = 1 / class size."""
    if len(df) == 0:
        return {"max": 0.0, "average": 0.0, "threshold": threshold, "share_at_risk": 0.0}
    risk = 1.0 / class_sizes(df, qis)
    return {
        "max": float(risk.max()),
        "average": float(risk.mean()),
        "threshold": threshold,
        "share_at_risk": float((risk > threshold).mean()),
    }


# ---------------------------------------------------------------------------- engine


def _combine(parts: list[np.ndarray], radices: list[int]) -> np.ndarray:
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for p, r in zip(parts, radices, strict=True):
        key = key * r + p
    return key


def _class_of(key: np.ndarray) -> np.ndarray:
    return pd.factorize(key)[0]


class _Engine:
    """Works on the distinct QI combinations (``M`` rows) with their record counts."""

    def __init__(self, attrs: list[EncodedAttribute], k: int, max_levels: dict[str, int]):
        self.attrs = attrs
        self.k = k
        codes = [a.codes for a in attrs]
        key = _combine(codes, [len(a.values) for a in attrs])
        uniq, self.record_combo, counts = np.unique(key, return_inverse=True, return_counts=True)
        self.counts = counts.astype(np.int64)
        # decode each combination's level-0 codes
        self.combo_codes = []
        rest = uniq.copy()
        for a in reversed(attrs):
            r = len(a.values)
            self.combo_codes.append(rest % r)
            rest //= r
        self.combo_codes.reverse()
        self.n = int(self.counts.sum())
        self.tops = [min(a.hierarchy.height, max_levels.get(a.name, a.hierarchy.height)) for a in attrs]
        self.radices = [len(a.label_names) for a in attrs]
        # loss of each combination for each attribute at each level (levels x M)
        self.combo_loss = [a.loss[:, c] for a, c in zip(attrs, self.combo_codes, strict=True)]
        self.combo_label = [a.label_code[:, c] for a, c in zip(attrs, self.combo_codes, strict=True)]

    def labels_at(self, levels: np.ndarray) -> list[np.ndarray]:
        """Label codes per attribute, for a (M x A) matrix of levels."""
        idx = np.arange(len(self.counts))
        return [self.combo_label[j][levels[:, j], idx] for j in range(len(self.attrs))]

    def sizes(self, levels: np.ndarray) -> np.ndarray:
        cls = _class_of(_combine(self.labels_at(levels), self.radices))
        return np.bincount(cls, weights=self.counts).astype(np.int64)[cls]

    def gen_loss(self, levels: np.ndarray) -> np.ndarray:
        """Per-combination loss (mean over attributes) at the given levels."""
        idx = np.arange(len(self.counts))
        total = np.zeros(len(self.counts))
        for j in range(len(self.attrs)):
            total += self.combo_loss[j][levels[:, j], idx]
        return total / len(self.attrs)

    def search(self, max_suppression: float, penalty: float = 1.0, keep: int = 3) -> tuple[list, dict]:
        """Best global nodes (up to ``keep``) by branch and bound.

        The objective is LM in which a record left in a small class counts
        ``max(its generalisation loss, penalty)``: ``penalty=1`` is plain LM
        with suppression; a lower penalty anticipates that local recoding will
        rescue most such records at a partial loss. Either way the objective is
        at least the loss without suppression, which is the search's bound.
        """
        m = len(self.counts)
        nodes = list(itertools.product(*[range(t + 1) for t in self.tops]))
        attr_level_loss = [
            [float((self.combo_loss[j][h] * self.counts).sum()) / self.n for h in range(self.tops[j] + 1)]
            for j in range(len(self.attrs))
        ]
        bounds = np.array([sum(attr_level_loss[j][h] for j, h in enumerate(node)) for node in nodes])
        bounds /= len(self.attrs)
        order = np.argsort(bounds, kind="stable")
        found: list[tuple[float, tuple[int, ...], float]] = []
        evaluated = 0
        for i in order:
            if len(found) >= keep and bounds[i] >= found[keep - 1][0]:
                break
            node = nodes[i]
            levels = np.broadcast_to(np.array(node, dtype=np.int64), (m, len(node)))
            small = self.sizes(levels) < self.k
            suppressed = float(self.counts[small].sum()) / self.n
            evaluated += 1
            if suppressed > max_suppression:
                continue
            gl = self.gen_loss(levels)
            gl = np.where(small, np.maximum(gl, penalty), gl)
            loss = float((gl * self.counts).sum()) / self.n
            found.append((loss, node, suppressed))
            found.sort(key=lambda x: x[0])
            del found[keep:]
        if not found:  # nothing within budget: the top node always is
            found = [(1.0, tuple(self.tops), 0.0)]
        stats = {"lattice_nodes": len(nodes), "nodes_evaluated": evaluated}
        return found, stats

    def local_recode(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Lift only the combinations in small classes until they reach k; returns (levels, kept, steps)."""
        levels = levels.copy()
        tops = np.array(self.tops)
        steps = 0
        while True:
            sizes = self.sizes(levels)
            active = sizes < self.k
            if not active.any():
                break
            best: tuple[float, int] | None = None
            for j in range(len(self.attrs)):
                can = active & (levels[:, j] < tops[j])
                if not can.any():
                    continue
                trial = levels.copy()
                trial[can, j] += 1
                new_sizes = self.sizes(trial)
                rescued = float(self.counts[active & (new_sizes >= self.k)].sum())
                idx = np.nonzero(can)[0]
                added = float(
                    (
                        (self.combo_loss[j][trial[idx, j], idx] - self.combo_loss[j][levels[idx, j], idx])
                        * self.counts[idx]
                    ).sum()
                )
                score = rescued / (added + 1e-9) if rescued > 0 else -added
                if best is None or score > best[0]:
                    best = (score, j)
            if best is None:
                break
            j = best[1]
            levels[active & (levels[:, j] < tops[j]), j] += 1
            steps += 1
        kept = self.sizes(levels) >= self.k
        return levels, kept, steps


def kanonymise(df: pd.DataFrame, settings: KAnonSettings | None = None) -> KAnonResult:
    """Release ``df`` k-anonymised on the settings' quasi-identifiers.

    ``df`` follows the standard's column names. Only the quasi-identifiers and
    ``settings.release_columns`` are released; identifiers are refused.
    """
    s = settings or KAnonSettings()
    s.validate()
    t0 = time.perf_counter()
    qis = list(s.quasi_identifiers)
    missing = [q for q in qis if q not in df.columns]
    if missing:
        raise ValidationError(f"quasi-identifier column(s) not in the data: {', '.join(missing)}")
    out_cols = qis + [c for c in s.release_columns if c in df.columns and c not in qis]
    refuse_identifiers(out_cols)

    ok = consented(df, s.include_unknown_consent).to_numpy()
    data = df.loc[ok, out_cols].reset_index(drop=True)
    n = len(data)
    report: dict[str, Any] = {
        "records_in": int(len(df)),
        "excluded_no_consent": int((~ok).sum()),
        "records_eligible": n,
    }
    if n == 0:
        return KAnonResult(data, s, {}, report | {"records_released": 0, "share_kept": 0.0})

    attrs = [encode(data[q], hierarchy_for(q)) for q in qis]
    engine = _Engine(attrs, s.k, s.max_levels)
    m = len(engine.counts)
    candidates: dict[tuple[int, ...], float] = {}
    search_stats: dict[str, Any] = {"nodes_evaluated": 0}
    for penalty in (1.0, 0.5, 0.25, 0.1) if s.local_recoding else (1.0,):
        found, st = engine.search(s.max_suppression, penalty)
        search_stats = {
            "lattice_nodes": st["lattice_nodes"],
            "nodes_evaluated": search_stats["nodes_evaluated"] + st["nodes_evaluated"],
        }
        for _, nd, _ in found:
            candidates.setdefault(nd, 0.0)
    best: tuple[float, tuple[int, ...], np.ndarray, np.ndarray, int] | None = None
    for nd in candidates:
        lv = np.broadcast_to(np.array(nd, dtype=np.int64), (m, len(nd))).copy()
        if s.local_recoding:
            lv, kc, st_ = engine.local_recode(lv)
        else:
            kc, st_ = engine.sizes(lv) >= s.k, 0
        kept_c = engine.counts * kc
        final = (float((engine.gen_loss(lv) * kept_c).sum()) + (n - float(kept_c.sum()))) / n
        candidates[nd] = final
        if best is None or final < best[0]:
            best = (final, nd, lv, kc, st_)
    assert best is not None
    _, node, levels, kept_combo, steps = best
    search_stats["candidates_final_loss"] = {
        ",".join(str(h) for h in nd): round(v, 5) for nd, v in candidates.items()
    }

    # materialise the released table
    keep_rec = kept_combo[engine.record_combo]
    rec_combo = engine.record_combo[keep_rec]
    labels = engine.labels_at(levels)
    out = data.loc[keep_rec].reset_index(drop=True)
    for a, lab in zip(attrs, labels, strict=True):
        names = np.array(a.label_names, dtype=object)
        out[a.name] = pd.array(names[lab[rec_combo]], dtype="string")

    dropped_l = 0
    if s.l_diversity > 1:
        for sens in s.sensitive_attributes:
            if sens not in out:
                continue
            distinct = out.groupby(qis, dropna=False)[sens].transform(lambda x: x.nunique(dropna=False))
            bad = distinct < s.l_diversity
            dropped_l += int(bad.sum())
            out = out.loc[~bad].reset_index(drop=True)

    combo_gl = engine.gen_loss(levels)
    kept_counts = engine.counts * kept_combo
    lm = (float((combo_gl * kept_counts).sum()) + (n - float(kept_counts.sum()))) / n
    released = len(out)
    sizes = class_sizes(out, qis)
    discern = float((sizes.astype(float)).sum()) + float(n - released) * n
    n_classes = int(out.groupby(qis, dropna=False).ngroups) if released else 0
    report |= {
        "records_released": released,
        "records_suppressed": n - released,
        "suppressed_by_l_diversity": dropped_l,
        "share_kept": released / n,
        "global_levels": {a.name: a.hierarchy.level_names[h] for a, h in zip(attrs, node, strict=True)},
        "records_locally_recoded": int(
            engine.counts[(levels != np.array(node)).any(axis=1) & kept_combo].sum()
        ),
        "local_recoding_steps": steps,
        "information_loss": {
            "loss_metric": lm,
            "loss_metric_kept_records": float((combo_gl * kept_counts).sum())
            / max(float(kept_counts.sum()), 1),
            "per_attribute_precision_loss": {
                a.name: float((engine.combo_loss[j][levels[:, j], np.arange(m)] * kept_counts).sum())
                / max(float(kept_counts.sum()), 1)
                for j, a in enumerate(attrs)
            },
            "discernibility_per_record": discern / n,
            "average_class_size_over_k": (released / n_classes / s.k) if n_classes else 0.0,
            "definitions": (
                "loss_metric: Iyengar LM, mean over records and quasi-identifiers of (leaves under "
                "the released label - 1)/(distinct leaves - 1), suppressed records count 1; "
                "discernibility: (sum of squared class sizes + suppressed * n) / n"
            ),
        },
        "search": search_stats,
        "checks": {
            "k_anonymity": check_k_anonymity(out, qis, s.k),
            "l_diversity": check_l_diversity(out, qis, list(s.sensitive_attributes)),
            "prosecutor_risk": prosecutor_risk(out, qis, s.risk_threshold),
        },
        "seconds": time.perf_counter() - t0,
    }
    return KAnonResult(out, s, report["global_levels"], report)
