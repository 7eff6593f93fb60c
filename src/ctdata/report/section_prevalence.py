"""The report's prevalence section: multiple systems estimation over linked individuals.

Lists are the agencies that recorded each individual in the report year; the
estimate of the hidden total is shown by method with its interval, beside the
caveats in plain words. Without linkage there are no individuals and the
section says so instead of counting one person's records as several people.
"""

from __future__ import annotations

import html

import pandas as pd

from ctdata.analytics.table import IndicatorTable
from ctdata.errors import CtdataError
from ctdata.prevalence.chart import CAVEATS, methods_chart
from ctdata.prevalence.estimate import estimate_across_methods
from ctdata.prevalence.patterns import patterns_from_links
from ctdata.report.model import Figure, ReportContext, Section, fmt_n, register_section
from ctdata.warehouse.query import INDIVIDUALS_JOIN, has_view, individual_of

TITLE = "Estimating the hidden total"


def _links(ctx: ReportContext) -> pd.DataFrame:
    return ctx.con.execute(
        f"SELECT DISTINCT {individual_of()} AS individual_id, c.agency AS list FROM cases c {INDIVIDUALS_JOIN} "
        "WHERE c.registration_year = ?",
        [ctx.year],
    ).df()


def prevalence_section(ctx: ReportContext) -> Section:
    sec = Section(id="prevalence", title=TITLE, kicker="Multiple systems estimation")
    if not has_view(ctx.con, "individuals"):
        sec.empty_note = (
            "No estimate: record linkage has not run, so individuals cannot be told apart from "
            "instances of assistance. Run `ctdata link`, then render the report again."
        )
        return sec
    links = _links(ctx)
    if links.empty or links["list"].nunique() < 2:
        sec.empty_note = (
            f"No estimate for {ctx.year}: it needs individuals recorded by at least two agencies "
            f"(found {links['list'].nunique() if not links.empty else 0})."
        )
        return sec
    try:
        table = patterns_from_links(links)
        results = estimate_across_methods(table)
    except CtdataError as exc:
        sec.empty_note = f"No estimate for {ctx.year}: {exc}"
        return sec
    if not results:
        sec.empty_note = f"No estimate for {ctx.year}: no log-linear model could be fitted to these lists."
        return sec
    chosen = next((r for r in results if r.method == "stepwise"), results[0])
    observed = int(table.counts.sum())
    sec.paragraphs.append(
        f"In {ctx.year}, {fmt_n(observed)} individuals (linked persons) were recorded by "
        f"{len(table.lists)} agencies ({', '.join(html.escape(x) for x in table.lists)}). "
        f"The pattern of overlaps between these lists suggests a total of about "
        f"<strong>{fmt_n(chosen.estimate)}</strong> victims (95% interval {fmt_n(chosen.ci_low)} to "
        f"{fmt_n(chosen.ci_high)}, {chosen.ci_method}), so roughly {fmt_n(chosen.estimate - observed)} were "
        f"found by no list. Method: {chosen.method}; model: {html.escape(str(chosen.model))}."
    )
    sec.paragraphs.append(
        "Read with care: "
        + " ".join(f"<strong>{html.escape(title)}.</strong> {html.escape(text)}" for title, text in CAVEATS)
    )
    data = pd.DataFrame(
        {
            "value": [r.method for r in results],
            "label": [f"{r.method} ({r.model})" for r in results],
            "count": [round(float(r.estimate)) for r in results],
            "share": [None] * len(results),
            "ci_low": [r.ci_low for r in results],
            "ci_high": [r.ci_high for r in results],
            "observed": [observed] * len(results),
        }
    )
    sec.figures.append(
        Figure(
            id="mse_methods",
            title="Estimated total by method, with 95% intervals",
            table=IndicatorTable(
                name="mse_estimates",
                title="Estimated total by method",
                data=data,
                unit="individuals (estimated total)",
                known=observed,
                unknown=0,
                individuals=observed,
                note="Lists are agencies; counts are individuals.",
            ),
            chart=lambda: methods_chart(results, title=""),
            caption_text=(
                "Counted: individuals (linked persons), lists = agencies. Points are estimates, bars "
                "are intervals, the line is the observed total. Source: ctdata warehouse and linkage."
            ),
        )
    )
    return sec


register_section("prevalence", prevalence_section)
