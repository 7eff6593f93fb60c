"""Measure a generated data set against the published figures, with the counting rules.

Used by the tests and handy after a run (`measure(out)`). Counting rules
(DESIGN.md section 5): child = under 18 at exploitation when known, else at
registration; cross-border = country of exploitation not among the
citizenships (both known); regional office by country of exploitation (children
by regional office: by the country of the office, as the report counts them); shares
are of records with a known value.

Tolerance of a share p measured on n records:

    tol = 4 * sqrt(p * (1 - p) / n_eff) + 0.005,   n_eff = n / deff,   deff = sum(m_i^2) / sum(m_i)

where m_i is the number of those records belonging to person i. Records of one
person repeat the person's attributes, so they are (nearly) one observation:
deff is the design effect of cluster sampling with intra-cluster correlation 1.
The 0.005 is the rounding of published two-decimal shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ctdata.simulate.corridors import regional_offices
from ctdata.simulate.targets import Targets, targets
from ctdata.standard import countries


@dataclass(frozen=True)
class Measurement:
    name: str
    value: float
    target: float
    n: int
    n_eff: float

    @property
    def tolerance(self) -> float:
        p = self.target
        return 4 * float(np.sqrt(p * (1 - p) / max(self.n_eff, 1.0))) + 0.005

    @property
    def ok(self) -> bool:
        return abs(self.value - self.target) <= self.tolerance


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _alpha2(series: pd.Series) -> pd.Series:
    uniq = series.unique()
    lookup = {}
    for v in uniq:
        try:
            lookup[v] = countries.to_alpha2(v) or ""
        except countries.UnknownCountry:
            lookup[v] = ""
    return series.map(lookup)


def child_flags(rec: pd.DataFrame) -> pd.Series:
    """1.0 child, 0.0 adult, NaN unknown, by the counting rule."""
    out = pd.Series(np.nan, index=rec.index)
    age_e = pd.to_numeric(rec["age_at_exploitation"], errors="coerce")
    out[age_e.notna()] = (age_e[age_e.notna()] < 18).astype(float)
    for col in ("child_at_exploitation",):
        m = out.isna() & rec[col].isin(["true", "false"])
        out[m] = (rec.loc[m, col] == "true").astype(float)
    # Registration age: date of birth (as precise as written), else recorded age, band, flag.
    m = out.isna() & (rec["date_of_birth"] != "")
    if m.any():
        reg = pd.to_datetime(rec.loc[m, "registration_date"].str.slice(0, 10), errors="coerce", format="mixed")
        dob = pd.to_datetime(rec.loc[m, "date_of_birth"], errors="coerce", format="mixed")
        years = (reg - dob).dt.days / 365.25
        out[m] = np.where(years.notna(), (years < 18).astype(float), np.nan)
    age_r = pd.to_numeric(rec["age_at_registration"], errors="coerce")
    m = out.isna() & age_r.notna()
    out[m] = (age_r[m] < 18).astype(float)
    m = out.isna() & (rec["age_band"] != "")
    out[m] = rec.loc[m, "age_band"].isin(["0-8", "9-17"]).astype(float)
    m = out.isna() & rec["child_at_registration"].isin(["true", "false"])
    out[m] = (rec.loc[m, "child_at_registration"] == "true").astype(float)
    return out


def _deff(person: pd.Series) -> float:
    m = person.value_counts().to_numpy(dtype=float)
    return float((m**2).sum() / m.sum()) if len(m) else 1.0


def measure(out: Path, t: Targets | None = None) -> dict[str, Measurement]:
    t = t or targets()
    out = Path(out)
    rec = _read(out / "records.csv")
    truth = _read(out / "truth.csv").set_index("record_id")["person_id"]
    rec["person"] = rec["record_id"].map(truth)
    rec["cit"] = _alpha2(rec["citizenship"].str.split(";").str[0])
    rec["coe"] = _alpha2(rec["country_of_exploitation"])
    rec["region"] = rec["coe"].map(regional_offices()).fillna("")
    rec["office_region"] = _alpha2(rec["office_country"]).map(regional_offices()).fillna("")
    rec["child"] = child_flags(rec)
    results: dict[str, Measurement] = {}

    def share(name: str, known: pd.Series, hit: pd.Series, target: float) -> None:
        sub = rec.loc[known, "person"]
        n = int(known.sum())
        value = float(hit[known].mean()) if n else float("nan")
        results[name] = Measurement(name, value, target, n, n / _deff(sub))

    known_cit = rec["cit"] != ""
    for code, target in t.nationality.items():
        share(f"nationality {code}", known_cit, rec["cit"] == code, target)
    known_coe = rec["coe"] != ""
    for code, target in t.destination.items():
        share(f"destination {code}", known_coe, rec["coe"] == code, target)
    for reg, target in t.region.items():
        share(f"region {reg}", known_coe, rec["region"] == reg, target)
    known_sex = rec["sex"].isin(["female", "male", "transgender_nonconforming"])
    share("female", known_sex, rec["sex"] == "female", t.female)
    known_child = rec["child"].notna()
    share("children", known_child, rec["child"] == 1.0, t.child)
    for reg, target in t.child_by_region.items():
        # the report's frame: the records of the region's offices (assistance given in the region)
        share(f"children {reg}", known_child & (rec["office_region"] == reg), rec["child"] == 1.0, target)
    cits = rec["citizenship"].str.split(";")
    both = known_cit & known_coe
    cross = pd.Series(False, index=rec.index)
    cross[both] = [
        coe not in {countries.to_alpha2(c) for c in cs if c}
        for coe, cs in zip(rec.loc[both, "coe"], cits[both], strict=True)
    ]
    share("cross-border", both, cross, t.cross_border)
    known_type = rec["exploitation_types"] != ""
    types = rec["exploitation_types"].str.split(";")
    share("labour", known_type, types.apply(lambda x: "forced_labour" in x), t.exploitation["labour"])
    share("sexual", known_type, types.apply(lambda x: "sexual_exploitation" in x), t.exploitation["sexual"])

    ass = _read(out / "assistance.csv")
    reint = ass[ass["reintegration"] == "true"]
    got = reint.groupby("record_id")["assistance_type"].apply(set)
    rp = got.index.to_series().map(truth)
    for code, target in t.reintegration.items():
        hit = got.apply(lambda s, c=code: c in s)
        results[f"reintegration {code}"] = Measurement(
            f"reintegration {code}", float(hit.mean()), target, len(got), len(got) / _deff(rp)
        )

    legs = _read(out / "journey_legs.csv")
    info = rec.set_index("record_id")[["sex", "child", "person"]]
    legs = legs.join(info, on="record_id")
    crossing = legs[legs["crossing"].isin(["official_air", "official_land", "official_sea", "unofficial"])]
    official = crossing["crossing"].str.startswith("official")

    def leg_share(name: str, mask: pd.Series, hit: pd.Series, target: float) -> None:
        sub = crossing.loc[mask]
        n = len(sub)
        results[name] = Measurement(name, float(hit[mask].mean()), target, n, n / _deff(sub["person"]))

    allm = pd.Series(True, index=crossing.index)
    leg_share("official border points", allm, official, t.official_overall)
    leg_share("official: women", crossing["sex"] == "female", official, t.official_women)
    leg_share("official: men", crossing["sex"] == "male", official, t.official_men)
    leg_share("official: adults", crossing["child"] == 0.0, official, t.official_adults)
    leg_share("official: children", crossing["child"] == 1.0, official, t.official_children)
    off = official & (crossing["travel_document"] != "")
    leg_share("forged documents (official)", off, crossing["travel_document"] == "forged", t.forged)
    leg_share(
        "without own documents (official)",
        off,
        crossing["travel_document"].isin(["none", "held_by_another"]),  # forged ones are counted apart
        t.without_own_documents,
    )
    per_record = (
        legs[legs["exploited"] != ""]
        .groupby("record_id")["exploited"]
        .apply(lambda s: bool(s.isin(["during", "before"]).any()))
    )
    rp = per_record.index.to_series().map(truth)
    results["exploited during journey"] = Measurement(
        "exploited during journey",
        float(per_record.mean()),
        t.exploited_during_journey,
        len(per_record),
        len(per_record) / _deff(rp),
    )
    return results


def report_lines(results: dict[str, Measurement]) -> list[str]:
    lines = [f"{'measure':<36}{'achieved':>10}{'target':>10}{'tol':>8}{'n':>9}  ok"]
    for m in results.values():
        lines.append(
            f"{m.name:<36}{m.value:>10.3f}{m.target:>10.3f}{m.tolerance:>8.3f}{m.n:>9}  {'yes' if m.ok else 'NO'}"
        )
    return lines
