"""The portal's data layer (published releases, figures, suppression), and the helpers the portal tests share.

Helpers: `portal_rows` generates input in the publication contract (see
ctdata.publish.kanon), `make_releases` writes and approves releases in a
temporary releases directory, `published_cells` walks an indicators answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ctdata.config import reset_settings
from ctdata.errors import Conflict, NotFound
from ctdata.publish.api import release_kanon
from ctdata.publish.kanon import KAnonSettings
from ctdata.publish.releases import ReleaseRegistry
from ctdata.publish.suppression import attack_bounds

CORRIDORS = [("PH", "MY"), ("UA", "RU"), ("ID", "MY"), ("NG", "IT"), ("VN", "TH"), ("RO", "GB"), ("MX", "US")]
INTERNAL = ["US", "TH", "NG"]
RARE = ["XK", "MT", "IS"]  # a handful of records each: generalised to regions or suppressed
TYPES = ["sexual_exploitation", "forced_labour", "forced_labour;forced_begging", "forced_marriage"]


def portal_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """Case rows in the publication input contract, with a few large corridors and some rare values."""
    rng = np.random.default_rng(seed)
    which = rng.choice(
        len(CORRIDORS) + len(INTERNAL) + 1, n, p=[0.17, 0.14, 0.12, 0.1, 0.1, 0.08, 0.09, 0.05, 0.05, 0.05, 0.05]
    )
    cit, coe = [], []
    for w in which:
        if w < len(CORRIDORS):
            o, d = CORRIDORS[w]
        elif w < len(CORRIDORS) + len(INTERNAL):
            o = d = INTERNAL[w - len(CORRIDORS)]
        else:
            o, d = str(rng.choice(RARE)), str(rng.choice(["DE", "FR"]))
        cit.append(o)
        coe.append(d)
    age = rng.choice(["0-8", "9-17", "18-20", "21-23", "24-26", "30-38", "48+", None], n).astype(object)
    sex = rng.choice(["female", "male", "transgender_nonconforming", None], n, p=[0.6, 0.36, 0.01, 0.03]).astype(object)
    types = np.where(sex == "female", rng.choice(TYPES, n, p=[0.6, 0.3, 0.05, 0.05]), rng.choice(TYPES[:3], n))
    return pd.DataFrame(
        {
            "registration_year": rng.choice(np.arange(2016, 2022), n),
            "data_source": rng.choice(["case_management", "hotline"], n, p=[0.8, 0.2]),
            "sex": sex,
            "age_band": age,
            "child": pd.array([None if a is None else a in ("0-8", "9-17") for a in age], dtype="boolean"),
            "citizenship": np.array(cit, dtype=object),
            "country_of_exploitation": np.array(coe, dtype=object),
            "exploitation_types": types.astype(object),
            "labour_sectors": np.where(types == "forced_labour", "agriculture", None),
            "means_of_control": rng.choice(["debt_bondage", "threats;physical_abuse"], n),
            "consent_research": pd.array(rng.choice([True, False], n, p=[0.95, 0.05]), dtype="boolean"),
            "source_kind": "case",
        }
    )


#: Quasi-identifiers of the test releases: fewer than the default, so that countries stay countries.
TEST_QIS = ["registration_year", "sex", "citizenship", "country_of_exploitation"]


@contextmanager
def portal_env(root: Path) -> Iterator[Path]:
    """CTDATA_DATA_DIR / CTDATA_RELEASES_DIR pointed at `root` for the duration (settings reset both ways)."""
    keys = ("CTDATA_DATA_DIR", "CTDATA_RELEASES_DIR", "CTDATA_DATABASE_URL", "CTDATA_CONFIG")
    old = {k: os.environ.get(k) for k in keys}
    os.environ["CTDATA_DATA_DIR"] = str(root)
    os.environ["CTDATA_RELEASES_DIR"] = str(root / "releases")
    os.environ["CTDATA_DATABASE_URL"] = f"sqlite:///{root / 'ctdata.db'}"
    os.environ["CTDATA_CONFIG"] = str(root / "no-such-ctdata.toml")
    reset_settings()
    try:
        yield root / "releases"
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()


def make_releases(releases_dir: Path, n: int = 4000, seed: int = 3) -> dict[str, str]:
    """An approved release, a newer draft, and a withdrawn one; returns their ids by state."""
    reg = ReleaseRegistry(releases_dir)
    settings_ = KAnonSettings(
        k=11, quasi_identifiers=TEST_QIS, release_columns=["age_band", "child", "exploitation_types"]
    )
    approved, _ = release_kanon(portal_rows(n, seed), settings_, reg, created_by="maker", title="Test case records")
    reg.approve(approved.release_id, by="checker")
    withdrawn, _ = release_kanon(portal_rows(1500, seed + 1), settings_, reg, created_by="maker", title="Withdrawn one")
    reg.approve(withdrawn.release_id, by="checker")
    reg.withdraw(withdrawn.release_id, by="checker", reason="test")
    draft, _ = release_kanon(portal_rows(1500, seed + 2), settings_, reg, created_by="maker", title="Draft one")
    return {"approved": approved.release_id, "draft": draft.release_id, "withdrawn": withdrawn.release_id}


def published_cells(table: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every cell of a table in the indicators JSON, margins included."""
    for row in table["cells"]:
        yield from row
    yield from table.get("row_totals", [])
    if "column_totals" in table:
        yield from table["column_totals"]["cells"]
    if "total" in table:
        yield table["total"]


def assert_suppressed(payload: dict[str, Any]) -> int:
    """Every published count in an indicators answer is 0 or at least k; returns how many cells were hidden."""
    k = payload["k"]
    hidden = 0
    cells = [payload["total"]] + [c for t in payload["tables"].values() for c in published_cells(t)]
    for c in cells:
        if c["suppressed"]:
            assert c["value"] is None
            hidden += 1
        else:
            assert c["value"] == 0 or c["value"] >= k, c
    for f in payload.get("corridors", []):
        assert f["records"] >= k
    return hidden


# ----------------------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("portal-data")
    with portal_env(root) as rel_dir:
        yield rel_dir, make_releases(rel_dir, n=2500)


def test_only_approved_releases_are_public(releases):
    from ctdata.publish.public import PublishedReleases

    rel_dir, ids = releases
    pub = PublishedReleases(rel_dir)
    assert [r.release_id for r in pub.list()] == [ids["approved"]]
    assert pub.default().release_id == ids["approved"]
    for state in ("draft", "withdrawn"):
        with pytest.raises(NotFound):
            pub.get(ids[state])
        with pytest.raises(NotFound):
            pub.file(ids[state], "records.csv")
    for name in ("../releases.json", "releases.json", "", ".", "..", "records.csv/../README.md", "/etc/passwd"):
        with pytest.raises(NotFound):
            pub.file(ids["approved"], name)
    path, info = pub.file(ids["approved"], "records.csv")
    assert path.parent.name == ids["approved"] and info.media_type.startswith("text/csv")
    assert pub.get(ids["approved"]).k == 11


def test_figures_match_pandas_and_suppress_below_k(releases):
    from ctdata.publish.portal import corridors, indicators, load
    from ctdata.publish.public import PublishedReleases

    rel_dir, ids = releases
    release = PublishedReleases(rel_dir).get(ids["approved"])
    df = pd.read_parquet(release.path / "records.parquet")
    data = load(release)
    ind = indicators(data, {})
    payload = ind.as_json()
    assert payload["total"]["value"] == len(df)
    # a release may hold hotline reports: its unit is case records, not "instances of assistance"
    assert payload["unit"].startswith("case records") and "instances of assistance" not in payload["unit"]
    assert corridors(data, {}).as_json()["unit"] == "case records"
    assert_suppressed(payload)
    sex = payload["tables"]["year_sex"]
    female = [c["code"] for c in sex["columns"]].index("female")
    assert sex["column_totals"]["cells"][female]["value"] == int((df["sex"] == "female").sum())
    # a narrow filter makes small cells, which must be hidden
    hidden = 0
    for sex_value, _ in data.options["sex"]:
        for year, _ in data.options["year"]:
            p = indicators(data, {"sex": sex_value, "year": year}).as_json()
            hidden += assert_suppressed(p)
            expect = int(((df["sex"] == sex_value) & (df["registration_year"].astype(str) == year)).sum())
            got = p["total"]
            if 0 < expect < 11:
                assert got["suppressed"] == "below_k"
            else:  # shown, or withheld because a wider view withholds the same figure
                assert got["value"] == expect or (expect and got["suppressed"] == "complementary")
    assert hidden > 0


def _shown(t: Any) -> pd.DataFrame:
    """A table by sex as an attacker reads it: margins included, hidden cells missing."""
    grid = [[c.value for c in row] + [rt.value] for row, rt in zip(t.cells, t.row_totals, strict=True)]
    grid.append([c.value for c in t.col_totals] + [t.total.value])
    return pd.DataFrame(grid, dtype="Int64")


def _views(options: dict[str, list[tuple[str, str]]], depth: int) -> Iterator[dict[str, str]]:
    """Every filter combination with at most `depth` filters."""
    from itertools import combinations, product

    for n in range(depth + 1):
        for names in combinations(sorted(options), n):
            for values in product(*[[v for v, _ in options[name]] for name in names]):
                yield dict(zip(names, values, strict=True))


def test_totals_of_views_cannot_be_subtracted_to_recover_a_small_cell(releases):
    """The differencing attack: a view's table, with the totals of the views one filter narrower put in
    for the margins it withholds (and the sex totals other tables of the view show), must not pin down
    a cell below k. Each narrower total is the margin of its row or column: records of 2019 are the 2019
    row of the table by year; before, a view's total was shown whenever it was at least k, so the
    margins complementary suppression had hidden could be read off the narrower views and the small
    cells they protected worked out by subtraction."""
    from ctdata.publish.portal import indicators, load
    from ctdata.publish.public import PublishedReleases
    from ctdata.publish.suppression import with_margins

    rel_dir, ids = releases
    data = load(PublishedReleases(rel_dir).get(ids["approved"]))
    k = data.k
    by_sex = ("year_sex", "child_sex", "age_sex", "region_sex")
    recovered, attacked = [], 0
    for view in _views(data.options, 1):
        ind = indicators(data, view)
        counts = data.counts(ind.filters)
        tables = {t.key: t for t in ind.tables if t.key in by_sex and not t.empty}
        sex_totals = {}  # sex -> its total as some table of this view shows it
        for t in tables.values():
            sex_totals |= {code: c.value for (code, _), c in zip(t.cols, t.col_totals, strict=True) if c.value}
        for name, options in data.options.items():
            if name in view:
                continue
            # (table, axis, the table's code, the narrower view's filter value) for each value of this filter
            margins = []
            for value, _ in options:
                if name == "sex":
                    margins += [(key, 1, value, value) for key in by_sex]
                elif name == "age":
                    band = value.startswith("band:")
                    margins.append(("age_sex" if band else "child_sex", 0, value[5:] if band else value, value))
                elif name in ("year", "region"):
                    margins.append((f"{name}_sex", 0, value, value))
            for key, t in tables.items():
                shown = _shown(t)
                for j, (code, _) in enumerate(t.cols):
                    if code in sex_totals:
                        shown.iloc[-1, j] = sex_totals[code]
                for m_key, axis, code, value in margins:
                    codes = [c for c, _ in (t.rows if axis == 0 else t.cols)]
                    if m_key != key or code not in codes:
                        continue
                    n = indicators(data, {**view, name: value}).total.value
                    if n is not None:
                        i = codes.index(code)
                        shown.iloc[(i, -1) if axis == 0 else (-1, i)] = n
                truth = with_margins(counts[key].counts)
                attacked += 1
                for (row, col), (lo, hi) in attack_bounds(shown).items():
                    if 0 < truth[row, col] < k and hi - lo < 1:
                        recovered.append((view, name, key, row, col, int(truth[row, col])))
    assert attacked > 50
    assert not recovered, f"{len(recovered)} cells below k recovered, e.g. {recovered[:3]}"


def test_unknown_filter_values_are_ignored_not_queried(releases):
    from ctdata.publish.portal import indicators, load
    from ctdata.publish.public import PublishedReleases

    rel_dir, ids = releases
    data = load(PublishedReleases(rel_dir).get(ids["approved"]))
    p = indicators(data, {"sex": "x' OR 1=1 --", "year": "1900", "type": "forced_labour"}).as_json()
    assert p["filters"] == {"type": "forced_labour"} and sorted(p["ignored_filters"]) == ["sex", "year"]


def _true_corridors(df: pd.DataFrame, k: int) -> dict[tuple[str, str], int]:
    """Consented cross-border country pairs of the input with at least k records."""
    from ctdata.publish.guard import consented

    ok = df[consented(df).to_numpy()]
    pairs = ok.groupby(["citizenship", "country_of_exploitation"]).size()
    return {(o, d): int(n) for (o, d), n in pairs.items() if o != d and n >= k}


def test_corridors_are_country_level_cross_border_and_at_least_k(releases):
    from ctdata.publish.portal import FROM_RECORDS, FROM_TABLE, corridors, load
    from ctdata.publish.public import PublishedReleases

    rel_dir, ids = releases
    data = load(PublishedReleases(rel_dir).get(ids["approved"]))
    cor = corridors(data, {})
    flows = cor.flows
    assert flows, "the test data has large corridors"
    assert cor.source == FROM_TABLE
    # the unfiltered map is the release's corridor table: every consented pair of at least k, exactly
    assert {(f.origin, f.destination): f.records for f in flows} == _true_corridors(portal_rows(2500, 3), 11)
    assert all(f.records >= 11 and f.origin != f.destination for f in flows)
    assert [f.records for f in flows] == sorted((f.records for f in flows), reverse=True)
    # with a filter the map counts the k-anonymised records: country-level pairs of at least k only
    filtered = corridors(data, {"sex": "female"})
    assert filtered.source == FROM_RECORDS and filtered.flows
    assert {(f.origin, f.destination) for f in filtered.flows} <= set(CORRIDORS)
    assert all(f.records >= 11 and f.origin != f.destination for f in filtered.flows)


def test_map_of_a_release_whose_countries_were_generalised(tmp_path):
    """With the six CTDC quasi-identifiers the records keep no country pair; the corridor table still has them."""
    from ctdata.publish.portal import FROM_RECORDS, FROM_TABLE, corridors, load
    from ctdata.publish.public import PublishedReleases

    reg = ReleaseRegistry(tmp_path)
    rows = portal_rows(1500, 21)
    e, report = release_kanon(rows, KAnonSettings(k=11), reg, created_by="maker")
    reg.approve(e.release_id, by="checker")
    released = pd.read_parquet(tmp_path / e.release_id / "records.parquet")
    assert (released["citizenship"].astype(str).str.len() != 2).all(), "countries are generalised in this release"
    data = load(PublishedReleases(tmp_path).get(e.release_id))
    cor = corridors(data, {})
    assert cor.source == FROM_TABLE
    assert {(f.origin, f.destination): f.records for f in cor.flows} == _true_corridors(rows, 11) != {}
    assert corridors(data, {"year": data.options["year"][0][0]}).source == FROM_RECORDS
    payload = cor.as_json()
    assert payload["source"] == FROM_TABLE and all(f["records"] >= 11 for f in payload["flows"])


def test_tampered_release_file_is_not_served(tmp_path):
    from ctdata.publish.public import PublishedReleases

    reg = ReleaseRegistry(tmp_path)
    e, _ = release_kanon(portal_rows(600, 9), KAnonSettings(k=5, quasi_identifiers=TEST_QIS), reg, created_by="a")
    reg.approve(e.release_id, by="b")
    p = tmp_path / e.release_id / "codebook.md"
    p.chmod(0o644)
    p.write_text("# altered after approval\n", encoding="utf-8")
    pub = PublishedReleases(tmp_path)
    with pytest.raises(Conflict):
        pub.file(e.release_id, "codebook.md")
    assert pub.file(e.release_id, "records.csv")[0].exists()
    (tmp_path / e.release_id / "extra.txt").write_text("not in the manifest")
    with pytest.raises(NotFound):
        pub.file(e.release_id, "extra.txt")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=4), min_size=1, max_size=6).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    ),
    st.integers(2, 15),
)
@example(rows=[[1, 0, 0, 0], [2, 0, 0, 0]], k=2)  # a hidden zero pinned by zero margins (found in CI)
def test_suppressed_tables_hide_small_cells_and_cannot_be_undone(rows, k):
    from ctdata.publish.portal import suppressed_table

    counts = pd.DataFrame(
        rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))]
    )
    t = suppressed_table(counts, k, key="t", title="t", row_title="r", row_dim="year", col_dim="sex")
    if counts.to_numpy().sum() == 0:
        assert t.empty
        return
    cells = [c for row in t.cells for c in row] + (t.row_totals or []) + (t.col_totals or []) + [t.total]
    for c in cells:
        assert (c.value is None) == bool(c.suppressed)
        assert c.suppressed or c.value == 0 or c.value >= k
    # no small cell can be pinned down from what is shown (the published table with its margins); a
    # zero hidden to protect a small one may be (under a zero margin, say): it is not itself disclosive
    grid = [[c.value for c in row] + [rt.value] for row, rt in zip(t.cells, t.row_totals, strict=True)]
    grid.append([c.value for c in t.col_totals] + [t.total.value])
    shown = pd.DataFrame(grid, dtype="Int64")
    full = counts.to_numpy()
    truth = np.vstack([np.hstack([full, full.sum(1, keepdims=True)]), np.append(full.sum(0), full.sum())])
    for (row, col), (lo, hi) in attack_bounds(shown).items():
        if 0 < truth[row, col] < k:
            assert hi - lo >= 1 or not np.isfinite(hi), f"small cell {(row, col)} is determined"


def test_region_and_labels_of_generalised_values():
    from ctdata.publish.portal import label, region_of

    assert region_of("NG") == "Africa" and region_of("Western Africa") == "Africa"
    assert region_of("*") == "*" and region_of("Nowhere") == "Unknown"
    assert label("coe", "TH") == "Thailand" and label("coe", "South-eastern Asia") == "South-eastern Asia (region)"
    assert label("year", "*") == "Any (withheld)" and label("age_band", "minor").startswith("Under 18")
    assert label("citizenship", "Other") == "Other countries"  # the row after the most frequent ones


def test_a_release_is_read_once_then_served_from_memory(tmp_path):
    """Pages of a loaded release are built on the event loop; a release not yet loaded goes to a worker."""
    from ctdata.publish.portal import is_loaded, load
    from ctdata.publish.public import PublishedReleases
    from ctdata.web.portal import views

    reg = ReleaseRegistry(tmp_path)
    e, _ = release_kanon(portal_rows(600, 4), KAnonSettings(k=5, quasi_identifiers=TEST_QIS), reg, created_by="a")
    reg.approve(e.release_id, by="b")
    pub = PublishedReleases(tmp_path)
    release = pub.get(e.release_id)
    assert not is_loaded(release) and not views._in_memory(pub, {})
    assert load(release) is load(release)
    assert is_loaded(release) and views._in_memory(pub, {}) and views._in_memory(pub, {"release": "no-such"})


def test_top_countries_fold_a_released_other_into_one_other_row():
    from ctdata.publish.portal import _top

    values = ["Other", "NG", "PH", "TH", "*", "Unknown"]
    counts, names = _top(np.array([5, 40, 30, 20, 7, 9]), values, n=2)
    assert names == ["NG", "PH", "Other", "*", "Unknown"]
    assert counts.ravel().tolist() == [40, 30, 20 + 5, 7, 9]
    counts, names = _top(np.array([40, 30]), ["NG", "PH"], n=2)
    assert names == ["NG", "PH"] and counts.ravel().tolist() == [40, 30]
