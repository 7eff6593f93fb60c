"""One call per release kind, for the CLI, the web portal and the warehouse job.

Each returns the registry entry of a new *draft*; a data manager approves it
with ``ReleaseRegistry.approve`` before it is listed as public.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ctdata.publish.corridors import FILE as CORRIDORS_FILE
from ctdata.publish.corridors import corridor_table
from ctdata.publish.evaluate import evaluate
from ctdata.publish.kanon import KAnonSettings, kanonymise
from ctdata.publish.releases import ReleaseEntry, ReleaseRegistry
from ctdata.publish.synthetic import SyntheticSettings, synthesise

KANON_METHOD = (
    "Records whose consent allows research use were generalised along hierarchies (age band -> wider band -> "
    "adult/minor; country -> UN M49 intermediate region -> sub-region -> region; year -> 2- and 5-year "
    "periods) by an optimal search of the generalisation lattice that minimises Iyengar's loss metric, then "
    "records still in classes smaller than k were locally recoded further, and any left were suppressed. "
    "Generalised values are region or period names; '*' means any value. corridors.csv counts the same "
    "consented records by country of citizenship and country of exploitation (cross-border pairs only), "
    "with every pair of fewer than k records withheld and no totals, for the corridor map."
)
SYNTHETIC_METHOD = (
    "Synthetic records drawn from a graphical model fitted (Private-PGM) to differentially private one- and "
    "two-way counts (OpenDP discrete Gaussian mechanism, zCDP accounting). Categories whose noisy count the "
    "noise alone could have produced were lumped into their region or period (or '*'), using a share of the "
    "budget; the README lists them per column. The country of exploitation was modelled relative to the "
    "citizenship, so the cross_border column agrees with the two countries in every row, and a row in an age "
    "band under 18 is a child. No synthetic row is a real person."
)


def release_kanon(
    df: pd.DataFrame,
    settings: KAnonSettings,
    registry: ReleaseRegistry | str | os.PathLike,
    created_by: str,
    title: str = "k-anonymised case records",
) -> tuple[ReleaseEntry, dict[str, Any]]:
    reg = registry if isinstance(registry, ReleaseRegistry) else ReleaseRegistry(registry)
    res = kanonymise(df, settings)
    corridors = corridor_table(df, res.settings.k, res.settings.include_unknown_consent)
    what = (
        f"records by country of citizenship and country of exploitation, cross-border pairs with at least "
        f"{res.settings.k} records ({len(corridors)} pairs); smaller pairs withheld, no totals"
    )
    entry = reg.create(
        res.data,
        kind="kanon",
        title=title,
        settings=res.settings.to_dict(),
        report=res.report,
        method_summary=KANON_METHOD,
        created_by=created_by,
        tables={CORRIDORS_FILE: (corridors, what)},
    )
    return entry, res.report


def release_synthetic(
    df: pd.DataFrame,
    settings: SyntheticSettings,
    registry: ReleaseRegistry | str | os.PathLike,
    created_by: str,
    title: str = "Differentially private synthetic case records",
) -> tuple[ReleaseEntry, dict[str, Any]]:
    reg = registry if isinstance(registry, ReleaseRegistry) else ReleaseRegistry(registry)
    res = synthesise(df, settings)
    report = res.report | {"privacy": res.privacy, "evaluation": evaluate(res.real_projected, res.data)}
    if res.original is not None:
        report["evaluation_original"] = evaluate(res.original, res.data)
        report["derived_facts"] = derived_fact_errors(res.original, res.data)
    if {"origin_region", "perpetrator_regions"} <= set(settings.columns):
        report["within_region"] = within_region_utility(res.real_projected, res.data)
    caveats = (
        "The utility figures were computed on the confidential data and are not covered by the "
        "privacy budget; they are published as aggregate error figures only.",
        "Synthetic rows keep the low-order patterns of the data, not every higher-order one: do not "
        "use them for small-area or rare-group analysis.",
    )
    entry = reg.create(
        res.data,
        kind="synthetic",
        title=title,
        settings=res.settings.to_dict(),
        report=report,
        method_summary=SYNTHETIC_METHOD,
        created_by=created_by,
        caveats=caveats,
    )
    return entry, report


_FLAG = {True: 1.0, False: 0.0, "true": 1.0, "false": 0.0, "True": 1.0, "False": 0.0, "1": 1.0, "0": 0.0}


def _flags(col: pd.Series) -> pd.Series:
    """A yes/no column as 1.0/0.0 however the rows spell it (a bool, 'true', '1'); unknown values and a
    value the synthesiser lumped ('*') are no value, left out of the share."""
    return col.map(lambda v: _FLAG.get(v) if isinstance(v, (bool, str, int)) or hasattr(v, "item") else None,
                   na_action="ignore").dropna().astype(float)


def derived_fact_errors(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, Any]:
    """Shares researchers compute from the rows (cross-border, child), of known values, real against synthetic."""
    out: dict[str, Any] = {}
    for col in ("cross_border", "child"):
        if col in real and col in synthetic:
            r, s = _flags(real[col]), _flags(synthetic[col])
            if len(r) and len(s):
                out[col] = {"real": float(r.mean()), "synthetic": float(s.mean()),
                            "difference": float(s.mean() - r.mean())}
    return out


def within_region_utility(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, Any]:
    """The victim-perpetrator release's headline on the real (released categories) and synthetic rows:
    the share of victims whose perpetrators include one of their region (`analytics.perpetrators`)."""
    from ctdata.analytics.perpetrators import within_region_of

    out: dict[str, Any] = {}
    for name, exact in (("within_region", False), ("within_region_exact", True)):
        r, s = within_region_of(real, exact=exact), within_region_of(synthetic, exact=exact)
        out[name] = {"real": r["share"], "synthetic": s["share"], "real_known": r["known"],
                     "synthetic_known": s["known"],
                     "difference": None if r["share"] is None or s["share"] is None else s["share"] - r["share"]}
    return out
