"""Every figure of the published 2011 report beside the same figure computed from a warehouse.

Used by ``benchmarks/calibration.py`` (prints the table for the demo) and by
the simulator's tests (the 2011 figures of a simulated data set must be within
sampling error of the published ones). Each figure is computed by the
indicators the report itself uses, so the comparison checks the simulator and
the report's counting together.

Tolerance, per figure (the wider of the two):

- a share: 3 percentage points, or two standard errors of a proportion at the
  size of its denominator in the data, sqrt(p (1 - p) deff / n);
- a count: the published count scaled to the data's size (instances of
  assistance in the year / 5,498), within 10% or two Poisson standard errors
  (2 sqrt(expected deff)).

``deff`` is the design effect of counting records where persons are what is
sampled: sum(m_i^2) / sum(m_i) over the persons' record counts m_i in the year
(linked individuals when linkage has run, else the person key). A person
recorded by two offices moves two records at once, so records vary more than
independent draws would.

Frames: shares "by regional office" are of the assistance given in the region
(the office that registered the record), as in the report's chapters; the
border-point figures are of journey legs (the press release's unit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ctdata.analytics import border, cases, funding, returns
from ctdata.analytics.filters import Filters
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.tabulate import linked
from ctdata.simulate.targets import published

SHARE_TOLERANCE = 0.03
COUNT_TOLERANCE = 0.10
YEAR = 2011


@dataclass(frozen=True)
class Comparison:
    """One published figure and the data's value, with the tolerance it is held to."""

    group: str
    figure: str
    kind: str  # share | count | usd
    published: float
    expected: float  # the published value, scaled to the data's size for counts
    value: float | None
    tolerance: float
    n: float  # the denominator (shares) or the scale's base (counts)
    deff: float = 1.0

    @property
    def ok(self) -> bool:
        return self.value is not None and abs(self.value - self.expected) <= self.tolerance + 1e-9

    @property
    def off_by(self) -> float | None:
        return None if self.value is None else self.value - self.expected


def share_tolerance(p: float, n: float, deff: float = 1.0, k: float = 2.0) -> float:
    """3 points, or k standard errors of a proportion p at n records (design effect deff), the wider."""
    se = math.sqrt(max(p * (1 - p), 0.0) * deff / n) if n else 1.0
    return max(SHARE_TOLERANCE, k * se)


def count_tolerance(expected: float, deff: float = 1.0, k: float = 2.0) -> float:
    """10% of the scaled count, or k Poisson standard errors (design effect deff), the wider."""
    return max(COUNT_TOLERANCE * expected, k * math.sqrt(max(expected, 0.0) * deff))


def design_effect(con: duckdb.DuckDBPyConnection, filters: Filters, legs: bool = False) -> float:
    """sum(m^2) / sum(m) over the records (or, with ``legs``, the journey legs) per person.

    A person is a linked individual, else the person key. Legs cluster more than records: each
    record of a person repeats the person's one to three legs.
    """
    fw, params = filters.where("c")
    who = "coalesce(i.individual_id, c.person_key)" if linked(con) else "c.person_key"
    join = "LEFT JOIN individuals i USING (record_key)" if linked(con) else ""
    frm = "journey_legs j JOIN cases c USING (record_key)" if legs else "cases c"
    v = con.execute(
        f"SELECT sum(m * m) / sum(m) FROM (SELECT count(*) AS m FROM {frm} {join} WHERE {fw} GROUP BY {who})",
        params,
    ).fetchone()[0]
    return float(v) if v else 1.0


def within(r: Comparison, k: float) -> bool:
    """Whether a comparison holds at k standard errors (or the 3-point / 10% floor)."""
    if r.value is None:
        return False
    if r.group == "funding":
        return abs(r.value - r.expected) <= r.tolerance
    if r.kind == "share":
        return abs(r.value - r.expected) <= share_tolerance(r.expected, r.n, r.deff, k)
    return abs(r.value - r.expected) <= count_tolerance(r.expected, r.deff, k)


def _share(group: str, figure: str, pub: float, t: IndicatorTable, value: str | Callable[[], float | None],
           n: float | None = None, deff: float = 1.0) -> Comparison:
    v = value() if callable(value) else t.share_of(value)
    base = float(n if n is not None else t.known)
    return Comparison(group, figure, "share", pub, pub, v, share_tolerance(pub, base, deff), base, deff)


def compare(
    con: duckdb.DuckDBPyConnection, year: int = YEAR, deff: float | None = None, deff_legs: float | None = None
) -> list[Comparison]:
    """Every figure of the published report (annual_report_2011, border_points_release) against ``con``.

    ``deff`` / ``deff_legs``: the design effects of records and of journey legs when known from
    elsewhere (a simulation's ground truth); by default measured on the linked individuals
    (:func:`design_effect`).
    """
    ar = published()["annual_report_2011"]
    bp = published()["border_points_release"]
    f = Filters(year_from=year, year_to=year)
    out: list[Comparison] = []
    key = cases.key_figures(con, f)
    n = float(key["instances"])
    scale = n / ar["instances_of_assistance"]
    deff = deff if deff is not None else design_effect(con, f)

    def count(group: str, figure: str, pub: float, value: float | None) -> None:
        exp = pub * scale
        out.append(Comparison(group, figure, "count", pub, exp, value, count_tolerance(exp, deff), n, deff))

    def share_(group: str, figure: str, pub: float, t: IndicatorTable, value: str | Callable[[], float | None],
               n: float | None = None) -> Comparison:
        return _share(group, figure, pub, t, value, n, deff)

    def leg_share(group: str, figure: str, pub: float, t: IndicatorTable,
                  value: str | Callable[[], float | None], n: float | None = None) -> Comparison:
        return _share(group, figure, pub, t, value, n, leg_deff)

    # ---------------------------------------------------------------- global
    count("global", "instances of assistance (the scale)", ar["instances_of_assistance"], n)
    if linked(con):
        count("global", "individuals", ar["individuals_estimated"], float(key["individuals"]))
        prev = cases.key_figures(con, Filters(year_from=year - 1, year_to=year - 1))
        if isinstance(prev["individuals"], int) and prev["individuals"]:
            change = key["individuals"] / prev["individuals"] - 1
            out.append(Comparison("global", "change in individuals vs previous year", "share",
                                  ar["change_in_individuals_vs_2010"], ar["change_in_individuals_vs_2010"], change,
                                  share_tolerance(0.5, float(prev["individuals"])), float(prev["individuals"]), 1.0))
    nat = cases.top_nationalities(con, f, top=None)
    for code, pub in ar["top_nationalities"].items():
        count("nationality", f"instances, nationality {code}", pub, nat.count_of(code))
    dest = cases.top_destinations(con, f, top=None)
    for code, pub in ar["top_destinations"].items():
        count("destination", f"instances, exploited in {code}", pub, dest.count_of(code))
    expl = cases.exploitation_type_detail(con, f)
    # records listing the type, among records with any type (simulate.targets states this reading)
    out.append(share_("global", "labour exploitation", ar["exploitation_type"]["labour"], expl, "forced_labour"))
    out.append(share_("global", "sexual exploitation", ar["exploitation_type"]["sexual"], expl,
                      "sexual_exploitation"))
    sex = cases.sex(con, f)
    out.append(share_("global", "women and girls", ar["female_share"], sex, "female"))
    count("global", "instances, female", ar["female_instances"], sex.count_of("female"))
    count("global", "instances, male", ar["male_instances"], sex.count_of("male"))
    age = cases.age_group(con, f)
    out.append(share_("global", "children", ar["children_share"], age, "child"))
    count("global", "instances, children", ar["children_instances"], age.count_of("child"))
    cb = cases.cross_border(con, f)
    out.append(share_("global", "cross-border", ar["cross_border_share"], cb, "cross_border"))
    count("global", "instances, cross-border", ar["cross_border_instances"], cb.count_of("cross_border"))
    count("global", "instances, internal", ar["internal_instances"], cb.count_of("internal"))

    # ---------------------------------------------------------------- regions (assistance given in the region)
    ro = cases.assistance_by_regional_office(con, f)
    for office, pub in ar["share_by_regional_office"].items():
        out.append(share_("region", f"share of instances, {office}", pub, ro, office))
    for office, pub in ar["children_share_by_regional_office"].items():
        t = cases.age_group(con, f.but(office_regional_office=office))
        out.append(share_("region", f"children, {office}", pub, t, "child"))

    # ---------------------------------------------------------------- return and reintegration
    reint = returns.reintegration_types(con, f)
    for kind, pub in ar["reintegration_assistance_share"].items():
        out.append(share_("AVRR", f"reintegration assistance: {kind}", pub, reint, kind))

    # ---------------------------------------------------------------- funding (not scaled: projects are absolute)
    summ = funding.funding_summary(con, f)
    for figure, pub, v in (
        ("projects", ar["projects"], summ["projects"]),
        ("countries with projects", ar["countries_with_projects"], summ["countries"]),
        ("external funding (USD)", ar["external_funding_usd"], summ["amount"]),
    ):
        out.append(Comparison("funding", figure, "usd" if "USD" in figure else "count", pub, pub, float(v),
                              COUNT_TOLERANCE * pub, pub))
    fro = funding.funding_by_regional_office(con, f)
    for office, pub in ar["funding_share_by_regional_office"].items():
        out.append(Comparison("funding", f"funding share, {office}", "share", pub, pub, fro.share_of(office),
                              SHARE_TOLERANCE, fro.known))

    # ---------------------------------------------------------------- border points (journey legs)
    # a person's records repeat their legs: legs are held to their own design effect
    leg_deff = deff_legs if deff_legs is not None else design_effect(con, f, legs=True)

    off = border.border_official(con, f)
    out.append(leg_share("border", "legs through official border points", bp["legs_through_official_border_points"],
                      off, "official"))
    by_sex = border.border_official_by_sex(con, f)
    by_age = border.border_official_by_age(con, f)
    for figure, pub, t, v in (
        ("official points, women", bp["official_share_women"], by_sex, "female"),
        ("official points, men", bp["official_share_men"], by_sex, "male"),
        ("official points, adults", bp["official_share_adults"], by_age, "adult"),
        ("official points, children", bp["official_share_children"], by_age, "child"),
    ):
        rows = t.data[t.data["value"] == v]
        k = float(rows["known"].iloc[0]) if len(rows) else 0.0
        out.append(leg_share("border", figure, pub, t, v, n=k))
    docs = border.border_documents(con, f)
    out.append(leg_share("border", "forged documents (official points)", bp["forged_documents_share"], docs, "forged"))
    out.append(leg_share("border", "without own documents, forged apart", bp["without_own_documents_share"], docs,
                      lambda: border.without_own_documents(docs)))
    ej = border.exploited_on_journey(con, f)
    out.append(leg_share("border", "exploited before or during the journey", bp["exploited_during_journey_share"], ej,
                      "yes"))
    return out


def trend_shares(year: int) -> dict[str, float]:
    """The model's shares for a year before 2011, from its 2008 and 2011 counts.

    The report gives 2008 beside 2011 for the types of trafficking, children and the two main
    types of exploitation; the years between are interpolated on the odds (a constant change per
    year), anchored on the 2011 headline shares:

    - cross-border of known type: odds (4,066 / 713) against (3,531 / 1,708);
    - children: 1,565 of 4,779 instances with a known type in 2008 against 2,040 of 5,239;
    - sexual among labour or sexual exploitation: odds 1,866 / 2,031 against 1,540 / 3,014.
    """
    ar = published()["annual_report_2011"]
    back = (YEAR - year) / (YEAR - 2008)
    known08 = ar["cross_border_instances_2008"] + ar["internal_instances_2008"]
    known11 = ar["cross_border_instances"] + ar["internal_instances"]
    e08 = ar["exploitation_instances_2008"]
    e11 = ar["exploitation_type"]

    def at(share_2011: float, odds_2008: float, odds_2011: float) -> float:
        o = share_2011 / (1 - share_2011) * (odds_2008 / odds_2011) ** back
        return o / (1 + o)

    def odds(part: float, whole: float) -> float:
        return part / (whole - part)

    return {
        "cross-border": at(ar["cross_border_share"], odds(ar["cross_border_instances_2008"], known08),
                           odds(ar["cross_border_instances"], known11)),
        "children": at(ar["children_share"], odds(ar["children_instances_2008"], known08),
                       odds(ar["children_instances"], known11)),
        "sexual among labour or sexual": at(e11["sexual"] / (e11["sexual"] + e11["labour"]),
                                            e08["sexual"] / e08["labour"],
                                            ar["exploitation_type"]["sexual"] / ar["exploitation_type"]["labour"]),
    }


def compare_trend(con: duckdb.DuckDBPyConnection, year: int, deff: float | None = None) -> list[Comparison]:
    """The model's trend shares for an earlier year (:func:`trend_shares`) against ``con``'s records of it."""
    f = Filters(year_from=year, year_to=year)
    deff = deff if deff is not None else design_effect(con, f)
    expected = trend_shares(year)
    cb = cases.cross_border(con, f)
    age = cases.age_group(con, f)
    expl = cases.exploitation_type_detail(con, f)
    sexual, labour = expl.count_of("sexual_exploitation") or 0, expl.count_of("forced_labour") or 0
    both = float(sexual + labour)
    return [
        _share("trend", f"{year}: cross-border", expected["cross-border"], cb, "cross_border", deff=deff),
        _share("trend", f"{year}: children", expected["children"], age, "child", deff=deff),
        _share("trend", f"{year}: sexual among labour or sexual", expected["sexual among labour or sexual"], expl,
               lambda: sexual / both if both else None, n=both, deff=deff),
    ]


def table_rows(rows: list[Comparison]) -> list[list[str]]:
    """The comparisons as printable rows: group, figure, published, expected, value, off by, tolerance, flag."""
    out = []
    for r in rows:
        if r.kind == "share":
            fmt = lambda v: "n/a" if v is None else f"{v * 100:.1f}%"  # noqa: E731
            off = "n/a" if r.off_by is None else f"{r.off_by * 100:+.1f} pt"
            tol = f"±{r.tolerance * 100:.1f} pt"
        else:
            fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"  # noqa: E731
            off = "n/a" if r.off_by is None else f"{r.off_by:+,.0f}"
            tol = f"±{r.tolerance:,.0f}"
        out.append([r.group, r.figure, fmt(r.published), fmt(r.expected), fmt(r.value), off, tol,
                    "ok" if r.ok else "OUTSIDE"])
    return out
