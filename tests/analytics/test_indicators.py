"""Each indicator against an independent pandas computation on the same Parquet files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ctdata.analytics import border, cases, funding, returns
from ctdata.analytics.filters import Filters
from ctdata.analytics.indicators import headline
from ctdata.analytics.registry import list_indicators, run
from ctdata.analytics.table import NOT_LINKED
from ctdata.warehouse.query import connect
from tests.analytics.demo import copy_with_extras

YEAR = 2011
F = Filters(year_from=YEAR, year_to=YEAR)


def _year(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["registration_year"] == YEAR]


def _check(t, expected: pd.Series, unknown: int, known: int | None = None) -> None:
    """The indicator's counts, known, unknown and shares equal the pandas ones."""
    expected = expected[expected > 0]
    got = dict(zip(t.data["value"], t.data["count"], strict=True))
    exp = {k: int(v) for k, v in expected.items()}
    if len(got) < len(exp):  # top-N tables: the N largest, everything else left out
        exp = dict(sorted(exp.items(), key=lambda kv: (-kv[1], kv[0]))[: len(got)])
    assert got == exp
    k = known if known is not None else int(expected.sum())
    assert t.known == k
    assert t.unknown == unknown
    for v, s in zip(t.data["value"], t.data["share"], strict=True):
        assert s == pytest.approx(exp[v] / k)


def test_sex(con, frames):
    c = _year(frames["cases"])
    known = c["sex"].where(c["sex"].isin(["female", "male", "transgender_nonconforming"]))
    _check(cases.sex(con, F), known.value_counts(), int(known.isna().sum()))


def test_age_group_uses_child_column(con, frames):
    c = _year(frames["cases"])
    exp = c["child"].map({True: "child", False: "adult"})
    _check(cases.age_group(con, F), exp.value_counts(), int(c["child"].isna().sum()))


def test_age_sex(con, frames):
    c = _year(frames["cases"])
    ok = c["child"].notna() & c["sex"].isin(["female", "male"])
    lab = np.where(
        c["sex"] == "female",
        np.where(c["child"] == True, "girl", "woman"),  # noqa: E712
        np.where(c["child"] == True, "boy", "man"),  # noqa: E712
    )  # noqa: E712
    exp = pd.Series(lab[ok.to_numpy()]).value_counts()
    t = cases.age_sex(con, F)
    got = dict(zip(t.data["value"], t.data["count"], strict=True))
    for k in ("girl", "boy", "woman", "man"):
        assert got.get(k, 0) == exp.get(k, 0)
    trans = c["sex"].eq("transgender_nonconforming") & c["child"].notna()
    assert t.unknown == len(c) - int(ok.sum()) - int(trans.sum())


def test_cross_border(con, frames):
    c = _year(frames["cases"])
    exp = c["cross_border"].map({True: "cross_border", False: "internal"})
    _check(cases.cross_border(con, F), exp.value_counts(), int(c["cross_border"].isna().sum()))


@pytest.mark.parametrize(
    ("fn", "col"),
    [
        (cases.top_nationalities, "citizenship"),
        (cases.top_destinations, "country_of_exploitation"),
        (cases.regional_office_share, "regional_office"),
        (cases.assistance_by_country, "office_country"),
        (cases.data_sources, "data_source"),
    ],
)
def test_one_column_tables(con, frames, fn, col):
    c = _year(frames["cases"])
    t = fn(con, F)
    _check(t, c[col].value_counts(), int(c[col].isna().sum()))


def test_top_nationalities_is_top_ten_with_shares_of_all_known(con, frames):
    c = _year(frames["cases"])
    t = cases.top_nationalities(con, F)
    assert len(t.data) == 10
    assert t.known == c["citizenship"].notna().sum()
    assert "Top 10" in t.note


def _group(types) -> str | None:
    if types is None or len(types) == 0:
        return None
    s = set(types)
    if "sex_and_labour" in s or {"forced_labour", "sexual_exploitation"} <= s:
        return "combined"
    if "forced_labour" in s:
        return "labour"
    if "sexual_exploitation" in s:
        return "sexual"
    return "other"


def test_exploitation_type_groups(con, frames):
    c = _year(frames["cases"])
    g = c["exploitation_types"].map(_group)
    _check(cases.exploitation_type(con, F), g.value_counts(), int(g.isna().sum()))


def test_labour_sector_multi_valued(con, frames):
    c = _year(frames["cases"])

    def rel(row) -> bool:
        t = row["exploitation_types"]
        t = set(t) if t is not None else set()
        ls = row["labour_sectors"]
        return bool({"forced_labour", "sex_and_labour"} & t) or (ls is not None and len(ls) > 0)

    sub = c[c.apply(rel, axis=1)]
    sectors = sub["labour_sectors"].map(
        lambda x: sorted({s for s in (x if x is not None else []) if s != "not_specified"})
    )
    known = int((sectors.map(len) > 0).sum())
    exp = sectors.explode().dropna().value_counts()
    _check(cases.labour_sector(con, F), exp, len(sub) - known, known=known)


def test_by_year_and_trend(con, frames):
    c = frames["cases"]
    t = cases.by_year(con)
    assert dict(zip(t.data["value"], t.data["count"], strict=True)) == c["registration_year"].value_counts().to_dict()
    tr = cases.trend_frame(con)
    row = tr[tr["year"] == YEAR].iloc[0]
    cy = _year(c)
    assert row["instances"] == len(cy)
    assert row["children"] == int((cy["child"] == True).sum())  # noqa: E712
    assert row["labour"] == int((cy["exploitation_types"].map(_group) == "labour").sum())


def test_age_band_sex_sums(con, frames):
    c = _year(frames["cases"])
    band = c["age_at_exploitation_band"].fillna(c["age_band"])
    ok = band.notna() & c["sex"].isin(["female", "male", "transgender_nonconforming"])
    t = cases.age_band_sex(con, F)
    assert t.known == int(ok.sum())
    assert t.unknown == len(c) - int(ok.sum())
    exp = pd.DataFrame({"b": band[ok], "s": c["sex"][ok]}).value_counts()
    for b, s, n in zip(t.data["value"], t.data["sex"], t.data["count"], strict=True):
        assert exp[(b, s)] == n


# ------------------------------------------------------------------ journeys
def _legs(frames) -> pd.DataFrame:
    c = _year(frames["cases"])[["record_key", "sex", "child", "citizenship", "country_of_exploitation"]]
    return frames["journey_legs"].merge(c, on="record_key")


def test_border_official(con, frames):
    legs = _legs(frames)
    crossed = legs[legs["crossing"].isna() | (legs["crossing"] != "none")]
    kind = crossed["crossing"].map(
        lambda x: None if x is None else ("official" if x.startswith("official") else "unofficial")
    )
    _check(border.border_official(con, F), kind.value_counts(), int(kind.isna().sum()))


def test_border_official_by_sex_and_age(con, frames):
    legs = _legs(frames)
    crossed = legs[legs["crossing"].notna() & (legs["crossing"] != "none")]
    off = crossed["crossing"].str.startswith("official")
    t = border.border_official_by_sex(con, F)
    for v, n, k, s in zip(t.data["value"], t.data["count"], t.data["known"], t.data["share"], strict=True):
        m = crossed["sex"] == v
        assert (n, k) == (int(off[m].sum()), int(m.sum()))
        assert s == pytest.approx(n / k)
    a = border.border_official_by_age(con, F)
    kids = crossed["child"] == True  # noqa: E712
    row = a.data.set_index("value").loc["child"]
    assert (row["count"], row["known"]) == (int(off[kids].sum()), int(kids.sum()))


def test_border_documents(con, frames):
    legs = _legs(frames)
    off = legs[legs["crossing"].fillna("").str.startswith("official")]
    _check(
        border.border_documents(con, F), off["travel_document"].value_counts(), int(off["travel_document"].isna().sum())
    )


def test_exploited_on_journey(con, frames):
    legs = _legs(frames)
    g = legs.groupby("record_key")["exploited"].agg(
        yes=lambda s: s.isin(["before", "during"]).any(), no=lambda s: (s == "no").any()
    )
    val = np.where(g["yes"], "yes", np.where(g["no"], "no", None))
    s = pd.Series(val)
    _check(border.exploited_on_journey(con, F), s.value_counts(), int(s.isna().sum()))


def test_corridors(con, frames):
    c = _year(frames["cases"])
    c = c[c["cross_border"].isna() | (c["cross_border"] == True)]  # noqa: E712
    both = c["citizenship"].notna() & c["country_of_exploitation"].notna()
    pairs = (c["citizenship"] + ">" + c["country_of_exploitation"])[both]
    t = border.corridors(con, F, top=None)
    _check(t, pairs.value_counts(), int((~both).sum()))
    assert (t.data["origin"] + ">" + t.data["destination"]).tolist() == t.data["value"].tolist()
    assert (t.data["origin"] != t.data["destination"]).all()


# ------------------------------------------------------------------ returns
def _returned(frames) -> pd.DataFrame:
    c = _year(frames["cases"])
    r = frames["returns"]
    return c[c["record_key"].isin(r.loc[r["status"] == "travelled", "record_key"])]


def test_returns_nationality_and_sex(con, frames):
    c = _returned(frames)
    assert len(c) > 0
    _check(returns.returns_nationality(con, F), c["citizenship"].value_counts(), int(c["citizenship"].isna().sum()))
    known = c["sex"].where(c["sex"].isin(["female", "male", "transgender_nonconforming"]))
    _check(returns.returns_sex(con, F), known.value_counts(), int(known.isna().sum()))


def test_reintegration_types_share_of_reintegrated(con, frames):
    c = _year(frames["cases"])
    a = frames["assistance"]
    a = a[(a["reintegration"] == True) & a["record_key"].isin(c["record_key"])]  # noqa: E712
    per = a.groupby("record_key")["assistance_type"].agg(lambda s: set(s.dropna()))
    n = len(per)
    exp = per.map(sorted).explode().dropna().value_counts()
    t = returns.reintegration_types(con, F)
    _check(t, exp, 0, known=n)
    assert t.data["value"].tolist()[:2] == ["legal", "medical"]  # the report's order first


# ------------------------------------------------------------------ funding, individuals
def test_funding_by_regional_office(warehouse, tmp_path):
    wh = copy_with_extras(
        warehouse,
        tmp_path / "wh",
        projects=[
            {"project": "P1", "countries": ["UA", "TH"], "donor": "EU", "amount": 1000.0, "year": YEAR},
            {"project": "P2", "countries": ["RU"], "donor": "US", "amount": 500.0, "year": YEAR},
            {"project": "P3", "countries": ["HT"], "donor": None, "amount": 300.0, "year": YEAR - 1},
        ],
    )
    con = connect(wh)
    t = funding.funding_by_regional_office(con, F)
    got = dict(zip(t.data["value"], t.data["count"], strict=True))
    assert got == {"Vienna": 1000.0, "Bangkok": 500.0}  # UA 500 + RU 500; TH 500
    assert t.share_of("Vienna") == pytest.approx(2 / 3)
    assert funding.funding_summary(con, F) == {"projects": 2, "countries": 3, "amount": 1500.0}
    d = funding.funding_by_donor(con, Filters())
    assert d.unknown == 300 and d.count_of("EU") == 1000.0


def test_no_projects_says_so(con):
    t = funding.funding_by_regional_office(con, F)
    assert t.empty and "project" in t.note.lower()


def test_individuals_when_linked(warehouse, frames, tmp_path):
    assert cases.key_figures(connect(warehouse), F)["individuals"] == NOT_LINKED
    wh = copy_with_extras(warehouse, tmp_path / "wh", individuals=True)
    con = connect(wh)
    c = _year(frames["cases"])
    k = cases.key_figures(con, F)
    assert k == {**k, "instances": len(c), "individuals": c["person_key"].nunique()}
    t = cases.sex(con, F)
    fem = c[c["sex"] == "female"]
    assert t.data.set_index("value").loc["female", "individuals"] == fem["person_key"].nunique()
    assert t.individuals == c["person_key"].nunique()


def test_records_linkage_has_not_seen_count_as_individuals_of_their_own(warehouse, frames, tmp_path):
    """Records imported since the last `ctdata link` have no individual yet: each counts as one of its own
    (an inner join dropped them from every individuals figure, the MSE lists and releases of one row per
    individual)."""
    import pyarrow as pa
    import pyarrow.parquet as pq


    wh = copy_with_extras(warehouse, tmp_path / "wh", individuals=True)
    ind = pq.read_table(wh / "individuals.parquet").to_pandas()
    seen = ind.iloc[::2]  # linkage ran before every other record was imported
    pq.write_table(pa.Table.from_pandas(seen, preserve_index=False), wh / "individuals.parquet")
    con = connect(wh)
    c = _year(frames["cases"])
    linked = c["record_key"].isin(seen["record_key"])
    expected = c.loc[linked, "person_key"].nunique() + int((~linked).sum())
    assert 0 < int(linked.sum()) < len(c)
    assert cases.key_figures(con, F)["individuals"] == expected
    t = cases.sex(con, F)
    assert t.individuals == expected
    fem = c[c["sex"] == "female"]
    fem_linked = fem["record_key"].isin(seen["record_key"])
    assert t.data.set_index("value").loc["female", "individuals"] == (
        fem.loc[fem_linked, "person_key"].nunique() + int((~fem_linked).sum()))
    every = frames["cases"]
    every_linked = every["record_key"].isin(seen["record_key"])
    assert headline(con=con)["individuals"] == every.loc[every_linked, "person_key"].nunique() + int(
        (~every_linked).sum())


# ------------------------------------------------------------------ registry and result shape
def test_registry_lists_documented_indicators(con):
    items = list_indicators()
    names = [i["name"] for i in items]
    for required in (
        "top_nationalities",
        "top_destinations",
        "exploitation_type",
        "labour_sector",
        "sex",
        "age_group",
        "age_sex",
        "cross_border",
        "regional_office_share",
        "returns_nationality",
        "reintegration_types",
        "funding_by_regional_office",
        "border_official",
        "corridors",
    ):
        assert required in names
    assert all(i["doc"] for i in items)
    for name in names:
        t = run(name, con, {"year_from": YEAR, "year_to": YEAR})
        d = t.to_dict()
        json.dumps(d)  # serialisable
        assert d["name"] == name and d["unit"]
        assert not (t.data["share"].dropna() > 1 + 1e-9).any() or name in (
            "exploitation_type_detail",
            "labour_sector",
            "reintegration_types",
        )


def test_to_csv_round_trip(con, tmp_path: Path):
    t = cases.sex(con, F)
    t.to_csv(tmp_path / "sex.csv")
    back = pd.read_csv(tmp_path / "sex.csv")
    assert back["count"].tolist() == t.data["count"].tolist()
    assert math.isclose(back["share"].sum(), 1.0)
