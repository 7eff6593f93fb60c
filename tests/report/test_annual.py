"""The annual report renders HTML, PDF, CSV and XLSX; its numbers are the tables' numbers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ctdata.analytics.filters import Filters
from ctdata.report import register_section
from ctdata.report.annual import render_annual
from ctdata.report.model import Section, unregister_section
from ctdata.standard.regions import REGIONAL_OFFICES

YEAR = 2011


@pytest.fixture(scope="module")
def report(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    def extra(ctx):
        return Section(
            id="extra-test", title="Extra section from another layer", paragraphs=[f"hook saw year {ctx.year}"]
        )

    register_section("test-extra", extra)
    try:
        return render_annual(YEAR, tmp_path_factory.mktemp("report"), progress=False, root=warehouse)
    finally:
        unregister_section("test-extra")


def test_outputs_exist(report):
    p = report["paths"]
    assert Path(p["pdf"]).read_bytes()[:5] == b"%PDF-"
    html = Path(p["html"]).read_text()
    assert html.count("<svg") >= report["charts"] > 40
    wb = openpyxl.load_workbook(p["xlsx"], read_only=True)
    assert len(wb.sheetnames) == int(p["table_count"]) + 1 and wb.sheetnames[0] == "Contents"
    assert len(list(Path(p["tables"]).glob("*.csv"))) == int(p["table_count"])
    assert list(Path(p["charts"]).glob("corridors__map.png"))


def test_html_is_self_contained(report):
    html = Path(report["paths"]["html"]).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "<script" not in html


def test_structure_and_caveats(report):
    html = Path(report["paths"]["html"]).read_text()
    ids = [s["id"] for s in report["sections"]]
    assert ids[:3] == ["key-figures", "global-trends", "global"]
    assert [i for i in ids if i.startswith("ro-")] == [f"ro-{r.lower().replace(' ', '-')}" for r in REGIONAL_OFFICES]
    assert ids[-3:] == ["annex-sources", "annex-countries", "annex-projects"]
    assert ids.index("extra-test") < ids.index("annex-sources") and "hook saw year 2011" in html
    for words in (
        "not yet linked",
        "instances of assistance",
        "counted twice",
        "Only assisted cases",
        "Shifting programme coverage",
        "unknown",
    ):
        assert words in html
    assert "Ukraine" in html.split('id="annex-countries"')[1]


def test_every_section_has_content_or_says_why(report):
    html = Path(report["paths"]["html"]).read_text()
    for s in report["sections"]:
        body = html.split(f'id="{s["id"]}"', 1)[1].split("<section", 1)[0]
        text = re.sub(r"<[^>]+>", " ", body)
        assert len(text.split()) > 8, s["id"]
        if s["empty"]:
            assert 'class="empty"' in body
    # this warehouse has no projects table, and the report says so; its assistance items say what
    # paid for them, so the section still gives the records assisted through a fund
    body = html.split('id="funding"', 1)[1].split("<section", 1)[0]
    assert "Funding figures need the projects table" in body
    assert "were assisted through a fund" in body


def test_csv_numbers_match_pandas(report, warehouse):
    c = pq.read_table(warehouse / "cases").to_pandas()
    c = c[c["registration_year"] == YEAR]
    tables = Path(report["paths"]["tables"])
    sex = pd.read_csv(tables / "global__sex.csv").set_index("value")["count"]
    assert sex["female"] == (c["sex"] == "female").sum() and sex["male"] == (c["sex"] == "male").sum()
    vienna = c[c["office_regional_office"] == "Vienna"]  # assistance given in the region
    by_country = pd.read_csv(tables / "ro-vienna__assistance-by-country.csv")
    assert by_country["count"].tolist() == vienna["office_country"].value_counts().head(len(by_country)).tolist()
    ro = pd.read_csv(tables / "global__regional-office.csv").set_index("value")["count"]
    assert ro.to_dict() == c["regional_office"].value_counts().to_dict()


def test_text_quotes_the_tables(report, warehouse):
    html = Path(report["paths"]["html"]).read_text()
    c = pq.read_table(warehouse / "cases").to_pandas()
    n = int((c["registration_year"] == YEAR).sum())
    hot = int(((c["registration_year"] == YEAR) & (c["data_source"] == "hotline")).sum())
    assert hot  # hotline reports are named apart from assistance
    both = f"({n - hot:,} instances of assistance and {hot:,} hotline reports)"
    assert f"<strong>{n:,}</strong> case records {both}" in html
    assert "Figures count <strong>case records (instances of assistance and hotline reports)</strong>" in html
    female = ((c["registration_year"] == YEAR) & (c["sex"] == "female")).sum()
    assert f"{female:,} of " in html


def test_sections_without_data_say_so(warehouse, tmp_path):
    """A warehouse with cases only (no journeys, returns, assistance, projects) still renders every section."""
    wh = tmp_path / "wh"
    shutil.copytree(warehouse, wh)
    for name in ("journey_legs", "returns", "assistance"):
        shutil.rmtree(wh / name)
    (wh / "projects.parquet").unlink(missing_ok=True)
    r = render_annual(
        YEAR, tmp_path / "out", progress=False, pdf=False, root=wh, filters=Filters(data_source="hotline")
    )
    html = Path(r["paths"]["html"]).read_text()
    empty = {s["id"] for s in r["sections"] if s["empty"]}
    assert {"border-points", "return", "funding"} <= empty
    assert "No journey legs" in html and "No assisted returns" in html
    r2 = render_annual(1999, tmp_path / "none", progress=False, pdf=False, root=wh)
    assert {s["id"] for s in r2["sections"] if s["empty"]} >= {"key-figures", "global", "ro-vienna", "corridors"}


def test_recruitment_and_legal_kinds_are_in_the_text_with_their_unit(report, warehouse):
    html = re.sub(r"\s+", " ", Path(report["paths"]["html"]).read_text())
    c = pq.read_table(warehouse / "cases").to_pandas()
    c = c[c["registration_year"] == YEAR]
    said = int(c["recruitment_tactics"].map(lambda v: v is not None and len(v) > 0).sum())
    m = re.search(r"Recruitment: of the ([\d,]+) (case records|instances of assistance) that say how", html)
    assert m and int(m.group(1).replace(",", "")) == said > 0
    tables = Path(report["out"]) / "tables"
    for name in ("global__recruitment-tactics.csv", "global__promised-sector.csv", "return__legal-kinds.csv"):
        assert (tables / name).exists(), name
    aid = pq.read_table(warehouse / "assistance").to_pandas()
    legal = aid[(aid["assistance_type"] == "legal") & aid["record_key"].isin(c["record_key"])]
    kinds = legal.groupby("record_key")["legal_types"].agg(lambda v: any(x for s in v if s for x in s.split(";")))
    m = re.search(r"Legal assistance: of the ([\d,]+) (case records|instances of assistance) whose legal", html)
    assert m and int(m.group(1).replace(",", "")) == int(kinds.sum()) > 0


#: what a caption may say it counts (analytics.units and the other tables' units)
UNITS = (
    "instances of assistance",
    "hotline reports",
    "case records (instances of assistance and hotline reports)",
    "people assisted to return",
    "individuals",
    "journey legs",
    "USD",
    "victims",
)
_FIGURE = re.compile(
    r'<div class="figure" id="([^"]+)">\s*<h3>(.*?)</h3>\s*(?:<div class="chart">(.*?)</div>\s*'
    r'<div class="caption">(.*?)</div>|<p class="empty">)',
    re.S,
)


def _figures(html: str) -> list[tuple[str, str, str, str]]:
    """(id, title, svg, caption) of every figure of the report with a chart."""
    return [m.groups() for m in _FIGURE.finditer(html) if m.group(3) is not None]


def _svg_texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]


def test_every_chart_is_captioned_with_its_counting_unit(report):
    figures = _figures(Path(report["paths"]["html"]).read_text())
    assert len(figures) == report["charts"]
    for fid, _title, _svg, caption in figures:
        assert caption.startswith("Counted: "), fid
        said = caption.removeprefix("Counted: ")
        assert any(said.startswith(u) for u in UNITS), (fid, caption[:90])


def test_a_chart_titled_assistance_counts_no_hotline_report(report):
    """Hotline reports are not assistance: a chart that counts them says 'case records' (CTDC 2019: 91% hotline)."""
    figures = _figures(Path(report["paths"]["html"]).read_text())
    for fid, title, _svg, caption in figures:
        if title.startswith("Assistance by"):
            assert caption.startswith("Counted: instances of assistance."), fid
        if "hotline reports" in caption.split(".")[0]:
            assert not title.startswith("Assistance"), (fid, title)
    titles = [t for _f, t, _s, _c in figures]
    assert "Case records by country of the registering office" in titles  # the demo has hotline reports


def test_share_axes_stop_at_100_and_no_label_is_cut(report):
    """No axis of shares runs past 100%, and no label is shortened with an ellipsis (long ones wrap)."""
    for fid, _title, svg, _caption in _figures(Path(report["paths"]["html"]).read_text()):
        texts = _svg_texts(svg)
        ticks = [int(t[:-1]) for t in texts if re.fullmatch(r"\d+%", t)]
        assert all(v <= 100 for v in ticks), (fid, ticks)
        assert not [t for t in texts if "…" in t or t.endswith("...")], fid
        assert "(0%)" not in svg and ": 0% (" not in svg, fid  # a small share is '<1%', as in the text


def test_captions_read_as_english(report):
    html = Path(report["paths"]["html"]).read_text()
    assert "the 0 with an unknown value" not in html
    assert not re.search(r"\b1 countries\b", html)
    assert "by group -" not in html
    assert "Assisted cases and hotline reports registered in 2011" in html  # the demo has hotline reports
