"""Regional chapters in the published report's frame, funding with several donors, narrative, annexes."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ctdata.analytics import border, funding
from ctdata.analytics.filters import Filters
from ctdata.errors import ValidationError
from ctdata.report.annual import render_annual
from ctdata.report.narrative import load, slots, write_templates
from ctdata.standard import countries
from ctdata.standard.regions import REGIONAL_OFFICES, regional_office
from ctdata.warehouse.query import connect
from tests.analytics.demo import copy_with_extras

YEAR = 2011
PROJECTS = [
    {"project": "Shelter Kyiv", "countries": ["UA", "MD"], "donor": "Netherlands: 600000; Norway; Italy",
     "amount": 1_000_000.0, "year": YEAR},
    {"project": "Mekong returns", "countries": ["TH", "LA", "UA"], "donor": "United States",
     "amount": 300_000.0, "year": YEAR},
    {"project": "Old", "countries": ["HT"], "donor": None, "amount": 50.0, "year": YEAR - 1},
]


@pytest.fixture(scope="module")
def wh(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_with_extras(warehouse, tmp_path_factory.mktemp("wh") / "wh", projects=PROJECTS)


@pytest.fixture(scope="module")
def narrative_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("narrative")
    write_templates(d, YEAR)
    (d / "ro-vienna.md").write_text(
        "<!-- placeholder -->\n## Overview\n\nShelters **opened** in Moldova.<script>x()</script>\n", encoding="utf-8"
    )
    return d


@pytest.fixture(scope="module")
def report(wh: Path, narrative_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("report")
    r = render_annual(YEAR, out, progress=False, pdf=False, root=wh, narrative=narrative_dir)
    r["html_text"] = Path(r["paths"]["html"]).read_text(encoding="utf-8")
    return r


def _section(html: str, sid: str) -> str:
    part = html.split(f'id="{sid}"', 1)[1]
    return part.split("<section", 1)[0]


def _text(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", fragment, flags=re.S))))


def test_chapters_count_assistance_given_in_the_region(report, wh):
    c = pq.read_table(wh / "cases").to_pandas()
    c = c[c["registration_year"] == YEAR]
    for ro in ("Vienna", "Bangkok"):
        sid = f"ro-{ro.lower()}"
        text = _text(_section(report["html_text"], sid))
        mine = c[c["office_regional_office"] == ro]
        assert f"{len(mine):,} case records" in text
        assert f"in {mine['office_country'].nunique()} countries of the region" in text
        table = pd.read_csv(Path(report["out"]) / "tables" / f"{sid}__assistance-by-country.csv")
        assert set(table["value"]) <= {k for k in mine["office_country"].unique()}
        assert all(regional_office(v) == ro for v in table["value"])  # no Ukraine in Bangkok's chapter
    ids = [s["id"] for s in report["sections"]]
    assert [i for i in ids if i.startswith("ro-")] == [f"ro-{r.lower().replace(' ', '-')}" for r in REGIONAL_OFFICES]


def test_chapter_has_the_models_figures(report):
    figs = {f.name for f in (Path(report["out"]) / "tables").glob("ro-vienna__*.csv")}
    for fig in ("assistance-by-country", "children", "sex", "exploitation-type", "trafficking-type",
                "avrr-nationality", "avrr-age-sex", "donors"):
        assert f"ro-vienna__{fig}.csv" in figs
    children = pd.read_csv(Path(report["out"]) / "tables" / "ro-vienna__children.csv")
    assert "Unknown" in set(children["label"]) and children["share"].sum() == pytest.approx(1.0)
    text = _text(_section(report["html_text"], "ro-vienna"))
    assert re.search(r"Age: \d+% children \(under 18\), \d+% adults \(18 and over\), \d+% unknown", text)
    assert "Primary donors: Netherlands" in text


def test_destination_view_is_a_separate_table(report):
    tables = Path(report["out"]) / "tables"
    given = pd.read_csv(tables / "global__assistance-by-regional-office.csv")
    dest = pd.read_csv(tables / "global__regional-office.csv")
    assert not given.equals(dest)


def test_trafficking_type_both(wh):
    con = connect(wh)
    legs = pq.read_table(wh / "journey_legs").to_pandas()
    c = pq.read_table(wh / "cases").to_pandas()
    c = c[c["registration_year"] == YEAR].set_index("record_key")
    internal = (legs["crossing"] == "none") | (legs["from_country"] == legs["to_country"])
    cross = ~internal & (legs["crossing"].notna() | (legs["from_country"] != legs["to_country"]))
    kinds = pd.DataFrame({"k": legs["record_key"], "x": cross, "i": internal}).groupby("k").agg("any")
    kinds = kinds[kinds.index.isin(c.index)]
    t = border.trafficking_type(con, Filters(year_from=YEAR, year_to=YEAR))
    both = int((kinds["x"] & kinds["i"]).sum())
    assert t.count_of("both") == both
    only_x = kinds["x"] & ~kinds["i"]
    no_legs = c[~c.index.isin(kinds[kinds["x"] | kinds["i"]].index)]
    assert t.count_of("cross_border") == int(only_x.sum()) + int((no_legs["cross_border"] == True).sum())  # noqa: E712
    assert t.unknown == int(no_legs["cross_border"].isna().sum())


def test_funding_splits_donors_and_regions(wh):
    con = connect(wh)
    f = Filters(year_from=YEAR, year_to=YEAR)
    d = funding.funding_by_donor(con, f)
    got = dict(zip(d.data["value"], d.data["count"], strict=True))
    assert got == {"Netherlands": 600000, "Norway": 200000, "Italy": 200000, "United States": 300000}
    assert "Netherlands;Norway;Italy" not in got
    vienna = funding.funding_by_donor(con, f.but(office_regional_office="Vienna"))
    # Shelter Kyiv (UA, MD) is all Vienna; a third of Mekong returns (UA of TH, LA, UA)
    assert dict(zip(vienna.data["value"], vienna.data["count"], strict=True)) == pytest.approx(
        {"Netherlands": 600000, "Norway": 200000, "Italy": 200000, "United States": 100000})
    assert funding.funding_summary(con, f.but(office_regional_office="Bangkok")) == pytest.approx(
        {"projects": 1, "countries": 2, "amount": 200000.0})
    annex = funding.projects_annex(con, f)
    assert list(annex["project"]) == ["Mekong returns", "Shelter Kyiv"]
    assert "Netherlands ($600,000); Norway ($200,000); Italy ($200,000)" in set(annex["donors"])


def test_funding_sentence_is_formatted(report):
    text = _text(_section(report["html_text"], "funding"))
    assert "($South" not in text and "$(" not in text
    assert re.search(r"Vienna \(South-Eastern Europe, Eastern Europe and Central Asia\): \$[\d,]+ \(\d+%\)", text)
    assert "Annex C" in text
    annex = _text(_section(report["html_text"], "annex-projects"))
    assert "Shelter Kyiv" in annex and "Norway ($200,000)" in annex


def test_narrative_placed_escaped_and_templates_add_nothing(report):
    vienna = _section(report["html_text"], "ro-vienna")
    assert "Shelters <strong>opened</strong> in Moldova." in vienna
    assert "<script>" not in vienna and "&lt;script&gt;" in vienna
    assert "placeholder" not in vienna
    bangkok = _section(report["html_text"], "ro-bangkok")
    assert 'class="narrative"' not in bangkok  # the untouched template adds nothing


def test_narrative_folder_refuses_unknown_files(tmp_path):
    write_templates(tmp_path, YEAR)
    assert load(tmp_path) == {}
    assert {p.stem for p in tmp_path.glob("*.md")} == {s.id for s in slots()}
    (tmp_path / "ro-viena.md").write_text("Typo", encoding="utf-8")
    with pytest.raises(ValidationError, match="ro-viena.md matches no section"):
        load(tmp_path)
    with pytest.raises(ValidationError, match="not a folder"):
        load(tmp_path / "missing")


def test_caveats_and_annex_b(report):
    html = report["html_text"]
    assert "Identification bias." in html and "sexual exploitation, women and girls" in html
    assert "Offices that do not share data." in html
    annex = _text(_section(html, "annex-countries"))
    for t in ("Hong Kong*", "Macao*", "State of Palestine*", "Réunion*", "Mayotte*"):
        assert t in annex
    assert "Democratic Republic of the Congo" in annex and "Congo, The" not in annex


def test_no_country_name_has_a_comma():
    assert [c for c in countries.all_alpha2() if "," in countries.name(c)] == []
    assert countries.to_alpha2(countries.name("CD")) == "CD"


def test_data_without_office_country_read_by_destination(wh, tmp_path):
    """CTDC releases name no assisting office: chapters place records by country of exploitation and say so."""
    import shutil

    import pyarrow as pa

    dst = tmp_path / "wh"
    shutil.copytree(wh, dst)
    for path in (dst / "cases").rglob("*.parquet"):
        t = pq.read_table(path)
        for col in ("office_country", "office_regional_office"):
            i = t.schema.get_field_index(col)
            t = t.set_column(i, col, pa.nulls(len(t), t.schema.field(col).type))
        pq.write_table(t, path)
    r = render_annual(YEAR, tmp_path / "out", progress=False, pdf=False, root=dst)
    text = _text(_section(Path(r["paths"]["html"]).read_text(encoding="utf-8"), "ro-vienna"))
    c = pq.read_table(wh / "cases").to_pandas()
    mine = c[(c["registration_year"] == YEAR) & (c["regional_office"] == "Vienna")]
    assert "places records by their country of exploitation" in text
    assert f"{len(mine):,} case records" in text and "concerned exploitation in" in text
    assert not [s for s in r["sections"] if s["id"].startswith("ro-") and s["empty"]]
