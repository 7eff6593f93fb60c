"""The report's section on victims and their perpetrators (`analytics.perpetrators`).

The headline of the CTDC victim-perpetrator release, the share of victims trafficked by
perpetrators from their own region, is given with its definition and unknown count, beside the
relation of the perpetrators to the victim and their sex and age. Counted in victims (case records
with a perpetrator recorded) registered in the report year.
"""

from __future__ import annotations

from functools import partial

from ctdata.analytics import perpetrators
from ctdata.report import charts
from ctdata.report.model import Figure, ReportContext, Section, fmt_n, fmt_pct, register_section
from ctdata.text import lower_first
from ctdata.warehouse.query import has_view

TITLE = "Victims and perpetrators"


def perpetrators_section(ctx: ReportContext) -> Section:
    sec = Section(id="perpetrators", title=TITLE, kicker="Who trafficked them")
    f = ctx.year_filters
    victims = perpetrators.victims(ctx.con, f) if has_view(ctx.con, "perpetrators") else 0
    if not victims:
        sec.empty_note = f"No perpetrators are recorded for cases registered in {ctx.year}."
        return sec
    within = perpetrators.within_region(ctx.con, f)
    exact = perpetrators.within_region(ctx.con, f, exact=True)
    text = [f"{fmt_n(victims)} victims registered in {ctx.year} have their perpetrators recorded."]
    if within.known:
        text.append(
            f"{fmt_pct(within.share_of('within'))} of the {fmt_n(within.known)} victims whose region and their "
            f"perpetrators' regions are known were trafficked by perpetrators from their own region "
            f"({fmt_pct(exact.share_of('within'))} by perpetrators all from it, the 'exact' share; "
            f"{fmt_n(within.unknown)} victims with a region unknown are not counted). Definition: "
            + lower_first(perpetrators.WITHIN_REGION_DEFINITION)
        )
    text.append(
        "A victim of several perpetrators counts once under each relation, sex and age band among them, so "
        "the shares of a figure below may add up to more than 100%."
    )
    sec.paragraphs = text
    tables = [
        ("relation", "Relation of the perpetrators to the victim (a victim counts under each relation)",
         perpetrators.relation(ctx.con, f)),
        ("sex", "Sex of the perpetrators (a victim counts under each sex)", perpetrators.perpetrator_sex(ctx.con, f)),
        ("age", "Age of the perpetrators (a victim counts under each age band)",
         perpetrators.perpetrator_age(ctx.con, f)),
    ]
    sec.figures = [Figure(i, title, t, partial(charts.bar, t, sort_by_count=False))
                   for i, title, t in tables if not t.empty]
    return sec


register_section(TITLE, perpetrators_section)
