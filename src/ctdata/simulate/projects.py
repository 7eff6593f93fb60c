"""Synthetic projects (projects.csv), calibrated to the published report's funding totals.

The 2011 report gives 220 projects in 94 countries with $27,791,930 of
external funding, and the shares of five regional offices (Vienna 44%,
Pretoria 16%, Bangkok 15%, San Jose 9%, Dakar 2%). The remaining 14% is
shared by Brussels, Buenos Aires and Cairo in proportion to their shares of
the instances of assistance (the report does not give them). Each year of
the range gets projects with these totals; an office's amount is exact to the
dollar and split between its projects, its countries get at least one project
each, and about a quarter of the projects have two or three donors, written
with their amounts as the projects table reads them (standard.funding).

The projects have their own random stream (seeded from the run's seed), so
adding them leaves the case records of a seed unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctdata.simulate.targets import published
from ctdata.simulate.writer import write_table
from ctdata.standard.funding import DonorShare, format_donors
from ctdata.standard.regions import REGIONAL_OFFICES, countries_of_office

#: Donors and how often each funds a project (illustrative, not published).
DONORS = {
    "United States": 0.22, "European Commission": 0.14, "Norway": 0.08, "Netherlands": 0.07, "Italy": 0.05,
    "Switzerland": 0.06, "Australia": 0.06, "Japan": 0.05, "United Kingdom": 0.06, "Canada": 0.04,
    "Sweden": 0.04, "Germany": 0.04, "UN agencies": 0.05, "Private sector": 0.04,
}
COLUMNS = ["project", "countries", "donor", "amount", "year"]
_STREAM = 220  # mixed into the seed: the projects' own random stream


@dataclass(frozen=True)
class FundingTargets:
    projects: int
    countries: int
    amount: float
    office_share: dict[str, float]


def funding_targets() -> FundingTargets:
    """The published funding figures, with the three unpublished offices' shares filled in."""
    ar = published()["annual_report_2011"]
    shares = dict(ar["funding_share_by_regional_office"])
    rest = 1.0 - sum(shares.values())
    others = {ro: ar["share_by_regional_office"].get(ro, 0.0) for ro in REGIONAL_OFFICES if ro not in shares}
    weight = sum(others.values()) or 1.0
    shares.update({ro: rest * w / weight for ro, w in others.items()})
    return FundingTargets(
        projects=int(ar["projects"]),
        countries=int(ar["countries_with_projects"]),
        amount=float(ar["external_funding_usd"]),
        office_share=shares,
    )


def _allocate(total: int, weights: dict[str, float], minimum: int, cap: dict[str, int] | None = None) -> dict[str, int]:
    """Integers summing to ``total``, proportional to ``weights`` (largest remainders), each >= minimum."""
    keys = list(weights)
    raw = np.array([weights[k] for k in keys]) / sum(weights.values()) * total
    out = np.maximum(np.floor(raw).astype(int), minimum)
    if cap:
        out = np.minimum(out, [cap[k] for k in keys])
    order = np.argsort(-(raw - np.floor(raw)))
    i = 0
    while out.sum() < total:
        k = order[i % len(keys)]
        if not cap or out[k] < cap[keys[k]]:
            out[k] += 1
        i += 1
    while out.sum() > total:
        k = int(np.argmax(out - raw))
        out[k] -= 1
    return {k: int(v) for k, v in zip(keys, out, strict=True)}


def _donors(rng: np.random.Generator, amount: float) -> str:
    names = list(DONORS)
    p = np.array(list(DONORS.values()))
    k = 1 if rng.random() < 0.75 else int(rng.integers(2, 4))
    chosen = list(rng.choice(names, size=k, replace=False, p=p / p.sum()))
    if k == 1:
        return str(chosen[0])
    parts = rng.dirichlet(np.ones(k) * 2)
    amounts = np.floor(parts * amount)
    shares = [DonorShare(str(d), float(a)) for d, a in zip(chosen[:-1], amounts[:-1], strict=True)]
    # the last donor takes what is left (no amount written): the list always adds up
    return format_donors(shares) + f"; {chosen[-1]}"


def projects_table(seed: int, years: tuple[int, int]) -> dict[str, np.ndarray]:
    """The columns of projects.csv for every year of ``years`` (inclusive)."""
    t = funding_targets()
    rng = np.random.default_rng([int(seed), _STREAM])
    cols: dict[str, list[str]] = {c: [] for c in COLUMNS}
    offices = {ro: countries_of_office(ro) for ro in REGIONAL_OFFICES}
    for year in range(years[0], years[1] + 1):
        n_countries = _allocate(t.countries, t.office_share, 1, {ro: len(c) for ro, c in offices.items()})
        more_projects = _allocate(t.projects - sum(n_countries.values()), t.office_share, 0)
        n_projects = {ro: n_countries[ro] + more_projects[ro] for ro in REGIONAL_OFFICES}
        office_amount = _allocate(round(t.amount), t.office_share, 0)  # whole dollars summing to the total
        for ro in REGIONAL_OFFICES:
            k = max(n_countries[ro], 1)
            chosen = list(rng.choice(offices[ro], size=min(k, len(offices[ro])), replace=False))
            m = max(n_projects[ro], len(chosen))
            amount = office_amount[ro]
            weights = rng.lognormal(0.0, 0.8, size=m)
            amounts = np.floor(weights / weights.sum() * amount)
            amounts[int(np.argmax(amounts))] += amount - amounts.sum()  # exact to the dollar
            for i in range(m):
                first = chosen[i % len(chosen)]  # every chosen country has a project
                extra = [c for c in chosen if c != first]
                more = int(rng.integers(1, 3)) if extra and rng.random() < 0.15 else 0
                cs = [first, *rng.choice(extra, size=min(more, len(extra)), replace=False)] if more else [first]
                cols["project"].append(f"{ro[:3].upper()}-{year}-{i + 1:03d}")
                cols["countries"].append(";".join(str(c) for c in cs))
                cols["donor"].append(_donors(rng, float(amounts[i])))
                cols["amount"].append(f"{amounts[i]:.0f}")
                cols["year"].append(str(year))
    return {k: np.array(v, dtype=object) for k, v in cols.items()}


def write_projects(out: Path, seed: int, years: tuple[int, int]) -> int:
    """Write ``out``/projects.csv; returns the number of projects."""
    return write_table(Path(out) / "projects.csv", projects_table(seed, years), COLUMNS)
