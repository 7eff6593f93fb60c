"""Unsupervised training of the Splink model: prior, u, m, without labels.

u by random sampling (then among namesakes for the evidence that follows a
name's culture), the prior from near-certain rules, m from self-labelled sure
pairs and by expectation maximisation on blocking passes (see blocking.RULES),
with guards against what EM gets wrong on registers (dates of birth, m = 0).
Model parameters are read and written through `_splink_compat`.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from ctdata.linkage import _splink_compat as compat
from ctdata.linkage.blocking import default_em_rules, deterministic_rules, labelled_rules
from ctdata.linkage.comparisons import DOB_DISAGREEMENT_LEVELS, comparisons_for, gamma_case, pair_select
from ctdata.linkage.settings import LinkageSettings

__all__ = [
    "cap_dob_disagreement",
    "disagreement_is_no_evidence",
    "floor_m_probabilities",
    "labelled_m",
    "namesake_u",
    "step",
    "train",
]

log = logging.getLogger(__name__)

#: Which EM pass (by blocking rule prefix) trains which comparison best; others take the first pass.
_PREFERRED_PASS = {"dob": "l.", "age": "l.", "sex": "l.dob_full", "citizenship": "l.dob_full"}


@contextmanager
def step(name: str) -> Iterator[None]:
    """Log one training step's seconds (a slow backend shows which step it is slow in)."""
    t = time.perf_counter()
    try:
        yield
    finally:
        log.info("training step %s: %.2f s", name, time.perf_counter() - t)


def train(linker: Any, table: str, cols: Iterable[str], settings: LinkageSettings, dialect: str = "duckdb") -> None:
    """Unsupervised estimation: prior, u by random sampling, m by EM on two passes.

    `table` is the features table the model was built on (its name in the backend); `dialect`
    the SQL dialect of that backend (the comparisons' conditions are written in it). Each step's
    seconds are logged at INFO ("training step <name>: <s> s").
    """
    cols = list(cols)
    with step("prior"):
        estimate_prior(linker, cols, settings.prior_recall)
    with step("u_sampling"):
        linker.training.estimate_u_using_random_sampling(
            max_pairs=settings.u_max_pairs, seed=settings.seed, num_chunks=settings.u_chunks
        )
    comps = comparisons_for(cols, dialect)
    labelled: dict[str, dict[int, float]] = {}
    if settings.self_labelled_m:
        with step("labelled_m"):
            labelled = labelled_m(linker, table, cols, seed=settings.seed, dialect=dialect)
    trained: dict[tuple[str, int], list[tuple[str, float]]] = {}
    em_rules = list(settings.em_blocking_rules) or default_em_rules(cols)
    if labelled and all(c["output_column_name"] in labelled for c in comps):
        em_rules = []  # every comparison has its m from near-certain pairs: EM would only blur them
    for rule in em_rules:
        if not _rule_leaves_something_to_train(rule, comps):
            continue
        before = {(lv.comparison, lv.index): len(lv.m_estimates) for lv in compat.levels(linker)}
        try:
            with step(f"em[{rule}]"):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=settings.em_max_pairs
                )
        except Exception as exc:  # noqa: BLE001 - too few pairs in the block; other passes still train
            log.warning("EM pass on %s skipped: %s", rule, exc)
            continue
        for lv in compat.levels(linker):
            key = (lv.comparison, lv.index)
            for p in lv.m_estimates[before.get(key, 0) :]:
                if isinstance(p, float):
                    trained.setdefault(key, []).append((rule, p))
    _choose_m(linker, trained)
    _apply_m(linker, labelled)
    if "dob" not in labelled:  # m from sure pairs (one document) is no EM confusion: it stands
        cap_dob_disagreement(linker, settings.dob_disagreement_m)
    if settings.namesake_u:
        with step("namesake_u"):
            namesake_u(linker, table, cols, seed=settings.seed, dialect=dialect)
    _default_missing_m(linker)
    floor_m_probabilities(linker, settings.m_floor)
    disagreement_is_no_evidence(linker)


def estimate_prior(linker: Any, cols: Iterable[str], recall: float) -> None:
    """The prior from the deterministic rules, assuming they find `recall` of all matches.

    Where the rules find no pair at all (a store of a few records), Splink's
    estimate is 0, a prior under which no two records could ever match and
    whose match weight (log 0) fails every prediction; the model keeps its
    starting prior instead, and recalibration (prediction.recalibrate_prior)
    re-estimates it from the scored pairs.
    """
    det = deterministic_rules(cols)
    if not det:
        return
    start = compat.prior(linker)
    try:
        linker.training.estimate_probability_two_random_records_match(det, recall=recall)
    except ValueError as exc:  # too few records for the assumed recall
        log.warning("prior estimate skipped: %s", exc)
        return
    if not 0.0 < compat.prior(linker) < 1.0:
        log.warning("prior estimate skipped: the deterministic rules found no pairs")
        compat.set_prior(linker, start)


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


def _by_comparison(linker: Any) -> dict[str, list[compat.Level]]:
    """Non-null levels of each comparison, in order."""
    out: dict[str, list[compat.Level]] = defaultdict(list)
    for lv in compat.levels(linker):
        out[lv.comparison].append(lv)
    return out


def _choose_m(linker: Any, trained: dict[tuple[str, int], list[tuple[str, float]]]) -> None:
    """Take each comparison's m from its preferred EM pass instead of Splink's median over passes."""
    for lv in compat.levels(linker):
        estimates = trained.get((lv.comparison, lv.index))
        if not estimates:
            continue
        prefix = _PREFERRED_PASS.get(lv.comparison)
        chosen = next((p for r, p in estimates if prefix and r.startswith(prefix)), estimates[0][1])
        if lv.comparison in ("dob", "age"):  # the last pass is the one that does not block on the date of birth
            chosen = estimates[-1][1]
        compat.set_m(linker, lv.comparison, lv.index, chosen)


def cap_dob_disagreement(linker: Any, cap: float) -> None:
    """Bound how often one person's records disagree on the date of birth (each level of
    comparisons.DOB_DISAGREEMENT_LEVELS at `cap`; what is cut goes to the agreeing levels).

    EM cannot learn this on its own here: any block that does not use the date
    of birth is full of namesakes (common names, same corridor, same months),
    and EM takes the namesakes for matches, concluding that half of all
    matches have different birth dates. Registers show the opposite (a slip of
    a digit, a swapped day and month, a year off by one, which have levels of
    their own). The same assumption drives the constrained clustering. Where
    pairs with one identity document gave the date's m (labelled_m), it is
    measured rather than guessed, and `train` leaves it uncapped.
    """
    levels = _by_comparison(linker).get("dob")
    if not levels:
        return
    disagree = [lv for lv in levels if lv.label in DOB_DISAGREEMENT_LEVELS]
    excess = 0.0
    for lv in disagree:
        if lv.m is not None and lv.m > cap:
            excess += lv.m - cap
            compat.set_m(linker, "dob", lv.index, cap)
    rest = [lv for lv in levels if lv.label not in DOB_DISAGREEMENT_LEVELS]
    total = sum(lv.m or 0.0 for lv in rest)
    if excess and total:
        for lv in rest:
            compat.set_m(linker, "dob", lv.index, (lv.m or 0.0) * (1 + excess / total))


#: Comparisons whose u is re-estimated among namesakes (evidence that follows the name's culture).
_CONTEXT_COMPARISONS = ("sex", "citizenship", "office", "registration", "exploitation")


#: Keys that make two records look-alikes of one culture, tried in turn until one gives enough pairs:
#: the whole name's variants, then the family name's, then the given name's; with the records taken
#: per key (None: all). A family name can be a third of a register (Nguyen), and all its pairs took
#: 34 s on 20,000 records (benchmarks/bench_namesake_u.py); fifty a name bound the pairs by the number of names.
_NAMESAKE_KEYS: tuple[tuple[str, int | None], ...] = (("name_var", None), ("family_var1", 50), ("given_var1", 50))


def _namesake_pairs_sql(
    table: str,
    cols: set[str],
    key: str,
    per_key: int | None,
    select: str,
    cases: list[str],
    seed: int,
    max_left: int,
    max_pairs: int,
) -> str:
    """The comparison vectors of pairs that share `key` and whose full birth dates are more than two
    years apart, both sides dated; with `per_key`, at most that many records of each key value."""
    side = f"(SELECT * FROM {table} WHERE dob_full IS NOT NULL AND {key} IS NOT NULL)"
    left = f"(SELECT * FROM {table} WHERE dob_full IS NOT NULL)"  # sampled among all dated records
    if per_key is not None:
        listed = ", ".join(["record_key", *sorted(cols - {"record_key"})])
        side = f"""(SELECT {listed} FROM (SELECT {listed}, row_number() OVER (
            PARTITION BY {key} ORDER BY hash(record_key || '{int(seed)}')) AS ctdata_rank FROM {side} AS d)
            AS ranked WHERE ctdata_rank <= {int(per_key)})"""
        left = side
    return f"""
        WITH l AS (SELECT * FROM {left} AS s ORDER BY hash(record_key || '{int(seed)}') LIMIT {int(max_left)}),
             pairs AS (SELECT {select} FROM l JOIN {side} r
                       ON l.{key} = r.{key} AND l.record_key <> r.record_key
                       WHERE abs(l.dob_y - r.dob_y) > 2
                       ORDER BY hash(l.record_key || r.record_key || '{int(seed)}') LIMIT {int(max_pairs)})
        SELECT {", ".join(cases)} FROM pairs
    """


def namesake_u(
    linker: Any,
    table: str,
    cols: Iterable[str],
    seed: int = 42,
    max_left: int = 50_000,
    min_pairs: int = 500,
    dialect: str = "duckdb",
    max_pairs: int = 2_000_000,
    keys: tuple[tuple[str, int | None], ...] = _NAMESAKE_KEYS,
) -> None:
    """Estimate u for sex, citizenship, office and registration among namesakes who are different people.

    Candidate pairs almost always agree on the name, and people who share a
    name mostly share a culture: the same citizenship, the same corridor and
    offices, names that mark the same sex. Random pairs do not, so their u
    values make agreement on these look like strong evidence of identity when
    for namesakes it is nearly certain anyway. Pairs with the same name
    variants whose full birth dates lie more than two years apart are (almost
    surely) different people of that kind; their level frequencies are the u
    that the scored pairs need.

    A small register has too few such pairs (80 among 5,000 simulated records), and random pairs
    then made a shared citizenship, office country and start of exploitation count 17, 18 and 110
    times for a match, together enough to link two women with other names and birth dates four
    years apart at 0.98. So where whole names give too few pairs, people who share a family name
    (then a given name), as alike in culture, stand in for them.
    """
    c = set(cols)
    if not {"dob_full", "dob_y"} <= c:
        return
    comps = {cmp["output_column_name"]: cmp for cmp in comparisons_for(c, dialect)}
    todo = [n for n in _CONTEXT_COMPARISONS if n in comps]
    if not todo:
        return
    sel = pair_select(c)
    cases = [gamma_case(comps[name]) for name in todo]
    df = None
    for key, per_key in ((k, n) for k, n in keys if k in c):
        sql = _namesake_pairs_sql(table, c, key, per_key, sel, cases, seed, max_left, max_pairs)
        try:
            df = linker.misc.query_sql(sql, output_type="pandas")
        except Exception as exc:  # noqa: BLE001 - keep the random-sampling u values
            log.warning("namesake u estimate skipped: %s", exc)
            return
        if len(df) >= min_pairs:
            break
    if df is None or len(df) < min_pairs:
        return
    for name, levels in _by_comparison(linker).items():
        if name not in todo:
            continue
        g = df[f"g_{name}"]
        g = g[g >= 0]
        if len(g) < min_pairs:
            continue
        counts = g.value_counts()
        for lv in levels:
            # add-one smoothing keeps a level never seen among namesakes from getting u = 0; one
            # added per level, so that the u values still sum to one
            compat.set_u(linker, name, lv.index, (counts.get(lv.vector_value, 0) + 1) / (len(g) + len(levels)))


#: Which comparisons each sure set may train (a set never trains what it was selected on).
_LABEL_USES = {
    "document": ("name", "dob", "age", "sex", "citizenship", "office", "registration", "exploitation"),
    "name_dob": ("sex", "citizenship", "office", "registration", "document", "exploitation"),
}


def labelled_m(
    linker: Any,
    table: str,
    cols: Iterable[str],
    seed: int = 42,
    max_pairs: int = 300_000,
    min_pairs: int = 200,
    dialect: str = "duckdb",
) -> dict[str, dict[int, float]]:
    """m probabilities counted on self-labelled, near-certain matching pairs (see blocking.labelled_rules).

    EM on blocks of namesakes learns that matches look like namesakes and grows over-cautious as
    data grows (the namesakes multiply, the matches do not). Counting the levels among pairs that
    are one person beyond reasonable doubt needs no such guess. Returns comparison name ->
    {comparison vector value: m}; comparisons with fewer than `min_pairs` non-null pairs are left out.
    """
    c = [x for x in cols if x != "record_key"]
    rules = labelled_rules(c)
    if not rules:
        return {}
    comps = {cmp["output_column_name"]: cmp for cmp in comparisons_for(c, dialect)}
    counts: dict[str, pd.Series] = {}
    for label, rule in rules.items():
        todo = [n for n in _LABEL_USES[label] if n in comps]
        if not todo:
            continue
        cond = rule.replace("l.", "l_.").replace("r.", "r_.")
        sql = f"""
            WITH pairs AS (
                SELECT {pair_select(c).replace("l.", "l_.").replace("r.", "r_.")}
                FROM {table} l_ JOIN {table} r_ ON {cond} AND l_.record_key < r_.record_key
                ORDER BY hash(l_.record_key || r_.record_key || '{int(seed)}') LIMIT {int(max_pairs)})
            SELECT {", ".join(gamma_case(comps[n]) for n in todo)} FROM pairs
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
    for lv in compat.levels(linker):
        ms = labelled.get(lv.comparison)
        if ms:
            compat.set_m(linker, lv.comparison, lv.index, ms[lv.vector_value])


def _default_missing_m(linker: Any) -> None:
    """Comparisons EM could not train (tiny or one-field data) get a conservative fixed shape."""
    for name, levels in _by_comparison(linker).items():
        if any(lv.m_trained for lv in levels):
            continue
        raw = [0.5**i for i in range(len(levels) - 1)] + [0.05]
        total = sum(raw)
        for lv, m in zip(levels, raw, strict=True):
            compat.set_m(linker, name, lv.index, m / total)


def floor_m_probabilities(linker: Any, floor: float) -> None:
    """Keep every non-null level's m probability at least `floor`, then renormalise.

    EM happily learns m = 0 for 'sex differs' or 'citizenship differs' when the
    training blocks never saw such a match; that turns one clerical slip into
    a veto of -40 bits or more. Real registers do contain such slips.
    """
    for name, levels in _by_comparison(linker).items():
        ms = [lv.m for lv in levels]
        if any(m is None for m in ms):
            continue
        raised = [max(float(m), floor) for m in ms]  # type: ignore[arg-type]
        total = sum(raised)
        for lv, m in zip(levels, raised, strict=True):
            compat.set_m(linker, name, lv.index, m / total)


def disagreement_is_no_evidence(linker: Any) -> None:
    """Keep each comparison's last level ('all other comparisons': the values disagree) from counting
    as evidence of a match: where its m exceeds its u, its u is raised to its m and the other levels'
    u scaled down to keep their sum at one.

    The floor on m (floor_m_probabilities) says that one person's records disagree by a slip at least
    that often; a slip is as likely on the records of two people, so among look-alikes that share the
    true value (namesakes share a sex and a citizenship; every record of a one-office register shares
    the office) a recorded disagreement is at least as common as among matches. Without this, u counted
    where disagreement is all but absent is far below the floored m: among the second generator's
    namesakes (namesake_u) no pair in about 18,000 differs in sex, and a sex that differs became
    +6.5 bits for a match; on FEBRL 3 (one office) a different office was +1.9 bits. Agreement
    levels keep the ratios between them: their evidence is measured.
    """
    for name, levels in _by_comparison(linker).items():
        last = levels[-1]
        if last.m is None or last.u is None or last.u >= last.m or last.m >= 1.0:
            continue
        scale = (1.0 - last.m) / (1.0 - last.u)
        for lv in levels[:-1]:
            if lv.u is not None:
                compat.set_u(linker, name, lv.index, lv.u * scale)
        compat.set_u(linker, name, last.index, last.m)
