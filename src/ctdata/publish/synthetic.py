"""Differentially private synthetic records: OpenDP mechanisms, Private-PGM estimation.

Why this design ("select-measure-fit" on one budget, non-iterative):

1. **Public domains.** Every column's categories come from the standard
   (vocabularies, ISO countries, a declared year range), never from the data,
   so the domain itself reveals nothing.
2. **Lumping (budget share ``lump_share``).** Noisy one-way counts over the
   public domains, each column's budget weighted by its domain size
   (``lump_weight_power``; countries, with 250 possible values, get the most). A
   category is lumped only when its noisy count is below ``lump_sigmas`` noise
   standard deviations of *its own* measurement, i.e. when the noise could have
   made it up: the threshold follows the budget, not a share of the data, so a
   larger budget or more data keeps more countries. Lumped values go up their
   hierarchy (country -> other countries of its M49 intermediate region or
   sub-region -> region -> ``*``; year -> 5-year period -> ``*``; codes ->
   ``*``). Post-processing of DP counts. These counts are not thrown away: summed
   per released category they are a second measurement of each one-way marginal
   and enter the model fit (step 4) with their own noise.
3. **Measurement (the rest).** All one- and two-way marginals of the lumped
   columns, each through OpenDP's (discrete) Gaussian mechanism, budgets
   weighted towards larger tables as cells ** (1/3) (``weight_power``: the
   power that minimises the summed expected L1 noise of the tables), composed under zCDP in one OpenDP adaptive
   composition whose privacy map is the release's accounting.
3b. **Derived facts stay true.** When both country columns are synthesised, the
   country of exploitation is measured *relative to* the citizenship: a record
   exploited in its own country carries the code "same as citizenship" (a
   row-wise recoding, so the sensitivity is unchanged). An internal record thus
   stays internal whatever lumping does to either country, and the released
   ``cross_border`` column (``derived.cross_border``) agrees with the released
   countries in every row; a lumped pair is never counted cross-border because
   it looks different. Likewise a synthetic row in an age band under 18 is a
   child (``derived.child_consistent``).
4. **Model.** Pairs are ranked by how far their noisy marginal is from
   independence beyond what its noise explains (post-processing,
   ``independence_excess``); those with a positive excess enter the graphical
   model greedily while its junction tree stays under ``max_model_mb``
   (``select_pairs``): a pair the noise explains would add only noise. Private-PGM (mbi)
   fits a consistent Markov random field to the one-way and chosen two-way
   measurements by mirror descent with Nesterov momentum, stopped when the model explains the
   measurements as well as the true counts would (the discrepancy principle,
   ``fit_until_noise_level``: further steps fit noise), and synthetic rows are drawn by randomised
   rounding, which adds far less sampling error than i.i.d. sampling.

Unlike AIM this measures everything once and fits once (AIM refits the model
every round), which is what makes it fast; unlike MST it keeps every pair the
model can hold, not a spanning tree, which is what makes it accurate.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ctdata.errors import ValidationError
from ctdata.publish import derived
from ctdata.publish.guard import consented, refuse_identifiers
from ctdata.publish.hierarchies import STAR, hierarchy_for
from ctdata.publish.settings import SyntheticSettings
from ctdata.standard import vocab
from ctdata.standard.countries import all_alpha2

_CODE_COLUMNS = {
    "data_source": vocab.DATA_SOURCE,
    "sex": vocab.SEX,
    "age_band": vocab.AGE_BAND,
    "origin_region": vocab.UN_REGION,
    "exploitation_region": vocab.UN_REGION,
}
_MULTI_COLUMNS = {
    "exploitation_types": vocab.EXPLOITATION_TYPES,
    "labour_sectors": vocab.LABOUR_SECTORS,
    "means_of_control": vocab.MEANS_OF_CONTROL,
    # a victim's perpetrators taken together (analytics.perpetrators.victim_frame)
    "perpetrator_regions": vocab.UN_REGION,
    "perpetrator_sex": vocab.SEX,
    "perpetrator_age": vocab.PERPETRATOR_AGE_BAND,
    "perpetrator_relation": vocab.PERPETRATOR_RELATION,
}
_COUNTRY_COLUMNS = ("citizenship", "country_of_exploitation", "office_country")
MISSING = "__missing__"


@dataclass
class SyntheticResult:
    data: pd.DataFrame
    settings: SyntheticSettings
    #: the real (consented) rows mapped onto the released categories, for evaluation only;
    #: never part of a release
    real_projected: pd.DataFrame
    privacy: dict[str, Any]
    report: dict[str, Any]
    #: the real (consented) rows on the public domains, before lumping (``original_frame``),
    #: for evaluation over the original domain only; never part of a release
    original: pd.DataFrame | None = None
    #: each column's public value -> released label (the lumping; a product of DP counts)
    mapping: dict[str, dict[Any, Any]] | None = None


# ---------------------------------------------------------------------------- domains


def _multi_domain(v: vocab.Vocabulary) -> list[str]:
    codes = v.codes
    return codes + [";".join(p) for p in itertools.combinations(codes, 2)] + [STAR]


def public_domain(column: str, settings: SyntheticSettings) -> list[Any]:
    """Categories of a column known without looking at the data (missing is added last)."""
    if column == "registration_year":
        lo, hi = settings.year_range
        return [str(y) for y in range(lo, hi + 1)]
    if column == "child":
        return ["true", "false"]
    if column in _CODE_COLUMNS:
        return _CODE_COLUMNS[column].codes
    if column in _MULTI_COLUMNS:
        return _multi_domain(_MULTI_COLUMNS[column])
    if column in _COUNTRY_COLUMNS:
        return all_alpha2()
    raise ValidationError(
        f"no public domain for column {column!r}; synthesis supports {sorted(_supported())}"
    )


def _supported() -> set[str]:
    return {"registration_year", "child", *_CODE_COLUMNS, *_MULTI_COLUMNS, *_COUNTRY_COLUMNS}


def _normalise(column: str, s: pd.Series) -> pd.Series:
    """Input values as domain strings; missing as None."""
    if column == "child":
        b = s.astype("boolean")
        return b.map({True: "true", False: "false"}).astype(object).where(b.notna(), None)
    if column == "registration_year":
        y = pd.to_numeric(s, errors="coerce").astype("Int64")
        return y.astype("string").astype(object).where(y.notna(), None)
    if column in _MULTI_COLUMNS:
        order = {c: i for i, c in enumerate(_MULTI_COLUMNS[column].codes)}

        def canon(v: object) -> object:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                return None
            parts = sorted(
                {p.strip() for p in str(v).split(";") if p.strip()}, key=lambda p: order.get(p, 99)
            )
            if len(parts) > 2 or any(p not in order for p in parts):
                return STAR
            return ";".join(parts) if parts else None

        uniq = pd.unique(s.astype(object))
        return s.astype(object).map({u: canon(u) for u in uniq if u is not None and not pd.isna(u)})
    return s.astype("string").astype(object).where(s.notna(), None)


def _lump(column: str, domain: list[Any], noisy: np.ndarray, threshold: float) -> dict[Any, Any]:
    """Map each domain value to its released label, lumping rare ones up the hierarchy."""
    h = hierarchy_for(column)
    mapping: dict[Any, Any] = {}
    counts = dict(zip(domain, noisy[:-1], strict=True))
    rare = [v for v in domain if counts[v] < threshold]
    for v in domain:
        if v not in rare:
            mapping[v] = v
    if column in _COUNTRY_COLUMNS or column == "registration_year":
        levels = (1, 2, 3) if column in _COUNTRY_COLUMNS else (2,)
        pending = rare
        for lvl in levels:
            groups: dict[Any, list[Any]] = {}
            for v in pending:
                groups.setdefault(h.label(int(v) if column == "registration_year" else v, lvl), []).append(v)
            pending = []
            for lab, members in groups.items():
                if sum(counts[m] for m in members) >= threshold:
                    for m in members:
                        mapping[m] = lab
                else:
                    pending.extend(members)
        rare = pending
    for v in rare:
        mapping[v] = STAR
    return mapping


# ---------------------------------------------------------------------------- OpenDP plumbing


def _dp():
    import opendp.prelude as dp

    dp.enable_features("contrib", "honest-but-curious")
    return dp


def rho_for(epsilon: float, delta: float) -> float:
    """Largest zCDP rho whose OpenDP conversion gives (epsilon, delta)-DP."""
    dp = _dp()
    space = dp.user_domain("Probe", lambda x: True), dp.symmetric_distance()

    def eps_of(rho: float) -> float:
        comp = dp.c.make_adaptive_composition(*space, dp.zero_concentrated_divergence(), 1, [rho])
        return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(comp), delta).map(1)[0]

    lo, hi = 0.0, max(epsilon, 1.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        if eps_of(mid) <= epsilon:
            lo = mid
        else:
            hi = mid
    return lo


def _marginal_measurements(
    dp, space, cards: list[int], cliques: list[tuple[int, ...]], weights, rho: float, recode=None
):
    """One OpenDP composition of Gaussian noisy marginals spending exactly ``rho`` (zCDP).

    ``recode[j]`` maps column j's raw codes to released codes (a row-wise map, so
    the sensitivity is unchanged).
    """
    out_space = dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l2_distance(T=dp.i64)

    def marginal(clique: tuple[int, ...]):
        shape = [cards[c] for c in clique]

        def count(x: np.ndarray) -> list[int]:
            cols_ = [x[:, c] if recode is None else recode[c][x[:, c]] for c in clique]
            flat = np.ravel_multi_index(tuple(cols_), shape)
            return np.bincount(flat, minlength=int(np.prod(shape))).tolist()

        # adding or removing one record changes one cell by one: L2 sensitivity = d_in
        return dp.t.make_user_transformation(*space, *out_space, count, lambda d: d)

    transforms = [marginal(c) for c in cliques]
    wsum = float(np.sum(np.square(weights)))

    def make(scale: float):
        return dp.c.make_composition(
            [t >> dp.m.then_gaussian(scale / w) for t, w in zip(transforms, weights, strict=True)]
        )

    # the discrete Gaussian's map is exact; start from the closed form and nudge up until it fits
    scale = float(np.sqrt(wsum / (2 * rho)))
    meas = make(scale)
    step = 1e-9
    while meas.map(1) > rho:
        scale *= 1 + step
        step *= 4
        meas = make(scale)
    stds = [scale / w for w in weights]
    return meas, stds


# ---------------------------------------------------------------------------- synthesis


def _paired(cols: list[str]) -> bool:
    return "citizenship" in cols and "country_of_exploitation" in cols


def _on_domains(df: pd.DataFrame, settings: SyntheticSettings) -> pd.DataFrame:
    out = {}
    for c in settings.columns:
        v = _normalise(c, df[c])
        dom = set(public_domain(c, settings))
        out[c] = v.where(v.isin(dom), None)
    return pd.DataFrame(out).reset_index(drop=True)


def original_frame(df: pd.DataFrame, settings: SyntheticSettings) -> pd.DataFrame:
    """The rows on the public domains before any lumping: the *original* domain of evaluation.

    Values outside a column's public domain (a year outside ``year_range``, an
    unknown code) become missing, and a multi-valued column keeps at most two
    codes (else ``*``), exactly as the synthesiser reads them; every method
    compared with it reads the same rows. Types as in a release (text; ``child``
    boolean; ``cross_border`` added when both country columns are there).
    """
    out = _on_domains(df, settings).astype("string")
    if "child" in out:
        out["child"] = out["child"].map({"true": True, "false": False}).astype("boolean")
    if _paired(list(settings.columns)):
        out["cross_border"] = derived.cross_border(out["citizenship"], out["country_of_exploitation"])
    return out


def _domains(cols: list[str], s: SyntheticSettings) -> dict[str, list[Any]]:
    domains = {c: public_domain(c, s) for c in cols}
    if _paired(cols):
        domains["country_of_exploitation"] = domains["country_of_exploitation"] + [derived.SAME]
    return domains


def synthesise(df: pd.DataFrame, settings: SyntheticSettings | None = None) -> SyntheticResult:
    """Release a DP synthetic table of ``settings.columns`` from the consented rows of ``df``."""
    import jax
    import jax.numpy as jnp
    from mbi import Domain, LinearMeasurement, junction_tree

    s = settings or SyntheticSettings()
    s.validate()
    t0 = time.perf_counter()
    cols = list(s.columns)
    refuse_identifiers(cols)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValidationError(f"column(s) not in the data: {', '.join(missing)}")
    ok = consented(df, s.include_unknown_consent).to_numpy()
    data = df.loc[ok, cols].reset_index(drop=True)
    n = len(data)
    if n == 0:
        raise ValidationError("no consented records to synthesise from")

    dp = _dp()
    rng = np.random.default_rng(s.seed)
    rho = rho_for(s.epsilon, s.delta)
    rho1 = rho * s.lump_share
    rho2 = rho - rho1
    space = dp.user_domain("EncodedRecords", lambda x: isinstance(x, np.ndarray)), dp.symmetric_distance()
    comp = dp.c.make_adaptive_composition(*space, dp.zero_concentrated_divergence(), 1, [rho1, rho2])

    # encode on the public domains (missing last; values outside the domain count as missing);
    # the country of exploitation relative to the citizenship (row-wise: same sensitivity)
    on_domains = _on_domains(data, s)
    norm = {c: on_domains[c] for c in cols}
    if _paired(cols):
        norm["country_of_exploitation"] = derived.relative_exploitation(
            norm["citizenship"], norm["country_of_exploitation"]
        )
    domains = _domains(cols, s)
    raw_codes = np.empty((n, len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        index = {v: i for i, v in enumerate(domains[c])}
        raw_codes[:, j] = norm[c].map(index).fillna(len(domains[c])).astype(np.int64).to_numpy()
    raw_cards = [len(domains[c]) + 1 for c in cols]
    qbl = comp(raw_codes)

    # phase 1: noisy one-way counts on public domains, budget by domain size -> lumping
    w1 = np.asarray([float(k) ** s.lump_weight_power for k in raw_cards])
    w1 = list(w1 / np.mean(w1))
    m1, std1 = _marginal_measurements(dp, space, raw_cards, [(j,) for j in range(len(cols))], w1, rho1)
    oneway = [np.asarray(o, dtype=float) for o in qbl(m1)]
    noisy_total = float(np.mean([np.clip(o, 0, None).sum() for o in oneway]))
    labels: dict[str, list[Any]] = {}
    code_maps: list[np.ndarray] = []
    thresholds: dict[str, float] = {}
    for j, c in enumerate(cols):
        threshold = max(s.lump_sigmas * std1[j], s.lump_min_share * noisy_total)
        thresholds[c] = threshold
        if domains[c][-1] == derived.SAME:  # a public code, never lumped
            mapping = _lump(c, domains[c][:-1], np.delete(oneway[j], len(domains[c]) - 1), threshold)
            mapping[derived.SAME] = derived.SAME
        else:
            mapping = _lump(c, domains[c], oneway[j], threshold)
        labs: list[Any] = []
        for v in domains[c]:
            if mapping[v] not in labs:
                labs.append(mapping[v])
        labs.append(None)  # missing
        pos = {lab: i for i, lab in enumerate(labs)}
        code_maps.append(np.array([pos[mapping[v]] for v in domains[c]] + [len(labs) - 1], dtype=np.int64))
        labels[c] = labs
    codes = np.column_stack([code_maps[j][raw_codes[:, j]] for j in range(len(cols))])
    cards = [len(labels[c]) for c in cols]

    # phase 2: all one- and two-way marginals of the lumped columns
    cliques = [(j,) for j in range(len(cols))] + list(itertools.combinations(range(len(cols)), 2))
    weights = [float(np.prod([cards[i] for i in cl])) ** s.weight_power for cl in cliques]
    weights = list(np.asarray(weights) / np.mean(weights))
    m2, stds = _marginal_measurements(dp, space, cards, cliques, weights, rho2, recode=code_maps)
    noisy = qbl(m2)

    # model selection (post-processing): pairs whose noisy marginal departs from independence by
    # more than the noise explains, strongest first, while the junction tree stays small enough
    names = [f"c{j}" for j in range(len(cols))]
    domain = Domain(names, cards)
    one = {
        cl[0]: np.clip(np.asarray(noisy[i], dtype=float), 0, None)
        for i, cl in enumerate(cliques)
        if len(cl) == 1
    }
    total = float(np.mean([v.sum() for v in one.values()]))
    std_one = [stds[i] for i, cl in enumerate(cliques) if len(cl) == 1]
    excess = {
        i: independence_excess(np.asarray(noisy[i], dtype=float), one[cl[0]], one[cl[1]], total, stds[i])
        for i, cl in enumerate(cliques)
        if len(cl) == 2
    }
    chosen_idx = [i for i, cl in enumerate(cliques) if len(cl) == 1] + select_pairs(
        excess,
        lambda idx: junction_tree.hypothetical_model_size(
            domain, [tuple(names[j] for j in cliques[i]) for i in range(len(cols))]
            + [tuple(names[j] for j in cliques[i]) for i in idx]
        ),
        s.max_model_mb,
    )
    chosen = [cliques[i] for i in chosen_idx]

    measurements = [
        LinearMeasurement(
            np.asarray(noisy[i], dtype=float), tuple(names[j] for j in cliques[i]), stddev=stds[i]
        )
        for i in chosen_idx
    ]
    # the lumping counts, summed per released category: a second one-way measurement whose
    # noise grows with the number of values summed (scaled so that one stddev fits all)
    for j in range(len(cols)):
        members = np.bincount(code_maps[j], minlength=cards[j]).astype(float)
        summed = np.bincount(code_maps[j], weights=oneway[j], minlength=cards[j])
        scale = jnp.asarray(1.0 / np.sqrt(np.maximum(members, 1.0)))
        measurements.append(
            LinearMeasurement(
                summed * np.asarray(scale), (names[j],), stddev=std1[j],
                query=lambda f, sc=scale: f.datavector() * sc,
            )
        )
    start = _independent_start(domain, names, [one[j] for j in range(len(cols))], std_one, oneway, std1, code_maps)
    model, steps = fit_until_noise_level(domain, measurements, start, s.iters, min_iters=s.min_iters)
    rows = int(s.rows or max(1, round(float(model.total))))
    synth = _sample_rounded(model, rows, rng)
    jax.clear_caches()

    def decode(codes_: np.ndarray, c: str) -> pd.Series:
        return pd.Series(np.array(labels[c], dtype=object)[codes_], dtype=object)

    out = pd.DataFrame({c: decode(synth[names[j]].to_numpy(), c) for j, c in enumerate(cols)})
    real = pd.DataFrame({c: decode(codes[:, j], c) for j, c in enumerate(cols)})
    repaired = 0
    if _paired(cols):
        repaired = _repair_cross_border(out, rng)
        for frame in (out, real):
            rel = frame["country_of_exploitation"]
            frame["cross_border"] = derived.relative_cross_border(frame["citizenship"], rel)
            frame["country_of_exploitation"] = derived.absolute_exploitation(frame["citizenship"], rel)
    if {"age_band", "child"} <= set(cols):
        for frame in (out, real):
            frame["child"] = derived.child_consistent(frame["age_band"], frame["child"])
    for frame in (out, real):
        for c in cols:
            if c != "child":
                frame[c] = frame[c].astype("string")
        if "child" in frame:
            frame["child"] = (
                frame["child"].map({"true": True, "false": False}).astype("boolean")
                if STAR not in labels["child"]
                else frame["child"].astype("string")
            )

    rho_spent = float(comp.map(1))
    eps_spent, delta_spent = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(comp), s.delta).map(1)
    privacy = {
        "definition": "zero-concentrated DP (zCDP), converted to (epsilon, delta)-DP by OpenDP",
        "unit": "one record added or removed (each person's record counted once per release)",
        "rho": rho_spent,
        "epsilon": float(eps_spent),
        "delta": float(delta_spent),
        "spent": {"lumping_one_way": rho1, "marginals": rho2},
        "mechanisms": "OpenDP discrete Gaussian on counts (make_gaussian), adaptive composition",
        "noise_std_one_way_lumping": dict(zip(cols, std1, strict=True)),
        "noise_std_marginals": {
            "+".join(cols[j] for j in cl): sd for cl, sd in zip(cliques, stds, strict=True)
        },
        "opendp_version": dp.__version__ if hasattr(dp, "__version__") else _opendp_version(),
    }
    generalisation = _generalisation(cols, domains, labels, code_maps, raw_codes, thresholds)
    report = {
        "records_in": int(len(df)),
        "excluded_no_consent": int((~ok).sum()),
        "records_used": n,
        "rows_released": len(out),
        "categories": {c: [x for x in labels[c] if x is not None and x != derived.SAME] for c in cols},
        "lumped": {c: g["released_groups"] for c, g in generalisation["columns"].items()},
        "generalisation": generalisation,
        "rows_repaired_cross_border": repaired,
        "model_pairs": ["+".join(cols[j] for j in cl) for cl in chosen if len(cl) == 2],
        "fit_steps": steps,
        "model_size_mb": junction_tree.hypothetical_model_size(
            domain, [tuple(names[j] for j in c) for c in chosen]
        ),
        "seconds": time.perf_counter() - t0,
    }
    mapping = _mappings(cols, domains, labels, code_maps)
    return SyntheticResult(out, s, real, privacy, report, original=original_frame(data, s), mapping=mapping)


def independence_excess(
    observed: np.ndarray, one_a: np.ndarray, one_b: np.ndarray, total: float, std: float
) -> float:
    """How far a noisy two-way table is from the product of its noisy one-way tables, beyond what
    its noise alone would give: L1 distance minus the expected L1 norm of the noise
    (sqrt(2/pi) std per cell). Positive: the pair carries structure the noise does not explain."""
    pa = one_a / max(float(one_a.sum()), 1.0)
    pb = one_b / max(float(one_b.sum()), 1.0)
    expected = np.outer(pa, pb).ravel() * total
    return float(np.abs(observed - expected).sum() - np.sqrt(2 / np.pi) * std * observed.size)


def select_pairs(excess: dict[int, float], model_mb, max_mb: float) -> list[int]:
    """Pairs for the model, most excess first: only those with positive excess (a pair the noise
    explains adds its noise, spread over all its cells, and nothing else: near independence the
    one-way tables already give it), each only while ``model_mb(chosen)`` stays within ``max_mb``."""
    chosen: list[int] = []
    for i in sorted(excess, key=lambda k: (-excess[k], k)):
        if excess[i] <= 0:
            break
        if model_mb(chosen + [i]) <= max_mb:
            chosen.append(i)
    return chosen


def fit_until_noise_level(domain, measurements, potentials, max_iters: int, min_iters: int = 0):
    """Private-PGM's mirror descent with Nesterov momentum, stopped by the discrepancy principle.

    The step is mbi's (a gradient step on the potentials with its Armijo rule), taken from an
    extrapolated point ``theta + (t - 1) / t' * (theta - previous theta)`` (Nesterov's sequence);
    a step that raises the loss is refused and the momentum restarts from zero (the
    function-value restart of O'Donoghue and Candes, 2015), so the loss never goes up. Why: plain
    mirror descent needed more steps than the time goal allows on large releases (CTDC 2021,
    97,750 records, 42 MB model: 2,000 steps left the residual 1.44 times its noise level and the
    2-way TVD at 0.028); with momentum about 420-600 steps reach it (2-way TVD 0.018-0.020).

    Stop: once the model's noise-weighted squared residual, 0.5 * sum ((model - noisy) / std) **
    2, is no larger than its expectation at the true counts (0.5 per measured cell), the model
    explains the measurements as well as the truth would, and further steps fit noise (in the
    sparse country tables, mass spread over empty cells). Returns the model and the steps taken
    (at most ``max_iters``; at least ``min_iters`` unless that is more: the summed residual weighs
    every cell alike and can reach its level while a few small tables that carry the structure
    are still under-fitted). Post-processing only."""
    import jax
    import jax.numpy as jnp
    from mbi import MarkovRandomField, marginal_loss, marginal_oracles
    from mbi.estimation import minimum_variance_unbiased_total

    loss_fn = marginal_loss.from_linear_measurements(measurements, domain=domain)
    total = minimum_variance_unbiased_total(measurements)
    theta = potentials
    if not all(potentials.supports(cl) for cl in loss_fn.cliques):
        theta = potentials.expand(loss_fn.cliques)
    oracle = marginal_oracles.message_passing_fast
    target = 0.5 * sum(int(np.size(m.noisy_measurement)) for m in measurements)

    @jax.jit
    def update(theta, previous, t, alpha, loss):
        t_next = (1 + jnp.sqrt(1 + 4 * t * t)) / 2
        y = theta + ((t - 1) / t_next) * (theta - previous)
        mu_y = oracle(y, total)
        loss_y, grad = jax.value_and_grad(loss_fn)(mu_y)
        theta2 = y - alpha * grad
        mu2 = oracle(theta2, total)
        loss2 = loss_fn(mu2)
        armijo = loss_y - loss2 >= 0.5 * alpha * grad.dot(mu_y - mu2)
        ok = armijo & (loss2 < loss)
        alpha = jax.lax.select(armijo, 1.01 * alpha, 0.5 * alpha)
        theta, previous = jax.lax.cond(ok, lambda: (theta2, theta), lambda: (theta, theta))
        t = jax.lax.select(ok, t_next, jnp.ones_like(t))
        return theta, previous, t, alpha, jax.lax.select(ok, loss2, loss)

    alpha = 2.0 / ((loss_fn.lipschitz or 1.0) * total)
    loss = loss_fn(oracle(theta, total))
    previous, t = theta, jnp.asarray(1.0)
    steps = 0
    while steps < max_iters:
        theta, previous, t, alpha, loss = update(theta, previous, t, alpha, loss)
        steps += 1
        if steps >= min_iters and float(loss) <= target:
            break
    return MarkovRandomField(potentials=theta, marginals=oracle(theta, total), total=total), steps


def _independent_start(domain, names, one2, std2, one1, std1, code_maps):
    """Starting potentials: the independent model of the one-way estimates (phase 2 and the summed
    lumping counts, weighted by their noise). Mirror descent otherwise starts from uniform, and the
    one-way tables measured with the most noise (small columns, which get the least budget) take
    hundreds of steps to leave it: a released '*' for a code nobody has. Post-processing only."""
    import jax.numpy as jnp
    from mbi import CliqueVector, Factor

    arrays = {}
    for j, name in enumerate(names):
        card = domain[name]
        members = np.maximum(np.bincount(code_maps[j], minlength=card).astype(float), 1.0)
        y1 = np.bincount(code_maps[j], weights=one1[j], minlength=card)
        v1, v2 = std1[j] ** 2 * members, std2[j] ** 2
        est = (one2[j] / v2 + y1 / v1) / (1 / v2 + 1 / v1)
        p = np.maximum(est, 0.5)
        arrays[(name,)] = Factor(domain.project((name,)), jnp.asarray(np.log(p / p.sum())))
    return CliqueVector(domain, list(arrays), arrays)


def _mappings(cols, domains, labels, code_maps) -> dict[str, dict[Any, Any]]:
    """Each column's public value -> released label (missing left out)."""
    return {
        c: {v: labels[c][code_maps[j][i]] for i, v in enumerate(domains[c])} for j, c in enumerate(cols)
    }


def _generalisation(cols, domains, labels, code_maps, raw_codes, thresholds) -> dict[str, Any]:
    """Per column: the lumping threshold, the released groups and their members, and the share of
    records (with a known value) whose value was generalised. The groups follow from DP counts; the
    shares are computed on the confidential data and published as aggregate figures only."""
    out: dict[str, Any] = {"columns": {}}
    lost_country = np.zeros(raw_codes.shape[0], dtype=bool)
    lost_year = np.zeros(raw_codes.shape[0], dtype=bool)
    for j, c in enumerate(cols):
        dom = domains[c]
        lab_of = [labels[c][code_maps[j][i]] for i in range(len(dom))]
        lumped = np.array([lab != v for v, lab in zip(dom, lab_of, strict=True)] + [False])
        groups: dict[str, list[Any]] = {}
        for v, lab in zip(dom, lab_of, strict=True):
            if lab != v:
                groups.setdefault(str(lab), []).append(v)
        hit = lumped[raw_codes[:, j]]
        known = raw_codes[:, j] < len(dom)
        if c in _COUNTRY_COLUMNS:
            lost_country |= hit
        if c == "registration_year":
            lost_year |= hit
        out["columns"][c] = {
            "threshold_noisy_count": round(float(thresholds[c]), 1),
            "values_kept": int(sum(1 for v, lab in zip(dom, lab_of, strict=True) if lab == v)),
            "released_groups": {g: (m if g != STAR else f"{len(m)} values") for g, m in groups.items()},
            "records_generalised_share": float(hit.sum() / max(known.sum(), 1)),
        }
    out["records_country_generalised_share"] = float(lost_country.mean()) if len(lost_country) else 0.0
    out["records_year_generalised_share"] = float(lost_year.mean()) if len(lost_year) else 0.0
    return out


def _repair_cross_border(out: pd.DataFrame, rng: np.random.Generator) -> int:
    """Rows drawn as cross-border whose two released labels are nevertheless equal (noise can put a
    little mass there, or two countries lumped into one label) get a country of exploitation
    redrawn from the cross-border rows of the same citizenship with another label (else from all
    cross-border rows with another label); the modelled cross-border share is kept. Returns how
    many rows were redrawn. Post-processing of the synthetic rows only."""
    cit = out["citizenship"].astype(object)
    rel = out["country_of_exploitation"].astype(object)
    cross = cit.notna() & rel.notna() & (rel != derived.SAME)
    bad = cross & (cit == rel)
    if not bad.any():
        return 0
    good = cross & ~bad
    pool_all = rel[good].to_numpy()
    by_cit = {k: g.to_numpy() for k, g in rel[good].groupby(cit[good])}
    for i in np.flatnonzero(bad.to_numpy()):
        c = cit.iat[i]
        pool = by_cit.get(c)
        pool = pool[pool != c] if pool is not None else None
        if pool is None or len(pool) == 0:
            pool = pool_all[pool_all != c]
        if len(pool):
            out.iat[i, out.columns.get_loc("country_of_exploitation")] = pool[rng.integers(len(pool))]
        else:  # nowhere else to go: the row is internal after all
            out.iat[i, out.columns.get_loc("country_of_exploitation")] = derived.SAME
    return int(bad.sum())


def _sample_rounded(model, total: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw rows from the fitted model by randomised rounding, column by column.

    Follows mbi's ``MarkovRandomField.synthetic_data(method="round")`` with one
    fix: within each group of already-drawn parent values, mbi hands out the
    rounded child values in row order, so two children of the same parents come
    out comonotone (a strong spurious correlation, e.g. year with exploitation
    type). Here rows are ranked in a random order within each group.
    """
    from mbi import junction_tree, marginal_oracles

    domain = model.domain
    cliques = [set(cl) for cl in model.cliques]
    jtree, elimination_order = junction_tree.make_junction_tree(domain, cliques)
    marginals = marginal_oracles.message_passing_stable(model.potentials.expand(list(jtree.nodes)))
    data: dict[str, np.ndarray] = {}
    used: set[str] = set()
    for col in elimination_order[::-1]:
        parents = tuple(used.intersection(set().union(*[cl for cl in cliques if col in cl])))
        used.add(col)
        marg = np.clip(
            np.asarray(marginals.project(parents + (col,)).datavector(flatten=False), float), 0, None
        )
        if not parents:
            p = marg / marg.sum()
            counts = np.floor(p * total).astype(int)
            extra = total - counts.sum()
            if extra > 0:
                frac = p * total - counts
                counts[rng.choice(len(p), extra, replace=False, p=frac / frac.sum())] += 1
            vals = np.repeat(np.arange(len(p)), counts)
            data[col] = rng.permutation(vals)
            continue
        parent_data = np.stack([data[c] for c in parents], -1)
        uniques, inverse, counts = np.unique(parent_data, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        cond = marg / np.where(marg.sum(-1, keepdims=True) > 0, marg.sum(-1, keepdims=True), 1)
        cdfs = cond.cumsum(-1)[tuple(uniques.T)]
        perm = np.lexsort((rng.random(total), inverse))  # random order within each group
        starts = np.zeros(len(counts), dtype=int)
        np.cumsum(counts[:-1], out=starts[1:])
        ranks = np.empty(total, dtype=int)
        ranks[perm] = np.arange(total) - starts[inverse[perm]]
        u = (ranks + rng.random(total)) / counts[inverse]
        choices = np.empty(total, dtype=np.int64)
        start = 0
        for i, c in enumerate(counts):
            idx = perm[start : start + c]
            choices[idx] = np.minimum(np.searchsorted(cdfs[i], u[idx], side="right"), domain[col] - 1)
            start += c
        data[col] = choices
    return pd.DataFrame({c: data[c] for c in domain.attrs})


def _opendp_version() -> str:
    from importlib.metadata import version

    return version("opendp")
