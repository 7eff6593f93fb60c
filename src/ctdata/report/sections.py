"""The sections of the annual report, in the order of the published one.

Cover and key figures, global trends, the global figures of the year, one
section per regional office, border points, corridors, return and
reintegration, funding, then the annexes. Each builder reads IndicatorTables
and writes its sentences from them; a section without data says so.
"""

from __future__ import annotations

from functools import partial
from html import escape

import pandas as pd

from ctdata.analytics import border, cases, funding, recruitment, returns
from ctdata.analytics.compare import sentence
from ctdata.analytics.table import NOT_LINKED, IndicatorTable
from ctdata.analytics.tabulate import record_counts
from ctdata.analytics.units import CASE_RECORDS, HOTLINE_REPORTS, INSTANCES, ShareBase, counted, shares_phrase
from ctdata.report import charts
from ctdata.report.model import Figure, ReportContext, Section, fmt_n, fmt_pct
from ctdata.report.narrative import regional_section_id
from ctdata.standard import countries
from ctdata.standard.regions import REGIONAL_OFFICES, TERRITORIES, countries_of_office, regional_office_region

CAVEATS = [
    (
        "Only assisted cases.",
        "The data describe people who were identified and assisted by the reporting "
        "offices. They are not a sample of all victims of trafficking, and changes over time reflect "
        "identification and assistance as much as trafficking itself.",
    ),
    (
        "Instances of assistance, not people.",
        "A person assisted by two offices (for example at destination and "
        "again on return) is two instances of assistance. Individuals are counted only after record linkage has "
        "grouped the records of one person; until then they are shown as \u201cnot yet linked\u201d.",
    ),
    (
        "Shifting programme coverage.",
        "Offices, projects and partner agencies start and stop; a rise or fall in "
        "a country often reflects where programmes ran that year.",
    ),
    (
        "Unknown values.",
        "Shares are of records with a known value. The number of records with an unknown value is "
        "printed with every figure.",
    ),
    (
        "Regional offices.",
        "A regional chapter counts the assistance given in its region: a record belongs to the regional "
        "office covering the country of the office that registered it (annex B). The destination view (the "
        "regional office of the country of exploitation) is a separate table of the global figures.",
    ),
    (
        "Identification bias.",
        "Victims of sexual exploitation, women and girls, and people trafficked across borders are more "
        "likely to be identified and referred for assistance than men, people in forced labour and people "
        "trafficked within their own country. Their larger shares partly reflect who is found, not only who "
        "is trafficked.",
    ),
    (
        "Offices that do not share data.",
        "Some offices and partner agencies assist victims but do not record their cases in the shared data, or "
        "record only some of them. Their absence lowers the counts of their countries and regions; a country "
        "with few or no records may be one whose office does not share data.",
    ),
    (
        "Hotline reports.",
        "Records that came from a hotline are reports of a situation, not assistance; counts that include them "
        "are called case records and give the number of hotline reports beside them.",
    ),
]


def _share_phrase(t: IndicatorTable, value: str, what: str) -> str:
    s = t.share_of(value)
    if s is None:
        return ""
    return f"{fmt_pct(s)} {what} ({fmt_n(t.count_of(value))} of {fmt_n(t.known)} with a known value)"


def _top_phrase(t: IndicatorTable, what: str, n: int = 3) -> str:
    if t.empty:
        return ""
    items = [
        f"{escape(str(lab))} ({fmt_n(c)}, {fmt_pct(s)})"
        for lab, c, s in zip(t.data["label"][:n], t.data["count"][:n], t.data["share"][:n], strict=True)
    ]
    return (
        f"The most frequent {what} were "
        + ", ".join(items[:-1])
        + (" and " if len(items) > 1 else "")
        + items[-1]
        + "."
    )


def _records_phrase(k: dict) -> str:
    """'1,234 instances of assistance', or '21,312 case records (1,947 instances of assistance and 19,365
    hotline reports)': hotline reports are never called assistance (units.record_unit); each count agrees
    with its unit ('1 instance of assistance', `units.counted`)."""
    n, hot = k["instances"], k.get("hotline_reports", 0)
    if not hot:
        return counted(n, INSTANCES, f"<strong>{fmt_n(n)}</strong>")
    if hot == n:
        return counted(n, HOTLINE_REPORTS, f"<strong>{fmt_n(n)}</strong>") + " (no instance of assistance)"
    return (
        f"{counted(n, CASE_RECORDS, f'<strong>{fmt_n(n)}</strong>')} "
        f"({counted(k['assistance'], INSTANCES, fmt_n(k['assistance']))} and "
        f"{counted(hot, HOTLINE_REPORTS, fmt_n(hot))})"
    )


def _unit_short(unit: str) -> str:
    """'instances of assistance', 'hotline reports' or 'case records' for running text."""
    return "case records" if unit.startswith("case records") else unit


def _lower(label: str) -> str:
    """A category label as running text writes it: 'Children (under 18)' -> 'children (under 18)' ('EU' stays)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _shares_all(t: IndicatorTable) -> str:
    """'23% children (under 18), 75% adults (18 and over), 3% unknown': the model's convention, unknown last."""
    items = [(_lower(str(lab)), float(c)) for lab, c in zip(t.data["label"], t.data["count"], strict=True)]
    return shares_phrase(items, t.known, t.unknown, ShareBase.ALL)


def _what_records(t: IndicatorTable, what: str = "Assistance") -> str:
    """What a count of case records is titled: 'Assistance' only when none is a hotline report.

    A chart of records that include hotline reports is not a chart of assistance (CTDC 2019: 19,365 of
    21,312 records are hotline reports), so it is titled by what it counts.
    """
    if t.unit == INSTANCES:
        return what
    return "Hotline reports" if t.unit == HOTLINE_REPORTS else "Case records"


def _countries(n: int) -> str:
    return counted(n, "countries", fmt_n(n))


def _individuals_text(v: int | str | None) -> str:
    if isinstance(v, int):
        return f"{fmt_n(v)} individuals"
    return f"individuals: {v or NOT_LINKED}"


# ---------------------------------------------------------------------------- cover
def cover(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    k = cases.key_figures(ctx.con, f)
    ctx.cache["key"] = k
    s = Section(id="key-figures", title=f"Key figures {ctx.year}")
    if not k["instances"]:
        s.empty_note = f"No case records registered in {ctx.year} match this report's filters."
        return s
    prev = ctx.previous_year
    lines = [f"{_records_phrase(k)} were registered in {ctx.year}"]
    if prev is not None:
        kp = cases.key_figures(ctx.con, ctx.filters.for_year(prev))
        ctx.cache["key_prev"] = kp
        lines[0] += f", {sentence(k['instances'], kp['instances'], prev)}"
        if isinstance(k["individuals"], int) and isinstance(kp["individuals"], int):
            lines.append(
                f"They concern <strong>{fmt_n(k['individuals'])}</strong> individuals (distinct linked "
                f"persons), {sentence(k['individuals'], kp['individuals'], prev)}"
            )
    if not isinstance(k["individuals"], int):
        lines.append(
            "Individuals are <strong>not yet linked</strong>: record linkage has not run, so the number "
            f"of distinct persons is not known. Every figure below counts {_unit_short(k['instances_unit'])}"
        )
    s.paragraphs = [". ".join(lines) + "."]
    sex = cases.sex(ctx.con, f)
    age = cases.age_group(ctx.con, f)
    expl = cases.exploitation_type(ctx.con, f)
    cb = cases.cross_border(ctx.con, f)
    cards = [
        (
            _unit_short(k["instances_unit"]).capitalize(),
            fmt_n(k["instances"]),
            "registered in the year"
            + (
                f": {counted(k['assistance'], INSTANCES, fmt_n(k['assistance']))}, "
                f"{counted(k['hotline_reports'], HOTLINE_REPORTS, fmt_n(k['hotline_reports']))}"
                if k.get("hotline_reports")
                else ""
            ),
        ),
        (
            "Individuals",
            fmt_n(k["individuals"]) if isinstance(k["individuals"], int) else "not yet linked",
            "distinct linked persons" if isinstance(k["individuals"], int) else "record linkage has not run",
        ),
        ("Women and girls", fmt_pct(sex.share_of("female")), f"of known sex; {fmt_n(sex.unknown)} unknown"),
        ("Children", fmt_pct(age.share_of("child")), f"under 18; {fmt_n(age.unknown)} unknown"),
        (
            "Labour exploitation",
            fmt_pct(expl.share_of("labour")),
            f"of known type; {fmt_n(expl.unknown)} unknown",
        ),
        ("Cross-border", fmt_pct(cb.share_of("cross_border")), f"of known; {fmt_n(cb.unknown)} unknown"),
    ]
    s.html = (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='card-label'>{escape(a)}</div><div class='card-value'>{escape(b)}</div>"
            f"<div class='card-note'>{escape(c)}</div></div>"
            for a, b, c in cards
        )
        + "</div>"
    )
    return s


# ---------------------------------------------------------------------------- trends
def global_trends(ctx: ReportContext) -> Section:
    s = Section(id="global-trends", title="Global trends")
    frame = cases.trend_frame(ctx.con, ctx.filters.but(year_to=ctx.year))
    if frame.empty:
        s.empty_note = "No case records with a registration year: no trend can be shown."
        return s
    frame = frame[frame["year"] <= ctx.year]
    years = [int(y) for y in frame["year"]]
    if ctx.year not in years:
        s.empty_note = f"No case records registered in {ctx.year}."
        return s
    cur = frame[frame["year"] == ctx.year].iloc[0]
    refs = [y for y in (ctx.previous_year, ctx.year - 3) if y is not None and y in years and y != ctx.year]
    refs = list(dict.fromkeys(refs))
    unit = record_counts(ctx.con, ctx.filters.but(year_to=ctx.year))[2]
    short = _unit_short(unit)
    names = {
        "instances": short,
        "children": f"{short} concerning children",
        "labour": f"{short} of labour exploitation",
        "sexual": f"{short} of sexual exploitation",
        "cross_border": f"cross-border {short}",
        "internal": f"{short} of internal trafficking",
    }
    items = []
    for col, what in names.items():
        comps = []
        for y in refs:
            before = frame[frame["year"] == y].iloc[0][col]
            comps.append(f"{sentence(float(cur[col]), float(before), y)} ({fmt_n(before)})")
        items.append(
            f"<li><strong>{fmt_n(cur[col])}</strong> {what}" + (", " + "; ".join(comps) if comps else "") + "</li>"
        )
    if not pd.isna(cur["individuals"]):
        comps = []
        for y in refs:
            before = frame[frame["year"] == y].iloc[0]["individuals"]
            comps.append(f"{sentence(float(cur['individuals']), float(before), y)} ({fmt_n(before)})")
        items.insert(
            1,
            f"<li><strong>{fmt_n(cur['individuals'])}</strong> individuals"
            + (", " + "; ".join(comps) if comps else "")
            + "</li>",
        )
    s.paragraphs = [f"Registrations per year up to {ctx.year} ({unit}). In {ctx.year}:"]
    s.html = "<ul class='trend-list'>" + "".join(items) + "</ul>"
    if len(years) == 1:
        s.paragraphs.append("Only one year of data is available, so no change can be computed.")
    tdata = frame.rename(columns={"year": "value"})
    tdata.insert(1, "label", [str(int(y)) for y in tdata["value"]])
    tdata.insert(2, "count", tdata["instances"])
    tdata.insert(3, "share", tdata["instances"] / tdata["instances"].sum())
    tbl = IndicatorTable(
        name="trend",
        title="Trend by year",
        data=tdata,
        unit=unit,
        known=float(frame["instances"].sum()),
        unknown=0,
        individuals=None,
        note=f"One row per registration year; counts of {unit}.",
    )
    s.figures.append(
        Figure(
            "trend",
            f"{short.capitalize()} per year, and main groups",
            tbl,
            partial(charts.trend, frame, unit=unit),
            wide=True,
            caption_text=f"Counted: {unit} per registration year (bars) and, of them, children, "
            "labour and sexual exploitation, cross-border and internal cases (lines). " + tbl.source_text,
        )
    )
    return s


# ---------------------------------------------------------------------------- global figures
def _profile_figures(ctx: ReportContext, f, *, top_n: int = 10, full: bool = True) -> list[Figure]:
    con = ctx.con
    figs: list[Figure] = []
    by_country = cases.assistance_by_country(con, f, top=15 if full else 10)
    figs.append(
        Figure(
            "assistance-by-country",
            f"{_what_records(by_country)} by country of the "
            + ("assisting" if by_country.unit == INSTANCES else "registering")
            + " office",
            by_country,
            partial(charts.bar, by_country),
        )
    )
    nat = cases.top_nationalities(con, f, top=top_n)
    figs.append(Figure("nationalities", f"Top {top_n} nationalities", nat, partial(charts.bar, nat)))
    dest = cases.top_destinations(con, f, top=top_n)
    figs.append(
        Figure(
            "destinations",
            f"Top {top_n} countries of destination/exploitation",
            dest,
            partial(charts.bar, dest),
        )
    )
    expl = cases.exploitation_type(con, f)
    figs.append(Figure("exploitation-type", "Type of exploitation", expl, partial(charts.donut, expl)))
    if full:
        sector = cases.labour_sector(con, f)
        figs.append(Figure("labour-sector", "Sector of forced labour", sector, partial(charts.bar, sector)))
        sex = cases.sex(con, f)
        figs.append(Figure("sex", "Sex", sex, partial(charts.donut, sex)))
        age = cases.age_group(con, f)
        figs.append(Figure("age-group", "Children and adults", age, partial(charts.donut, age)))
    agesex = cases.age_sex(con, f)
    figs.append(
        Figure("age-sex", "Girls, boys, women and men", agesex, partial(charts.bar, agesex, sort_by_count=False))
    )
    if full:
        band = cases.age_band_sex(con, f)
        figs.append(Figure("age-band-sex", "Age and sex", band, partial(charts.stacked_age_sex, band)))
    cb = cases.cross_border(con, f)
    figs.append(Figure("cross-border", "Cross-border and internal trafficking", cb, partial(charts.donut, cb)))
    return figs


def _shares_phrase(t: IndicatorTable, n: int = 4) -> str:
    """'offer of a job 61% (1,234), ...': the first n values of a table by count, with their shares."""
    top = t.data.sort_values("count", ascending=False).head(n)
    return ", ".join(
        f"{escape(str(lab)).lower()} {fmt_pct(sh)} ({fmt_n(c)})"
        for lab, c, sh in zip(top["label"], top["count"], top["share"], strict=True)
    )


def _adds_past_100(t: IndicatorTable) -> bool:
    """Whether the shares of a table where a record counts under each of its values add up past 100%.

    Said only when true: CTDC flags one tactic only, so its shares add up to exactly 100%.
    """
    return float(t.data["share"].sum()) > 1.0005


def _recruitment(ctx: ReportContext, f) -> tuple[list[str], list[Figure]]:  # type: ignore[no-untyped-def]
    """Sentences and figures of how people were recruited and the job promised (none when no record says)."""
    tactics = recruitment.recruitment_tactics(ctx.con, f)
    if tactics.empty:
        return [], []
    unit = _unit_short(tactics.unit)
    several = (
        " A record may name several tactics, so the shares add up to more than 100%."
        if _adds_past_100(tactics)
        else ""
    )
    what = "tactics were" if len(tactics.data) > 1 else "tactic was"
    text = [
        f"Recruitment: of the {counted(tactics.known, unit, fmt_n(tactics.known))} that say how the person was "
        "recruited "
        f"({fmt_n(tactics.unknown)} do not), the {what} {_shares_phrase(tactics)}.{several}"
    ]
    figs = [Figure("recruitment-tactics", "Recruitment tactics (a record counts under each tactic it names)", tactics,
                   partial(charts.bar, tactics))]
    sector = recruitment.promised_sector(ctx.con, f)
    if not sector.empty:
        text.append(
            f"Of the {counted(sector.known, unit, fmt_n(sector.known))} of people offered a job that say which, the "
            "job promised was in "
            f"{_shares_phrase(sector, 3)}."
        )
        figs.append(Figure("promised-sector", "Sector of the job promised at recruitment", sector,
                           partial(charts.bar, sector)))
    return text, figs


def _legal(ctx: ReportContext, f) -> tuple[str, list[Figure]]:  # type: ignore[no-untyped-def]
    """The sentence and figure of the kinds of legal assistance ('' and none when no item says its kind)."""
    t = recruitment.legal_assistance_types(ctx.con, f)
    if t.empty:
        return "", []
    text = (
        f"Legal assistance: of the {counted(t.known, _unit_short(t.unit), fmt_n(t.known))} whose legal "
        "assistance says its kind "
        f"({fmt_n(t.unknown)} do not), the kinds were {_shares_phrase(t)}."
        + (" A record may receive several kinds." if _adds_past_100(t) else "")
    )
    fig = Figure("legal-kinds", "Kinds of legal assistance (a record counts under each kind it received)", t,
                 partial(charts.bar, t))
    return text, [fig]


def global_figures(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="global", title=f"Global figures {ctx.year}")
    if not ctx.cache.get("key", {}).get("instances"):
        s.empty_note = f"No case records registered in {ctx.year}."
        return s
    figs = _profile_figures(ctx, f)
    given = cases.assistance_by_regional_office(ctx.con, f)
    figs.append(
        Figure(
            "assistance-by-regional-office",
            f"{_what_records(given)} by regional office ("
            + ("where the assistance was given)" if given.unit == INSTANCES else "of the office that registered them)"),
            given,
            partial(charts.bar, given, sort_by_count=False),
        )
    )
    ro = cases.regional_office_share(ctx.con, f)
    figs.append(
        Figure(
            "regional-office",
            "Destination view: by regional office of the country of exploitation",
            ro,
            partial(charts.bar, ro, sort_by_count=False),
        )
    )
    by = {x.id: x.table for x in figs}
    text = []
    sx = _share_phrase(by["sex"], "female", "were women or girls")
    ch = _share_phrase(by["age-group"], "child", "were children")
    if sx or ch:
        unit = _unit_short(by["sex"].unit)
        text.append(f"Of the {unit}, " + "; ".join(p for p in (sx, ch) if p) + ".")
    lab = _share_phrase(by["exploitation-type"], "labour", "concerned labour exploitation")
    sexl = _share_phrase(by["exploitation-type"], "sexual", "sexual exploitation")
    if lab:
        text.append(lab + (", " + sexl if sexl else "") + ".")
    cbp = _share_phrase(by["cross-border"], "cross_border", "were cross-border")
    if cbp:
        text.append(cbp[0].upper() + cbp[1:] + "; the rest were internal trafficking.")
    text.append(_top_phrase(by["nationalities"], "nationalities"))
    text.append(_top_phrase(by["destinations"], "countries of destination/exploitation"))
    rec_text, rec_figs = _recruitment(ctx, f)
    s.paragraphs = [t for t in text + rec_text if t]
    s.figures = figs + rec_figs
    return s


# ---------------------------------------------------------------------------- regional offices
def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""


def _money_phrase(t: IndicatorTable, what: str, n: int = 3) -> str:
    """'The largest regional offices by funding were Vienna: $7,000,000 (72%), ...' (labels may hold commas)."""
    if t.empty:
        return ""
    items = [
        f"{escape(str(lab))}: ${fmt_n(c)} ({fmt_pct(sh)})"
        for lab, c, sh in zip(t.data["label"][:n], t.data["count"][:n], t.data["share"][:n], strict=True)
    ]
    return f"The largest {what} were " + "; ".join(items) + "."


def _regional_funding(ctx: ReportContext, f) -> tuple[str, list[Figure]]:
    """Projects and primary donors of a region (the region's part of each project)."""
    summ = funding.funding_summary(ctx.con, f)
    if not summ["projects"]:
        return "No projects are recorded in the region for the year.", []
    donors = funding.funding_by_donor(ctx.con, f)
    text = (
        f"{fmt_n(summ['projects'])} projects ran in {_countries(summ['countries'])} of the region, with "
        f"${fmt_n(summ['amount'])} of external funding attributed to the region."
    )
    if not donors.empty:
        text += " Primary donors: " + "; ".join(
            f"{escape(str(lab))} (${fmt_n(c)}, {fmt_pct(sh)})"
            for lab, c, sh in zip(donors.data["label"][:3], donors.data["count"][:3], donors.data["share"][:3],
                                  strict=True)
        ) + "."
    fig = Figure("donors", "Primary donors (USD attributed to the region)", donors, partial(charts.bar, donors))
    return text, [fig] if not donors.empty else []


def _no_office_country(ctx: ReportContext) -> bool:
    """Whether the year has records and none names its office's country (CTDC releases do not)."""
    if "no_office_country" not in ctx.cache:
        k = cases.key_figures(ctx.con, ctx.year_filters)
        known = cases.assistance_by_country(ctx.con, ctx.year_filters).known if k["instances"] else 0
        ctx.cache["no_office_country"] = bool(k["instances"]) and not known
    return bool(ctx.cache["no_office_country"])


def regional_sections(ctx: ReportContext) -> list[Section]:
    """One chapter per regional office, in the published report's frame: assistance given in the region.

    A record belongs to the chapter of the regional office covering the country of the office that
    registered it (``office_regional_office``); the destination view (country of exploitation) is a
    separate table of the global figures. Data that never record the assisting office's country
    (CTDC releases) cannot be read in that frame: their chapters place records by country of
    exploitation instead, and say so.
    """
    out = []
    total = ctx.cache.get("key", {}).get("instances", 0)
    by_destination = _no_office_country(ctx)
    for ro in REGIONAL_OFFICES:
        fund_f = ctx.year_filters.but(office_regional_office=ro)
        f = ctx.year_filters.but(regional_office=ro) if by_destination else fund_f
        where = "concerned exploitation in" if by_destination else "were registered in"
        region = regional_office_region(ro)
        s = Section(id=regional_section_id(ro), title=f"{region}", level=2, kicker=f"Regional office {ro}")
        k = cases.key_figures(ctx.con, f)
        fund_text, fund_figs = _regional_funding(ctx, fund_f)
        if not k["instances"]:
            s.empty_note = (
                f"No case records registered in {ctx.year} "
                + ("with a country of exploitation" if by_destination else "by an office in a country")
                + f" covered by the regional office {ro}. "
                + (fund_text if fund_figs else "")
            ).strip()
            out.append(s)
            continue
        con = ctx.con
        by_country = (cases.top_destinations(con, f, top=None) if by_destination
                      else cases.assistance_by_country(con, f))
        age = cases.age_group(con, f)
        sex = cases.sex(con, f)
        expl = cases.exploitation_type(con, f)
        ttype = border.trafficking_type(con, f)
        nat = cases.top_nationalities(con, f, top=5)
        r_nat = returns.returns_nationality(con, f)
        r_agesex = returns.returns_age_sex(con, f)
        share = k["instances"] / total if total else None
        text = [
            f"{_records_phrase(k)} {where} {_countries(len(by_country.data))} of the region "
            f"({fmt_pct(share)} of the global total; {_individuals_text(k['individuals'])})."
        ]
        if not age.empty:
            text.append(f"Age: {_shares_all(age)}.")
        if not sex.empty:
            text.append(f"Sex: {_shares_all(sex)}.")
        if not expl.empty:
            text.append(f"Type of exploitation: {_shares_all(expl)}.")
        if not ttype.empty:
            text.append(f"Type of trafficking: {_shares_all(ttype)}.")
        text.append(_top_phrase(nat, "nationalities"))
        if r_nat.total:
            text.append(
                f"{fmt_n(returns.returnees(r_nat))} people were assisted to return by offices of the region. "
                + _top_phrase(r_nat, "nationalities of those returning")
            )
        else:
            text.append("No assisted return (one that took place) is recorded from offices of the region.")
        text.append(fund_text)
        if by_destination:
            text.insert(
                0,
                "The data do not record the country of the assisting office, so this chapter places records "
                "by their country of exploitation (the destination view), not by where assistance was given.",
            )
        s.paragraphs = [t for t in text if t]
        s.figures = [
            Figure("assistance-by-country",
                   "Country of exploitation in the region" if by_destination
                   else f"{_what_records(by_country)} by country of the region", by_country,
                   partial(charts.bar, by_country)),
            Figure("children", "Children and adults (unknown included)", age.with_unknown(),
                   partial(charts.donut, age.with_unknown())),
            Figure("sex", "Sex (unknown included)", sex.with_unknown(), partial(charts.donut, sex.with_unknown())),
            Figure("exploitation-type", "Type of exploitation (unknown included)", expl.with_unknown(),
                   partial(charts.donut, expl.with_unknown())),
            Figure("trafficking-type", "Type of trafficking: cross-border, internal, both", ttype.with_unknown(),
                   partial(charts.donut, ttype.with_unknown())),
        ]
        if r_nat.total:
            s.figures += [
                Figure("avrr-nationality", "Assisted voluntary return by nationality", r_nat,
                       partial(charts.bar, r_nat)),
                Figure("avrr-age-sex", "Assisted voluntary return by age and sex", r_agesex.with_unknown(),
                       partial(charts.bar, r_agesex.with_unknown(), sort_by_count=False)),
            ]
        s.figures += fund_figs
        out.append(s)
    return out


# ---------------------------------------------------------------------------- border points
def border_points(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="border-points", title="Journeys and border points")
    off = border.border_official(ctx.con, f)
    if off.empty:
        s.empty_note = f"No journey legs crossing a border were recorded for cases registered in {ctx.year}."
        return s
    by_sex = border.border_official_by_sex(ctx.con, f)
    by_age = border.border_official_by_age(ctx.con, f)
    docs = border.border_documents(ctx.con, f)
    expl = border.exploited_on_journey(ctx.con, f)
    text = [
        f"{fmt_pct(off.share_of('official'))} of the {fmt_n(off.known)} journey legs that crossed a border "
        f"went through an official border point ({fmt_n(off.unknown)} legs with the crossing unknown)."
    ]
    parts = [
        f"{lab.lower()} {fmt_pct(sh)}" for lab, sh in zip(by_sex.data["label"], by_sex.data["share"], strict=True)
    ]
    parts += [
        f"{lab.lower()} {fmt_pct(sh)}" for lab, sh in zip(by_age.data["label"], by_age.data["share"], strict=True)
    ]
    if parts:
        text.append("Share through official border points by group: " + "; ".join(parts) + ".")
    if not docs.empty:
        forged = docs.share_of("forged") or 0.0
        without = border.without_own_documents(docs)
        text.append(
            f"At official border points, {fmt_pct(forged)} of legs with a known document used a forged or "
            f"fraudulent document, and besides them {fmt_pct(without)} travelled without their own documents "
            f"(none, or held by another person; {fmt_n(docs.unknown)} unknown)."
        )
    if not expl.empty:
        text.append(
            f"{fmt_pct(expl.share_of('yes'))} of the instances with a recorded journey were exploited "
            f"before or during the journey ({fmt_n(expl.unknown)} unknown)."
        )
    s.paragraphs = text
    s.figures = [
        Figure("official", "Journey legs through official border points", off, partial(charts.donut, off)),
        Figure(
            "official-by-sex",
            "Official border points by sex",
            by_sex,
            partial(charts.share_bar, by_sex, title="Share of border-crossing legs through official points"),
        ),
        Figure(
            "official-by-age",
            "Official border points, children and adults",
            by_age,
            partial(charts.share_bar, by_age, title="Share of border-crossing legs through official points"),
        ),
        Figure(
            "documents",
            "Travel documents at official border points",
            docs,
            partial(charts.bar, docs, sort_by_count=False),
        ),
        Figure(
            "exploited-on-journey",
            "Exploited before or during the journey",
            expl,
            partial(charts.donut, expl),
        ),
    ]
    return s


def corridors(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="corridors", title="Trafficking corridors")
    t = border.corridors(ctx.con, f, top=30)
    if t.empty:
        s.empty_note = (
            f"No cross-border cases with both nationality and country of exploitation known in "
            f"{ctx.year}: no corridor can be drawn."
        )
        return s
    s.paragraphs = [
        f"Flows from the country of nationality to the country of exploitation, for "
        f"{fmt_n(t.known)} cross-border {_unit_short(t.unit)} with both countries known "
        f"({fmt_n(t.unknown)} with either country unknown). " + _top_phrase(t, "corridors")
    ]
    on_map, top15 = _corridors_top(t, 20), _corridors_top(t, 15)
    s.figures = [
        Figure(
            "map",
            "Top 20 corridors on the map",
            on_map,
            partial(charts.corridor_map, on_map, top=20),
            wide=True,
            png=True,
        ),
        Figure("top", "Top 15 corridors", top15, partial(charts.bar, top15)),
    ]
    return s


def _corridors_top(t: IndicatorTable, n: int) -> IndicatorTable:
    """The first ``n`` corridors of ``t``, with a note saying so (a figure's caption names what it draws)."""
    return IndicatorTable(
        name=f"corridors_top{n}",
        title=f"Top {n} corridors",
        data=t.data.head(n),
        unit=t.unit,
        known=t.known,
        unknown=t.unknown,
        individuals=t.individuals,
        source=t.source,
        note=f"Top {min(n, len(t.data))} corridors; shares are of all cross-border {_unit_short(t.unit)} with "
        "both countries known.",
        sql=t.sql,
        params=t.params,
        filters=t.filters,
    )


def return_reintegration(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="return", title="Return and reintegration")
    nat = returns.returns_nationality(ctx.con, f)
    agesex = returns.returns_age_sex(ctx.con, f)
    reint = returns.reintegration_types(ctx.con, f)
    legal_text, legal_figs = _legal(ctx, f)
    if nat.total == 0 and reint.empty and not legal_text:
        s.empty_note = (
            f"No assisted returns (status travelled) and no reintegration assistance are recorded for "
            f"cases registered in {ctx.year}."
        )
        return s
    text = []
    if nat.total:
        n_ret = returns.returnees(nat)
        text.append(
            f"{fmt_n(n_ret)} people were assisted to return (a return that took place"
            + ("" if isinstance(nat.individuals, int) else "; one per travelled return, not yet linked")
            + "). "
            + _top_phrase(nat, "nationalities of those returning")
        )
        age = returns.returns_age(ctx.con, f)
        ch = _share_phrase(age, "child", "of them were children")
        if ch:
            text.append(ch[0].upper() + ch[1:] + ".")
        again = returns.retrafficking(ctx.con, f)
        if not again.empty:
            text.append(
                f"{fmt_n(again.count_of('again'))} of the {fmt_n(again.known)} people assisted to return "
                f"({fmt_pct(again.share_of('again'))}) were assisted again afterwards by another office "
                "(re-trafficking; a lower bound, from linked individuals)."
            )
        else:
            text.append(f"Re-trafficking (assisted again after a return): {again.note}")
    else:
        text.append(f"No assisted return (one that took place) is recorded for cases registered in {ctx.year}.")
    if not reint.empty:
        six = [
            f"{lab.lower()} {fmt_pct(reint.share_of(v))}"
            for v, lab in zip(reint.data["value"], reint.data["label"], strict=True)
            if v in returns.REINTEGRATION_TYPES
        ]
        text.append(
            f"Of the {fmt_n(reint.known)} {_unit_short(reint.unit)} that received reintegration assistance, the shares "
            f"receiving each type were: " + ", ".join(six) + ". A person may receive several types."
        )
    else:
        text.append("No assistance was recorded as part of reintegration.")
    s.paragraphs = text + ([legal_text] if legal_text else [])
    figs = []
    if nat.total:
        figs += [
            Figure("nationality", "Nationality of people assisted to return", nat, partial(charts.bar, nat)),
            Figure(
                "age-sex",
                "Age and sex of people assisted to return",
                agesex,
                partial(charts.bar, agesex, sort_by_count=False),
            ),
        ]
    if not reint.empty:
        figs.append(
            Figure(
                "reintegration",
                "Types of reintegration assistance (a record counts under each type it received)",
                reint,
                partial(charts.bar, reint, sort_by_count=False),
            )
        )
    s.figures = figs + legal_figs
    return s


def _funds(ctx: ReportContext, f) -> tuple[str, list[Figure]]:  # type: ignore[no-untyped-def]
    """The sentence and figure of the records assisted through a fund ('' and none when no item says)."""
    t = funding.assisted_through_funds(ctx.con, f)
    if t.empty:
        return "", []
    unit = _unit_short(t.unit)
    n = funding.fund_total(t)
    named = t.data[t.data["value"] != funding.NOT_THROUGH_FUND]
    items = "; ".join(f"{escape(str(lab))}: {fmt_n(c)}" for lab, c in zip(named["label"], named["count"], strict=True))
    text = (
        f"{counted(n, unit, fmt_n(n))} ({fmt_pct(n / t.known if t.known else None)} of the {fmt_n(t.known)} "
        "whose assistance "
        f"says what paid for it; {fmt_n(t.unknown)} do not say) were assisted through a fund"
        + (f" ({items})." if items else ".")
    )
    fig = Figure("through-funds", f"Assisted through a fund ({unit}; a record counts under each fund)", t,
                 partial(charts.bar, t))
    return text, [fig]


def funding_section(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="funding", title="Project funding")
    t = funding.funding_by_regional_office(ctx.con, f)
    funds_text, funds_fig = _funds(ctx, f)
    if t.empty:
        note = (t.note or "No projects.") + " Funding figures need the projects table "
        note += "(`ctdata import projects FILE`: project, countries, donor, amount, year)."
        if not funds_text:
            s.empty_note = note
            return s
        s.paragraphs, s.figures = [escape(note), funds_text], funds_fig
        return s
    summ = funding.funding_summary(ctx.con, f)
    donors = funding.funding_by_donor(ctx.con, f)
    s.paragraphs = [
        f"{fmt_n(summ['projects'])} projects in {_countries(summ['countries'])} received "
        f"${fmt_n(summ['amount'])} of external funding in {ctx.year}. "
        + _money_phrase(t, "regional offices by funding"),
        _money_phrase(donors, "donors"),
        "The list of projects, their countries and donors is in Annex C.",
        funds_text,
    ]
    s.figures = [Figure("by-regional-office", "Project funding by regional office (USD)", t, partial(charts.bar, t))]
    if not donors.empty:
        s.figures.append(Figure("by-donor", "Project funding by donor (USD)", donors, partial(charts.bar, donors)))
    s.figures += funds_fig
    s.paragraphs = [p for p in s.paragraphs if p]
    return s


# ---------------------------------------------------------------------------- annexes
def _html_table(t: IndicatorTable) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(lab))}</td><td class='num'>{fmt_n(c)}</td><td class='num'>{fmt_pct(sh, 1)}</td></tr>"
        for lab, c, sh in zip(t.data["label"], t.data["count"], t.data["share"], strict=True)
    )
    return (
        f"<table class='data'><thead><tr><th>{escape(t.title)}</th><th>Records</th><th>Share</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def annex_sources(ctx: ReportContext) -> Section:
    f = ctx.year_filters
    s = Section(id="annex-sources", title="Annex A. Data sources and caveats")
    ds = cases.data_sources(ctx.con, f)
    ag = cases.agencies(ctx.con, f)
    s.figures = [
        Figure("data-sources", "Records by data source", ds),
        Figure("agencies", "Records by agency", ag),
    ]
    if ds.empty:
        s.paragraphs = [f"No case records registered in {ctx.year}: no data sources to list."]
    else:
        s.paragraphs = [
            f"The report counts {fmt_n(ds.total)} case records registered in {ctx.year} "
            f"(filters: {escape(f.describe())}), read from the ctdata warehouse."
        ]
    body = "" if ds.empty else _html_table(ds) + _html_table(ag)
    cav = "".join(f"<li><strong>{escape(a)}</strong> {escape(b)}</li>" for a, b in CAVEATS)
    defs = (
        "<h3>Definitions</h3><ul class='defs'>"
        "<li><strong>Instance of assistance</strong>: one case record of assistance, i.e. one registration of one "
        "person by one office.</li><li><strong>Hotline report</strong>: a case record that came from a hotline "
        "(a report of a situation, not assistance); counts that include them say <em>case records</em>.</li>"
        "<li><strong>Individual</strong>: a person cluster found by record linkage.</li>"
        "<li><strong>People assisted to return</strong>: one per return that took place (travelled); distinct "
        "linked individuals once linkage has run.</li>"
        "<li><strong>Child</strong>: under 18 at exploitation when known, else at registration.</li>"
        "<li><strong>Cross-border</strong>: country of exploitation differs from the citizenship; "
        "<strong>internal</strong> otherwise.</li><li><strong>Exploitation type</strong>: labour (forced "
        "labour), sexual (sexual exploitation), combined (both, or recorded as combined), other (any other "
        "type only).</li><li><strong>Official border point</strong>: a journey leg crossing at an official "
        "air, land or sea border point; internal legs are not counted.</li></ul>"
    )
    s.html = body + "<h3>Caveats of assisted-case data</h3><ul class='caveats'>" + cav + "</ul>" + defs
    return s


def annex_countries(ctx: ReportContext) -> Section:
    s = Section(id="annex-countries", title="Annex B. Countries per regional office")
    s.paragraphs = [
        "The regional offices and the countries they cover, from the annex of the 2011 annual report "
        "(ctdata.standard.regions). Territories the annex does not list are placed with the office covering "
        "a neighbouring country and marked with an asterisk: "
        + "; ".join(f"{countries.name(t)} with {countries.name(c)}" for t, c in TERRITORIES.items())
        + "."
    ]
    blocks = []
    for ro in REGIONAL_OFFICES:
        codes = countries_of_office(ro, territories=True)
        names = sorted(
            (countries.name(c) + ("*" if c in TERRITORIES else "") for c in codes), key=countries.collation_key
        )
        blocks.append(
            f"<div class='ro-block'><h3>{escape(ro)}: {escape(regional_office_region(ro))} "
            f"({len(names)})</h3><p class='countries'>{escape('; '.join(names))}</p></div>"
        )
    s.html = "".join(blocks)
    return s


def annex_projects(ctx: ReportContext) -> Section:
    """Annex C: the projects of the year with their countries, donors (each with its amount) and amount."""
    s = Section(id="annex-projects", title="Annex C. Projects and donors")
    df = funding.projects_annex(ctx.con, ctx.year_filters)
    if df.empty:
        s.empty_note = f"No projects are recorded for {ctx.year} (`ctdata import projects FILE`)."
        return s
    s.paragraphs = [
        f"{fmt_n(len(df))} projects of {ctx.year}, ${fmt_n(df['amount'].sum())} in all. A project funded by "
        "several donors lists each with its amount; amounts are in USD."
    ]
    rows = "".join(
        f"<tr><td>{escape(r.project)}</td><td>{escape(r.regional_offices)}</td><td>{escape(r.countries)}</td>"
        f"<td>{escape(r.donors)}</td><td class='num'>${fmt_n(r.amount)}</td></tr>"
        for r in df.itertuples()
    )
    s.html = (
        "<table class='data projects'><thead><tr><th>Project</th><th>Regional office</th><th>Countries</th>"
        f"<th>Donors</th><th>Amount</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return s
