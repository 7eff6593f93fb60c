"""The names of the counting units (what a figure counts), in the standard so that every layer,
the public portal included, names a unit the same way. Which unit a count has is decided in
`ctdata.analytics.units` (e.g. `record_unit`); the portal, which may not import analytics,
uses the names only."""

from __future__ import annotations

INSTANCES = "instances of assistance"
HOTLINE_REPORTS = "hotline reports"
MIXED_RECORDS = "case records (instances of assistance and hotline reports)"
#: case records whose kind (assistance or hotline report) the counter cannot see, e.g. a release's rows
CASE_RECORDS = "case records"
INDIVIDUALS = "individuals"
RETURNEES = "people assisted to return"
RETURNS = "travelled returns"
#: the data source code of hotline reports
HOTLINE = "hotline"

#: One of each unit, for a count of exactly one ('1 instance of assistance', never '1 instances of
#: assistance'). A unit missing here is one no count of one can have (a mix of two kinds needs two records).
ONE: dict[str, str] = {
    INSTANCES: "instance of assistance",
    HOTLINE_REPORTS: "hotline report",
    CASE_RECORDS: "case record",
    INDIVIDUALS: "individual",
    RETURNEES: "person assisted to return",
    RETURNS: "travelled return",
    "countries": "country",
    "corridors": "corridor",
    "records": "record",
}


def unit_of(n: float | int, unit: str) -> str:
    """The unit as English writes it after the number ``n``: singular for exactly one, the plural otherwise
    (0, 2, 1.5 and 1,234 take the plural)."""
    return ONE.get(unit, unit) if n == 1 else unit


def counted(n: float | int, unit: str, number: str | None = None) -> str:
    """'1 instance of assistance', '2 instances of assistance': the number (``number`` when given, as the
    caller formats it: '1,234', '<strong>1</strong>') and its unit, agreeing.

    Why one function: a count and its unit are written in the report, the CLI and the indicators, and
    each wrote '{n} {unit}', which reads '1 instances of assistance' when the count is one."""
    return f"{n if number is None else number} {unit_of(n, unit)}"
