"""Benchmarks of multiple systems estimation: the stepwise fit and a 1,000-replicate bootstrap on six lists.

The table is simulated: 12,000 persons, six lists finding each with
probabilities 3%-15%, and one dependence (list A's cases are referred on to
list B), which gives a sparse six-list table like the UK 2013 data (about a
third of the 63 patterns empty). Goals (issue 7): stepwise fit under 1 s and
a 1,000-replicate bootstrap, with the stepwise selection repeated in every
replicate, under 30 s on 2 cores.

The baseline of the stepwise fit is the same fit with the existence check
cache emptied first (a cold start).
"""

from __future__ import annotations

import os
import time

import numpy as np

from ctdata.prevalence.fitting import fit_model
from ctdata.prevalence.intervals import bootstrap_interval
from ctdata.prevalence.models import _check_cached
from ctdata.prevalence.patterns import PatternTable
from ctdata.prevalence.selection import stepwise
from ctdata.prevalence.settings import EstimateSettings


def six_list_table(seed: int = 2024, persons: int = 12000) -> PatternTable:
    rng = np.random.default_rng(seed)
    p = np.array([0.08, 0.12, 0.05, 0.15, 0.03, 0.06])
    found = rng.random((persons, p.size)) < p
    found[:, 1] |= found[:, 0] & (rng.random(persons) < 0.3)
    codes = found @ (1 << np.arange(p.size))
    return PatternTable(tuple("ABCDEF"), np.bincount(codes, minlength=64)[1:])


def _row(benchmark, measure, value, unit, goal, ok, baseline="", baseline_value=None):
    return {
        "benchmark": benchmark,
        "measure": measure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": (value / baseline_value) if baseline_value else None,
        "goal": goal,
        "ok": ok,
    }


def run(quick: bool = False) -> list[dict]:
    table = six_list_table()
    rows = []

    _check_cached.cache_clear()
    t0 = time.perf_counter()
    cold = stepwise(table)
    cold_s = time.perf_counter() - t0
    repeats = 3 if quick else 10
    t0 = time.perf_counter()
    for _ in range(repeats):
        _check_cached.cache_clear()
        stepwise(table)
    warm_s = (time.perf_counter() - t0) / repeats
    rows.append(
        _row(
            "prevalence.stepwise",
            f"stepwise fit, 6 lists, {table.observed} observed ({cold.fit.name})",
            warm_s,
            "s",
            "< 1 s",
            warm_s < 1.0,
            baseline="first call (imports, cold cache)",
            baseline_value=cold_s,
        )
    )

    replicates = 100 if quick else 1000
    workers = min(2, os.cpu_count() or 1)
    fit = fit_model(table, cold.fit.pairs)
    _check_cached.cache_clear()
    t0 = time.perf_counter()
    interval = bootstrap_interval(
        fit, EstimateSettings(bootstrap=replicates, seed=1234), progress=False, workers=workers
    )
    boot_s = time.perf_counter() - t0
    scaled = boot_s * 1000 / replicates
    rows.append(
        _row(
            "prevalence.bootstrap",
            f"{replicates}-replicate parametric bootstrap, stepwise re-run each time, {workers} workers "
            f"(95% interval {interval.low:,.0f}-{interval.high:,.0f}, {interval.detail['failed']} failed)",
            boot_s,
            "s",
            "< 30 s for 1,000 replicates on 2 cores",
            scaled < 30.0,
        )
    )
    return rows


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
