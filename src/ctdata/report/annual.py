"""`render_annual`: the annual report as HTML, PDF, chart files, CSV tables and one XLSX workbook.

Phases are timed separately (tables, charts, HTML, PDF, exports) so the
benchmark can hold each to its goal. The HTML is self-contained: CSS and SVG
charts are inline and nothing is fetched from the network.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from ctdata.analytics.filters import Filters
from ctdata.analytics.tabulate import has_table, linked, record_counts
from ctdata.analytics.units import INSTANCES
from ctdata.errors import CtdataError
from ctdata.report import charts, sections
from ctdata.report import section_perpetrators as _section_perpetrators  # noqa: F401 - registers itself
from ctdata.report import section_prevalence as _section_prevalence  # noqa: F401 - registers itself
from ctdata.report.export import write_tables
from ctdata.report.model import ReportContext, Section, registered_sections
from ctdata.report.narrative import load as load_narrative
from ctdata.warehouse.query import connect


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("ctdata.report").joinpath("templates", name).read_text(encoding="utf-8")
    )
    return jinja2.Environment(
        loader=loader, autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )


def build_sections(ctx: ReportContext) -> list[Section]:
    """All sections in report order (extra registered sections before the annexes)."""
    out: list[Section] = [sections.cover(ctx), sections.global_trends(ctx), sections.global_figures(ctx)]
    out += sections.regional_sections(ctx)
    out += [
        sections.border_points(ctx),
        sections.corridors(ctx),
        sections.return_reintegration(ctx),
        sections.funding_section(ctx),
    ]
    for name, fn in registered_sections().items():
        try:
            got = fn(ctx)
        except CtdataError as exc:
            got = Section(id=f"extra-{_slug(name)}", title=name, empty_note=f"This section could not be built: {exc}")
        if got is None:
            continue
        out += got if isinstance(got, list) else [got]
    out += [sections.annex_sources(ctx), sections.annex_countries(ctx), sections.annex_projects(ctx)]
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def render_annual(
    year: int,
    out: Path,
    filters: Filters | None = None,
    progress: bool = True,
    pdf: bool = True,
    root: Path | None = None,
    narrative: Path | None = None,
    engine: str = "duckdb",
) -> dict[str, Any]:
    """Render the annual report for registration year ``year`` into ``out``.

    ``narrative`` is a folder of Markdown files, one per section (report.narrative), whose text is
    placed in its section.
    ``engine`` runs the tables' SQL on DuckDB or on Spark (the same tables; see warehouse.spark).

    Writes report.html (self-contained), report.pdf, charts/*.svg (and PNG for the map),
    tables/*.csv and tables.xlsx. Returns the paths written and the seconds per phase.
    """
    if not 1900 <= int(year) <= 2100:
        raise CtdataError(f"--year {year} is not a plausible year")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CtdataError(f"cannot create {out}: {exc.strerror or exc}") from None
    base = filters or Filters()
    texts = load_narrative(narrative)  # a bad folder fails before any work
    timings: dict[str, float] = {}
    step = _stepper(progress)

    t0 = time.perf_counter()
    step("computing tables")
    con = connect(root, engine=engine)
    years = []
    if has_table(con, "cases"):
        years = [
            int(r[0])
            for r in con.execute(
                "SELECT DISTINCT registration_year FROM cases WHERE registration_year IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
    ctx = ReportContext(con=con, year=int(year), filters=base.but(year_from=None, year_to=None), years_available=years)
    secs = build_sections(ctx)
    for sec in secs:
        sec.narrative = texts.get(sec.id, "")
    timings["tables"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    step("rendering charts")
    chart_dir = out / "charts"
    chart_dir.mkdir(exist_ok=True)
    figs = [(s, f) for s in secs for f in s.figures if f.chart is not None and not f.empty]

    def render(item: tuple[Section, Any]) -> None:
        s, f = item
        chart = f.chart()
        f.svg = charts.to_svg(chart, f.title, ident=f"{s.id}__{f.id}")
        (chart_dir / f"{s.id}__{f.id}.svg").write_text(f.svg, encoding="utf-8")
        if f.png:
            (chart_dir / f"{s.id}__{f.id}.png").write_bytes(charts.to_png(chart))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(render, figs))
    timings["charts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    step("writing HTML")
    env = _env()
    css = env.get_template("report.css").render(year=year)
    title = f"Counter-trafficking annual report {year}"
    html = env.get_template("annual.html").render(
        title=title,
        year=year,
        css=css,
        sections=secs,
        linked=linked(con),
        unit=record_counts(con, ctx.year_filters)[2] if has_table(con, "cases") else INSTANCES,
        filters_text=base.but(year_from=None, year_to=None).describe(),
        generated=dt.date.today().isoformat(),
    )
    html_path = out / "report.html"
    html_path.write_text(html, encoding="utf-8")
    timings["html"] = time.perf_counter() - t0

    paths: dict[str, str] = {"html": str(html_path), "charts": str(chart_dir)}
    if pdf:
        t0 = time.perf_counter()
        step("writing PDF")
        import weasyprint

        pdf_path = out / "report.pdf"
        weasyprint.HTML(string=html, base_url=str(out)).write_pdf(pdf_path)
        paths["pdf"] = str(pdf_path)
        timings["pdf"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    step("writing tables")
    paths.update(write_tables(secs, out))
    timings["tables_export"] = time.perf_counter() - t0
    step(None)
    con.close()
    return {
        "year": int(year),
        "out": str(out),
        "paths": paths,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "sections": [
            {"id": s.id, "title": s.title, "figures": len(s.figures), "empty": bool(s.empty_note)} for s in secs
        ],
        "charts": len(figs),
        "filters": base.to_dict(),
    }


def _stepper(progress: bool) -> Callable[[str | None], None]:
    if not progress:
        return lambda _msg: None
    from rich.console import Console

    console = Console(stderr=True)
    start = time.perf_counter()

    def step(msg: str | None) -> None:
        if msg is None:
            console.print(f"[dim]report done in {time.perf_counter() - start:.1f} s[/dim]")
        else:
            console.print(f"[dim]{time.perf_counter() - start:6.1f} s[/dim] {msg}")

    return step
