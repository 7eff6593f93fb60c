"""Corridors (citizenship -> country of exploitation) and their calibration.

data/corridors.csv lists plausible corridors with rough weights and a profile
(who travels it and what exploitation they meet). The weights are then fitted
by iterative proportional fitting so that, as shares of *records*, the top
nationalities, top destinations, regional office shares and the cross-border
share hit the published figures. Person attributes (sex, child, exploitation
type) start from the profile and are shifted on the logit scale (or raked, for
the exploitation categories) until their record-weighted shares hit the
targets. Because the number of records per person depends only on whether the
corridor is cross-border, person-level probabilities within a corridor are also
record-level probabilities, which is what makes this calibration exact in
expectation.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ctdata.simulate.targets import Targets


@dataclass(frozen=True)
class Profile:
    female: float
    child: float
    exploit_female: tuple[float, float, float]  # labour, sexual, other
    exploit_male: tuple[float, float, float]
    sectors: str
    other_mix: str = "default"


PROFILES: dict[str, Profile] = {
    "labour_cis": Profile(0.35, 0.02, (0.55, 0.40, 0.05), (0.93, 0.02, 0.05), "construction"),
    "labour_eu": Profile(0.40, 0.02, (0.50, 0.45, 0.05), (0.92, 0.03, 0.05), "mixed_eu"),
    "sexual_eu": Profile(0.88, 0.04, (0.12, 0.85, 0.03), (0.80, 0.10, 0.10), "hospitality"),
    "internal_cis": Profile(0.62, 0.60, (0.25, 0.55, 0.20), (0.60, 0.10, 0.30), "mixed"),
    "gulf": Profile(0.45, 0.04, (0.55, 0.30, 0.15), (0.85, 0.03, 0.12), "domestic_agri"),
    "mekong": Profile(0.70, 0.06, (0.45, 0.50, 0.05), (0.90, 0.03, 0.07), "mekong"),
    "fishing": Profile(0.05, 0.03, (0.60, 0.30, 0.10), (0.97, 0.00, 0.03), "fishing"),
    "internal_asia": Profile(0.70, 0.65, (0.30, 0.55, 0.15), (0.60, 0.10, 0.30), "mixed"),
    "labour_asia": Profile(0.35, 0.03, (0.60, 0.30, 0.10), (0.90, 0.03, 0.07), "mixed"),
    "sexual_asia": Profile(0.90, 0.05, (0.10, 0.70, 0.20), (0.70, 0.10, 0.20), "hospitality", "marriage"),
    "afghan": Profile(0.40, 0.55, (0.35, 0.15, 0.50), (0.70, 0.05, 0.25), "brick", "marriage"),
    "haiti": Profile(0.60, 0.92, (0.88, 0.05, 0.07), (0.88, 0.02, 0.10), "domestic", "begging"),
    "latam_abroad": Profile(0.60, 0.10, (0.30, 0.60, 0.10), (0.85, 0.05, 0.10), "mixed"),
    "internal_latam": Profile(0.75, 0.65, (0.20, 0.70, 0.10), (0.60, 0.10, 0.30), "mixed"),
    "yemen": Profile(0.30, 0.80, (0.40, 0.15, 0.45), (0.45, 0.05, 0.50), "begging", "begging"),
    "yemen_abroad": Profile(0.20, 0.10, (0.50, 0.20, 0.30), (0.60, 0.05, 0.35), "begging", "begging"),
    "internal_mena": Profile(0.65, 0.60, (0.30, 0.50, 0.20), (0.60, 0.10, 0.30), "mixed"),
    "internal_eu": Profile(0.80, 0.45, (0.15, 0.75, 0.10), (0.60, 0.20, 0.20), "mixed"),
    "internal_africa": Profile(0.60, 0.65, (0.45, 0.35, 0.20), (0.75, 0.05, 0.20), "mixed"),
    "africa_abroad": Profile(0.55, 0.08, (0.50, 0.40, 0.10), (0.85, 0.05, 0.10), "mixed"),
    "west_africa": Profile(0.60, 0.70, (0.55, 0.30, 0.15), (0.80, 0.05, 0.15), "west_africa", "begging"),
}

#: Labour sector distributions (codes of vocab.LABOUR_SECTORS).
SECTOR_MIXES: dict[str, dict[str, float]] = {
    "construction": {
        "construction": 0.45,
        "agriculture": 0.15,
        "manufacturing": 0.15,
        "hospitality": 0.05,
        "domestic_work": 0.05,
        "transportation": 0.05,
        "other": 0.05,
        "not_specified": 0.05,
    },
    "mixed_eu": {
        "agriculture": 0.30,
        "construction": 0.25,
        "manufacturing": 0.15,
        "hospitality": 0.15,
        "domestic_work": 0.10,
        "other": 0.05,
    },
    "hospitality": {
        "hospitality": 0.45,
        "domestic_work": 0.25,
        "agriculture": 0.10,
        "manufacturing": 0.10,
        "other": 0.10,
    },
    "domestic_agri": {"domestic_work": 0.50, "agriculture": 0.30, "construction": 0.10, "other": 0.10},
    "mekong": {
        "domestic_work": 0.30,
        "manufacturing": 0.30,
        "agriculture": 0.20,
        "hospitality": 0.10,
        "aquafarming": 0.10,
    },
    "fishing": {"aquafarming": 0.85, "manufacturing": 0.05, "agriculture": 0.05, "construction": 0.05},
    "mixed": {
        "agriculture": 0.25,
        "domestic_work": 0.20,
        "construction": 0.15,
        "manufacturing": 0.10,
        "hospitality": 0.10,
        "peddling": 0.05,
        "begging": 0.05,
        "other": 0.05,
        "not_specified": 0.05,
    },
    "brick": {
        "manufacturing": 0.45,
        "agriculture": 0.20,
        "domestic_work": 0.15,
        "begging": 0.10,
        "other": 0.10,
    },
    "domestic": {"domestic_work": 0.85, "agriculture": 0.05, "peddling": 0.05, "begging": 0.05},
    "begging": {"begging": 0.45, "peddling": 0.20, "agriculture": 0.15, "domestic_work": 0.10, "other": 0.10},
    "west_africa": {
        "domestic_work": 0.30,
        "agriculture": 0.30,
        "mining_or_drilling": 0.15,
        "peddling": 0.15,
        "aquafarming": 0.10,
    },
}

#: How the 'other' exploitation category splits (codes of vocab.EXPLOITATION_TYPES).
OTHER_MIXES: dict[str, dict[str, float]] = {
    "default": {
        "forced_begging": 0.25,
        "forced_marriage": 0.20,
        "forced_criminality": 0.15,
        "sex_and_labour": 0.15,
        "other": 0.15,
        "slavery": 0.06,
        "forced_military": 0.02,
        "organ_removal": 0.02,
    },
    "begging": {
        "forced_begging": 0.60,
        "forced_criminality": 0.10,
        "forced_marriage": 0.10,
        "sex_and_labour": 0.05,
        "other": 0.10,
        "slavery": 0.05,
    },
    "marriage": {
        "forced_marriage": 0.60,
        "forced_begging": 0.10,
        "sex_and_labour": 0.10,
        "other": 0.10,
        "forced_criminality": 0.05,
        "slavery": 0.05,
    },
}


@dataclass(frozen=True)
class RecordSides:
    """Expected records per person in the calibrated year, by the side of the journey the office is on.

    The report counts assistance by the regional office of the office that gave it: a cross-border
    person's destination-side records (the office in the country of exploitation, partners there) fall
    in the region of exploitation, the origin-side ones (the office that received the returnee, partners
    at home) in the region of citizenship. ``spill_in``: records of the previous year's persons that fall
    into the year, per record of the year's own persons, by side (population.SPILL_IN; none in a one-year
    run). ``internal_tilt``: the last year of a run of several years tilts its persons towards internal
    corridors to make up for that spill-over (population.YearTrend.last_year_internal_odds), which also
    moves the mix of a region's records. Built by population.record_sides(), which knows the offices'
    layout.
    """

    destination: dict[bool, float]  # by cross-border: records per person at destination-side offices
    origin: dict[bool, float]  # by cross-border: records per person at origin-side offices
    spill_in: dict[str, float]  # "destination" | "origin": previous year's records per own record
    internal_tilt: float = 1.0  # the year's persons' internal odds beside the fitted shares (YearTrend)

    def per_person(self, cross: np.ndarray) -> np.ndarray:
        """The person's own records (the layout's expectation, without spill-over)."""
        return np.where(cross, self.destination[True] + self.origin[True], self.destination[False])

    def in_year(self, cross: np.ndarray, side: str) -> np.ndarray:
        """Records per person at offices on ``side``, with the previous year's spill-over."""
        per = self.destination if side == "destination" else self.origin
        return np.where(cross, per[True], per[False]) * (1 + self.spill_in[side])


@dataclass
class Corridors:
    """Calibrated corridor table: one row per corridor, arrays aligned."""

    citizenship: np.ndarray
    exploitation: np.ndarray
    profile: list[str]
    region: np.ndarray
    cross: np.ndarray
    record_share: np.ndarray  # fitted share of records in the target year
    female: np.ndarray  # P(female) per corridor
    child: np.ndarray  # P(child at exploitation) per corridor
    exploit_f: np.ndarray  # [n, 3] P(labour, sexual, other | female)
    exploit_m: np.ndarray  # [n, 3]

    def __len__(self) -> int:
        return len(self.citizenship)


@lru_cache(maxsize=1)
def regional_offices() -> dict[str, str]:
    """iso2 -> IOM regional office (2011), from the standard's package data."""
    text = resources.files("ctdata.standard").joinpath("data/iom_regional_offices_2011.csv").read_text("utf-8")
    return {row["iso2"]: row["regional_office"] for row in csv.DictReader(text.splitlines())}


def _read_table() -> list[dict[str, str]]:
    text = resources.files("ctdata.simulate").joinpath("data/corridors.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _ipf(weights: np.ndarray, partitions: list[tuple[np.ndarray, np.ndarray]], iterations: int = 500) -> np.ndarray:
    """Iterative proportional fitting of cell weights to the shares of several partitions.

    Each partition is (group index per cell, target share per group).
    """
    w = weights / weights.sum()
    for _ in range(iterations):
        for group, target in partitions:
            current = np.bincount(group, weights=w, minlength=len(target))
            factor = np.divide(target, current, out=np.ones_like(target), where=current > 0)
            w = w * factor[group]
            w = w / w.sum()
    return w


def _partition(values: np.ndarray, shares: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Group index per cell (listed values, then 'all others') and the target share per group."""
    keys = list(shares)
    lookup = {k: i for i, k in enumerate(keys)}
    group = np.array([lookup.get(v, len(keys)) for v in values], dtype=np.int64)
    target = np.array([shares[k] for k in keys] + [max(0.0, 1.0 - sum(shares.values()))])
    return group, target


def _fit_shares(
    w0: np.ndarray, cit: np.ndarray, dest: np.ndarray, region: np.ndarray, cross: np.ndarray, targets: Targets
) -> np.ndarray:
    """IPF to the published margins, keeping unlisted countries below the tenth of each top list.

    A country that overtakes the tenth published one is pinned at 85% of it and
    the fit repeated, so the generated top-ten lists are the published ones.
    """
    nat, dst = dict(targets.nationality), dict(targets.destination)
    for _ in range(20):
        partitions = [
            _partition(cit, nat),
            _partition(dest, dst),
            _partition(region, targets.region),
            (cross.astype(np.int64), np.array([1 - targets.cross_border, targets.cross_border])),
        ]
        share = _ipf(w0, partitions)
        changed = False
        for values, pinned, top in ((cit, nat, targets.nationality), (dest, dst, targets.destination)):
            cap = min(top.values())
            totals: dict[str, float] = {}
            for v, s in zip(values, share, strict=True):
                totals[v] = totals.get(v, 0.0) + s
            for v, s in totals.items():
                if v not in pinned and s >= cap * 0.95:
                    pinned[v] = cap * 0.85
                    changed = True
        if not changed:
            return share
    raise ValueError("corridors.csv: cannot fit the published margins")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _shift_to(p: np.ndarray, w: np.ndarray, target: float) -> np.ndarray:
    """Shift probabilities on the logit scale so their w-weighted mean is `target` (bisection)."""
    lo, hi = -15.0, 15.0
    base = _logit(p)
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.sum(w * _expit(base + mid)) / w.sum() < target:
            lo = mid
        else:
            hi = mid
    return _expit(base + (lo + hi) / 2)


def _rake(probs: np.ndarray, w: np.ndarray, target: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Rake category probabilities (rows sum to 1) so the w-weighted column means hit `target`."""
    p = probs.copy()
    for _ in range(iterations):
        agg = (w[:, None] * p).sum(axis=0) / w.sum()
        p = p * (target / np.maximum(agg, 1e-12))[None, :]
        p = p / p.sum(axis=1, keepdims=True)
    return p


def office_weights(
    share: np.ndarray, cross: np.ndarray, dest_region: np.ndarray, cit_region: np.ndarray, sides: RecordSides
) -> dict[str, np.ndarray]:
    """Records of each corridor at the offices of each regional office, in the calibrated year.

    ``share``: the corridors' fitted record shares (persons are share / records per person).
    """
    persons = share / sides.per_person(cross) * np.where(cross, 1.0, sides.internal_tilt)
    dest = persons * sides.in_year(cross, "destination")
    origin = persons * sides.in_year(cross, "origin")
    return {
        r: np.where(dest_region == r, dest, 0.0) + np.where(cit_region == r, origin, 0.0)
        for r in sorted(set(dest_region) | set(cit_region))
        if r
    }


def _child_by_office(
    base: np.ndarray, dest_region: np.ndarray, weights: dict[str, np.ndarray], share: np.ndarray, overall: float,
    by_region: dict[str, float], rounds: int = 30,
) -> np.ndarray:
    """Children's probabilities per corridor so that the records of each listed regional office's offices
    (``by_region``, ``weights``) and all the year's own records (``overall``, ``share``) hold the published
    children shares.

    A regional office's records include the origin-side records of its own nationals exploited in other
    regions (a Nigerian adult returned from Italy, at an office in Nigeria), whose probabilities the
    other regions set: the corridors exploited in the region are shifted to make up for them, and the
    corridors of the remaining regions absorb what the overall share still needs; repeated until
    these agree (a few rounds). The overall share is held on the corridors' record shares without the
    previous year's spill-over: the year trends' children factors (population.YearTrend) were measured so.
    """
    child = base.copy()
    total = share
    own = {r: dest_region == r for r in by_region if (dest_region == r).any()}
    adjusted = np.zeros(len(base), dtype=bool)
    for m in own.values():
        adjusted |= m
    rest = ~adjusted
    for _ in range(rounds):
        for r, m in own.items():
            w = weights[r]
            need = (by_region[r] * w.sum() - np.sum(w[~m] * child[~m])) / w[m].sum()
            child[m] = _shift_to(base[m], w[m], need)
        need = (overall * total.sum() - np.sum(total[adjusted] * child[adjusted])) / total[rest].sum()
        child[rest] = _shift_to(base[rest], total[rest], need)
    return child


def calibrate(targets: Targets, sides: RecordSides) -> Corridors:
    """Fit corridor record shares and attribute probabilities to the published figures."""
    rows = _read_table()
    regions = regional_offices()
    cit = np.array([r["citizenship"] for r in rows])
    dest = np.array([r["exploitation"] for r in rows])
    profile = [r["profile"] for r in rows]
    unknown = sorted({p for p in profile if p not in PROFILES})
    if unknown:
        raise ValueError(f"corridors.csv: unknown profiles {unknown}")
    region = np.array([regions.get(d, "") for d in dest])
    cit_region = np.array([regions.get(c, "") for c in cit])
    cross = cit != dest
    w0 = np.array([float(r["instances"]) for r in rows])
    share = _fit_shares(w0, cit, dest, region, cross, targets)

    prof = [PROFILES[p] for p in profile]
    female = _shift_to(np.array([p.female for p in prof]), share, targets.female)
    weights = office_weights(share, cross, region, cit_region, sides)
    child = _child_by_office(np.array([p.child for p in prof]), region, weights, share, targets.child,
                             targets.child_by_region)

    ef = np.array([p.exploit_female for p in prof], dtype=float)
    em = np.array([p.exploit_male for p in prof], dtype=float)
    cells = np.vstack([ef, em])
    cell_w = np.concatenate([share * female, share * (1 - female)])
    t = np.array([targets.exploitation["labour"], targets.exploitation["sexual"], targets.exploitation["other"]])
    raked = _rake(cells, cell_w, t)
    n = len(rows)
    return Corridors(cit, dest, profile, region, cross, share, female, child, raked[:n], raked[n:])


def person_probabilities(
    corridors: Corridors, records_per_person: dict[bool, float], internal_tilt: float = 1.0
) -> np.ndarray:
    """P(corridor) for a person so that records land on the fitted record shares.

    `internal_tilt` multiplies internal corridors' record shares (year trends).
    """
    share = corridors.record_share * np.where(corridors.cross, 1.0, internal_tilt)
    per_person = np.where(corridors.cross, records_per_person[True], records_per_person[False])
    p = share / per_person
    return p / p.sum()
